/*
 * FltCancellableWaitForSingleObject/MultipleObjects and the FsRtl forms:
 * every result of SEMANTICS.md section 3, timeouts on the virtual clock,
 * cancellation by FltCancelIo and by the requester, thread termination,
 * and the IRQL and verifier rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/clock.h>
#include <altitude/thread.h>
#include "probe.h"
#include "flt/flt.h"

#define T0_SYSTEM (ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME + 1704067200LL * 10000000LL)
#define MS(n) ((LONGLONG)(n) * 10000LL)

static altitude_memvol *vol;
static altitude_file *file;

enum wait_kind { WAIT_SINGLE, WAIT_ANY, WAIT_ALL, WAIT_FSRTL, WAIT_FSRTL_MULTI };

static struct {
	/* what the pre callback does */
	enum wait_kind kind;
	ULONG count;
	PVOID objects[4];
	BOOLEAN has_timeout;
	LARGE_INTEGER timeout;
	BOOLEAN pass_data;      /* FALSE: CallbackData NULL */
	BOOLEAN cancel_first;   /* FltCancelIo before waiting */
	KIRQL irql;             /* raise to this before waiting */
	/* what it saw */
	NTSTATUS status;
	BOOLEAN cancelled_after;
	BOOLEAN irp_cancel_after;
	PFLT_CALLBACK_DATA data;
	PETHREAD thread;
	atomic_int waiting;
} w;

static altitude_bugcheck_report last;

static void record(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	last = *r;
}

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	memset(&w, 0, sizeof(w));
	memset(&last, 0, sizeof(last));
	altitude_bugcheck_set_hook(record, NULL);
	altitude_clock_use_virtual(T0_SYSTEM);
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
	altitude_bugcheck_set_hook(NULL, NULL);
	altitude_clock_use_real();
	return altitude_flt_live_objects() == 0 ? 0 : -1;
}

static NTSTATUS do_wait(PFLT_CALLBACK_DATA data)
{
	PLARGE_INTEGER timeout = w.has_timeout ? &w.timeout : NULL;
	PFLT_CALLBACK_DATA d = w.pass_data ? data : NULL;
	PIRP irp = w.pass_data ? flt_cancel_irp(data) : NULL;

	switch (w.kind) {
	case WAIT_SINGLE:
		return FltCancellableWaitForSingleObject(w.objects[0], timeout, d);
	case WAIT_ANY:
		return FltCancellableWaitForMultipleObjects(w.count, w.objects, WaitAny, timeout, NULL, d);
	case WAIT_ALL:
		return FltCancellableWaitForMultipleObjects(w.count, w.objects, WaitAll, timeout, NULL, d);
	case WAIT_FSRTL:
		return FsRtlCancellableWaitForSingleObject(w.objects[0], timeout, irp);
	default:
		return FsRtlCancellableWaitForMultipleObjects(w.count, w.objects, WaitAny, timeout, NULL,
							      irp);
	}
}

static FLT_PREOP_CALLBACK_STATUS wait_hook(struct probe *p, PFLT_CALLBACK_DATA data,
					   PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	KIRQL old = PASSIVE_LEVEL;

	(void)p;
	(void)objs;
	(void)ctx;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	w.data = data;
	w.thread = PsGetCurrentThread();
	if (w.cancel_first)
		FltCancelIo(data);
	if (w.irql)
		KeRaiseIrql(w.irql, &old);
	atomic_store(&w.waiting, 1);
	w.status = do_wait(data);
	if (w.irql)
		KeLowerIrql(old);
	w.cancelled_after = FltIsIoCanceled(data);
	w.irp_cancel_after = flt_cancel_irp(data) && flt_cancel_irp(data)->Cancel;
	if (w.status == STATUS_CANCELLED) {
		data->IoStatus.Status = STATUS_CANCELLED;
		data->IoStatus.Information = 0;
		return FLT_PREOP_COMPLETE;
	}
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static NTSTATUS read_now(const altitude_op_options *o)
{
	char buf[16];

	probes[0].pre_hook = wait_hook;
	return altitude_read(file, 0, buf, 10, o, NULL);
}

static void *read_thread(void *arg)
{
	*(NTSTATUS *)arg = read_now(NULL);
	return NULL;
}

/* Starts a read whose pre callback waits; returns once it is blocked. */
static pthread_t start_blocked_read(NTSTATUS *result)
{
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, read_thread, result), 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	return th;
}

static void signalled_object_is_success(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_SUCCESS);
	assert_int_equal(KeReadStateEvent(&e), 0); /* consumed */
	assert_false(w.cancelled_after);
}

