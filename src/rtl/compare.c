/* Comparison, case conversion and hashing of counted strings. */
#include "rtl/rtl.h"

static WCHAR fold(WCHAR c, BOOLEAN case_insensitive)
{
	return case_insensitive ? rtl_upcase(c) : c;
}

/* Ordinal comparison of code units (upcased first when asked), then length. */
LONG NTAPI RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2,
				    SIZE_T String2Length, BOOLEAN CaseInSensitive)
{
	SIZE_T n = min(String1Length, String2Length);

	for (SIZE_T i = 0; i < n; i++) {
		LONG d = (LONG)(USHORT)fold(String1[i], CaseInSensitive) -
			 (LONG)(USHORT)fold(String2[i], CaseInSensitive);
		if (d)
			return d;
	}
	if (String1Length == String2Length)
		return 0;
	return String1Length < String2Length ? -1 : 1;
}

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
				   BOOLEAN CaseInSensitive)
{
	return RtlCompareUnicodeStrings(String1->Buffer, RTL_CCH(String1), String2->Buffer,
					RTL_CCH(String2), CaseInSensitive);
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
				    BOOLEAN CaseInSensitive)
{
	if (RTL_CCH(String1) != RTL_CCH(String2))
		return FALSE;
	return RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0;
}

BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
				     BOOLEAN CaseInSensitive)
{
	if (RTL_CCH(String1) > RTL_CCH(String2))
		return FALSE;
	return RtlCompareUnicodeStrings(String1->Buffer, RTL_CCH(String1), String2->Buffer,
					RTL_CCH(String1), CaseInSensitive) == 0;
}

/* Applies `map` into the destination, which may be the source itself. */
static NTSTATUS convert_case(PUNICODE_STRING dest, PCUNICODE_STRING src, BOOLEAN allocate,
			     WCHAR (*map)(WCHAR))
{
	USHORT cch = RTL_CCH(src);

	if (allocate) {
		dest->Buffer = rtl_allocate(src->Length, RTL_STRING_TAG);
		if (!dest->Buffer && src->Length)
			return STATUS_NO_MEMORY;
		dest->MaximumLength = src->Length;
	} else if (src->Length > dest->MaximumLength) {
		return STATUS_BUFFER_OVERFLOW;
	}
	for (USHORT i = 0; i < cch; i++)
		dest->Buffer[i] = map(src->Buffer[i]);
	dest->Length = cch * sizeof(WCHAR);
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString,
				      PCUNICODE_STRING SourceString,
				      BOOLEAN AllocateDestinationString)
{
	return convert_case(DestinationString, SourceString, AllocateDestinationString, rtl_upcase);
}

NTSTATUS NTAPI RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString,
					PCUNICODE_STRING SourceString,
					BOOLEAN AllocateDestinationString)
{
	return convert_case(DestinationString, SourceString, AllocateDestinationString,
			    rtl_downcase);
}

NTSTATUS NTAPI RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive,
				    ULONG HashAlgorithm, PULONG HashValue)
{
	ULONG hash = 0;

	if (!String || !HashValue)
		return STATUS_INVALID_PARAMETER;
	if (HashAlgorithm != HASH_STRING_ALGORITHM_DEFAULT &&
	    HashAlgorithm != HASH_STRING_ALGORITHM_X65599)
		return STATUS_INVALID_PARAMETER;
	for (USHORT i = 0; i < RTL_CCH(String); i++)
		hash = hash * 65599u + (USHORT)fold(String->Buffer[i], CaseInSensitive);
	*HashValue = hash;
	return STATUS_SUCCESS;
}
