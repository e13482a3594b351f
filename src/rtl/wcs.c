/*
 * The wide-string functions driver code calls, for 16-bit WCHAR (glibc's
 * work on 32-bit wchar_t).  <nt/rtl.h> maps the usual names onto these.
 * Case-insensitive comparisons use the Rtl upcase table.
 */
#include "rtl/rtl.h"

size_t altitude_wcslen(const WCHAR *s)
{
	const WCHAR *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t altitude_wcsnlen(const WCHAR *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int altitude_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (USHORT)a[i] < (USHORT)b[i] ? -1 : 1;
		if (!a[i])
			return 0;
	}
	return 0;
}

int altitude_wcscmp(const WCHAR *a, const WCHAR *b)
{
	return altitude_wcsncmp(a, b, SIZE_MAX);
}

int altitude_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		USHORT x = (USHORT)rtl_upcase(a[i]);
		USHORT y = (USHORT)rtl_upcase(b[i]);

		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
	return 0;
}

int altitude_wcsicmp(const WCHAR *a, const WCHAR *b)
{
	return altitude_wcsnicmp(a, b, SIZE_MAX);
}

/* As in C, the terminator itself can be searched for. */
WCHAR *altitude_wcschr(const WCHAR *s, WCHAR c)
{
	for (;; s++) {
		if (*s == c)
			return (WCHAR *)s;
		if (!*s)
			return NULL;
	}
}

WCHAR *altitude_wcsrchr(const WCHAR *s, WCHAR c)
{
	const WCHAR *found = NULL;

	for (;; s++) {
		if (*s == c)
			found = s;
		if (!*s)
			return (WCHAR *)found;
	}
}

WCHAR *altitude_wcsstr(const WCHAR *haystack, const WCHAR *needle)
{
	size_t n = altitude_wcslen(needle);

	for (; *haystack; haystack++) {
		if (altitude_wcsncmp(haystack, needle, n) == 0)
			return (WCHAR *)haystack;
	}
	return n == 0 ? (WCHAR *)haystack : NULL;
}

WCHAR *altitude_wcscpy(WCHAR *dest, const WCHAR *src)
{
	size_t n = altitude_wcslen(src);

	memmove(dest, src, (n + 1) * sizeof(WCHAR));
	return dest;
}

/* Like C's wcsncpy: pads with nulls, and does not terminate a long source. */
WCHAR *altitude_wcsncpy(WCHAR *dest, const WCHAR *src, size_t n)
{
	size_t len = altitude_wcsnlen(src, n);

	memmove(dest, src, len * sizeof(WCHAR));
	for (size_t i = len; i < n; i++)
		dest[i] = UNICODE_NULL;
	return dest;
}

WCHAR *altitude_wcscat(WCHAR *dest, const WCHAR *src)
{
	altitude_wcscpy(dest + altitude_wcslen(dest), src);
	return dest;
}

/* Appends at most n characters and always terminates, as C's wcsncat. */
WCHAR *altitude_wcsncat(WCHAR *dest, const WCHAR *src, size_t n)
{
	WCHAR *end = dest + altitude_wcslen(dest);
	size_t len = altitude_wcsnlen(src, n);

	memmove(end, src, len * sizeof(WCHAR));
	end[len] = UNICODE_NULL;
	return dest;
}

WCHAR *altitude_wcsupr(WCHAR *s)
{
	for (WCHAR *p = s; *p; p++)
		*p = rtl_upcase(*p);
	return s;
}

WCHAR *altitude_wcslwr(WCHAR *s)
{
	for (WCHAR *p = s; *p; p++)
		*p = rtl_downcase(*p);
	return s;
}

/* Values outside the 16-bit range (WEOF among them) come back unchanged. */
unsigned int altitude_towupper(unsigned int c)
{
	return c > 0xFFFF ? c : (USHORT)rtl_upcase((WCHAR)c);
}

unsigned int altitude_towlower(unsigned int c)
{
	return c > 0xFFFF ? c : (USHORT)rtl_downcase((WCHAR)c);
}

int altitude_iswdigit(unsigned int c)
{
	return c >= L'0' && c <= L'9';
}

int altitude_iswspace(unsigned int c)
{
	return c == L' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}
