#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include <wdm.h>

static void lengths_and_comparisons(void **state)
{
	(void)state;
	assert_int_equal(wcslen(L""), 0);
	assert_int_equal(wcslen(L"abc\u00e9"), 4);
	assert_int_equal(wcsnlen(L"abcdef", 3), 3);
	assert_int_equal(wcsnlen(L"ab", 10), 2);
	assert_int_equal(wcscmp(L"abc", L"abc"), 0);
	assert_true(wcscmp(L"abc", L"abd") < 0);
	assert_true(wcscmp(L"abc", L"ab") > 0);
	/* Code units compare unsigned. */
	assert_true(wcscmp(L"\uffff", L"a") > 0);
	assert_int_equal(wcsncmp(L"abcX", L"abcY", 3), 0);
	assert_int_equal(_wcsicmp(L"\u00e9T\u00c9", L"\u00c9t\u00e9"), 0);
	assert_true(_wcsicmp(L"a", L"B") < 0);
	assert_int_equal(_wcsnicmp(L"HELLOx", L"helloy", 5), 0);
	assert_true(_wcsnicmp(L"HELLOx", L"helloy", 6) < 0);
}

static void searching(void **state)
{
	const WCHAR *path = L"\\dir\\file.txt";

	(void)state;
	assert_ptr_equal(wcschr(path, L'\\'), path);
	assert_ptr_equal(wcsrchr(path, L'\\'), path + 4);
	assert_ptr_equal(wcschr(path, L'.'), path + 9);
	assert_null(wcschr(path, L'z'));
	assert_ptr_equal(wcschr(path, 0), path + 13);
	assert_null(wcsrchr(path, L'z'));
	assert_ptr_equal(wcsstr(path, L"file"), path + 5);
	assert_null(wcsstr(path, L"files"));
	assert_ptr_equal(wcsstr(path, L""), path);
}

static void copying_and_case(void **state)
{
	WCHAR buf[16];

	(void)state;
	wcscpy(buf, L"ab");
	wcscat(buf, L"C\u00e9");
	assert_int_equal(wcscmp(buf, L"abC\u00e9"), 0);
	assert_int_equal(wcscmp(_wcsupr(buf), L"ABC\u00c9"), 0);
	assert_int_equal(wcscmp(_wcslwr(buf), L"abc\u00e9"), 0);
	for (int i = 0; i < 16; i++)
		buf[i] = L'#';
	wcsncpy(buf, L"xy", 4);
	assert_int_equal(buf[1], L'y');
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], 0);
	assert_int_equal(buf[4], L'#');
	wcsncpy(buf, L"longer", 3);
	assert_int_equal(buf[2], L'n');
	assert_int_equal(buf[3], 0);
	assert_int_equal(towupper(L'\u00e9'), L'\u00c9');
	assert_int_equal(towlower(L'A'), L'a');
	assert_int_equal(towupper(0x110000u), 0x110000u);
	assert_true(iswdigit(L'7'));
	assert_false(iswdigit(L'a'));
	assert_true(iswspace(L' '));
	assert_true(iswspace(0x3000));
	assert_false(iswspace(L'x'));
}

static void secure_copies(void **state)
{
	WCHAR buf[4];
	WCHAR full[2] = { L'x', L'y' };

	(void)state;
	assert_int_equal(wcscpy_s(buf, 4, L"abc"), 0);
	assert_int_equal(wcscmp(buf, L"abc"), 0);
	assert_int_equal(wcscpy_s(buf, 4, L"abcd"), ERANGE);
	assert_int_equal(buf[0], 0);
	assert_int_equal(wcscpy_s(buf, 0, L"a"), EINVAL);
	assert_int_equal(wcscpy_s(NULL, 4, L"a"), EINVAL);
	assert_int_equal(wcscpy_s(buf, 4, NULL), EINVAL);
	assert_int_equal(buf[0], 0);

	assert_int_equal(wcscpy_s(buf, 4, L"a"), 0);
	assert_int_equal(wcscat_s(buf, 4, L"bc"), 0);
	assert_int_equal(wcscmp(buf, L"abc"), 0);
	assert_int_equal(wcscat_s(buf, 4, L"d"), ERANGE);
	assert_int_equal(buf[0], 0);
	assert_int_equal(wcscat_s(full, 2, L"a"), EINVAL);
	assert_int_equal(full[0], 0);

	assert_int_equal(wcsncpy_s(buf, 4, L"abcdef", 2), 0);
	assert_int_equal(wcscmp(buf, L"ab"), 0);
	assert_int_equal(wcsncpy_s(buf, 4, L"abcdef", 5), ERANGE);
	assert_int_equal(buf[0], 0);
	assert_int_equal(wcsncpy_s(buf, 4, L"abcdef", _TRUNCATE), STRUNCATE);
	assert_int_equal(wcscmp(buf, L"abc"), 0);
	assert_int_equal(wcsncpy_s(buf, 4, L"ab", _TRUNCATE), 0);
	assert_int_equal(wcscmp(buf, L"ab"), 0);

	wcscpy(buf, L"a");
	wcsncat(buf, L"bcd", 2);
	assert_int_equal(wcscmp(buf, L"abc"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lengths_and_comparisons),
		cmocka_unit_test(searching),
		cmocka_unit_test(copying_and_case),
		cmocka_unit_test(secure_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
