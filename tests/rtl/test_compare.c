#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

static void compare_orders_and_folds_case(void **state)
{
	UNICODE_STRING abc = RTL_CONSTANT_STRING(L"abc");
	UNICODE_STRING ABC = RTL_CONSTANT_STRING(L"ABC");
	UNICODE_STRING abd = RTL_CONSTANT_STRING(L"abd");
	UNICODE_STRING ab = RTL_CONSTANT_STRING(L"ab");
	UNICODE_STRING empty = { 0, 0, NULL };

	(void)state;
	assert_int_equal(RtlCompareUnicodeString(&abc, &abc, FALSE), 0);
	assert_true(RtlCompareUnicodeString(&abc, &ABC, FALSE) > 0);
	assert_int_equal(RtlCompareUnicodeString(&abc, &ABC, TRUE), 0);
	assert_true(RtlCompareUnicodeString(&abc, &abd, FALSE) < 0);
	assert_true(RtlCompareUnicodeString(&abd, &abc, TRUE) > 0);
	assert_true(RtlCompareUnicodeString(&ab, &abc, FALSE) < 0);
	assert_true(RtlCompareUnicodeString(&abc, &ab, FALSE) > 0);
	assert_int_equal(RtlCompareUnicodeString(&empty, &empty, TRUE), 0);
	assert_true(RtlCompareUnicodeString(&empty, &ab, TRUE) < 0);
	assert_int_equal(RtlCompareUnicodeStrings(L"xYz", 3, L"XyZ", 3, TRUE), 0);
}

static void non_ascii_case_insensitive(void **state)
{
	UNICODE_STRING e_acute = RTL_CONSTANT_STRING(L"\u00e9t\u00e9");
	UNICODE_STRING E_acute = RTL_CONSTANT_STRING(L"\u00c9T\u00c9");
	UNICODE_STRING sigma = RTL_CONSTANT_STRING(L"\u03c3");
	UNICODE_STRING SIGMA = RTL_CONSTANT_STRING(L"\u03a3");
	UNICODE_STRING cyr = RTL_CONSTANT_STRING(L"\u0436");
	UNICODE_STRING CYR = RTL_CONSTANT_STRING(L"\u0416");
	UNICODE_STRING fw = RTL_CONSTANT_STRING(L"\uff41");
	UNICODE_STRING FW = RTL_CONSTANT_STRING(L"\uff21");

	(void)state;
	assert_true(RtlEqualUnicodeString(&e_acute, &E_acute, TRUE));
	assert_false(RtlEqualUnicodeString(&e_acute, &E_acute, FALSE));
	assert_true(RtlEqualUnicodeString(&sigma, &SIGMA, TRUE));
	assert_true(RtlEqualUnicodeString(&cyr, &CYR, TRUE));
	assert_true(RtlEqualUnicodeString(&fw, &FW, TRUE));
	assert_int_equal(RtlUpcaseUnicodeChar(L'\u00e9'), L'\u00c9');
	assert_int_equal(RtlUpcaseUnicodeChar(L'\u00ff'), L'\u0178');
	assert_int_equal(RtlUpcaseUnicodeChar(L'a'), L'A');
	assert_int_equal(RtlUpcaseUnicodeChar(L'1'), L'1');
	assert_int_equal(RtlUpcaseUnicodeChar(0xD800), 0xD800);
	assert_int_equal(RtlDowncaseUnicodeChar(L'\u0416'), L'\u0436');
	assert_int_equal(RtlDowncaseUnicodeChar(L'Z'), L'z');
}

/* The Latin-1 range folds as Windows' table does: a-z, U+00E0-U+00FE but U+00F7, U+00FF. */
static void upcase_latin1_matches_windows(void **state)
{
	(void)state;
	for (WCHAR c = 0; c < 0x100; c++) {
		WCHAR expected = c;

		if (c >= L'a' && c <= L'z')
			expected = c - 0x20;
		else if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
			expected = c - 0x20;
		else if (c == 0xFF)
			expected = 0x178;
		assert_int_equal(RtlUpcaseUnicodeChar(c), expected);
	}
}

/* No non-ASCII character folds onto an ASCII one. */
static void no_fold_into_ascii(void **state)
{
	(void)state;
	assert_int_equal(RtlUpcaseUnicodeChar(0x0131), 0x0131);
	assert_int_equal(RtlUpcaseUnicodeChar(0x017F), 0x017F);
	assert_int_equal(RtlDowncaseUnicodeChar(0x212A), 0x212A);
	assert_int_equal(RtlDowncaseUnicodeChar(0x0130), 0x0130);
	assert_int_equal(RtlUpcaseUnicodeChar(0x0101), 0x0100);
	assert_int_equal(RtlUpcaseUnicodeChar(0x0450), 0x0400);
	assert_int_equal(RtlUpcaseUnicodeChar(0x24D0), 0x24B6);
}

