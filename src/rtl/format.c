/*
 * The one printf engine of the project, for narrow (UTF-8) and 16-bit wide
 * output, with the Windows conventions drivers rely on:
 *   - sizes are LLP64: no prefix and l are 32-bit, ll / I64 are 64-bit,
 *     I / z / t / j are pointer-sized, I32 is 32-bit, h / hh short / char;
 *   - %s and %c take the output's width of character, %S and %C the other
 *     one (as Microsoft's CRT), h forces narrow and l / w force wide;
 *   - %Z prints a PANSI_STRING and %wZ a PUNICODE_STRING (counted);
 *   - %p prints 16 upper-case hex digits; NULL strings print "(null)";
 *   - %n consumes its argument and writes nothing.
 * Narrow strings are UTF-8 (the ANSI code page here); characters cross from
 * one width to the other through UTF-8 / UTF-16 conversion, ill-formed ones
 * becoming U+FFFD.  Width and precision count characters of the source.
 * Output is cut at a character boundary when the buffer is full.
 */
#include <stdio.h>

#include "rtl/rtl.h"

struct out {
	BOOLEAN wide;
	char *a;
	WCHAR *w;
	size_t cap;   /* units that may be written */
	size_t len;   /* units written */
	size_t total; /* units the whole output needs */
	BOOLEAN full;
};

enum { SIZE_DEFAULT, SIZE_CHAR, SIZE_SHORT, SIZE_32, SIZE_64 };
enum { CHARS_DEFAULT, CHARS_NARROW, CHARS_WIDE };

struct spec {
	BOOLEAN left, plus, space, alt, zero;
	int width;
	int precision; /* -1 when absent */
	int size;
	int chars;
	ULONG type;
};

/* Writes n units all together or not at all (a character is never split). */
static void put_units(struct out *o, const ULONG *u, size_t n)
{
	o->total += n;
	if (o->full || o->len + n > o->cap) {
		o->full = TRUE;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (o->wide)
			o->w[o->len + i] = (WCHAR)u[i];
		else
			o->a[o->len + i] = (char)u[i];
	}
	o->len += n;
}

static void put_raw(struct out *o, ULONG unit)
{
	put_units(o, &unit, 1);
}

static void put_cp(struct out *o, ULONG cp)
{
	ULONG u[4];
	UCHAR b[4];
	size_t n;

	if (o->wide) {
		if (cp >= 0x10000) {
			u[0] = 0xD800 + ((cp - 0x10000) >> 10);
			u[1] = 0xDC00 + (cp & 0x3FF);
			n = 2;
		} else {
			u[0] = cp;
			n = 1;
		}
	} else {
		n = rtl_utf8_encode(cp, b);
		for (size_t i = 0; i < n; i++)
			u[i] = b[i];
	}
	put_units(o, u, n);
}

static void put_repeat(struct out *o, ULONG cp, int count)
{
	for (int i = 0; i < count; i++)
		put_cp(o, cp);
}

static void put_ascii(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_cp(o, (UCHAR)s[i]);
}

static ULONG fmt_at(const void *fmt, BOOLEAN wide, size_t i)
{
	return wide ? (USHORT)((const WCHAR *)fmt)[i] : (UCHAR)((const char *)fmt)[i];
}

/* ---- numbers ---- */

static void put_integer(struct out *o, const struct spec *s, ULONGLONG mag, BOOLEAN negative,
		       unsigned int base, BOOLEAN upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[72], prefix[3];
	int nd = 0, np = 0, zeros, pad;
	BOOLEAN nonzero = mag != 0;

	if (!(mag == 0 && s->precision == 0)) {
		do {
			digits[nd++] = set[mag % base];
			mag /= base;
		} while (mag);
	}
	if (negative)
		prefix[np++] = '-';
	else if (s->plus)
		prefix[np++] = '+';
	else if (s->space)
		prefix[np++] = ' ';
	if (s->alt && base == 16 && nonzero) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	}
	if (s->alt && base == 8 && (nd == 0 || digits[nd - 1] != '0'))
		digits[nd++] = '0';
	zeros = s->precision > nd ? s->precision - nd : 0;
	if (s->precision < 0 && s->zero && !s->left && s->width > np + nd)
		zeros = s->width - np - nd;
	pad = s->width > np + zeros + nd ? s->width - np - zeros - nd : 0;
	if (!s->left)
		put_repeat(o, ' ', pad);
	put_ascii(o, prefix, (size_t)np);
	put_repeat(o, '0', zeros);
	while (nd > 0)
		put_cp(o, (UCHAR)digits[--nd]);
	if (s->left)
		put_repeat(o, ' ', pad);
}

