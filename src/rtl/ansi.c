/*
 * STRING / ANSI_STRING, and conversion between ANSI and UTF-16.  The ANSI
 * code page is UTF-8 on this platform.  As on Windows, a Unicode-to-ANSI
 * conversion that does not fit a caller-supplied buffer converts what fits
 * (whole characters, null-terminated) and returns STATUS_BUFFER_OVERFLOW,
 * while an ANSI-to-Unicode one returns STATUS_BUFFER_OVERFLOW and leaves the
 * destination unchanged; a result above MAXUSHORT bytes is
 * STATUS_INVALID_PARAMETER_2.
 */
#include "rtl/rtl.h"

/* Largest Length RtlInitAnsiString produces, so that MaximumLength fits. */
#define ANSI_INIT_MAX_LENGTH (MAXUSHORT - 1)

VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString)
{
	size_t bytes;

	DestinationString->Buffer = (PCHAR)SourceString;
	if (!SourceString) {
		DestinationString->Length = 0;
		DestinationString->MaximumLength = 0;
		return;
	}
	bytes = strnlen(SourceString, ANSI_INIT_MAX_LENGTH + 1);
	if (bytes > ANSI_INIT_MAX_LENGTH)
		bytes = ANSI_INIT_MAX_LENGTH;
	DestinationString->Length = (USHORT)bytes;
	DestinationString->MaximumLength = (USHORT)(bytes + 1);
}

VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString)
{
	RtlInitAnsiString(DestinationString, SourceString);
}

VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING *SourceString)
{
	USHORT bytes;

	if (!SourceString) {
		DestinationString->Length = 0;
		return;
	}
	bytes = min(SourceString->Length, DestinationString->MaximumLength);
	if (bytes)
		memmove(DestinationString->Buffer, SourceString->Buffer, bytes);
	DestinationString->Length = bytes;
	if (bytes < DestinationString->MaximumLength)
		DestinationString->Buffer[bytes] = ANSI_NULL;
}

static CHAR fold_ansi(CHAR c, BOOLEAN case_insensitive)
{
	if (case_insensitive && c >= 'a' && c <= 'z')
		return (CHAR)(c - 'a' + 'A');
	return c;
}

LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2,
			    BOOLEAN CaseInSensitive)
{
	USHORT n = min(String1->Length, String2->Length);

	for (USHORT i = 0; i < n; i++) {
		LONG d = (LONG)(UCHAR)fold_ansi(String1->Buffer[i], CaseInSensitive) -
			 (LONG)(UCHAR)fold_ansi(String2->Buffer[i], CaseInSensitive);
		if (d)
			return d;
	}
	return (LONG)String1->Length - (LONG)String2->Length;
}

BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2,
			     BOOLEAN CaseInSensitive)
{
	return String1->Length == String2->Length &&
	       RtlCompareString(String1, String2, CaseInSensitive) == 0;
}

VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString)
{
	rtl_free(AnsiString->Buffer);
	AnsiString->Buffer = NULL;
	AnsiString->Length = 0;
	AnsiString->MaximumLength = 0;
}

ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString)
{
	ULONG bytes = 0;

	RtlUnicodeToUTF8N(NULL, 0, &bytes, UnicodeString->Buffer, UnicodeString->Length & ~1u);
	return bytes + 1;
}

ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString)
{
	ULONG bytes = 0;

	RtlUTF8ToUnicodeN(NULL, 0, &bytes, AnsiString->Buffer, AnsiString->Length);
	return bytes + sizeof(WCHAR);
}

NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString,
					    PCUNICODE_STRING SourceString,
					    BOOLEAN AllocateDestinationString)
{
	ULONG size = RtlxUnicodeStringToAnsiSize(SourceString);
	ULONG written = 0;
	PCHAR buffer = DestinationString->Buffer;
	NTSTATUS status = STATUS_SUCCESS;

	if (size > MAXUSHORT)
		return STATUS_INVALID_PARAMETER_2;
	if (AllocateDestinationString) {
		buffer = rtl_allocate(size, RTL_STRING_TAG);
		if (!buffer)
			return STATUS_NO_MEMORY;
	} else if (size > DestinationString->MaximumLength) {
		if (DestinationString->MaximumLength == 0)
			return STATUS_BUFFER_OVERFLOW;
		size = DestinationString->MaximumLength;
		status = STATUS_BUFFER_OVERFLOW;
	}
	RtlUnicodeToUTF8N(buffer, size - 1, &written, SourceString->Buffer,
			  SourceString->Length & ~1u);
	buffer[written] = ANSI_NULL;
	DestinationString->Buffer = buffer;
	DestinationString->Length = (USHORT)written;
	if (AllocateDestinationString)
		DestinationString->MaximumLength = (USHORT)size;
	return status;
}

NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString,
					    PCANSI_STRING SourceString,
					    BOOLEAN AllocateDestinationString)
{
	ULONG size = RtlxAnsiStringToUnicodeSize(SourceString);
	ULONG written = 0;
	PWCH buffer = DestinationString->Buffer;

	if (size > MAXUSHORT)
		return STATUS_INVALID_PARAMETER_2;
	if (AllocateDestinationString) {
		buffer = rtl_allocate(size, RTL_STRING_TAG);
		if (!buffer)
			return STATUS_NO_MEMORY;
	} else if (size > DestinationString->MaximumLength) {
		return STATUS_BUFFER_OVERFLOW;
	}
	RtlUTF8ToUnicodeN(buffer, size - sizeof(WCHAR), &written, SourceString->Buffer,
			  SourceString->Length);
	buffer[written / sizeof(WCHAR)] = UNICODE_NULL;
	DestinationString->Buffer = buffer;
	DestinationString->Length = (USHORT)written;
	if (AllocateDestinationString)
		DestinationString->MaximumLength = (USHORT)size;
	return STATUS_SUCCESS;
}