static void equal_and_prefix(void **state)
{
	UNICODE_STRING dev = RTL_CONSTANT_STRING(L"\\Device\\Vol1");
	UNICODE_STRING pre = RTL_CONSTANT_STRING(L"\\DEVICE\\");
	UNICODE_STRING other = RTL_CONSTANT_STRING(L"\\Dev");
	UNICODE_STRING empty = { 0, 0, NULL };

	(void)state;
	assert_true(RtlPrefixUnicodeString(&pre, &dev, TRUE));
	assert_false(RtlPrefixUnicodeString(&pre, &dev, FALSE));
	assert_true(RtlPrefixUnicodeString(&other, &dev, FALSE));
	assert_false(RtlPrefixUnicodeString(&dev, &other, FALSE));
	assert_true(RtlPrefixUnicodeString(&empty, &dev, FALSE));
	assert_true(RtlPrefixUnicodeString(&dev, &dev, FALSE));
	assert_false(RtlEqualUnicodeString(&other, &dev, TRUE));
	assert_true(RtlEqualUnicodeString(&empty, &empty, FALSE));
}

static void upcase_and_downcase_strings(void **state)
{
	UNICODE_STRING src = RTL_CONSTANT_STRING(L"Caf\u00e9");
	WCHAR storage[4];
	WCHAR small[3];
	UNICODE_STRING dst, out;

	(void)state;
	RtlInitEmptyUnicodeString(&dst, storage, sizeof(storage));
	assert_int_equal(RtlUpcaseUnicodeString(&dst, &src, FALSE), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 8);
	assert_memory_equal(storage, L"CAF\u00c9", 8);
	assert_int_equal(RtlDowncaseUnicodeString(&dst, &dst, FALSE), STATUS_SUCCESS);
	assert_memory_equal(storage, L"caf\u00e9", 8);

	RtlInitEmptyUnicodeString(&dst, small, sizeof(small));
	assert_int_equal(RtlUpcaseUnicodeString(&dst, &src, FALSE), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(dst.Length, 0);

	assert_int_equal(RtlUpcaseUnicodeString(&out, &src, TRUE), STATUS_SUCCESS);
	assert_int_equal(out.Length, 8);
	assert_int_equal(out.MaximumLength, 8);
	assert_memory_equal(out.Buffer, L"CAF\u00c9", 8);
	RtlFreeUnicodeString(&out);
}

/* X65599: h = h * 65599 + c over the (upcased) characters. */
static void hash_x65599(void **state)
{
	UNICODE_STRING ab = RTL_CONSTANT_STRING(L"ab");
	UNICODE_STRING AB = RTL_CONSTANT_STRING(L"AB");
	UNICODE_STRING empty = { 0, 0, NULL };
	ULONG h1, h2;

	(void)state;
	assert_int_equal(RtlHashUnicodeString(&ab, FALSE, HASH_STRING_ALGORITHM_X65599, &h1),
			 STATUS_SUCCESS);
	assert_int_equal(h1, (ULONG)L'a' * 65599u + L'b');
	assert_int_equal(RtlHashUnicodeString(&ab, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &h1),
			 STATUS_SUCCESS);
	assert_int_equal(RtlHashUnicodeString(&AB, FALSE, HASH_STRING_ALGORITHM_X65599, &h2),
			 STATUS_SUCCESS);
	assert_int_equal(h1, h2);
	assert_int_equal(RtlHashUnicodeString(&empty, TRUE, HASH_STRING_ALGORITHM_X65599, &h1),
			 STATUS_SUCCESS);
	assert_int_equal(h1, 0);
	assert_int_equal(RtlHashUnicodeString(&ab, TRUE, HASH_STRING_ALGORITHM_INVALID, &h1),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlHashUnicodeString(&ab, TRUE, 2, &h1), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlHashUnicodeString(NULL, TRUE, 0, &h1), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlHashUnicodeString(&ab, TRUE, 0, NULL), STATUS_INVALID_PARAMETER);
}

static void ansi_compare(void **state)
{
	STRING a = RTL_CONSTANT_STRING("Hello");
	STRING b = RTL_CONSTANT_STRING("HELLO");
	STRING c = RTL_CONSTANT_STRING("Hell");

	(void)state;
	assert_true(RtlEqualString(&a, &b, TRUE));
	assert_false(RtlEqualString(&a, &b, FALSE));
	assert_true(RtlCompareString(&a, &c, FALSE) > 0);
	assert_true(RtlCompareString(&c, &a, TRUE) < 0);
}

static void ansi_copy(void **state)
{
	STRING src = RTL_CONSTANT_STRING("Some Wild String");
	char storage[5];
	char big[32];
	STRING dst;

	(void)state;
	RtlInitEmptyAnsiString(&dst, storage, sizeof(storage));
	RtlCopyString(&dst, &src);
	assert_int_equal(dst.Length, 5);
	assert_memory_equal(storage, "Some ", 5);
	RtlInitEmptyAnsiString(&dst, big, sizeof(big));
	RtlCopyString(&dst, &src);
	assert_int_equal(dst.Length, 16);
	assert_string_equal(big, "Some Wild String");
	RtlCopyString(&dst, NULL);
	assert_int_equal(dst.Length, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compare_orders_and_folds_case),
		cmocka_unit_test(non_ascii_case_insensitive),
		cmocka_unit_test(upcase_latin1_matches_windows),
		cmocka_unit_test(no_fold_into_ascii),
		cmocka_unit_test(equal_and_prefix),
		cmocka_unit_test(upcase_and_downcase_strings),
		cmocka_unit_test(hash_x65599),
		cmocka_unit_test(ansi_compare),
		cmocka_unit_test(ansi_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
