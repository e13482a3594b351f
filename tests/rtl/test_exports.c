/*
 * Linked against libfltmgr.so (not the static library): every Rtl, Dbg and
 * altitude_* entry point a driver or host calls must be exported by
 * src/fltmgr.map, or this test does not link.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntstrsafe.h>
#include <altitude/log.h>
#include <altitude/status.h>

static void quiet_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)level;
	(void)prefix;
	(*(int *)ctx)++;
	(void)msg;
}

static ULONG call_vdbgprint(const char *fmt, ...)
{
	va_list ap;
	ULONG s;

	va_start(ap, fmt);
	s = vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap);
	va_end(ap);
	return s;
}

static void entry_points_are_exported(void **state)
{
	UNICODE_STRING u, dup;
	ANSI_STRING a;
	WCHAR buf[16];
	ULONG value = 0;
	int lines = 0;

	(void)state;
	RtlInitUnicodeString(&u, L"42");
	assert_int_equal(RtlUnicodeStringToInteger(&u, 0, &value), STATUS_SUCCESS);
	assert_int_equal(value, 42);
	assert_int_equal(RtlDuplicateUnicodeString(1, &u, &dup), STATUS_SUCCESS);
	assert_true(RtlEqualUnicodeString(&u, &dup, TRUE));
	assert_int_equal(RtlUnicodeStringToAnsiString(&a, &dup, TRUE), STATUS_SUCCESS);
	RtlFreeAnsiString(&a);
	RtlFreeUnicodeString(&dup);
	assert_int_equal(RtlStringCchPrintfW(buf, 16, L"%wZ", &u), STATUS_SUCCESS);
	assert_int_equal(wcslen(buf), 2);
	assert_int_equal(_snwprintf(buf, 16, L"%d", 7), 1);
	assert_int_equal(RtlNtStatusToDosError(STATUS_ACCESS_DENIED), ERROR_ACCESS_DENIED);
	assert_string_equal(altitude_status_name(STATUS_TIMEOUT), "STATUS_TIMEOUT");
	altitude_log_set_sink(quiet_sink, &lines);
	DbgPrint("x");
	call_vdbgprint("y%d", 1);
	altitude_log_set_sink(NULL, NULL);
	assert_int_equal(lines, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entry_points_are_exported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
