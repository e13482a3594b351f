#include <semaphore.h>

#include "ke_test.h"

struct dpc_log {
	LONG runs;
	KIRQL irql;
	BOOLEAN on_system_thread;
	LONGLONG when;
	LONGLONG arg_time;
};

static VOID count_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	struct dpc_log *log = context;

	(void)dpc;
	log->runs++;
	log->irql = KeGetCurrentIrql();
	log->on_system_thread = PsIsSystemThread(PsGetCurrentThread());
	log->when = (LONGLONG)KeQueryInterruptTime();
	log->arg_time = (LONGLONG)(((ULONGLONG)(ULONG_PTR)arg2 << 32) | (ULONG)(ULONG_PTR)arg1);
}

static void notification_timer_signals_and_runs_its_dpc_at_dispatch(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(50) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, count_dpc, &log);
	assert_false(KeSetTimer(&t, due, &dpc));
	assert_false(KeReadStateTimer(&t));
	assert_true(altitude_clock_advance(MS(49)));
	assert_int_equal(log.runs, 0);
	assert_true(altitude_clock_advance(MS(1)));
	/* altitude_clock_advance returns after the DPC ran. */
	assert_int_equal(log.runs, 1);
	assert_int_equal(log.irql, DISPATCH_LEVEL);
	assert_true(log.on_system_thread);
	assert_int_equal(log.when, MS(50));
	assert_int_equal(log.arg_time, T0_SYSTEM + MS(50));
	assert_true(KeReadStateTimer(&t));
	/* Notification timer: stays signalled for every waiter. */
	assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_false(KeCancelTimer(&t));
}

static void synchronization_timer_releases_one_waiter(void **state)
{
	struct waiter w[2] = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(10) };
	KTIMER t;

	(void)state;
	KeInitializeTimerEx(&t, SynchronizationTimer);
	assert_false(KeSetTimerEx(&t, due, 0, NULL));
	waiter_start_single(&w[0], &t, NULL, 0);
	waiter_start_single(&w[1], &t, NULL, 1);
	assert_true(altitude_clock_advance(MS(10)));
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_false(KeReadStateTimer(&t));
	assert_false(KeSetTimer(&t, due, NULL));
	assert_true(altitude_clock_advance(MS(10)));
	assert_int_equal(waiter_join(&w[0]), STATUS_SUCCESS);
	assert_int_equal(waiter_join(&w[1]), STATUS_SUCCESS);
}

static void periodic_timer_fires_once_per_period(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(100) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, count_dpc, &log);
	assert_false(KeSetTimerEx(&t, due, 30, &dpc));
	assert_true(altitude_clock_advance(MS(100)));
	assert_int_equal(log.runs, 1);
	assert_true(altitude_clock_advance(MS(95)));
	assert_int_equal(log.runs, 4); /* 130, 160, 190 */
	assert_int_equal(log.when, MS(190));
	assert_true(KeCancelTimer(&t));
	assert_true(altitude_clock_advance(MS(1000)));
	assert_int_equal(log.runs, 4);
}

static void resetting_replaces_due_time_and_period(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(100) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, count_dpc, &log);
	assert_false(KeSetTimerEx(&t, due, 10, &dpc));
	due.QuadPart = -MS(300);
	assert_true(KeSetTimer(&t, due, &dpc));
	assert_true(altitude_clock_advance(MS(299)));
	assert_int_equal(log.runs, 0);
	assert_true(altitude_clock_advance(MS(1000)));
	assert_int_equal(log.runs, 1);
	assert_int_equal(log.when, MS(300));
}

static void coalescable_timer_fires_with_zero_tolerance(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(20) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimerEx(&t, NotificationTimer);
	KeInitializeDpc(&dpc, count_dpc, &log);
	assert_false(KeSetCoalescableTimer(&t, due, 20, 1000, &dpc));
	assert_true(KeSetCoalescableTimer(&t, due, 20, 1000, &dpc));
	assert_true(altitude_clock_advance(MS(40)));
	assert_int_equal(log.runs, 2);
	assert_int_equal(log.when, MS(40));
	assert_false(KeSetTimerEx(&t, due, -1, &dpc));
	assert_true(KeCancelTimer(&t));
}

static void cancelled_timer_never_runs_its_dpc(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = -MS(10) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, count_dpc, &log);
	KeSetTimer(&t, due, &dpc);
	assert_true(altitude_clock_advance(MS(5)));
	assert_true(KeCancelTimer(&t));
	assert_false(KeCancelTimer(&t));
	assert_true(altitude_clock_advance(MS(100)));
	KeFlushQueuedDpcs();
	assert_int_equal(log.runs, 0);
	assert_false(KeReadStateTimer(&t));
}

static void absolute_timer_follows_system_time(void **state)
{
	struct dpc_log log = { 0 };
	LARGE_INTEGER due = { .QuadPart = T0_SYSTEM + MS(3600 * 1000) };
	KTIMER t;
	KDPC dpc;

	(void)state;
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, count_dpc, &log);
	KeSetTimer(&t, due, &dpc);
	altitude_clock_set_system_time(due.QuadPart);
	assert_int_equal(log.runs, 1);
	assert_int_equal(log.when, 0);
	assert_true(KeReadStateTimer(&t));
	/* A due time already past expires at once. */
	KeSetTimer(&t, due, &dpc);
	KeFlushQueuedDpcs();
	assert_int_equal(log.runs, 2);
}