static LONGLONG fetch_signed(const struct spec *s, va_list *ap)
{
	switch (s->size) {
	case SIZE_CHAR: return (signed char)va_arg(*ap, int);
	case SIZE_SHORT: return (short)va_arg(*ap, int);
	case SIZE_64: return va_arg(*ap, long long);
	default: return va_arg(*ap, int);
	}
}

static ULONGLONG fetch_unsigned(const struct spec *s, va_list *ap)
{
	switch (s->size) {
	case SIZE_CHAR: return (unsigned char)va_arg(*ap, unsigned int);
	case SIZE_SHORT: return (unsigned short)va_arg(*ap, unsigned int);
	case SIZE_64: return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, unsigned int);
	}
}

static void put_float(struct out *o, const struct spec *s, va_list *ap)
{
	char cfmt[32], text[512];
	int n = 0, len;
	double value = va_arg(*ap, double);
	int precision = s->precision > 100 ? 100 : s->precision;

	cfmt[n++] = '%';
	if (s->left)
		cfmt[n++] = '-';
	if (s->plus)
		cfmt[n++] = '+';
	if (s->space)
		cfmt[n++] = ' ';
	if (s->alt)
		cfmt[n++] = '#';
	if (s->zero)
		cfmt[n++] = '0';
	n += snprintf(cfmt + n, sizeof(cfmt) - (size_t)n, "*.*%c", (char)s->type);
	len = snprintf(text, sizeof(text), cfmt, s->width > 400 ? 400 : s->width, precision, value);
	put_ascii(o, text, len < 0 ? 0 : min((size_t)len, sizeof(text) - 1));
}

/* ---- characters and strings ---- */

/* Visits up to max_items characters of a string, emitting them when asked. */
static size_t walk_string(struct out *o, const void *p, BOOLEAN wide_src, size_t limit,
			  BOOLEAN terminated, size_t max_items, BOOLEAN emit)
{
	BOOLEAN raw = !wide_src && !o->wide;
	size_t i = 0, items = 0;

	while (i < limit && items < max_items) {
		ULONG n = (ULONG)min(limit - i, (size_t)MAXULONG);
		ULONG cp, used = 1;
		BOOLEAN valid;

		if (wide_src) {
			if (terminated && ((const WCHAR *)p)[i] == 0)
				break;
			used = rtl_utf16_decode((const WCHAR *)p + i, n, &cp, &valid);
		} else {
			cp = ((const UCHAR *)p)[i];
			if (terminated && cp == 0)
				break;
			if (!raw)
				used = rtl_utf8_decode((const UCHAR *)p + i, n, &cp, &valid);
		}
		if (emit) {
			if (raw)
				put_raw(o, cp);
			else
				put_cp(o, cp);
		}
		i += used;
		items++;
	}
	return items;
}

static void put_string(struct out *o, const struct spec *s, const void *p, BOOLEAN wide_src,
		       size_t limit, BOOLEAN terminated)
{
	size_t max_items = s->precision >= 0 ? (size_t)s->precision : SIZE_MAX;
	size_t items;
	int pad;

	if (!p) {
		p = "(null)";
		wide_src = FALSE;
		limit = 6;
		terminated = FALSE;
	}
	items = walk_string(o, p, wide_src, limit, terminated, max_items, FALSE);
	pad = (size_t)s->width > items ? s->width - (int)items : 0;
	if (!s->left)
		put_repeat(o, ' ', pad);
	walk_string(o, p, wide_src, limit, terminated, max_items, TRUE);
	if (s->left)
		put_repeat(o, ' ', pad);
}

/* The character width a %s, %c, %S or %C argument has. */
static BOOLEAN wide_argument(const struct out *o, const struct spec *s)
{
	BOOLEAN upper = s->type == 'S' || s->type == 'C';

	if (s->chars == CHARS_WIDE)
		return TRUE;
	if (s->chars == CHARS_NARROW)
		return FALSE;
	return upper ? !o->wide : o->wide;
}

