/* UNICODE_STRING: initialization, copy, append, free and duplication. */
#include "rtl/rtl.h"

/* Largest Length RtlInitUnicodeString produces, so that MaximumLength fits. */
#define INIT_MAX_LENGTH (UNICODE_STRING_MAX_BYTES - sizeof(WCHAR))

BOOLEAN rtl_unicode_string_valid(PCUNICODE_STRING s)
{
	if ((s->Length | s->MaximumLength) & 1)
		return FALSE;
	if (s->Length > s->MaximumLength)
		return FALSE;
	return s->MaximumLength == 0 || s->Buffer != NULL;
}

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
	size_t bytes;

	DestinationString->Buffer = (PWCH)SourceString;
	if (!SourceString) {
		DestinationString->Length = 0;
		DestinationString->MaximumLength = 0;
		return;
	}
	bytes = altitude_wcsnlen(SourceString, INIT_MAX_LENGTH / sizeof(WCHAR) + 1) * sizeof(WCHAR);
	if (bytes > INIT_MAX_LENGTH)
		bytes = INIT_MAX_LENGTH;
	DestinationString->Length = (USHORT)bytes;
	DestinationString->MaximumLength = (USHORT)(bytes + sizeof(WCHAR));
}

NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
	if (SourceString &&
	    altitude_wcsnlen(SourceString, INIT_MAX_LENGTH / sizeof(WCHAR) + 1) >
		    INIT_MAX_LENGTH / sizeof(WCHAR))
		return STATUS_NAME_TOO_LONG;
	RtlInitUnicodeString(DestinationString, SourceString);
	return STATUS_SUCCESS;
}

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
	USHORT bytes;

	if (!SourceString) {
		DestinationString->Length = 0;
		return;
	}
	bytes = min(SourceString->Length, DestinationString->MaximumLength) & ~1u;
	if (bytes)
		memmove(DestinationString->Buffer, SourceString->Buffer, bytes);
	DestinationString->Length = bytes;
	if (bytes + sizeof(WCHAR) <= DestinationString->MaximumLength)
		DestinationString->Buffer[bytes / sizeof(WCHAR)] = UNICODE_NULL;
}

/* Appends `bytes` of `src`; null-terminates when there is room. */
static NTSTATUS append(PUNICODE_STRING dest, const WCHAR *src, size_t bytes)
{
	size_t total = (size_t)dest->Length + bytes;

	if (total > dest->MaximumLength)
		return STATUS_BUFFER_TOO_SMALL;
	if (bytes)
		memmove((PUCHAR)dest->Buffer + dest->Length, src, bytes);
	dest->Length = (USHORT)total;
	if (total + sizeof(WCHAR) <= dest->MaximumLength)
		dest->Buffer[total / sizeof(WCHAR)] = UNICODE_NULL;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
	if (!Source)
		return STATUS_SUCCESS;
	return append(Destination, Source, altitude_wcslen(Source) * sizeof(WCHAR));
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
					      PCUNICODE_STRING Source)
{
	return append(Destination, Source->Buffer, Source->Length);
}

VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
	rtl_free(UnicodeString->Buffer);
	UnicodeString->Buffer = NULL;
	UnicodeString->Length = 0;
	UnicodeString->MaximumLength = 0;
}

/*
 * An empty source gives an empty string with no buffer unless
 * ALLOCATE_NULL_STRING asks for one (which only makes sense with
 * NULL_TERMINATE: then the buffer holds just the terminator).
 */
NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn,
					 PUNICODE_STRING StringOut)
{
	const ULONG valid = RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE |
			    RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING;
	BOOLEAN terminate = (Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE) != 0;
	size_t bytes;

	if (!StringIn || !StringOut || (Flags & ~valid) || !rtl_unicode_string_valid(StringIn))
		return STATUS_INVALID_PARAMETER;
	if (Flags == RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)
		return STATUS_INVALID_PARAMETER;
	if (StringIn->Length == 0 && !(Flags & RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)) {
		StringOut->Length = 0;
		StringOut->MaximumLength = 0;
		StringOut->Buffer = NULL;
		return STATUS_SUCCESS;
	}
	bytes = StringIn->Length + (terminate ? sizeof(WCHAR) : 0);
	if (bytes > UNICODE_STRING_MAX_BYTES)
		return STATUS_NAME_TOO_LONG;
	StringOut->Buffer = rtl_allocate(bytes, RTL_STRING_TAG);
	if (!StringOut->Buffer)
		return STATUS_NO_MEMORY;
	if (StringIn->Length)
		memcpy(StringOut->Buffer, StringIn->Buffer, StringIn->Length);
	if (terminate)
		StringOut->Buffer[RTL_CCH(StringIn)] = UNICODE_NULL;
	StringOut->Length = StringIn->Length;
	StringOut->MaximumLength = (USHORT)bytes;
	return STATUS_SUCCESS;
}
