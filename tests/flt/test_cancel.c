/*
 * Cancellation: FltSetCancelCompletion, FltClearCancelCompletion,
 * FltCancelIo, FltIsIoCanceled and the requester's cancel (harness and
 * flt_cancel_request) before, during and after a pend, and racing the
 * filter's own completion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"
#include "flt/flt.h"

static altitude_memvol *vol;
static altitude_file *file;

static struct {
	PFLT_CALLBACK_DATA pended;
	atomic_int routine_calls;
	BOOLEAN set_routine;
	NTSTATUS set_status;
	/* cancel-before-pend handshake */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	BOOLEAN in_pre, gate_open;
	BOOLEAN saw_cancelled;
	/* argument checks */
	NTSTATUS null_data, null_routine, paging, fast_io, clear_without;
	BOOLEAN cancel_fast_io, is_cancelled_fast_io;
} t;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cv, NULL);
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\a.txt", "0123456789", 10);
	if (probe_load(0, L"alpha", L"300000"))
		return -1;
	if (altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_memvol_destroy(vol);
	pthread_mutex_destroy(&t.lock);
	pthread_cond_destroy(&t.cv);
	altitude_bugcheck_set_hook(NULL, NULL);
	return altitude_flt_live_objects() == 0 ? 0 : -1;
}

static VOID FLTAPI canceled(PFLT_CALLBACK_DATA data)
{
	atomic_fetch_add(&t.routine_calls, 1);
	data->IoStatus.Status = STATUS_CANCELLED;
	data->IoStatus.Information = 0;
	FltCompletePendedPreOperation(data, FLT_PREOP_COMPLETE, NULL);
}

static FLT_PREOP_CALLBACK_STATUS pend_hook(struct probe *p, PFLT_CALLBACK_DATA data,
					   PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	(void)ctx;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	t.set_status = t.set_routine ? FltSetCancelCompletion(data, canceled) : STATUS_SUCCESS;
	t.pended = data;
	return FLT_PREOP_PENDING;
}

static altitude_op *issue_read(char *buf)
{
	altitude_op *op = NULL;
	altitude_op_options o = { .async_out = &op };

	assert_int_equal(altitude_read(file, 0, buf, 10, &o, NULL), STATUS_PENDING);
	assert_non_null(op);
	assert_false(altitude_op_done(op));
	return op;
}

static void requester_cancel_runs_the_routine_once(void **state)
{
	char buf[16];
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	t.set_routine = TRUE;
	probes[0].pre_hook = pend_hook;
	op = issue_read(buf);
	assert_int_equal(t.set_status, STATUS_SUCCESS);
	assert_false(FltIsIoCanceled(t.pended));
	altitude_op_cancel(op);
	assert_int_equal(atomic_load(&t.routine_calls), 1);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_CANCELLED);
	assert_int_equal(iosb.Information, 0);
	altitude_op_cancel(op); /* completed: nothing more happens */
	assert_int_equal(atomic_load(&t.routine_calls), 1);
	altitude_op_free(op);
}

static void flt_cancel_io_runs_the_routine_and_returns_true(void **state)
{
	char buf[16];
	altitude_op *op;

	(void)state;
	t.set_routine = TRUE;
	probes[0].pre_hook = pend_hook;
	op = issue_read(buf);
	assert_true(FltCancelIo(t.pended));
	assert_int_equal(atomic_load(&t.routine_calls), 1);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_CANCELLED);
	altitude_op_free(op);
}

static void cancel_without_routine_sets_the_bit_only(void **state)
{
	char buf[16];
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	probes[0].pre_hook = pend_hook;
	op = issue_read(buf);
	assert_false(FltCancelIo(t.pended));
	assert_true(FltIsIoCanceled(t.pended));
	assert_false(FltCancelIo(t.pended)); /* already cancelled */
	assert_int_equal(FltSetCancelCompletion(t.pended, canceled), STATUS_CANCELLED);
	assert_int_equal(FltClearCancelCompletion(t.pended), STATUS_CANCELLED);
	/* The filter decides: here it lets the read go on, and it succeeds. */
	FltCompletePendedPreOperation(t.pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 10);
	assert_int_equal(atomic_load(&t.routine_calls), 0);
	altitude_op_free(op);
}

static void cleared_routine_never_runs(void **state)
{
	char buf[16];
	altitude_op *op;

	(void)state;
	t.set_routine = TRUE;
	probes[0].pre_hook = pend_hook;
	op = issue_read(buf);
	assert_int_equal(FltClearCancelCompletion(t.pended), STATUS_SUCCESS);
	assert_int_equal(FltClearCancelCompletion(t.pended), STATUS_CANCELLED); /* none set now */
	altitude_op_cancel(op);
	assert_int_equal(atomic_load(&t.routine_calls), 0);
	assert_true(FltIsIoCanceled(t.pended));
	/* The requester's cancel also reached the volume, which fails the read. */
	FltCompletePendedPreOperation(t.pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_CANCELLED);
	altitude_op_free(op);
}

static void cancel_after_completion_does_nothing(void **state)
{
	char buf[16];
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	t.set_routine = TRUE;
	probes[0].pre_hook = pend_hook;
	op = issue_read(buf);
	/* Completed without clearing: completion drops the routine. */
	FltCompletePendedPreOperation(t.pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	altitude_op_cancel(op);
	assert_int_equal(atomic_load(&t.routine_calls), 0);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 10);
	altitude_op_free(op);
}