static void zero_timeout_is_timeout_and_does_not_cancel(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	w.has_timeout = TRUE;
	w.timeout.QuadPart = 0;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_TIMEOUT);
	assert_false(w.cancelled_after);
}

static void relative_timeout_expires_on_the_virtual_clock(void **state)
{
	KEVENT e;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	w.has_timeout = TRUE;
	w.timeout.QuadPart = -MS(100);
	th = start_blocked_read(&result);
	altitude_clock_advance(MS(99));
	assert_int_equal(altitude_clock_waiters(), 1);
	altitude_clock_advance(MS(1));
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_TIMEOUT);
	assert_int_equal(result, STATUS_SUCCESS);
	assert_false(w.cancelled_after); /* the wait never cancels the I/O */
}

static void absolute_timeout_follows_the_system_time(void **state)
{
	KEVENT e;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.kind = WAIT_ANY;
	w.count = 1;
	w.pass_data = TRUE;
	w.has_timeout = TRUE;
	w.timeout.QuadPart = T0_SYSTEM + MS(60000);
	th = start_blocked_read(&result);
	altitude_clock_set_system_time(T0_SYSTEM + MS(60000));
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_TIMEOUT);
}

static void wait_any_returns_the_lowest_signalled_index(void **state)
{
	KEVENT a, b, c;

	(void)state;
	KeInitializeEvent(&a, NotificationEvent, FALSE);
	KeInitializeEvent(&b, SynchronizationEvent, TRUE);
	KeInitializeEvent(&c, SynchronizationEvent, TRUE);
	w.objects[0] = &a;
	w.objects[1] = &b;
	w.objects[2] = &c;
	w.count = 3;
	w.kind = WAIT_ANY;
	w.pass_data = TRUE;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_WAIT_1);
	assert_int_equal(KeReadStateEvent(&b), 0);
	assert_int_equal(KeReadStateEvent(&c), 1);
}

static void wait_all_takes_every_object(void **state)
{
	KEVENT a, b;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&a, SynchronizationEvent, TRUE);
	KeInitializeEvent(&b, SynchronizationEvent, FALSE);
	w.objects[0] = &a;
	w.objects[1] = &b;
	w.count = 2;
	w.kind = WAIT_ALL;
	w.pass_data = TRUE;
	th = start_blocked_read(&result);
	assert_int_equal(KeReadStateEvent(&a), 1); /* nothing consumed yet */
	KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_SUCCESS);
	assert_int_equal(KeReadStateEvent(&a), 0);
	assert_int_equal(KeReadStateEvent(&b), 0);
}

static void *take_and_exit(void *arg)
{
	KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, NULL);
	return NULL;
}

static void abandoned_mutex_is_abandoned_wait_0(void **state)
{
	KMUTEX m;
	pthread_t owner;

	(void)state;
	KeInitializeMutex(&m, 0);
	assert_int_equal(pthread_create(&owner, NULL, take_and_exit, &m), 0);
	pthread_join(owner, NULL);
	w.objects[0] = &m;
	w.pass_data = TRUE;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_ABANDONED_WAIT_0);
	KeReleaseMutex(&m, FALSE);
}

static void flt_cancel_io_while_waiting_is_cancelled(void **state)
{
	KEVENT e;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	th = start_blocked_read(&result);
	assert_false(FltCancelIo(w.data)); /* no cancel routine: the bit only */
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_CANCELLED);
	assert_true(w.cancelled_after);
	assert_int_equal(result, STATUS_CANCELLED);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeReadStateEvent(&e), 1); /* nothing was consumed */
}

static void requester_cancel_while_waiting_is_cancelled(void **state)
{
	KEVENT a, b;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&a, SynchronizationEvent, TRUE);
	KeInitializeEvent(&b, SynchronizationEvent, FALSE);
	w.objects[0] = &a;
	w.objects[1] = &b;
	w.count = 2;
	w.kind = WAIT_ALL;
	w.pass_data = TRUE;
	th = start_blocked_read(&result);
	flt_cancel_request(w.data);
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_CANCELLED);
	assert_int_equal(KeReadStateEvent(&a), 1); /* wait-all consumed nothing */
	assert_int_equal(result, STATUS_CANCELLED);
}

static void cancelled_before_waiting_returns_at_once(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	w.cancel_first = TRUE;
	assert_int_equal(read_now(NULL), STATUS_CANCELLED);
	assert_int_equal(w.status, STATUS_CANCELLED);
}

static void no_callback_data_is_never_cancelled(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = FALSE;
	w.cancel_first = TRUE;
	w.has_timeout = TRUE;
	w.timeout.QuadPart = 0;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_TIMEOUT);
}