static void put_char(struct out *o, const struct spec *s, va_list *ap)
{
	int value = va_arg(*ap, int);
	int pad = s->width > 1 ? s->width - 1 : 0;
	ULONG cp;

	if (wide_argument(o, s)) {
		cp = (USHORT)value;
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD;
	} else {
		cp = (UCHAR)value;
		if (cp >= 0x80 && o->wide)
			cp = 0xFFFD;
	}
	if (!s->left)
		put_repeat(o, ' ', pad);
	if (!o->wide && !wide_argument(o, s))
		put_raw(o, cp);
	else
		put_cp(o, cp);
	if (s->left)
		put_repeat(o, ' ', pad);
}

static void put_counted(struct out *o, const struct spec *s, va_list *ap)
{
	if (s->chars == CHARS_WIDE) {
		const UNICODE_STRING *u = va_arg(*ap, const UNICODE_STRING *);

		if (!u || (!u->Buffer && u->Length))
			put_string(o, s, NULL, FALSE, 0, FALSE);
		else
			put_string(o, s, u->Buffer ? (const void *)u->Buffer : "", TRUE,
				   u->Length / sizeof(WCHAR), FALSE);
		return;
	}
	{
		const ANSI_STRING *a = va_arg(*ap, const ANSI_STRING *);

		if (!a || (!a->Buffer && a->Length))
			put_string(o, s, NULL, FALSE, 0, FALSE);
		else
			put_string(o, s, a->Buffer ? a->Buffer : "", FALSE, a->Length, FALSE);
	}
}

/* ---- the conversion specification ---- */

static size_t parse_flags(const void *fmt, BOOLEAN wide, size_t i, struct spec *s)
{
	for (;; i++) {
		switch (fmt_at(fmt, wide, i)) {
		case '-': s->left = TRUE; break;
		case '+': s->plus = TRUE; break;
		case ' ': s->space = TRUE; break;
		case '#': s->alt = TRUE; break;
		case '0': s->zero = TRUE; break;
		default: return i;
		}
	}
}

static size_t parse_number(const void *fmt, BOOLEAN wide, size_t i, int *value, va_list *ap)
{
	ULONG c = fmt_at(fmt, wide, i);

	if (c == '*') {
		*value = va_arg(*ap, int);
		return i + 1;
	}
	*value = 0;
	for (; c >= '0' && c <= '9'; c = fmt_at(fmt, wide, ++i))
		*value = *value > 100000 ? *value : *value * 10 + (int)(c - '0');
	return i;
}

static size_t parse_size(const void *fmt, BOOLEAN wide, size_t i, struct spec *s)
{
	ULONG c = fmt_at(fmt, wide, i);

	switch (c) {
	case 'h':
		if (fmt_at(fmt, wide, i + 1) == 'h') {
			s->size = SIZE_CHAR;
			return i + 2;
		}
		s->size = SIZE_SHORT;
		s->chars = CHARS_NARROW;
		return i + 1;
	case 'l':
		if (fmt_at(fmt, wide, i + 1) == 'l') {
			s->size = SIZE_64;
			return i + 2;
		}
		s->size = SIZE_32;
		s->chars = CHARS_WIDE;
		return i + 1;
	case 'w':
		s->chars = CHARS_WIDE;
		return i + 1;
	case 'L':
	case 'q':
		s->size = SIZE_64;
		return i + 1;
	case 'z':
	case 't':
	case 'j':
		s->size = SIZE_64;
		return i + 1;
	case 'I':
		if (fmt_at(fmt, wide, i + 1) == '6' && fmt_at(fmt, wide, i + 2) == '4') {
			s->size = SIZE_64;
			return i + 3;
		}
		if (fmt_at(fmt, wide, i + 1) == '3' && fmt_at(fmt, wide, i + 2) == '2') {
			s->size = SIZE_32;
			return i + 3;
		}
		s->size = sizeof(void *) == 8 ? SIZE_64 : SIZE_32;
		return i + 1;
	default:
		return i;
	}
}