/* Pre callback that waits at a gate, then sees the cancel that came before it could pend. */
static FLT_PREOP_CALLBACK_STATUS gated_hook(struct probe *p, PFLT_CALLBACK_DATA data,
					    PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	(void)ctx;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	pthread_mutex_lock(&t.lock);
	t.pended = data;
	t.in_pre = TRUE;
	pthread_cond_broadcast(&t.cv);
	while (!t.gate_open)
		pthread_cond_wait(&t.cv, &t.lock);
	pthread_mutex_unlock(&t.lock);
	t.saw_cancelled = FltIsIoCanceled(data);
	t.set_status = FltSetCancelCompletion(data, canceled);
	if (t.set_status == STATUS_CANCELLED) {
		data->IoStatus.Status = STATUS_CANCELLED;
		data->IoStatus.Information = 0;
		return FLT_PREOP_COMPLETE;
	}
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void *read_thread(void *arg)
{
	char buf[16];

	*(NTSTATUS *)arg = altitude_read(file, 0, buf, 10, NULL, NULL);
	return NULL;
}

static void requester_cancel_before_the_pend(void **state)
{
	pthread_t th;
	NTSTATUS result = 0;

	(void)state;
	probes[0].pre_hook = gated_hook;
	assert_int_equal(pthread_create(&th, NULL, read_thread, &result), 0);
	pthread_mutex_lock(&t.lock);
	while (!t.in_pre)
		pthread_cond_wait(&t.cv, &t.lock);
	pthread_mutex_unlock(&t.lock);
	assert_false(flt_cancel_request(t.pended)); /* no routine yet */
	pthread_mutex_lock(&t.lock);
	t.gate_open = TRUE;
	pthread_cond_broadcast(&t.cv);
	pthread_mutex_unlock(&t.lock);
	pthread_join(th, NULL);
	assert_true(t.saw_cancelled);
	assert_int_equal(t.set_status, STATUS_CANCELLED);
	assert_int_equal(result, STATUS_CANCELLED);
	assert_int_equal(atomic_load(&t.routine_calls), 0);
}

static FLT_PREOP_CALLBACK_STATUS args_hook(struct probe *p, PFLT_CALLBACK_DATA data,
					   PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	(void)ctx;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	if (FLT_IS_FASTIO_OPERATION(data)) {
		t.fast_io = FltSetCancelCompletion(data, canceled);
		t.cancel_fast_io = FltCancelIo(data);
		t.is_cancelled_fast_io = FltIsIoCanceled(data);
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	}
	if (data->Iopb->IrpFlags & IRP_PAGING_IO) {
		t.paging = FltSetCancelCompletion(data, canceled);
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	}
	t.null_data = FltSetCancelCompletion(NULL, canceled);
	t.null_routine = FltSetCancelCompletion(data, NULL);
	t.clear_without = FltClearCancelCompletion(data);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void invalid_arguments_get_documented_statuses(void **state)
{
	char buf[16];
	altitude_op_options fast = { .flags = ALTITUDE_OP_FAST_IO };
	altitude_op_options paging = { .flags = ALTITUDE_OP_PAGING_IO };

	(void)state;
	probes[0].pre_hook = args_hook;
	assert_int_equal(altitude_read(file, 0, buf, 10, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(altitude_read(file, 0, buf, 10, &fast, NULL), STATUS_SUCCESS);
	assert_int_equal(altitude_read(file, 0, buf, 10, &paging, NULL), STATUS_SUCCESS);
	assert_int_equal(t.null_data, STATUS_INVALID_PARAMETER);
	assert_int_equal(t.null_routine, STATUS_INVALID_PARAMETER);
	assert_int_equal(t.clear_without, STATUS_CANCELLED);
	assert_int_equal(t.fast_io, STATUS_INVALID_PARAMETER);
	assert_false(t.cancel_fast_io);
	assert_false(t.is_cancelled_fast_io);
	assert_int_equal(t.paging, STATUS_INVALID_PARAMETER);
	assert_false(FltCancelIo(NULL));
	assert_false(FltIsIoCanceled(NULL));
	assert_int_equal(FltClearCancelCompletion(NULL), STATUS_CANCELLED);
	assert_false(flt_cancel_request(NULL));
}

/* The filter's worker: clear, and complete only when the clear won. */
static void *clear_and_complete(void *arg)
{
	PFLT_CALLBACK_DATA data = arg;

	if (FltClearCancelCompletion(data) == STATUS_SUCCESS)
		FltCompletePendedPreOperation(data, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	return NULL;
}

#define RACE_ITERATIONS 1000

static void cancel_racing_completion_resolves_once(void **state)
{
	ULONG routine_wins = 0, clear_wins = 0;

	(void)state;
	t.set_routine = TRUE;
	probes[0].pre_hook = pend_hook;
	for (int i = 0; i < RACE_ITERATIONS; i++) {
		char buf[16];
		int before = atomic_load(&t.routine_calls);
		altitude_op *op = issue_read(buf);
		IO_STATUS_BLOCK iosb;
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, clear_and_complete, t.pended), 0);
		altitude_op_cancel(op);
		pthread_join(th, NULL);
		altitude_op_wait(op, &iosb);
		if (atomic_load(&t.routine_calls) == before + 1) {
			routine_wins++;
			assert_int_equal(iosb.Status, STATUS_CANCELLED);
		} else {
			assert_int_equal(atomic_load(&t.routine_calls), before);
			clear_wins++;
		}
		altitude_op_free(op);
	}
	assert_int_equal(routine_wins + clear_wins, RACE_ITERATIONS);
	assert_int_equal(atomic_load(&t.routine_calls), routine_wins);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(requester_cancel_runs_the_routine_once, setup, teardown),
		cmocka_unit_test_setup_teardown(flt_cancel_io_runs_the_routine_and_returns_true, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_without_routine_sets_the_bit_only, setup, teardown),
		cmocka_unit_test_setup_teardown(cleared_routine_never_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_after_completion_does_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(requester_cancel_before_the_pend, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_arguments_get_documented_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_racing_completion_resolves_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
