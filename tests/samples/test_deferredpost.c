/*
 * deferredpost: a read whose post callback runs at DISPATCH_LEVEL is pended
 * to a worker and completes to the requester only after the worker ran at
 * PASSIVE_LEVEL; each documented refusal of FltQueueDeferredIoWorkItem
 * (paging I/O, fast I/O, top-level IRP, draining) is handled without
 * pending.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "sample_host.h"

#define WORKER_LINE "deferredpost: read of \\Device\\AltitudeVolume1\\dir\\a.txt (11 bytes) finished at IRQL 0 on a worker"

static altitude_memvol *vol;
static altitude_file *file;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\dir\\a.txt", "hello world", 11),
			 STATUS_SUCCESS);
	assert_int_equal(sample_load(SAMPLE_DEFERREDPOST, L"deferredpost", L"370100"), STATUS_SUCCESS);
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
	altitude_memvol_release_held(vol); /* a failed test may leave its read held */
	altitude_close_file(file);
	sample_unload(L"deferredpost");
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

static void dispatch_completion_is_pended_to_passive(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_ASYNC_COMPLETION);
	/* The requester saw the completion only after the worker finished. */
	/* The post callback logs after it handed the read on: its line may come last. */
	assert_true(sample_log_wait("deferredpost: read pended at IRQL 2", 1));
	assert_int_equal(sample_log_count(WORKER_LINE), 1);
	assert_int_equal(sample_log_count("cannot pend"), 0);
}

static void passive_completion_is_pended_too(void **state)
{
	(void)state;
	read_with(0);
	assert_true(sample_log_wait("deferredpost: read pended at IRQL 0", 1));
	assert_int_equal(sample_log_count(WORKER_LINE), 1);
}

static void paging_io_is_handled_at_dispatch(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_PAGING_IO | ALTITUDE_OP_ASYNC_COMPLETION);
	assert_int_equal(sample_log_count("deferredpost: cannot pend (0xc01c0006, paging I/O), "
					  "handling without pending"),
			 1);
	assert_int_equal(sample_log_count("<name unavailable at DISPATCH_LEVEL> (11 bytes) finished "
					  "at IRQL 2 in the post callback"),
			 1);
	assert_int_equal(sample_log_count("on a worker"), 0);
}

static void fast_io_is_handled_inline(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_FAST_IO);
	assert_int_equal(sample_log_count("deferredpost: cannot pend (0xc01c0006, fast I/O)"), 1);
	assert_int_equal(sample_log_count("dir\\a.txt (11 bytes) finished at IRQL 0 in the post "
					  "callback"),
			 1);
	assert_int_equal(sample_log_count("on a worker"), 0);
}

static void top_level_irp_is_handled_inline(void **state)
{
	(void)state;
	read_with(ALTITUDE_OP_TOP_LEVEL_IRP);
	assert_int_equal(sample_log_count("deferredpost: cannot pend (0xc01c0006, top-level IRP)"), 1);
	/* Names cannot be queried under a top-level IRP either (STATUS_FLT_INVALID_NAME_REQUEST). */
	assert_int_equal(sample_log_count("read of <no name: 0xc01c0005> (11 bytes) finished at IRQL 0 "
					  "in the post callback"),
			 1);
	assert_int_equal(sample_log_count("on a worker"), 0);
}

static void draining_is_handled_without_pending(void **state)
{
	altitude_op_options opts = { .flags = ALTITUDE_OP_HOLD };
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"deferredpost");
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
	assert_int_equal(sample_log_count("deferredpost: cannot pend (0xc01c000b, draining), "
					  "handling without pending"),
			 1);
	assert_int_equal(altitude_memvol_release_held(vol), 1);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 11);
	altitude_op_free(op);
	assert_int_equal(sample_log_count("on a worker"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(dispatch_completion_is_pended_to_passive, setup, teardown),
		cmocka_unit_test_setup_teardown(passive_completion_is_pended_too, setup, teardown),
		cmocka_unit_test_setup_teardown(paging_io_is_handled_at_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(fast_io_is_handled_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(top_level_irp_is_handled_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(draining_is_handled_without_pending, setup, teardown),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
