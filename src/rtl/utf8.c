/*
 * UTF-8 <-> UTF-16.  Ill-formed input (bad or truncated UTF-8 sequences,
 * overlong forms, encoded surrogates, lone UTF-16 surrogates) becomes
 * U+FFFD, one per maximal ill-formed subpart, and the result is
 * STATUS_SOME_NOT_MAPPED.  Output that does not fit stops before the first
 * character that does not fit (a character is never split) and gives
 * STATUS_BUFFER_TOO_SMALL, with the bytes written so far in the count.
 * A NULL destination asks for the size needed.
 */
#include "rtl/rtl.h"

#define REPLACEMENT 0xFFFDu

/* The range of the byte after a lead byte (Unicode, Table 3-7). */
static int utf8_second_range(UCHAR lead, UCHAR *lo, UCHAR *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (lead >= 0xC2 && lead <= 0xDF)
		return 2;
	if (lead >= 0xE0 && lead <= 0xEF) {
		if (lead == 0xE0)
			*lo = 0xA0;
		if (lead == 0xED)
			*hi = 0x9F;
		return 3;
	}
	if (lead >= 0xF0 && lead <= 0xF4) {
		if (lead == 0xF0)
			*lo = 0x90;
		if (lead == 0xF4)
			*hi = 0x8F;
		return 4;
	}
	return 0;
}

/* Decodes one character at s[0..n); returns the bytes used, *valid tells. */
ULONG rtl_utf8_decode(const UCHAR *s, ULONG n, ULONG *cp, BOOLEAN *valid)
{
	UCHAR lo, hi;
	int len;
	ULONG value;

	*valid = FALSE;
	*cp = REPLACEMENT;
	if (s[0] < 0x80) {
		*cp = s[0];
		*valid = TRUE;
		return 1;
	}
	len = utf8_second_range(s[0], &lo, &hi);
	if (len == 0)
		return 1;
	value = s[0] & (0xFF >> (len + 1));
	for (int i = 1; i < len; i++) {
		if ((ULONG)i >= n || s[i] < lo || s[i] > hi)
			return (ULONG)i;
		value = (value << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = value;
	*valid = TRUE;
	return (ULONG)len;
}

NTSTATUS NTAPI RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount,
				 PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource,
				 ULONG UTF8StringByteCount)
{
	const UCHAR *src = (const UCHAR *)UTF8StringSource;
	ULONG max_units = UnicodeStringMaxByteCount / sizeof(WCHAR);
	ULONG units = 0, i = 0;
	NTSTATUS status = STATUS_SUCCESS;

	if (!UTF8StringSource)
		return STATUS_INVALID_PARAMETER_4;
	if (!UnicodeStringDestination && !UnicodeStringActualByteCount)
		return STATUS_INVALID_PARAMETER;
	while (i < UTF8StringByteCount) {
		ULONG cp;
		BOOLEAN valid;
		ULONG need;

		i += rtl_utf8_decode(src + i, UTF8StringByteCount - i, &cp, &valid);
		if (!valid)
			status = STATUS_SOME_NOT_MAPPED;
		need = cp >= 0x10000 ? 2 : 1;
		if (UnicodeStringDestination) {
			if (units + need > max_units) {
				status = STATUS_BUFFER_TOO_SMALL;
				break;
			}
			if (need == 2) {
				UnicodeStringDestination[units] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
				UnicodeStringDestination[units + 1] = (WCHAR)(0xDC00 + (cp & 0x3FF));
			} else {
				UnicodeStringDestination[units] = (WCHAR)cp;
			}
		}
		units += need;
	}
	if (UnicodeStringActualByteCount)
		*UnicodeStringActualByteCount = units * sizeof(WCHAR);
	return status;
}

/* Decodes one UTF-16 character; returns the units used, *valid tells. */
ULONG rtl_utf16_decode(const WCHAR *s, ULONG n, ULONG *cp, BOOLEAN *valid)
{
	USHORT c = (USHORT)s[0];

	*valid = TRUE;
	*cp = c;
	if (c < 0xD800 || c > 0xDFFF)
		return 1;
	if (c <= 0xDBFF && n > 1 && (USHORT)s[1] >= 0xDC00 && (USHORT)s[1] <= 0xDFFF) {
		*cp = 0x10000 + (((ULONG)c - 0xD800) << 10) + ((USHORT)s[1] - 0xDC00);
		return 2;
	}
	*valid = FALSE;
	*cp = REPLACEMENT;
	return 1;
}

ULONG rtl_utf8_encode(ULONG cp, UCHAR out[4])
{
	if (cp < 0x80) {
		out[0] = (UCHAR)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (UCHAR)(0xC0 | (cp >> 6));
		out[1] = (UCHAR)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (UCHAR)(0xE0 | (cp >> 12));
		out[1] = (UCHAR)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (UCHAR)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (UCHAR)(0xF0 | (cp >> 18));
	out[1] = (UCHAR)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (UCHAR)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (UCHAR)(0x80 | (cp & 0x3F));
	return 4;
}

NTSTATUS NTAPI RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount,
				 PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource,
				 ULONG UnicodeStringByteCount)
{
	ULONG n = UnicodeStringByteCount / sizeof(WCHAR);
	ULONG bytes = 0, i = 0;
	NTSTATUS status = STATUS_SUCCESS;

	if (!UnicodeStringSource)
		return STATUS_INVALID_PARAMETER_4;
	if (!UTF8StringDestination && !UTF8StringActualByteCount)
		return STATUS_INVALID_PARAMETER;
	if (UnicodeStringByteCount % sizeof(WCHAR))
		return STATUS_INVALID_PARAMETER_5;
	while (i < n) {
		ULONG cp, len;
		BOOLEAN valid;
		UCHAR out[4];

		i += rtl_utf16_decode(UnicodeStringSource + i, n - i, &cp, &valid);
		if (!valid)
			status = STATUS_SOME_NOT_MAPPED;
		len = rtl_utf8_encode(cp, out);
		if (UTF8StringDestination) {
			if (bytes + len > UTF8StringMaxByteCount) {
				status = STATUS_BUFFER_TOO_SMALL;
				break;
			}
			memcpy(UTF8StringDestination + bytes, out, len);
		}
		bytes += len;
	}
	if (UTF8StringActualByteCount)
		*UTF8StringActualByteCount = bytes;
	return status;
}
