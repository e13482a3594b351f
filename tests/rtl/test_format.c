#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <wdm.h>

static char out[256];

static const char *fa(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = _vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return out;
}

static WCHAR wout[256];

static const WCHAR *fw(const WCHAR *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = _vsnwprintf(wout, RTL_NUMBER_OF(wout), fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return wout;
}

#define assert_wide(actual, expected) assert_int_equal(wcscmp((actual), (expected)), 0)

static void integers_are_llp64(void **state)
{
	LONG l = -5;
	ULONG ul = 0xDEADBEEF;
	LONGLONG ll = -1234567890123LL;
	ULONGLONG ull = 0x123456789ABCDEF0ULL;
	SIZE_T sz = (SIZE_T)1 << 40;

	(void)state;
	assert_string_equal(fa("%d %i %u", -1, 42, 7u), "-1 42 7");
	assert_string_equal(fa("%ld %lu %lx", l, ul, ul), "-5 3735928559 deadbeef");
	assert_string_equal(fa("%08lx|%08lX", 0x1fUL, 0xabUL), "0000001f|000000AB");
	assert_string_equal(fa("%lld %llu", ll, ull), "-1234567890123 1311768467463790320");
	assert_string_equal(fa("%I64d %I64u %I64x %I64X", ll, ull, ull, ull),
			    "-1234567890123 1311768467463790320 123456789abcdef0 123456789ABCDEF0");
	assert_string_equal(fa("%Id %Iu %Ix", (LONG_PTR)-2, sz, sz), "-2 1099511627776 10000000000");
	assert_string_equal(fa("%I32d %I32x", -3, 0x10u), "-3 10");
	assert_string_equal(fa("%hd %hu %hhd", (short)-2, (unsigned short)65535, (signed char)-1),
			    "-2 65535 -1");
	assert_string_equal(fa("%zu %o %#o %#x %#X", (size_t)9, 8u, 8u, 255u, 255u),
			    "9 10 010 0xff 0XFF");
}

static void width_precision_flags(void **state)
{
	(void)state;
	assert_string_equal(fa("[%5d][%-5d][%05d]", 42, 42, 42), "[   42][42   ][00042]");
	assert_string_equal(fa("[%+d][% d][%.3d][%8.3d]", 5, 5, 5, 5), "[+5][ 5][005][     005]");
	assert_string_equal(fa("[%*d][%-*d][%.*d]", 4, 1, 4, 1, 2, 1), "[   1][1   ][01]");
	assert_string_equal(fa("[%*d]", -3, 1), "[1  ]");
	assert_string_equal(fa("[%.0d]", 0), "[]");
	assert_string_equal(fa("[%-08d]", -7), "[-7      ]");
	assert_string_equal(fa("[%5s][%-5s][%.2s]", "ab", "ab", "abc"), "[   ab][ab   ][ab]");
	assert_string_equal(fa("%%|%c|%3c", 'x', 'y'), "%|x|  y");
	assert_string_equal(fa("%.2f %e %g", 3.14159, 1.5, 0.25), "3.14 1.500000e+00 0.25");
}

static void pointers(void **state)
{
	(void)state;
	assert_string_equal(fa("%p", (void *)0x1234), "0000000000001234");
	assert_string_equal(fa("%p", (void *)0xdeadbeefcafeULL), "0000DEADBEEFCAFE");
	assert_string_equal(fa("[%20p]", (void *)0), "[    0000000000000000]");
}

static void windows_string_extensions_narrow(void **state)
{
	UNICODE_STRING u = RTL_CONSTANT_STRING(L"\\Device\\Caf\u00e9");
	ANSI_STRING a = RTL_CONSTANT_STRING("ansi");
	UNICODE_STRING nobuf = { 4, 4, NULL };
	UNICODE_STRING empty = { 0, 0, NULL };

	(void)state;
	assert_string_equal(fa("%wZ", &u), "\\Device\\Caf\xc3\xa9");
	assert_string_equal(fa("%Z", &a), "ansi");
	assert_string_equal(fa("%wZ|%Z", (PUNICODE_STRING)NULL, (PANSI_STRING)NULL), "(null)|(null)");
	assert_string_equal(fa("[%wZ][%wZ]", &nobuf, &empty), "[(null)][]");
	assert_string_equal(fa("[%10wZ][%-6.3Z]", &u, &a), "[\\Device\\Caf\xc3\xa9][ans   ]");
	assert_string_equal(fa("%ws %ls %S", L"w\u00e9", L"l", L"S"), "w\xc3\xa9 l S");
	assert_string_equal(fa("%s %hs", "n", "h"), "n h");
	assert_string_equal(fa("%s %ws", (char *)NULL, (WCHAR *)NULL), "(null) (null)");
	assert_string_equal(fa("%wc%C%lc%c", L'\u00e9', L'C', L'L', 'c'), "\xc3\xa9" "CLc");
	/* A surrogate pair in a wide string becomes one 4-byte character. */
	assert_string_equal(fa("%ws", L"\U0001F600"), "\xf0\x9f\x98\x80");
	/* Literal UTF-8 in the format passes through. */
	assert_string_equal(fa("\xc3\xa9=%d", 1), "\xc3\xa9=1");
}

static void wide_output(void **state)
{
	UNICODE_STRING u = RTL_CONSTANT_STRING(L"uni");
	ANSI_STRING a = RTL_CONSTANT_STRING("an\xc3\xa9");

	(void)state;
	assert_wide(fw(L"%s|%ls|%ws", L"w", L"l", L"x"), L"w|l|x");
	assert_wide(fw(L"%S|%hs", "narrow", "h\xc3\xa9"), L"narrow|h\u00e9");
	assert_wide(fw(L"%wZ|%Z", &u, &a), L"uni|an\u00e9");
	assert_wide(fw(L"%c%C%hc%wc", L'\u00e9', 'C', 'h', L'w'), L"\u00e9Chw");
	assert_wide(fw(L"%08lx %I64d %p", 0xabcUL, -5LL, (void *)0x10), L"00000abc -5 0000000000000010");
	assert_wide(fw(L"\u00e9\U0001F600%d", 7), L"\u00e9\U0001F6007");
	assert_wide(fw(L"%S", "\xff"), L"\ufffd");
}

static void snwprintf_truncation(void **state)
{
	WCHAR buf[8];
	char nbuf[4];

	(void)state;
	for (int i = 0; i < 8; i++)
		buf[i] = L'#';
	assert_int_equal(_snwprintf(buf, 8, L"%s", L"abc"), 3);
	assert_wide(buf, L"abc");
	assert_int_equal(_snwprintf(buf, 3, L"%s", L"abc"), 3);
	assert_int_equal(buf[3], 0); /* untouched from before: no terminator written */
	assert_int_equal(_snwprintf(buf, 2, L"%s", L"abc"), -1);
	assert_int_equal(_snwprintf(NULL, 0, L"%d", 12345), 5);
	assert_int_equal(swprintf_s(buf, 8, L"%d-%d", 1, 2), 3);
	assert_wide(buf, L"1-2");
	assert_int_equal(swprintf_s(buf, 3, L"%s", L"abc"), -1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(swprintf_s(NULL, 3, L"x"), -1);
	assert_int_equal(_snprintf(nbuf, 4, "%s", "abcdef"), -1);
	assert_int_equal(_snprintf(nbuf, 4, "%s", "ab"), 2);
	assert_string_equal(nbuf, "ab");
	/* A character is never cut: the 2-byte é does not fit in 1 byte. */
	assert_int_equal(_snprintf(nbuf, 2, "a\xc3\xa9"), -1);
	assert_int_equal(nbuf[0], 'a');
	assert_int_equal(nbuf[1], 'b');
}

static void unknown_conversions_and_n(void **state)
{
	int count = 99;

	(void)state;
	assert_string_equal(fa("%y|%"), "%y|");
	assert_string_equal(fa("a%nb", &count), "ab");
	assert_int_equal(count, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers_are_llp64),
		cmocka_unit_test(width_precision_flags),
		cmocka_unit_test(pointers),
		cmocka_unit_test(windows_string_extensions_narrow),
		cmocka_unit_test(wide_output),
		cmocka_unit_test(snwprintf_truncation),
		cmocka_unit_test(unknown_conversions_and_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
