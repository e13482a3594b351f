#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include <ntstrsafe.h>

#define assert_wide(actual, expected) assert_int_equal(wcscmp((actual), (expected)), 0)

static void copy_w(void **state)
{
	WCHAR buf[4];

	(void)state;
	assert_int_equal(RtlStringCchCopyW(buf, 4, L"abc"), STATUS_SUCCESS);
	assert_wide(buf, L"abc");
	assert_int_equal(RtlStringCchCopyW(buf, 4, L"abcd"), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"abc");
	assert_int_equal(RtlStringCchCopyW(buf, 4, L""), STATUS_SUCCESS);
	assert_wide(buf, L"");
	assert_int_equal(RtlStringCbCopyW(buf, sizeof(buf), L"xyz"), STATUS_SUCCESS);
	assert_wide(buf, L"xyz");
	assert_int_equal(RtlStringCbCopyW(buf, 5, L"abcd"), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"a");
}

static void invalid_sizes(void **state)
{
	WCHAR buf[4] = { L'q', L'q', 0, 0 };
	char a[4] = "qq";
	size_t n = 7;

	(void)state;
	assert_int_equal(RtlStringCchCopyW(buf, 0, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(buf[0], L'q');
	assert_int_equal(RtlStringCchCopyW(buf, (size_t)NTSTRSAFE_MAX_CCH + 1, L"a"),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(buf[0], 0);
	assert_int_equal(RtlStringCbCopyW(buf, 1, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCopyA(a, 0, "a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(a[0], 'q');
	assert_int_equal(RtlStringCchCopyW(NULL, 4, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCopyW(buf, 4, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCatW(buf, 0, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchPrintfW(buf, 0, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchLengthW(L"a", 0, &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(n, 0);
	assert_int_equal(RtlStringCchLengthW(L"a", (size_t)NTSTRSAFE_MAX_CCH + 1, &n),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchLengthW(NULL, 4, &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCopyNW(buf, 4, L"a", (size_t)NTSTRSAFE_MAX_CCH + 1),
			 STATUS_INVALID_PARAMETER);
}

static void copy_n(void **state)
{
	WCHAR buf[6];
	char a[4];

	(void)state;
	assert_int_equal(RtlStringCchCopyNW(buf, 6, L"abcdef", 3), STATUS_SUCCESS);
	assert_wide(buf, L"abc");
	assert_int_equal(RtlStringCchCopyNW(buf, 6, L"ab", 5), STATUS_SUCCESS);
	assert_wide(buf, L"ab");
	assert_int_equal(RtlStringCchCopyNW(buf, 3, L"abcdef", 5), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"ab");
	assert_int_equal(RtlStringCbCopyNW(buf, sizeof(buf), L"abcdef", 4 * sizeof(WCHAR)),
			 STATUS_SUCCESS);
	assert_wide(buf, L"abcd");
	assert_int_equal(RtlStringCchCopyNA(a, 4, "hello", 2), STATUS_SUCCESS);
	assert_string_equal(a, "he");
	assert_int_equal(RtlStringCbCopyNA(a, 4, "hello", 5), STATUS_BUFFER_OVERFLOW);
	assert_string_equal(a, "hel");
}

static void cat(void **state)
{
	WCHAR buf[6] = L"ab";
	WCHAR full[3] = { L'x', L'y', L'z' };
	char a[5] = "ab";

	(void)state;
	assert_int_equal(RtlStringCchCatW(buf, 6, L"cd"), STATUS_SUCCESS);
	assert_wide(buf, L"abcd");
	assert_int_equal(RtlStringCchCatW(buf, 6, L"efg"), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"abcde");
	assert_int_equal(RtlStringCbCatW(buf, sizeof(buf), L""), STATUS_SUCCESS);
	/* No terminator within the destination size. */
	assert_int_equal(RtlStringCchCatW(full, 3, L"a"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCatA(a, 5, "cd"), STATUS_SUCCESS);
	assert_string_equal(a, "abcd");
	assert_int_equal(RtlStringCbCatA(a, 5, "e"), STATUS_BUFFER_OVERFLOW);
	assert_string_equal(a, "abcd");
}

static void cat_n(void **state)
{
	WCHAR buf[6] = L"ab";
	char a[4] = "a";

	(void)state;
	assert_int_equal(RtlStringCchCatNW(buf, 6, L"cdef", 2), STATUS_SUCCESS);
	assert_wide(buf, L"abcd");
	assert_int_equal(RtlStringCbCatNW(buf, sizeof(buf), L"efgh", 3 * sizeof(WCHAR)),
			 STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"abcde");
	assert_int_equal(RtlStringCchCatNW(buf, 6, L"x", (size_t)NTSTRSAFE_MAX_CCH + 1),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchCatNA(a, 4, "bcd", 1), STATUS_SUCCESS);
	assert_string_equal(a, "ab");
	assert_int_equal(RtlStringCbCatNA(a, 4, "cd", 2), STATUS_BUFFER_OVERFLOW);
	assert_string_equal(a, "abc");
}

static void length(void **state)
{
	size_t n = 99;
	const WCHAR unterminated[3] = { L'a', L'b', L'c' };

	(void)state;
	assert_int_equal(RtlStringCchLengthW(L"abc", 4, &n), STATUS_SUCCESS);
	assert_int_equal(n, 3);
	assert_int_equal(RtlStringCchLengthW(L"abc", 3, &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(n, 0);
	assert_int_equal(RtlStringCchLengthW(unterminated, 3, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCbLengthW(L"abc", 8, &n), STATUS_SUCCESS);
	assert_int_equal(n, 6);
	assert_int_equal(RtlStringCchLengthA("", 1, &n), STATUS_SUCCESS);
	assert_int_equal(n, 0);
	assert_int_equal(RtlStringCbLengthA("abcd", 4, &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlStringCchLengthW(L"abc", NTSTRSAFE_MAX_CCH, &n), STATUS_SUCCESS);
}

static NTSTATUS vprint(WCHAR *buf, size_t cch, const WCHAR *fmt, ...)
{
	va_list ap;
	NTSTATUS s;

	va_start(ap, fmt);
	s = RtlStringCchVPrintfW(buf, cch, fmt, ap);
	va_end(ap);
	return s;
}

static void printf_family(void **state)
{
	WCHAR buf[8];
	char a[6];
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"vol");

	(void)state;
	assert_int_equal(RtlStringCchPrintfW(buf, 8, L"%wZ:%d", &name, 42), STATUS_SUCCESS);
	assert_wide(buf, L"vol:42");
	assert_int_equal(RtlStringCchPrintfW(buf, 4, L"%s", L"abcdef"), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"abc");
	assert_int_equal(RtlStringCbPrintfW(buf, sizeof(buf), L"%08lx", 0xffUL), STATUS_BUFFER_OVERFLOW);
	assert_wide(buf, L"000000f");
	assert_int_equal(vprint(buf, 8, L"%u", 7u), STATUS_SUCCESS);
	assert_wide(buf, L"7");
	assert_int_equal(RtlStringCchPrintfA(a, 6, "%s-%hs", "ab", "cd"), STATUS_SUCCESS);
	assert_string_equal(a, "ab-cd");
	assert_int_equal(RtlStringCbPrintfA(a, 6, "%I64u", 1234567ULL), STATUS_BUFFER_OVERFLOW);
	assert_string_equal(a, "12345");
	assert_int_equal(RtlStringCchPrintfW(buf, 8, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(buf[0], 0);
}

static void unicode_string_copy_and_cat(void **state)
{
	WCHAR storage[4];
	UNICODE_STRING dst = { 0, sizeof(storage), storage };
	UNICODE_STRING src = RTL_CONSTANT_STRING(L"abcdef");
	UNICODE_STRING two = RTL_CONSTANT_STRING(L"ab");
	UNICODE_STRING zero = { 0, 0, NULL };
	UNICODE_STRING odd = { 3, 4, storage };

	(void)state;
	assert_int_equal(RtlUnicodeStringCopy(&dst, &two), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 4);
	assert_int_equal(RtlUnicodeStringCat(&dst, &two), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 8);
	assert_memory_equal(storage, L"abab", 8);
	/* Full destination. */
	assert_int_equal(RtlUnicodeStringCat(&dst, &two), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCat(&dst, &zero), STATUS_SUCCESS);
	assert_int_equal(RtlUnicodeStringCopy(&dst, &src), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(dst.Length, 8);
	assert_memory_equal(storage, L"abcd", 8);
	assert_int_equal(RtlUnicodeStringCopyString(&dst, L"x"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 2);
	assert_int_equal(RtlUnicodeStringCatString(&dst, L"yzw"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 8);
	assert_int_equal(RtlUnicodeStringCopyString(&dst, L""), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 0);
	assert_int_equal(RtlUnicodeStringCatString(&dst, L"abcde"), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(dst.Length, 8);

	assert_int_equal(RtlUnicodeStringCopy(&zero, &two), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCopy(&odd, &two), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCopy(&dst, &odd), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCopy(&dst, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCatString(&dst, NULL), STATUS_INVALID_PARAMETER);
}

static void unicode_string_rejects_inconsistent_lengths(void **state)
{
	WCHAR storage[4];
	UNICODE_STRING longer = { 8, 4, storage };
	UNICODE_STRING odd_max = { 2, 7, storage };
	UNICODE_STRING no_buffer = { 0, 8, NULL };
	UNICODE_STRING src = RTL_CONSTANT_STRING(L"a");

	(void)state;
	assert_int_equal(RtlUnicodeStringCopy(&longer, &src), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCopy(&odd_max, &src), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCat(&no_buffer, &src), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringPrintf(&odd_max, L"x"), STATUS_INVALID_PARAMETER);
}

static void unicode_string_init(void **state)
{
	UNICODE_STRING s;
	WCHAR *big = calloc(40000, sizeof(WCHAR));

	(void)state;
	assert_int_equal(RtlUnicodeStringInit(&s, L"abc"), STATUS_SUCCESS);
	assert_int_equal(s.Length, 6);
	assert_int_equal(s.MaximumLength, 8);
	assert_int_equal(RtlUnicodeStringInit(&s, NULL), STATUS_SUCCESS);
	assert_int_equal(s.Length, 0);
	assert_null(s.Buffer);
	assert_int_equal(RtlUnicodeStringInit(NULL, L"a"), STATUS_INVALID_PARAMETER);
	assert_non_null(big);
	for (int i = 0; i < NTSTRSAFE_UNICODE_STRING_MAX_CCH; i++)
		big[i] = L'x';
	assert_int_equal(RtlUnicodeStringInit(&s, big), STATUS_SUCCESS);
	assert_int_equal(s.Length, 0xFFFE);
	assert_int_equal(s.MaximumLength, 0xFFFE);
	big[NTSTRSAFE_UNICODE_STRING_MAX_CCH] = L'x';
	assert_int_equal(RtlUnicodeStringInit(&s, big), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringCopyString(&s, big), STATUS_INVALID_PARAMETER);
	free(big);
}

static void unicode_string_printf(void **state)
{
	WCHAR storage[6];
	UNICODE_STRING dst = { 0, sizeof(storage), storage };
	UNICODE_STRING zero = { 0, 0, NULL };

	(void)state;
	assert_int_equal(RtlUnicodeStringPrintf(&dst, L"%d-%s", 12, L"ab"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 10);
	assert_memory_equal(storage, L"12-ab", 10);
	assert_int_equal(RtlUnicodeStringPrintf(&dst, L"%s", L"abcdefgh"), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(dst.Length, 12);
	assert_memory_equal(storage, L"abcdef", 12);
	assert_int_equal(RtlUnicodeStringPrintf(&zero, L"x"), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUnicodeStringPrintf(&zero, L""), STATUS_SUCCESS);
	assert_int_equal(RtlUnicodeStringPrintf(&dst, NULL), STATUS_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_w),
		cmocka_unit_test(invalid_sizes),
		cmocka_unit_test(copy_n),
		cmocka_unit_test(cat),
		cmocka_unit_test(cat_n),
		cmocka_unit_test(length),
		cmocka_unit_test(printf_family),
		cmocka_unit_test(unicode_string_copy_and_cat),
		cmocka_unit_test(unicode_string_rejects_inconsistent_lengths),
		cmocka_unit_test(unicode_string_init),
		cmocka_unit_test(unicode_string_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
