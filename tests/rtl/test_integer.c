#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

static ULONG parse(const WCHAR *text, ULONG base, NTSTATUS expected)
{
	UNICODE_STRING s;
	ULONG value = 0xDEADBEEF;

	RtlInitUnicodeString(&s, text);
	assert_int_equal(RtlUnicodeStringToInteger(&s, base, &value), expected);
	return value;
}

static void string_to_integer(void **state)
{
	(void)state;
	assert_int_equal(parse(L"123", 10, STATUS_SUCCESS), 123);
	assert_int_equal(parse(L"-345", 10, STATUS_SUCCESS), (ULONG)-345);
	assert_int_equal(parse(L"xyz", 10, STATUS_SUCCESS), 0);
	assert_int_equal(parse(L"+678abc", 10, STATUS_SUCCESS), 678);
	assert_int_equal(parse(L"+678abc", 16, STATUS_SUCCESS), 0x678abc);
	assert_int_equal(parse(L"  \t42", 0, STATUS_SUCCESS), 42);
	assert_int_equal(parse(L"0x1F", 0, STATUS_SUCCESS), 0x1F);
	assert_int_equal(parse(L"0o17", 0, STATUS_SUCCESS), 017);
	assert_int_equal(parse(L"0b101", 0, STATUS_SUCCESS), 5);
	assert_int_equal(parse(L"-0x10", 0, STATUS_SUCCESS), (ULONG)-16);
	assert_int_equal(parse(L"1012", 2, STATUS_SUCCESS), 5);
	assert_int_equal(parse(L"789", 8, STATUS_SUCCESS), 7);
	assert_int_equal(parse(L"0", 0, STATUS_SUCCESS), 0);
	assert_int_equal(parse(L"4294967295", 10, STATUS_SUCCESS), 0xFFFFFFFFu);
	assert_int_equal(parse(L"4294967296", 0, STATUS_SUCCESS), 0);
	assert_int_equal(parse(L"--214", 0, STATUS_SUCCESS), 0);
	assert_int_equal(parse(L"\x01\x02 214", 0, STATUS_SUCCESS), 214);
	assert_int_equal(parse(L"1x34", 0, STATUS_SUCCESS), 1);
	assert_int_equal(parse(L"0b", 0, STATUS_SUCCESS), 0);
	assert_int_equal(parse(L"-0xFEDCBA00", 0, STATUS_SUCCESS), 19088896);
	/* With an explicit base there is no prefix: "0b1" is hex digits. */
	assert_int_equal(parse(L"0b10", 16, STATUS_SUCCESS), 0xb10);
	assert_int_equal(parse(L"0x10", 16, STATUS_SUCCESS), 0);
}

static void string_to_integer_errors(void **state)
{
	UNICODE_STRING s = RTL_CONSTANT_STRING(L"12");

	(void)state;
	assert_int_equal(RtlUnicodeStringToInteger(&s, 10, NULL), STATUS_ACCESS_VIOLATION);
	assert_int_equal(RtlUnicodeStringToInteger(&s, 20, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(parse(L"", 10, STATUS_INVALID_PARAMETER), 0xDEADBEEF);
	assert_int_equal(parse(L"12", 3, STATUS_INVALID_PARAMETER), 0xDEADBEEF);
	assert_int_equal(parse(L"12", 36, STATUS_INVALID_PARAMETER), 0xDEADBEEF);
}

static void integer_to_string(void **state)
{
	WCHAR storage[12];
	WCHAR exact[3];
	UNICODE_STRING s;

	(void)state;
	RtlInitEmptyUnicodeString(&s, storage, sizeof(storage));
	assert_int_equal(RtlIntegerToUnicodeString(1234, 0, &s), STATUS_SUCCESS);
	assert_int_equal(s.Length, 8);
	assert_memory_equal(storage, L"1234", 10);
	assert_int_equal(RtlIntegerToUnicodeString(0xBEEF, 16, &s), STATUS_SUCCESS);
	assert_memory_equal(storage, L"BEEF", 10);
	assert_int_equal(RtlIntegerToUnicodeString(8, 8, &s), STATUS_SUCCESS);
	assert_memory_equal(storage, L"10", 6);
	assert_int_equal(RtlIntegerToUnicodeString(5, 2, &s), STATUS_SUCCESS);
	assert_memory_equal(storage, L"101", 8);
	assert_int_equal(RtlIntegerToUnicodeString(0, 10, &s), STATUS_SUCCESS);
	assert_memory_equal(storage, L"0", 4);
	assert_int_equal(RtlIntegerToUnicodeString(4294967295u, 10, &s), STATUS_SUCCESS);
	assert_int_equal(s.Length, 20);
	assert_int_equal(RtlIntegerToUnicodeString(1, 7, &s), STATUS_INVALID_PARAMETER);

	/* Exactly the digits, no room for a terminator: still a success. */
	RtlInitEmptyUnicodeString(&s, exact, sizeof(exact));
	assert_int_equal(RtlIntegerToUnicodeString(123, 10, &s), STATUS_SUCCESS);
	assert_int_equal(s.Length, 6);
	assert_int_equal(RtlIntegerToUnicodeString(1234, 10, &s), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(s.Length, 6);
	assert_memory_equal(exact, L"123", 6);

	RtlInitEmptyUnicodeString(&s, storage, sizeof(storage));
	assert_int_equal(RtlInt64ToUnicodeString(0x123456789ULL, 16, &s), STATUS_SUCCESS);
	assert_memory_equal(storage, L"123456789", 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(string_to_integer),
		cmocka_unit_test(string_to_integer_errors),
		cmocka_unit_test(integer_to_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
