/*
 * Altitude strings: one or more decimal digits with at most one decimal
 * point ("385100", "370030.5", "03333").  Leading zeros of the whole part
 * and trailing zeros of the fraction do not count.
 */
#include "flt/flt.h"

BOOLEAN flt_altitude_parse(PCUNICODE_STRING text, struct flt_altitude *out)
{
	USHORT n, i;
	BOOLEAN point = FALSE, digits = FALSE;
	size_t f = 0;

	if (!text || !text->Buffer || text->Length == 0 || (text->Length & 1))
		return FALSE;
	n = text->Length / sizeof(WCHAR);
	out->whole = 0;
	out->fraction[0] = 0;
	for (i = 0; i < n; i++) {
		WCHAR c = text->Buffer[i];

		if (c == L'.' && !point) {
			point = TRUE;
			continue;
		}
		if (c < L'0' || c > L'9')
			return FALSE;
		digits = TRUE;
		if (!point) {
			if (out->whole > (MAXULONGLONG - 9) / 10)
				return FALSE;
			out->whole = out->whole * 10 + (ULONGLONG)(c - L'0');
			continue;
		}
		if (f + 1 >= sizeof(out->fraction))
			return FALSE;
		out->fraction[f++] = (char)c;
		out->fraction[f] = 0;
	}
	while (f > 0 && out->fraction[f - 1] == '0')
		out->fraction[--f] = 0;
	return digits;
}

int flt_altitude_compare(const struct flt_altitude *a, const struct flt_altitude *b)
{
	const char *x = a->fraction, *y = b->fraction;

	if (a->whole != b->whole)
		return a->whole < b->whole ? -1 : 1;
	while (*x && *y && *x == *y) {
		x++;
		y++;
	}
	if (*x == *y)
		return 0;
	if (!*x)
		return -1;
	if (!*y)
		return 1;
	return *x < *y ? -1 : 1;
}

LONG FLTAPI FltCompareInstanceAltitudes(PFLT_INSTANCE Instance1, PFLT_INSTANCE Instance2)
{
	return flt_altitude_compare(&Instance1->altitude, &Instance2->altitude);
}
