#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <wdm.h>

static void utf8_to_unicode(void **state)
{
	/* "aé€😀" */
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	WCHAR out[8];
	ULONG n = 0;

	(void)state;
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, text, 10), STATUS_SUCCESS);
	assert_int_equal(n, 10);
	assert_int_equal(out[0], L'a');
	assert_int_equal(out[1], 0x00E9);
	assert_int_equal(out[2], 0x20AC);
	assert_int_equal(out[3], 0xD83D);
	assert_int_equal(out[4], 0xDE00);

	assert_int_equal(RtlUTF8ToUnicodeN(NULL, 0, &n, "a\xc3\xa9", 3), STATUS_SUCCESS);
	assert_int_equal(n, 4);
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "", 0), STATUS_SUCCESS);
	assert_int_equal(n, 0);
	/* The terminator is converted when it is part of the input. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "ab", 3), STATUS_SUCCESS);
	assert_int_equal(n, 6);
	assert_int_equal(out[2], 0);
}

static void utf8_invalid_input_becomes_replacement(void **state)
{
	WCHAR out[16];
	ULONG n = 0;

	(void)state;
	/* Stray continuation byte, invalid byte 0xFF. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "a\x80" "b\xff", 4),
			 STATUS_SOME_NOT_MAPPED);
	assert_int_equal(n, 8);
	assert_int_equal(out[1], 0xFFFD);
	assert_int_equal(out[3], 0xFFFD);
	/* Overlong "/" (C0 AF): two ill-formed bytes, two replacements. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "\xc0\xaf", 2),
			 STATUS_SOME_NOT_MAPPED);
	assert_int_equal(n, 4);
	/* Encoded surrogate ED A0 80: three replacements. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "\xed\xa0\x80", 3),
			 STATUS_SOME_NOT_MAPPED);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], 0xFFFD);
	/* Truncated 3-byte sequence at the end: one replacement for the subpart. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "x\xe2\x82", 3),
			 STATUS_SOME_NOT_MAPPED);
	assert_int_equal(n, 4);
	assert_int_equal(out[1], 0xFFFD);
	/* Beyond U+10FFFF. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "\xf4\x90\x80\x80", 4),
			 STATUS_SOME_NOT_MAPPED);
}

static void utf8_to_unicode_errors(void **state)
{
	WCHAR out[2];
	ULONG n = 99;

	(void)state;
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "abc", 3), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 4);
	assert_int_equal(out[1], L'b');
	/* A surrogate pair is never split. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, 3 * sizeof(WCHAR) - 2, &n, "a\xf0\x9f\x98\x80", 5),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, NULL, 3), STATUS_INVALID_PARAMETER_4);
	assert_int_equal(RtlUTF8ToUnicodeN(NULL, 0, NULL, "a", 1), STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), NULL, "a", 1), STATUS_SUCCESS);
	/* Too small and invalid: too small wins. */
	assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof(out), &n, "\xff\xff\xff", 3),
			 STATUS_BUFFER_TOO_SMALL);
}

static void unicode_to_utf8(void **state)
{
	const WCHAR src[] = { L'a', 0x00E9, 0x20AC, 0xD83D, 0xDE00 };
	const WCHAR bad[] = { L'x', 0xDC00, 0xD800 };
	char out[16];
	ULONG n = 0;

	(void)state;
	assert_int_equal(RtlUnicodeToUTF8N(out, sizeof(out), &n, src, sizeof(src)), STATUS_SUCCESS);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, &n, src, sizeof(src)), STATUS_SUCCESS);
	assert_int_equal(n, 10);

	assert_int_equal(RtlUnicodeToUTF8N(out, sizeof(out), &n, bad, sizeof(bad)),
			 STATUS_SOME_NOT_MAPPED);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "x\xef\xbf\xbd\xef\xbf\xbd", 7);

	/* The 4-byte character does not fit in 9 bytes: stop before it. */
	assert_int_equal(RtlUnicodeToUTF8N(out, 9, &n, src, sizeof(src)), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 6);
	assert_int_equal(RtlUnicodeToUTF8N(out, sizeof(out), &n, src, 3), STATUS_INVALID_PARAMETER_5);
	assert_int_equal(RtlUnicodeToUTF8N(out, sizeof(out), &n, NULL, 2), STATUS_INVALID_PARAMETER_4);
	assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, NULL, src, 2), STATUS_INVALID_PARAMETER);
}

