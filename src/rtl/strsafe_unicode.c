/* ntstrsafe.h functions on UNICODE_STRING destinations (counted, not terminated). */
#include <ntstrsafe.h>

#include "rtl/rtl.h"

#define MAX_BYTES (NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR))

static BOOLEAN valid(PCUNICODE_STRING s)
{
	return s && rtl_unicode_string_valid(s) && s->MaximumLength <= MAX_BYTES &&
	       (s->Buffer || s->MaximumLength == 0);
}

NTSTATUS NTAPI RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
	size_t cch;

	if (!DestinationString)
		return STATUS_INVALID_PARAMETER;
	DestinationString->Length = 0;
	DestinationString->MaximumLength = 0;
	DestinationString->Buffer = NULL;
	if (!pszSrc)
		return STATUS_SUCCESS;
	cch = altitude_wcsnlen(pszSrc, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1);
	if (cch > NTSTRSAFE_UNICODE_STRING_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	DestinationString->Buffer = (PWCH)pszSrc;
	DestinationString->Length = (USHORT)(cch * sizeof(WCHAR));
	DestinationString->MaximumLength = (USHORT)min(cch * sizeof(WCHAR) + sizeof(WCHAR), MAX_BYTES);
	return STATUS_SUCCESS;
}

/* Puts cch characters of src at character `at` of dest, truncating to fit. */
static NTSTATUS put(PUNICODE_STRING dest, size_t at, const WCHAR *src, size_t cch)
{
	size_t room = dest->MaximumLength / sizeof(WCHAR) - at;
	size_t n = min(room, cch);

	if (n)
		memmove(dest->Buffer + at, src, n * sizeof(WCHAR));
	dest->Length = (USHORT)((at + n) * sizeof(WCHAR));
	return n < cch ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS copy(PUNICODE_STRING dest, const WCHAR *src, size_t cch)
{
	if (!valid(dest))
		return STATUS_INVALID_PARAMETER;
	if (dest->MaximumLength == 0 && cch)
		return STATUS_INVALID_PARAMETER;
	return put(dest, 0, src, cch);
}

static NTSTATUS cat(PUNICODE_STRING dest, const WCHAR *src, size_t cch)
{
	if (!valid(dest))
		return STATUS_INVALID_PARAMETER;
	if (dest->Length == dest->MaximumLength && cch)
		return STATUS_INVALID_PARAMETER;
	return put(dest, RTL_CCH(dest), src, cch);
}

/* The characters of a C string, or SIZE_MAX when it is too long. */
static size_t string_cch(NTSTRSAFE_PCWSTR psz)
{
	size_t cch = altitude_wcsnlen(psz, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1);

	return cch > NTSTRSAFE_UNICODE_STRING_MAX_CCH ? SIZE_MAX : cch;
}

NTSTATUS NTAPI RtlUnicodeStringCopy(PUNICODE_STRING DestinationString,
				    PCUNICODE_STRING SourceString)
{
	if (!valid(SourceString))
		return STATUS_INVALID_PARAMETER;
	return copy(DestinationString, SourceString->Buffer, RTL_CCH(SourceString));
}

NTSTATUS NTAPI RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString,
					  NTSTRSAFE_PCWSTR pszSrc)
{
	size_t cch = pszSrc ? string_cch(pszSrc) : SIZE_MAX;

	if (cch == SIZE_MAX)
		return STATUS_INVALID_PARAMETER;
	return copy(DestinationString, pszSrc, cch);
}

NTSTATUS NTAPI RtlUnicodeStringCat(PUNICODE_STRING DestinationString,
				   PCUNICODE_STRING SourceString)
{
	if (!valid(SourceString))
		return STATUS_INVALID_PARAMETER;
	return cat(DestinationString, SourceString->Buffer, RTL_CCH(SourceString));
}

NTSTATUS NTAPI RtlUnicodeStringCatString(PUNICODE_STRING DestinationString,
					 NTSTRSAFE_PCWSTR pszSrc)
{
	size_t cch = pszSrc ? string_cch(pszSrc) : SIZE_MAX;

	if (cch == SIZE_MAX)
		return STATUS_INVALID_PARAMETER;
	return cat(DestinationString, pszSrc, cch);
}

NTSTATUS NTAPI RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString,
				       NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
	size_t cap, written = 0, needed;

	if (!valid(DestinationString) || !pszFormat)
		return STATUS_INVALID_PARAMETER;
	cap = DestinationString->MaximumLength / sizeof(WCHAR);
	needed = rtl_vformat_w(DestinationString->Buffer, cap, &written, pszFormat, argList);
	if (cap == 0 && needed) {
		DestinationString->Length = 0;
		return STATUS_INVALID_PARAMETER;
	}
	DestinationString->Length = (USHORT)(written * sizeof(WCHAR));
	return needed > cap ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...)
{
	va_list args;
	NTSTATUS status;

	va_start(args, pszFormat);
	status = RtlUnicodeStringVPrintf(DestinationString, pszFormat, args);
	va_end(args);
	return status;
}
