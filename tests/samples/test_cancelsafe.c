/*
 * cancelsafe: reads under the configured directory are queued in a
 * cancel-safe queue and released by the worker after DelayMs (virtual
 * clock); a read cancelled by its requester while queued completes with
 * STATUS_CANCELLED exactly once and the worker never sees it; unloading
 * lets queued reads go on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <altitude/clock.h>
#include "sample_host.h"

#define MS 10000LL

static altitude_memvol *vol;
static altitude_file *file;
static char buf[32];

static void load_with_directory(const WCHAR *directory)
{
	IO_STATUS_BLOCK iosb;

	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\pended\\sub\\a.txt", "slow data", 9),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\fast.txt", "fast data", 9),
			 STATUS_SUCCESS);
	if (directory)
		sample_param_string(L"cancelsafe", L"Directory", directory);
	else
		sample_param_delete(L"cancelsafe", L"Directory");
	sample_param_dword(L"cancelsafe", L"DelayMs", 1000);
	altitude_clock_use_virtual(altitude_clock_system_time());
	assert_int_equal(sample_load(SAMPLE_CANCELSAFE, L"cancelsafe", L"370130"), STATUS_SUCCESS);
	assert_int_equal(altitude_create(vol, L"\\pended\\sub\\a.txt", FILE_GENERIC_READ, FILE_OPEN,
					 0, NULL, &file, &iosb),
			 STATUS_SUCCESS);
	sample_log_capture();
}

static int setup(void **state)
{
	(void)state;
	load_with_directory(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sample_log_release();
	altitude_close_file(file);
	sample_unload(L"cancelsafe");
	altitude_clock_use_real();
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
	return 0;
}

static altitude_op *start_read(void)
{
	altitude_op_options opts = { 0 };
	altitude_op *op;

	opts.async_out = &op;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &opts, NULL), STATUS_PENDING);
	return op;
}

static void queued_read_is_released_after_the_delay(void **state)
{
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	op = start_read();
	assert_int_equal(sample_log_count("cancelsafe: read queued for 1000 ms"), 1);
	assert_false(altitude_op_done(op));
	assert_true(altitude_clock_advance(999 * MS));
	assert_false(altitude_op_done(op));
	assert_true(altitude_clock_advance(1 * MS));
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	assert_memory_equal(buf, "slow data", 9);
	altitude_op_free(op);
	assert_int_equal(sample_log_count("cancelsafe: read released after 1000 ms"), 1);
}

static void cancelled_read_completes_once_with_cancelled(void **state)
{
	IO_STATUS_BLOCK iosb;
	altitude_op *op, *other;

	(void)state;
	op = start_read();
	other = start_read();
	altitude_op_cancel(op);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_CANCELLED);
	assert_int_equal(iosb.Information, 0);
	assert_false(altitude_op_done(other));
	/* The worker releases only the read that is still queued. */
	assert_true(altitude_clock_advance(1000 * MS));
	assert_int_equal(altitude_op_wait(other, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	/* A second cancel of a completed read changes nothing. */
	altitude_op_cancel(op);
	altitude_op_free(op);
	altitude_op_free(other);
	assert_int_equal(sample_log_count("cancelsafe: read cancelled while queued: STATUS_CANCELLED"),
			 1);
	assert_int_equal(sample_log_count("cancelsafe: read released"), 1);
}

static void reads_elsewhere_are_not_queued(void **state)
{
	altitude_file *fast;
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_create(vol, L"\\fast.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL,
					 &fast, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_read(fast, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	altitude_close_file(fast);
	assert_int_equal(sample_log_count("queued"), 0);
}

static void unload_lets_queued_reads_go_on(void **state)
{
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	sample_log_release();
	op = start_read();
	sample_unload(L"cancelsafe");
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	altitude_op_free(op);
	altitude_close_file(file);
	altitude_clock_use_real();
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
}

static void directory_comes_from_the_registry(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	load_with_directory(L"\\elsewhere\\");
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	assert_int_equal(sample_log_count("queued"), 0);
	teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(queued_read_is_released_after_the_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelled_read_completes_once_with_cancelled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reads_elsewhere_are_not_queued, setup, teardown),
		cmocka_unit_test_setup(unload_lets_queued_reads_go_on, setup),
		cmocka_unit_test(directory_comes_from_the_registry),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