static void unicode_string_to_ansi(void **state)
{
	UNICODE_STRING u = RTL_CONSTANT_STRING(L"caf\u00e9");
	UNICODE_STRING empty = { 0, 0, NULL };
	char storage[6];
	char small[5];
	ANSI_STRING a;

	(void)state;
	assert_int_equal(RtlUnicodeStringToAnsiSize(&u), 6);
	RtlInitEmptyAnsiString(&a, storage, sizeof(storage));
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, FALSE), STATUS_SUCCESS);
	assert_int_equal(a.Length, 5);
	assert_string_equal(storage, "caf\xc3\xa9");

	/* Too small: what fits (whole characters) is converted and terminated. */
	RtlInitEmptyAnsiString(&a, small, sizeof(small));
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, FALSE), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(a.Length, 3);
	assert_string_equal(small, "caf");
	RtlInitEmptyAnsiString(&a, small, 1);
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, FALSE), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(a.Length, 0);
	assert_int_equal(small[0], 0);
	RtlInitEmptyAnsiString(&a, small, 0);
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, FALSE), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(a.Length, 0);

	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, TRUE), STATUS_SUCCESS);
	assert_int_equal(a.Length, 5);
	assert_int_equal(a.MaximumLength, 6);
	assert_string_equal(a.Buffer, "caf\xc3\xa9");
	RtlFreeAnsiString(&a);
	assert_null(a.Buffer);

	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &empty, TRUE), STATUS_SUCCESS);
	assert_int_equal(a.Length, 0);
	assert_string_equal(a.Buffer, "");
	RtlFreeAnsiString(&a);
}

static void unicode_string_to_ansi_too_long(void **state)
{
	static WCHAR big[30000];
	UNICODE_STRING u = { sizeof(big), sizeof(big), big };
	ANSI_STRING a = { 0, 0, NULL };

	(void)state;
	for (size_t i = 0; i < 30000; i++)
		big[i] = 0x20AC; /* three UTF-8 bytes each */
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &u, TRUE), STATUS_INVALID_PARAMETER_2);
	assert_null(a.Buffer);
}

static void ansi_string_to_unicode(void **state)
{
	ANSI_STRING a = RTL_CONSTANT_STRING("caf\xc3\xa9");
	WCHAR storage[5];
	WCHAR small[4];
	UNICODE_STRING u;

	(void)state;
	assert_int_equal(RtlAnsiStringToUnicodeSize(&a), 10);
	RtlInitEmptyUnicodeString(&u, storage, sizeof(storage));
	assert_int_equal(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_SUCCESS);
	assert_int_equal(u.Length, 8);
	assert_memory_equal(storage, L"caf\u00e9", 10);

	RtlInitEmptyUnicodeString(&u, small, sizeof(small));
	assert_int_equal(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(u.Length, 0);

	assert_int_equal(RtlAnsiStringToUnicodeString(&u, &a, TRUE), STATUS_SUCCESS);
	assert_int_equal(u.Length, 8);
	assert_int_equal(u.MaximumLength, 10);
	assert_int_equal(u.Buffer[4], 0);
	RtlFreeUnicodeString(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_to_unicode),
		cmocka_unit_test(utf8_invalid_input_becomes_replacement),
		cmocka_unit_test(utf8_to_unicode_errors),
		cmocka_unit_test(unicode_to_utf8),
		cmocka_unit_test(unicode_string_to_ansi),
		cmocka_unit_test(unicode_string_to_ansi_too_long),
		cmocka_unit_test(ansi_string_to_unicode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
