/*
 * cancelwait: a read of a gated file waits in its pre-operation callback
 * (FltCancellableWaitForSingleObject) until a decision: allowed, denied,
 * timed out on the virtual clock (STATUS_TIMEOUT is not a decision), or
 * cancelled while waiting -> STATUS_CANCELLED, completed by the filter.
 *
 * The harness gives the handle of an asynchronous operation only once its
 * pre-operation callbacks have returned, so the cancel comes from
 * FltCancelIo, called by this test on the read's callback data, which a
 * small filter of the test's own (above cancelwait) records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include <altitude/clock.h>
#include "sample_host.h"

#define SECOND 10000000LL

/* ---- the test's recording filter -------------------------------------- */

static PFLT_FILTER recorder;
static PFLT_CALLBACK_DATA recorded_read;

static FLT_PREOP_CALLBACK_STATUS FLTAPI record_pre_read(PFLT_CALLBACK_DATA Data,
							 PCFLT_RELATED_OBJECTS FltObjects,
							 PVOID *CompletionContext)
{
	(void)FltObjects;
	(void)CompletionContext;
	__atomic_store_n(&recorded_read, Data, __ATOMIC_RELEASE);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static NTSTATUS FLTAPI record_unload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
	(void)Flags;
	FltUnregisterFilter(recorder);
	return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION record_ops[] = {
	{ IRP_MJ_READ, 0, record_pre_read, NULL, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};

static const FLT_REGISTRATION record_registration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
	.OperationRegistration = record_ops,
	.FilterUnloadCallback = record_unload,
};

static NTSTATUS record_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NTSTATUS status;

	(void)RegistryPath;
	status = FltRegisterFilter(DriverObject, &record_registration, &recorder);
	if (NT_SUCCESS(status))
		status = FltStartFiltering(recorder);
	return status;
}

static const altitude_instance_config record_instance = { L"recorder", L"400000", 0 };
static const altitude_filter_config record_config = { L"recorder", NULL, 1, &record_instance };

/* ---- fixture ------------------------------------------------------------ */

static altitude_memvol *vol;

static int setup(void **state)
{
	(void)state;
	recorded_read = NULL;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\gated\\a.txt", "gated data", 10),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\free.txt", "free data", 9), STATUS_SUCCESS);
	sample_param_dword(L"cancelwait", L"DecisionTimeoutMs", 5000);
	assert_int_equal(sample_load(SAMPLE_CANCELWAIT, L"cancelwait", L"370120"), STATUS_SUCCESS);
	assert_int_equal(altitude_filter_load(&record_config, record_entry, NULL), STATUS_SUCCESS);
	sample_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sample_log_release();
	altitude_clock_use_real();
	assert_int_equal(altitude_filter_unload(L"recorder", TRUE), STATUS_SUCCESS);
	sample_unload(L"cancelwait");
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
	return 0;
}

struct reader {
	pthread_t thread;
	altitude_file *file;
	NTSTATUS status;
	ULONG_PTR information;
	char buf[16];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	IO_STATUS_BLOCK iosb = { 0 };

	r->status = altitude_read(r->file, 0, r->buf, sizeof(r->buf), NULL, &iosb);
	r->information = iosb.Information;
	return NULL;
}

static void open_gated(struct reader *r)
{
	IO_STATUS_BLOCK iosb;

	memset(r, 0, sizeof(*r));
	assert_int_equal(altitude_create(vol, L"\\gated\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL,
					 &r->file, &iosb),
			 STATUS_SUCCESS);
}

/* Starts a gated read and returns once it waits for the decision. */
static void start_waiting_read(struct reader *r)
{
	ULONG waiters = altitude_clock_waiters();

	open_gated(r);
	assert_int_equal(pthread_create(&r->thread, NULL, reader_main, r), 0);
	assert_true(altitude_clock_wait_for_waiters(waiters + 1));
}

static void finish_read(struct reader *r)
{
	pthread_join(r->thread, NULL);
	altitude_close_file(r->file);
}

static void decide(const WCHAR *path)
{
	altitude_file *file;
	IO_STATUS_BLOCK iosb;

	assert_int_equal(altitude_create(vol, path, FILE_GENERIC_WRITE, FILE_OPEN_IF, 0, NULL, &file,
					 &iosb),
			 STATUS_SUCCESS);
	altitude_close_file(file);
}

static void ungated_reads_do_not_wait(void **state)
{
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char buf[16];

	(void)state;
	assert_int_equal(altitude_create(vol, L"\\free.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL,
					 &file, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 9);
	altitude_close_file(file);
	assert_int_equal(sample_log_count("waits for a decision"), 0);
}

static void allow_decision_releases_the_read(void **state)
{
	struct reader r;

	(void)state;
	start_waiting_read(&r);
	decide(L"\\gated\\.open");
	finish_read(&r);
	assert_int_equal(r.status, STATUS_SUCCESS);
	assert_int_equal(r.information, 10);
	assert_memory_equal(r.buf, "gated data", 10);
	assert_int_equal(sample_log_count("cancelwait: read allowed"), 1);
}

static void deny_decision_fails_the_read(void **state)
{
	struct reader r;

	(void)state;
	start_waiting_read(&r);
	decide(L"\\gated\\.deny");
	finish_read(&r);
	assert_int_equal(r.status, STATUS_ACCESS_DENIED);
	assert_int_equal(r.information, 0);
	/* The decision sticks: the next read is denied without waiting. */
	open_gated(&r);
	reader_main(&r);
	altitude_close_file(r.file);
	assert_int_equal(r.status, STATUS_ACCESS_DENIED);
}

static void cancel_while_waiting_is_cancelled(void **state)
{
	struct reader r;
	PFLT_CALLBACK_DATA data;

	(void)state;
	start_waiting_read(&r);
	data = __atomic_load_n(&recorded_read, __ATOMIC_ACQUIRE);
	assert_non_null(data);
	/* No cancel routine is set: FltCancelIo marks the I/O cancelled. */
	assert_false(FltCancelIo(data));
	finish_read(&r);
	assert_int_equal(r.status, STATUS_CANCELLED);
	assert_int_equal(r.information, 0);
	assert_int_equal(sample_log_count("cancelwait: read cancelled while waiting: completing it "
					  "with STATUS_CANCELLED"),
			 1);
	/* Cancelling one read decides nothing: the next is allowed when decided. */
	start_waiting_read(&r);
	decide(L"\\gated\\.open");
	finish_read(&r);
	assert_int_equal(r.status, STATUS_SUCCESS);
}

static void timeout_is_not_a_decision(void **state)
{
	struct reader r;

	(void)state;
	altitude_clock_use_virtual(altitude_clock_system_time());
	start_waiting_read(&r);
	assert_true(altitude_clock_advance(4 * SECOND));
	assert_true(altitude_clock_advance(1 * SECOND));
	finish_read(&r);
	assert_int_equal(r.status, STATUS_IO_TIMEOUT);
	assert_int_equal(sample_log_count("cancelwait: no decision in 5000 ms: STATUS_IO_TIMEOUT"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ungated_reads_do_not_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(allow_decision_releases_the_read, setup, teardown),
		cmocka_unit_test_setup_teardown(deny_decision_fails_the_read, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_while_waiting_is_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_is_not_a_decision, setup, teardown),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
