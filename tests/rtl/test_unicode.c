#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include <wdm.h>

static void init_unicode_string(void **state)
{
	UNICODE_STRING s;

	(void)state;
	RtlInitUnicodeString(&s, L"abc");
	assert_int_equal(s.Length, 6);
	assert_int_equal(s.MaximumLength, 8);
	assert_int_equal(s.Buffer[0], L'a');

	RtlInitUnicodeString(&s, L"");
	assert_int_equal(s.Length, 0);
	assert_int_equal(s.MaximumLength, 2);
	assert_non_null(s.Buffer);

	RtlInitUnicodeString(&s, NULL);
	assert_int_equal(s.Length, 0);
	assert_int_equal(s.MaximumLength, 0);
	assert_null(s.Buffer);
}

/* A source of 32766 characters is the longest that fits; longer is cut. */
static void init_unicode_string_caps_at_maxushort(void **state)
{
	WCHAR *big = malloc(40000 * sizeof(WCHAR));
	UNICODE_STRING s;

	(void)state;
	assert_non_null(big);
	for (int i = 0; i < 40000; i++)
		big[i] = L'x';
	big[32766] = 0;
	RtlInitUnicodeString(&s, big);
	assert_int_equal(s.Length, 0xFFFC);
	assert_int_equal(s.MaximumLength, 0xFFFE);
	assert_int_equal(RtlInitUnicodeStringEx(&s, big), STATUS_SUCCESS);

	big[32766] = L'x';
	big[39999] = 0;
	RtlInitUnicodeString(&s, big);
	assert_int_equal(s.Length, 0xFFFC);
	assert_int_equal(s.MaximumLength, 0xFFFE);
	s.Length = 1;
	assert_int_equal(RtlInitUnicodeStringEx(&s, big), STATUS_NAME_TOO_LONG);
	assert_int_equal(s.Length, 1);
	free(big);
}

static void init_ansi_string(void **state)
{
	ANSI_STRING a;
	STRING s;

	(void)state;
	RtlInitAnsiString(&a, "hello");
	assert_int_equal(a.Length, 5);
	assert_int_equal(a.MaximumLength, 6);
	RtlInitAnsiString(&a, NULL);
	assert_int_equal(a.Length, 0);
	assert_int_equal(a.MaximumLength, 0);
	assert_null(a.Buffer);
	RtlInitString(&s, "");
	assert_int_equal(s.Length, 0);
	assert_int_equal(s.MaximumLength, 1);
}

static void constant_and_declared_strings(void **state)
{
	UNICODE_STRING c = RTL_CONSTANT_STRING(L"\\Device");
	ANSI_STRING a = RTL_CONSTANT_STRING("abc");
	DECLARE_CONST_UNICODE_STRING(k, L"name");
	DECLARE_UNICODE_STRING_SIZE(buf, 10);
	WCHAR storage[4];
	UNICODE_STRING e;

	(void)state;
	assert_int_equal(c.Length, 14);
	assert_int_equal(c.MaximumLength, 16);
	assert_int_equal(a.Length, 3);
	assert_int_equal(k.Length, 8);
	assert_int_equal(k.MaximumLength, 10);
	assert_int_equal(buf.Length, 0);
	assert_int_equal(buf.MaximumLength, 20);
	assert_ptr_equal(buf.Buffer, buf_buffer);
	RtlInitEmptyUnicodeString(&e, storage, sizeof(storage));
	assert_int_equal(e.Length, 0);
	assert_int_equal(e.MaximumLength, 8);
	assert_ptr_equal(e.Buffer, storage);
}

static void copy_truncates_to_destination(void **state)
{
	UNICODE_STRING src = RTL_CONSTANT_STRING(L"abcdef");
	WCHAR storage[4] = { 0 };
	WCHAR big[10];
	UNICODE_STRING dst;

	(void)state;
	RtlInitEmptyUnicodeString(&dst, storage, sizeof(storage));
	RtlCopyUnicodeString(&dst, &src);
	assert_int_equal(dst.Length, 8);
	assert_int_equal(dst.MaximumLength, 8);
	assert_memory_equal(storage, L"abcd", 8);

	RtlInitEmptyUnicodeString(&dst, big, sizeof(big));
	RtlCopyUnicodeString(&dst, &src);
	assert_int_equal(dst.Length, 12);
	assert_int_equal(big[6], 0);

	{
		UNICODE_STRING none = { 0, 0, NULL };

		RtlCopyUnicodeString(&dst, &none);
		assert_int_equal(dst.Length, 0);
		assert_int_equal(big[0], 0);
		assert_int_equal(RtlAppendUnicodeStringToString(&dst, &none), STATUS_SUCCESS);
		assert_int_equal(dst.Length, 0);
	}
	RtlCopyUnicodeString(&dst, &src);
	RtlCopyUnicodeString(&dst, NULL);
	assert_int_equal(dst.Length, 0);
	assert_int_equal(dst.MaximumLength, sizeof(big));
}