static VOID requeue_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	LONG *runs = context;

	(void)arg1;
	(void)arg2;
	if (++*runs < 3)
		assert_true(KeInsertQueueDpc(dpc, NULL, NULL));
}

static void dpc_queue_insert_remove_and_flush(void **state)
{
	struct dpc_log log = { 0 };
	LONG runs = 0;
	KDPC a, b;
	KIRQL old;

	(void)state;
	KeInitializeDpc(&a, count_dpc, &log);
	KeInitializeThreadedDpc(&b, requeue_dpc, &runs);
	assert_int_equal(b.Type, ThreadedDpcObject);
	assert_false(KeRemoveQueueDpc(&a));
	/* DPCs may be queued at DISPATCH_LEVEL. */
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_true(KeInsertQueueDpc(&b, NULL, NULL));
	KeLowerIrql(old);
	/* A flush waits for the DPCs queued before it: each requeue needs one more. */
	KeFlushQueuedDpcs();
	KeFlushQueuedDpcs();
	KeFlushQueuedDpcs();
	assert_int_equal(runs, 3);
	assert_true(KeInsertQueueDpc(&a, (PVOID)1, (PVOID)2));
	KeFlushQueuedDpcs();
	assert_int_equal(log.runs, 1);
	assert_int_equal(log.arg_time, 0x200000001LL);
}

static VOID blocking_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	sem_t *sems = context;

	(void)dpc;
	(void)arg1;
	(void)arg2;
	sem_post(&sems[0]);
	sem_wait(&sems[1]);
}

static void removed_dpc_does_not_run(void **state)
{
	struct dpc_log log = { 0 };
	sem_t sems[2];
	KDPC first, second;

	(void)state;
	sem_init(&sems[0], 0, 0);
	sem_init(&sems[1], 0, 0);
	KeInitializeDpc(&first, blocking_dpc, sems);
	KeInitializeDpc(&second, count_dpc, &log);
	assert_true(KeInsertQueueDpc(&first, NULL, NULL));
	sem_wait(&sems[0]); /* the DPC thread is busy in `first` */
	assert_true(KeInsertQueueDpc(&second, NULL, NULL));
	assert_false(KeInsertQueueDpc(&second, NULL, NULL));
	assert_true(KeRemoveQueueDpc(&second));
	assert_false(KeRemoveQueueDpc(&second));
	sem_post(&sems[1]);
	KeFlushQueuedDpcs();
	assert_int_equal(log.runs, 0);
	sem_destroy(&sems[0]);
	sem_destroy(&sems[1]);
}

static void flush_at_dispatch_bugchecks(void **state)
{
	KIRQL old;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeFlushQueuedDpcs();
	KeLowerIrql(old);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(test_last_bugcheck.routine, "KeFlushQueuedDpcs");
}

static VOID lower_in_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	(void)dpc;
	(void)context;
	(void)arg1;
	(void)arg2;
	KeLowerIrql(PASSIVE_LEVEL);
}

static void dpc_returning_at_another_irql_bugchecks(void **state)
{
	KDPC dpc;

	(void)state;
	KeInitializeDpc(&dpc, lower_in_dpc, NULL);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	assert_int_equal(test_last_bugcheck.code, IRQL_UNEXPECTED_VALUE);
	assert_int_equal(test_last_bugcheck.parameters[0], PASSIVE_LEVEL);
}

static VOID signal_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	(void)dpc;
	(void)arg1;
	(void)arg2;
	KeSetEvent(context, IO_NO_INCREMENT, FALSE);
}

static void timer_on_the_real_clock_fires(void **state)
{
	LARGE_INTEGER due = { .QuadPart = -MS(2) };
	KEVENT done;
	KTIMER t;
	KDPC dpc;

	(void)state;
	altitude_clock_use_real();
	KeInitializeEvent(&done, NotificationEvent, FALSE);
	KeInitializeTimer(&t);
	KeInitializeDpc(&dpc, signal_dpc, &done);
	KeSetTimer(&t, due, &dpc);
	assert_int_equal(KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	due.QuadPart = -MS(1);
	assert_int_equal(KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, &due), STATUS_SUCCESS);
	KeResetEvent(&done);
	assert_int_equal(KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, &due), STATUS_TIMEOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(notification_timer_signals_and_runs_its_dpc_at_dispatch, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(synchronization_timer_releases_one_waiter, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(periodic_timer_fires_once_per_period, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(resetting_replaces_due_time_and_period, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(coalescable_timer_fires_with_zero_tolerance, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(cancelled_timer_never_runs_its_dpc, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(absolute_timer_follows_system_time, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(dpc_queue_insert_remove_and_flush, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(removed_dpc_does_not_run, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(flush_at_dispatch_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(dpc_returning_at_another_irql_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(timer_on_the_real_clock_fires, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