static void convert(struct out *o, struct spec *s, va_list *ap)
{
	switch (s->type) {
	case 'd':
	case 'i': {
		LONGLONG v = fetch_signed(s, ap);

		put_integer(o, s, v < 0 ? 0ULL - (ULONGLONG)v : (ULONGLONG)v, v < 0, 10, FALSE);
		return;
	}
	case 'u': put_integer(o, s, fetch_unsigned(s, ap), FALSE, 10, FALSE); return;
	case 'x': put_integer(o, s, fetch_unsigned(s, ap), FALSE, 16, FALSE); return;
	case 'X': put_integer(o, s, fetch_unsigned(s, ap), FALSE, 16, TRUE); return;
	case 'o': put_integer(o, s, fetch_unsigned(s, ap), FALSE, 8, FALSE); return;
	case 'p':
		s->precision = 2 * (int)sizeof(void *);
		s->alt = FALSE;
		put_integer(o, s, (ULONG_PTR)va_arg(*ap, void *), FALSE, 16, TRUE);
		return;
	case 'c':
	case 'C': put_char(o, s, ap); return;
	case 's':
	case 'S': {
		BOOLEAN w = wide_argument(o, s);

		put_string(o, s, va_arg(*ap, const void *), w, SIZE_MAX, TRUE);
		return;
	}
	case 'Z': put_counted(o, s, ap); return;
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
		put_float(o, s, ap);
		return;
	case 'n': (void)va_arg(*ap, void *); return;
	default:
		put_cp(o, '%');
		put_cp(o, s->type);
		return;
	}
}

/* Parses the specification after a '%' at fmt[i]; returns the index after it. */
static size_t conversion(struct out *o, const void *fmt, BOOLEAN wide, size_t i, va_list *ap)
{
	struct spec s = { .precision = -1 };

	i = parse_flags(fmt, wide, i, &s);
	i = parse_number(fmt, wide, i, &s.width, ap);
	if (s.width < 0) {
		s.left = TRUE;
		s.width = s.width == INT32_MIN ? 0 : -s.width;
	}
	if (fmt_at(fmt, wide, i) == '.') {
		i = parse_number(fmt, wide, i + 1, &s.precision, ap);
		if (s.precision < 0)
			s.precision = -1;
	}
	i = parse_size(fmt, wide, i, &s);
	s.type = fmt_at(fmt, wide, i);
	if (s.type == 0)
		return i;
	if (s.type == '%')
		put_cp(o, '%');
	else
		convert(o, &s, ap);
	return i + 1;
}

/* A literal character of the format, kept whole. */
static size_t literal(struct out *o, const void *fmt, BOOLEAN wide, size_t i)
{
	ULONG cp, used, u[4];
	BOOLEAN valid;

	if (wide) {
		used = rtl_utf16_decode((const WCHAR *)fmt + i, MAXULONG, &cp, &valid);
		if (!valid)
			cp = fmt_at(fmt, wide, i);
		put_cp(o, cp);
		return i + used;
	}
	used = rtl_utf8_decode((const UCHAR *)fmt + i, MAXULONG, &cp, &valid);
	if (!valid)
		used = 1;
	for (ULONG k = 0; k < used; k++)
		u[k] = fmt_at(fmt, wide, i + k);
	put_units(o, u, used);
	return i + used;
}

static size_t vformat(struct out *o, const void *fmt, BOOLEAN wide, size_t *written, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	for (size_t i = 0; fmt_at(fmt, wide, i) != 0;) {
		if (fmt_at(fmt, wide, i) == '%')
			i = conversion(o, fmt, wide, i + 1, &args);
		else
			i = literal(o, fmt, wide, i);
	}
	va_end(args);
	if (written)
		*written = o->len;
	return o->total;
}

size_t rtl_vformat_a(char *buf, size_t cap, size_t *written, const char *fmt, va_list ap)
{
	struct out o = { .wide = FALSE, .a = buf, .cap = buf ? cap : 0 };

	return vformat(&o, fmt, FALSE, written, ap);
}

size_t rtl_vformat_w(WCHAR *buf, size_t cap, size_t *written, const WCHAR *fmt, va_list ap)
{
	struct out o = { .wide = TRUE, .w = buf, .cap = buf ? cap : 0 };

	return vformat(&o, fmt, TRUE, written, ap);
}
