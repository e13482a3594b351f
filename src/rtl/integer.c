/* Integer <-> UNICODE_STRING conversions. */
#include "rtl/rtl.h"

static int digit_value(WCHAR c)
{
	if (c >= L'0' && c <= L'9')
		return c - L'0';
	if (c >= L'a' && c <= L'z')
		return c - L'a' + 10;
	if (c >= L'A' && c <= L'Z')
		return c - L'A' + 10;
	return 99;
}

/* Base 0 reads a 0x / 0o / 0b prefix; without one the number is decimal. */
static ULONG base_from_prefix(const WCHAR *s, USHORT n, USHORT *i)
{
	if (*i + 1 < n && s[*i] == L'0') {
		switch (s[*i + 1]) {
		case L'x': *i += 2; return 16;
		case L'o': *i += 2; return 8;
		case L'b': *i += 2; return 2;
		default: break;
		}
	}
	return 10;
}

/*
 * Skips leading white space, takes one optional sign and reads digits up to
 * the first character that is not a digit of the base.  No digits gives 0
 * and STATUS_SUCCESS; an empty string gives STATUS_INVALID_PARAMETER; a
 * NULL Value gives STATUS_ACCESS_VIOLATION, as Windows reports it.
 */
NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)
{
	const WCHAR *s = String->Buffer;
	USHORT n = RTL_CCH(String), i = 0;
	BOOLEAN negative = FALSE;
	ULONG result = 0;
	int d;

	if (Base != 0 && Base != 2 && Base != 8 && Base != 10 && Base != 16)
		return STATUS_INVALID_PARAMETER;
	if (!Value)
		return STATUS_ACCESS_VIOLATION;
	while (i < n && s[i] <= L' ')
		i++;
	if (i == n)
		return STATUS_INVALID_PARAMETER;
	if (s[i] == L'-' || s[i] == L'+')
		negative = s[i++] == L'-';
	if (Base == 0)
		Base = base_from_prefix(s, n, &i);
	for (; i < n && (d = digit_value(s[i])) < (int)Base; i++)
		result = result * Base + (ULONG)d;
	*Value = negative ? 0u - result : result;
	return STATUS_SUCCESS;
}

/* Writes the digits, upper-case hex, null-terminated when there is room. */
static NTSTATUS format_unsigned(ULONGLONG value, ULONG base, PUNICODE_STRING string)
{
	WCHAR digits[64];
	USHORT count = 0;

	if (base == 0)
		base = 10;
	if (base != 2 && base != 8 && base != 10 && base != 16)
		return STATUS_INVALID_PARAMETER;
	do {
		digits[count++] = L"0123456789ABCDEF"[value % base];
		value /= base;
	} while (value);
	if (count * sizeof(WCHAR) > string->MaximumLength)
		return STATUS_BUFFER_OVERFLOW;
	for (USHORT i = 0; i < count; i++)
		string->Buffer[i] = digits[count - 1 - i];
	string->Length = count * sizeof(WCHAR);
	if (string->Length + sizeof(WCHAR) <= string->MaximumLength)
		string->Buffer[count] = UNICODE_NULL;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
	return format_unsigned(Value, Base, String);
}

NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)
{
	return format_unsigned(Value, Base, String);
}
