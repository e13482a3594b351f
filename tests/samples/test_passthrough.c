/*
 * passthrough: every operation passes unchanged, its pre and post callbacks
 * both run (counted through the trace lines DebugFlags turns on), also when
 * completion arrives at DISPATCH_LEVEL; tracing is off by default.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include <altitude/log.h>
#include "sample_host.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int pre_lines, post_lines, other_lines;

static void count_line(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)prefix;
	(void)ctx;
	pthread_mutex_lock(&log_lock);
	if (level == DPFLTR_TRACE_LEVEL && strstr(msg, "PassThrough!PtPreOperationPassThrough: "))
		pre_lines++;
	else if (level == DPFLTR_TRACE_LEVEL && strstr(msg, "PassThrough!PtPostOperationPassThrough: "))
		post_lines++;
	else
		other_lines++;
	pthread_mutex_unlock(&log_lock);
}

static void reset_counts(void)
{
	pthread_mutex_lock(&log_lock);
	pre_lines = post_lines = other_lines = 0;
	pthread_mutex_unlock(&log_lock);
}

/* create, write, read (async completion at DISPATCH), query, cleanup, close: 6 operations. */
static void run_operations(altitude_memvol *vol)
{
	altitude_op_options async = { .flags = ALTITUDE_OP_ASYNC_COMPLETION };
	FILE_STANDARD_INFORMATION info;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char buf[16] = { 0 };

	assert_int_equal(altitude_create(vol, L"\\dir\\b.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE,
					 FILE_CREATE, 0, NULL, &file, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_CREATED);
	assert_int_equal(altitude_write(file, 0, "passthrough", 11, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 11);
	assert_int_equal(altitude_read(file, 4, buf, sizeof(buf), &async, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 7);
	assert_memory_equal(buf, "through", 7);
	assert_int_equal(altitude_query_information(file, FileStandardInformation, &info,
						    sizeof(info), NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(info.EndOfFile.QuadPart, 11);
	altitude_close_file(file);
}

static void every_operation_passes_with_pre_and_post(void **state)
{
	altitude_memvol *vol;

	(void)state;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_directory(vol, L"\\dir"), STATUS_SUCCESS);
	sample_param_dword(L"passthrough", L"DebugFlags", 3);
	altitude_log_set_sink(count_line, NULL);
	reset_counts();
	assert_int_equal(sample_load(SAMPLE_PASSTHROUGH, L"passthrough", L"370020"), STATUS_SUCCESS);
	run_operations(vol);
	sample_unload(L"passthrough");
	altitude_log_set_sink(NULL, NULL);

	assert_int_equal(pre_lines, 6);
	assert_int_equal(post_lines, 6);
	assert_true(other_lines >= 3); /* DriverEntry, InstanceSetup, Unload */
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
}

static void tracing_is_off_by_default(void **state)
{
	altitude_memvol *vol;

	(void)state;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_directory(vol, L"\\dir"), STATUS_SUCCESS);
	sample_param_delete(L"passthrough", L"DebugFlags");
	altitude_log_set_sink(count_line, NULL);
	reset_counts();
	assert_int_equal(sample_load(SAMPLE_PASSTHROUGH, L"passthrough", L"370020"), STATUS_SUCCESS);
	run_operations(vol);
	sample_unload(L"passthrough");
	altitude_log_set_sink(NULL, NULL);

	assert_int_equal(pre_lines + post_lines + other_lines, 0);
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_operation_passes_with_pre_and_post),
		cmocka_unit_test(tracing_is_off_by_default),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