static void append_too_small_leaves_destination(void **state)
{
	WCHAR storage[6];
	UNICODE_STRING dst;
	UNICODE_STRING tail = RTL_CONSTANT_STRING(L"cd");

	(void)state;
	RtlInitEmptyUnicodeString(&dst, storage, sizeof(storage));
	assert_int_equal(RtlAppendUnicodeToString(&dst, L"ab"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 4);
	assert_int_equal(storage[2], 0);
	assert_int_equal(RtlAppendUnicodeStringToString(&dst, &tail), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 8);
	assert_memory_equal(storage, L"abcd", 8);
	assert_int_equal(RtlAppendUnicodeToString(&dst, L"efg"), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(dst.Length, 8);
	tail.Length = 6;
	tail.Buffer = (PWCH)L"xyz";
	assert_int_equal(RtlAppendUnicodeStringToString(&dst, &tail), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(dst.Length, 8);
	assert_memory_equal(storage, L"abcd", 8);
	assert_int_equal(RtlAppendUnicodeToString(&dst, L"e"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 10);
	assert_int_equal(storage[5], 0);
	/* Exactly full: no room for a terminator, still a success. */
	assert_int_equal(RtlAppendUnicodeToString(&dst, L"f"), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 12);
	assert_int_equal(storage[5], L'f');
	assert_int_equal(RtlAppendUnicodeToString(&dst, L""), STATUS_SUCCESS);
	assert_int_equal(RtlAppendUnicodeToString(&dst, NULL), STATUS_SUCCESS);
	assert_int_equal(dst.Length, 12);
}

static void duplicate(void **state)
{
	UNICODE_STRING in = RTL_CONSTANT_STRING(L"dup");
	UNICODE_STRING empty = { 0, 0, NULL };
	UNICODE_STRING out;

	(void)state;
	assert_int_equal(RtlDuplicateUnicodeString(0, &in, &out), STATUS_SUCCESS);
	assert_int_equal(out.Length, 6);
	assert_int_equal(out.MaximumLength, 6);
	assert_memory_equal(out.Buffer, L"dup", 6);
	assert_true(out.Buffer != in.Buffer);
	RtlFreeUnicodeString(&out);
	assert_null(out.Buffer);
	assert_int_equal(out.MaximumLength, 0);

	assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &in,
						   &out),
			 STATUS_SUCCESS);
	assert_int_equal(out.Length, 6);
	assert_int_equal(out.MaximumLength, 8);
	assert_int_equal(out.Buffer[3], 0);
	RtlFreeUnicodeString(&out);

	assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE,
						   &empty, &out),
			 STATUS_SUCCESS);
	assert_null(out.Buffer);
	assert_int_equal(out.MaximumLength, 0);

	assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE |
							   RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING,
						   &empty, &out),
			 STATUS_SUCCESS);
	assert_non_null(out.Buffer);
	assert_int_equal(out.Length, 0);
	assert_int_equal(out.MaximumLength, 2);
	assert_int_equal(out.Buffer[0], 0);
	RtlFreeUnicodeString(&out);
}

static void duplicate_rejects_bad_input(void **state)
{
	UNICODE_STRING odd = { 3, 8, (PWCH)L"abcd" };
	UNICODE_STRING odd_max = { 2, 7, (PWCH)L"abcd" };
	UNICODE_STRING too_long = { 8, 4, (PWCH)L"abcd" };
	UNICODE_STRING no_buffer = { 2, 2, NULL };
	UNICODE_STRING empty_no_buffer = { 0, 2, NULL };
	UNICODE_STRING in = RTL_CONSTANT_STRING(L"x");
	UNICODE_STRING out = { 0, 0, NULL };

	(void)state;
	assert_int_equal(RtlDuplicateUnicodeString(0, &odd, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, &odd_max, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, &too_long, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, &no_buffer, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, &empty_no_buffer, &out),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(4, &in, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING,
						   &in, &out),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, NULL, &out), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlDuplicateUnicodeString(0, &in, NULL), STATUS_INVALID_PARAMETER);
	assert_null(out.Buffer);
}

static void duplicate_at_maxushort(void **state)
{
	WCHAR *big = calloc(32767, sizeof(WCHAR));
	UNICODE_STRING in = { 0xFFFE, 0xFFFE, big };
	UNICODE_STRING out;

	(void)state;
	assert_non_null(big);
	assert_int_equal(RtlDuplicateUnicodeString(0, &in, &out), STATUS_SUCCESS);
	assert_int_equal(out.Length, 0xFFFE);
	RtlFreeUnicodeString(&out);
	assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &in,
						   &out),
			 STATUS_NAME_TOO_LONG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_unicode_string),
		cmocka_unit_test(init_unicode_string_caps_at_maxushort),
		cmocka_unit_test(init_ansi_string),
		cmocka_unit_test(constant_and_declared_strings),
		cmocka_unit_test(copy_truncates_to_destination),
		cmocka_unit_test(append_too_small_leaves_destination),
		cmocka_unit_test(duplicate),
		cmocka_unit_test(duplicate_rejects_bad_input),
		cmocka_unit_test(duplicate_at_maxushort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