static void fast_io_data_is_never_cancelled(void **state)
{
	KEVENT e;
	altitude_op_options fast = { .flags = ALTITUDE_OP_FAST_IO };

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	w.cancel_first = TRUE;
	w.has_timeout = TRUE;
	w.timeout.QuadPart = 0;
	w.irql = APC_LEVEL; /* allowed for a non-IRP operation */
	assert_int_equal(read_now(&fast), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_TIMEOUT);
	assert_int_equal(last.code, 0);
}

static void terminating_thread_ends_the_wait(void **state)
{
	KEVENT e;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	th = start_blocked_read(&result);
	altitude_thread_terminate(w.thread);
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_THREAD_IS_TERMINATING);
	assert_false(w.cancelled_after);
}

static void irp_based_wait_above_passive_bugchecks(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	w.objects[0] = &e;
	w.pass_data = TRUE;
	w.irql = APC_LEVEL;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(last.routine, "FltCancellableWaitForSingleObject");
	assert_int_equal(KeReadStateEvent(&e), 1);
}

static void wait_at_dispatch_bugchecks(void **state)
{
	KEVENT e;
	KIRQL old;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	PVOID objs[1] = { &e };
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(FltCancellableWaitForMultipleObjects(1, objs, WaitAny, NULL, NULL, NULL),
			 STATUS_UNSUCCESSFUL);
	KeLowerIrql(old);
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(last.routine, "FltCancellableWaitForMultipleObjects");
}

static void irp_based_data_without_irp_is_a_verifier_assertion(void **state)
{
	KEVENT e;
	PFLT_CALLBACK_DATA d;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	d = flt_op_begin(altitude_memvol_volume(vol));
	assert_non_null(d);
	d->Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION; /* never started: no IRP */
	assert_int_equal(FltCancellableWaitForSingleObject(&e, NULL, d), STATUS_INVALID_PARAMETER);
	assert_int_equal(last.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	flt_op_release(flt_op_from_data(d));
}

static void fsrtl_wait_sees_the_operation_irp_cancelled(void **state)
{
	KEVENT a, b;
	NTSTATUS result = 0;
	pthread_t th;

	(void)state;
	KeInitializeEvent(&a, NotificationEvent, FALSE);
	KeInitializeEvent(&b, NotificationEvent, FALSE);
	w.objects[0] = &a;
	w.objects[1] = &b;
	w.count = 2;
	w.kind = WAIT_FSRTL_MULTI;
	w.pass_data = TRUE;
	th = start_blocked_read(&result);
	flt_cancel_request(w.data);
	pthread_join(th, NULL);
	assert_int_equal(w.status, STATUS_CANCELLED);
	assert_true(w.irp_cancel_after);
}

static void fsrtl_wait_results(void **state)
{
	KEVENT e;
	IRP foreign;
	LARGE_INTEGER zero = { .QuadPart = 0 };

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	memset(&foreign, 0, sizeof(foreign));
	assert_int_equal(FsRtlCancellableWaitForSingleObject(&e, &zero, NULL), STATUS_TIMEOUT);
	assert_int_equal(FsRtlCancellableWaitForSingleObject(&e, &zero, &foreign), STATUS_TIMEOUT);
	foreign.Cancel = TRUE;
	assert_int_equal(FsRtlCancellableWaitForSingleObject(&e, &zero, &foreign), STATUS_CANCELLED);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	w.objects[0] = &e;
	w.kind = WAIT_FSRTL;
	w.pass_data = TRUE;
	assert_int_equal(read_now(NULL), STATUS_SUCCESS);
	assert_int_equal(w.status, STATUS_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(signalled_object_is_success, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_timeout_is_timeout_and_does_not_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_timeout_expires_on_the_virtual_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(absolute_timeout_follows_the_system_time, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_any_returns_the_lowest_signalled_index, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_all_takes_every_object, setup, teardown),
		cmocka_unit_test_setup_teardown(abandoned_mutex_is_abandoned_wait_0, setup, teardown),
		cmocka_unit_test_setup_teardown(flt_cancel_io_while_waiting_is_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(requester_cancel_while_waiting_is_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelled_before_waiting_returns_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(no_callback_data_is_never_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(fast_io_data_is_never_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(terminating_thread_ends_the_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(irp_based_wait_above_passive_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_at_dispatch_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(irp_based_data_without_irp_is_a_verifier_assertion, setup, teardown),
		cmocka_unit_test_setup_teardown(fsrtl_wait_sees_the_operation_irp_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(fsrtl_wait_results, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
