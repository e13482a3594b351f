/*
 * whensafe: FltDoCompletionProcessingWhenSafe runs the work at once below
 * DISPATCH_LEVEL, posts it to a worker at DISPATCH_LEVEL (the requester
 * sees the completion only after it ran at PASSIVE_LEVEL), and returns
 * FALSE with FINISHED_PROCESSING where posting is not safe (paging I/O);
 * while draining the filter does not call it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "sample_host.h"

#define SAFE_LINE "whensafe: safe post-read of \\Device\\AltitudeVolume1\\dir\\a.txt (11 bytes) at IRQL 0"

static altitude_memvol *vol;
static altitude_file *file;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\dir\\a.txt", "hello world", 11),
			 STATUS_SUCCESS);
	assert_int_equal(sample_load(SAMPLE_WHENSAFE, L"whensafe", L"370110"), STATUS_SUCCESS);
	assert_int_equal(altitude_create(vol, L"\\dir\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL,
					 &file, &iosb),
			 STATUS_SUCCESS);
	sample_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sample_log_release();
	altitude_memvol_release_held(vol);
	altitude_close_file(file);
	sample_unload(L"whensafe");
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
	return 0;
}

static void read_with(ULONG flags)
{
	altitude_op_options opts = { .flags = flags };
	IO_STATUS_BLOCK iosb;
	char buf[32] = { 0 };

	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &opts, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 11);
	assert_memory_equal(buf, "hello world", 11);
}

static void below_dispatch_runs_at_once(void **state)
{
	(void)state;
	read_with(0);
	assert_int_equal(sample_log_count(SAFE_LINE), 1);
	assert_int_equal(sample_log_count("whensafe: TRUE at IRQL 0, status FINISHED_PROCESSING"), 1);
}

static void dispatch_posts_to_passive(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_ASYNC_COMPLETION);
	/* The post callback logs after it handed the read on: its line may come last. */
	assert_true(sample_log_wait("whensafe: TRUE at IRQL 2, status MORE_PROCESSING_REQUIRED", 1));
	/* Ran at PASSIVE_LEVEL before the requester saw the completion. */
	assert_int_equal(sample_log_count(SAFE_LINE), 1);
}

static void paging_io_at_dispatch_returns_false(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_PAGING_IO | ALTITUDE_OP_ASYNC_COMPLETION);
	assert_int_equal(sample_log_count("whensafe: not safe to post at IRQL 2 (paging I/O): FALSE, "
					  "status FINISHED_PROCESSING, finishing without the work"),
			 1);
	assert_int_equal(sample_log_count("safe post-read"), 0);
}

static void draining_does_not_call_it(void **state)
{
	altitude_op_options opts = { .flags = ALTITUDE_OP_HOLD };
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"whensafe");
	PFLT_FILTER filter;
	altitude_op *op;
	IO_STATUS_BLOCK iosb;
	char buf[32];

	(void)state;
	opts.async_out = &op;
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &opts, &iosb), STATUS_PENDING);
	assert_int_equal(FltGetFilterFromName(&name, &filter), STATUS_SUCCESS);
	assert_int_equal(FltDetachVolume(filter, altitude_memvol_volume(vol), NULL), STATUS_SUCCESS);
	FltObjectDereference(filter);
	assert_int_equal(sample_log_count("whensafe: draining at IRQL 0: finishing without the work"),
			 1);
	assert_int_equal(altitude_memvol_release_held(vol), 1);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	altitude_op_free(op);
	assert_int_equal(sample_log_count("safe post-read"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(below_dispatch_runs_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(dispatch_posts_to_passive, setup, teardown),
		cmocka_unit_test_setup_teardown(paging_io_at_dispatch_returns_false, setup, teardown),
		cmocka_unit_test_setup_teardown(draining_does_not_call_it, setup, teardown),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
