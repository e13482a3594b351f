#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include <wdm.h>
#include <altitude/log.h>

struct capture {
	int calls;
	int level;
	char prefix[80];
	char msg[600];
};

static void capture_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	struct capture *c = ctx;

	c->calls++;
	c->level = level;
	strncpy(c->prefix, prefix, sizeof(c->prefix) - 1);
	strncpy(c->msg, msg, sizeof(c->msg) - 1);
}

static int setup(void **state)
{
	static struct capture c;

	memset(&c, 0, sizeof(c));
	altitude_log_set_sink(capture_sink, &c);
	altitude_log_set_level(ALTITUDE_LOG_DEFAULT_MASK);
	altitude_log_set_thread_prefix(NULL);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_log_set_sink(NULL, NULL);
	altitude_log_set_level(ALTITUDE_LOG_DEFAULT_MASK);
	altitude_log_set_thread_prefix(NULL);
	return 0;
}

static void dbgprint_writes_one_line(void **state)
{
	struct capture *c = *state;
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\Vol");

	assert_int_equal(DbgPrint("open %wZ status 0x%08lx\n", &name, (ULONG)STATUS_ACCESS_DENIED),
			 STATUS_SUCCESS);
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->level, DPFLTR_INFO_LEVEL);
	assert_string_equal(c->msg, "open \\Device\\Vol status 0xc0000022");
	assert_string_equal(c->prefix, "");
}

static void dbgprintex_levels_and_mask(void **state)
{
	struct capture *c = *state;

	assert_int_equal(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "e%d", 1), STATUS_SUCCESS);
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->level, DPFLTR_ERROR_LEVEL);
	assert_string_equal(c->msg, "e1");

	altitude_log_set_level(1u << DPFLTR_ERROR_LEVEL);
	assert_int_equal(altitude_log_level(), 1u);
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "hidden");
	DbgPrint("hidden too");
	assert_int_equal(c->calls, 1);
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "hidden");
	assert_int_equal(c->calls, 1);
	/* A Level above 31 is a mask of levels. */
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x6, "masked out");
	assert_int_equal(c->calls, 1);
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x5, "mask in");
	assert_int_equal(c->calls, 2);
	assert_string_equal(c->msg, "mask in");
	assert_int_equal(c->level, 0);
}

static void kdprint_double_parens(void **state)
{
	struct capture *c = *state;

	KdPrint(("kd %s %d\n", "x", 3));
	assert_string_equal(c->msg, "kd x 3");
	KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "kdex %ws", L"w"));
	assert_string_equal(c->msg, "kdex w");
	assert_int_equal(c->level, DPFLTR_WARNING_LEVEL);
	assert_int_equal(c->calls, 2);
}

static ULONG call_v(const char *prefix, const char *fmt, ...)
{
	va_list ap;
	ULONG s;

	va_start(ap, fmt);
	s = prefix ? vDbgPrintExWithPrefix(prefix, DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap)
		   : vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap);
	va_end(ap);
	return s;
}

static void v_variants_and_prefix(void **state)
{
	struct capture *c = *state;

	assert_int_equal(call_v(NULL, "v%u", 9u), STATUS_SUCCESS);
	assert_string_equal(c->msg, "v9");
	assert_int_equal(call_v("pre: ", "x%c", 'y'), STATUS_SUCCESS);
	assert_string_equal(c->msg, "pre: xy");
}

static void *other_thread(void *arg)
{
	struct capture *c = arg;

	altitude_log_set_thread_prefix("worker");
	DbgPrint("from worker");
	return c;
}

static void thread_prefix_is_per_thread(void **state)
{
	struct capture *c = *state;
	pthread_t t;

	altitude_log_set_thread_prefix("scanner");
	assert_string_equal(altitude_log_thread_prefix(), "scanner");
	DbgPrint("hello");
	assert_string_equal(c->prefix, "scanner");
	assert_int_equal(pthread_create(&t, NULL, other_thread, c), 0);
	pthread_join(t, NULL);
	assert_string_equal(c->prefix, "worker");
	assert_string_equal(altitude_log_thread_prefix(), "scanner");
	altitude_log_set_thread_prefix("");
	DbgPrint("plain");
	assert_string_equal(c->prefix, "");
}

static void long_lines_are_cut_at_512_bytes(void **state)
{
	struct capture *c = *state;
	char big[1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	DbgPrint("%s", big);
	assert_int_equal(strlen(c->msg), 512);
}

static void default_sink_is_stderr(void **state)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char line[64] = { 0 };

	(void)state;
	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	altitude_log_set_sink(NULL, NULL);
	altitude_log_set_thread_prefix("test");
	DbgPrint("to stderr %d\n", 1);
	altitude_log_set_thread_prefix(NULL);
	DbgPrint("bare");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	assert_non_null(fgets(line, sizeof(line), tmp));
	assert_string_equal(line, "[test] to stderr 1\n");
	assert_non_null(fgets(line, sizeof(line), tmp));
	assert_string_equal(line, "bare\n");
	fclose(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(dbgprint_writes_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(dbgprintex_levels_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(kdprint_double_parens, setup, teardown),
		cmocka_unit_test_setup_teardown(v_variants_and_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_prefix_is_per_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(long_lines_are_cut_at_512_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(default_sink_is_stderr, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
