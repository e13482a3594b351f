#include "ke_test.h"

static void relative_timeout_expires_when_the_clock_passes_it(void **state)
{
	struct waiter w = { 0 };
	LONGLONG timeout = -MS(100);
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &timeout, 0);
	assert_true(altitude_clock_advance(MS(100) - 1));
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_true(altitude_clock_advance(1));
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
	assert_true(IsListEmpty(&e.Header.WaitListHead));
}

static void signal_before_the_deadline_wins(void **state)
{
	struct waiter w = { 0 };
	LONGLONG timeout = -MS(100);
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	waiter_start_single(&w, &e, &timeout, 0);
	assert_true(altitude_clock_advance(MS(50)));
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&w), STATUS_SUCCESS);
	/* The wait's timer left the queue: advancing past it changes nothing. */
	assert_true(altitude_clock_advance(MS(100)));
	assert_int_equal(KeReadStateEvent(&e), 0);
}

static void relative_timeout_ignores_system_time_changes(void **state)
{
	struct waiter w = { 0 };
	LONGLONG timeout = -MS(100);
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &timeout, 0);
	altitude_clock_set_system_time(T0_SYSTEM + MS(3600 * 1000));
	assert_int_equal(altitude_clock_waiters(), 1);
	altitude_clock_set_system_time(T0_SYSTEM - MS(3600 * 1000));
	assert_true(altitude_clock_advance(MS(99)));
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_true(altitude_clock_advance(MS(1)));
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
}

static void absolute_timeout_ends_early_when_system_time_is_set_past_it(void **state)
{
	struct waiter w = { 0 };
	LONGLONG deadline = T0_SYSTEM + MS(60 * 1000);
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &deadline, 0);
	assert_true(altitude_clock_advance(MS(1000)));
	assert_int_equal(altitude_clock_waiters(), 1);
	altitude_clock_set_system_time(deadline);
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
	assert_int_equal(KeQueryInterruptTime(), MS(1000));
}

static void absolute_timeout_lengthens_when_system_time_is_set_back(void **state)
{
	struct waiter w = { 0 };
	LONGLONG deadline = T0_SYSTEM + MS(1000);
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &deadline, 0);
	altitude_clock_set_system_time(T0_SYSTEM - MS(5000));
	assert_true(altitude_clock_advance(MS(5999)));
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_true(altitude_clock_advance(MS(1)));
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
}

static void extreme_timeouts_do_not_wrap(void **state)
{
	struct waiter w = { 0 };
	LONGLONG longest = -MAXLONGLONG - 1;
	LARGE_INTEGER due = { .QuadPart = -MAXLONGLONG - 1 };
	KEVENT e;
	KTIMER t;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	waiter_start_single(&w, &e, &longest, 0);
	assert_true(altitude_clock_advance(MAXLONGLONG / 2));
	assert_int_equal(altitude_clock_waiters(), 1);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&w), STATUS_SUCCESS);
	KeInitializeTimer(&t);
	assert_false(KeSetTimerEx(&t, due, MAXLONG, NULL));
	assert_true(altitude_clock_advance(MAXLONGLONG / 2));
	assert_false(KeReadStateTimer(&t));
	assert_true(KeCancelTimer(&t));
}

static void past_absolute_deadline_times_out_at_once(void **state)
{
	LARGE_INTEGER deadline = { .QuadPart = T0_SYSTEM - 1 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &deadline),
			 STATUS_TIMEOUT);
	deadline.QuadPart = T0_SYSTEM;
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &deadline),
			 STATUS_TIMEOUT);
	assert_int_equal(altitude_clock_waiters(), 0);
}

static void *delay_main(void *arg)
{
	LARGE_INTEGER *interval = arg;

	return (void *)(LONG_PTR)KeDelayExecutionThread(KernelMode, FALSE, interval);
}

static void delay_execution_follows_the_clock(void **state)
{
	LARGE_INTEGER interval = { .QuadPart = -MS(20) };
	LARGE_INTEGER zero = { .QuadPart = 0 };
	pthread_t t;
	void *result;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, delay_main, &interval), 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(altitude_clock_advance(MS(20)));
	assert_int_equal(pthread_join(t, &result), 0);
	assert_int_equal((NTSTATUS)(LONG_PTR)result, STATUS_SUCCESS);
	assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &zero), STATUS_SUCCESS);
	assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, NULL), STATUS_INVALID_PARAMETER);
}

static void time_queries_read_the_virtual_clock(void **state)
{
	LARGE_INTEGER now, ticks, freq, counter;
	ULONGLONG qpc;

	(void)state;
	assert_true(altitude_clock_is_virtual());
	KeQuerySystemTime(&now);
	assert_int_equal(now.QuadPart, T0_SYSTEM);
	assert_true(altitude_clock_advance(KeQueryTimeIncrement() * 3ULL + 7));
	KeQuerySystemTimePrecise(&now);
	assert_int_equal(now.QuadPart, T0_SYSTEM + 156250 * 3 + 7);
	assert_int_equal(KeQueryInterruptTime(), 156250 * 3 + 7);
	assert_int_equal(KeQueryInterruptTimePrecise(&qpc), 156250 * 3 + 7);
	assert_int_equal(qpc, 156250 * 3 + 7);
	assert_int_equal(KeQueryUnbiasedInterruptTime(), 156250 * 3 + 7);
	KeQueryTickCount(&ticks);
	assert_int_equal(ticks.QuadPart, 3);
	counter = KeQueryPerformanceCounter(&freq);
	assert_int_equal(freq.QuadPart, 10000000);
	assert_int_equal(counter.QuadPart, 156250 * 3 + 7);
	assert_false(altitude_clock_advance(-1));
	assert_int_equal(altitude_clock_interrupt_time(), 156250 * 3 + 7);
	altitude_clock_use_virtual_at(T0_SYSTEM, 1000);
	assert_int_equal(altitude_clock_interrupt_time(), 1000);
	assert_int_equal(altitude_clock_system_time(), T0_SYSTEM);
}

static void waiting_for_waiters_gives_up_when_nobody_waits(void **state)
{
	(void)state;
	assert_int_equal(altitude_clock_waiters(), 0);
	assert_false(altitude_clock_wait_for_waiters_timeout(1, 1));
	assert_true(altitude_clock_wait_for_waiters(0));
}

static void real_clock_reads_are_near_the_system_clock(void **state)
{
	LARGE_INTEGER now;
	struct timespec ts;
	LONGLONG unix_now;

	(void)state;
	altitude_clock_use_real();
	assert_false(altitude_clock_is_virtual());
	assert_false(altitude_clock_advance(1));
	clock_gettime(CLOCK_REALTIME, &ts);
	unix_now = ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME + ts.tv_sec * 10000000LL;
	KeQuerySystemTime(&now);
	/* Same second, within a minute's slack for a slow machine. */
	assert_true(now.QuadPart >= unix_now - MS(60000) && now.QuadPart <= unix_now + MS(60000));
	altitude_clock_set_system_time(T0_SYSTEM);
	KeQuerySystemTime(&now);
	assert_true(now.QuadPart >= T0_SYSTEM && now.QuadPart < T0_SYSTEM + MS(60000));
	altitude_clock_set_system_time(unix_now);
}

static void real_clock_absolute_timeout_follows_set_system_time(void **state)
{
	struct waiter w = { 0 };
	LONGLONG now, deadline;
	KEVENT e;

	(void)state;
	altitude_clock_use_real();
	now = altitude_clock_system_time();
	deadline = now + MS(3600 * 1000);
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &deadline, 0);
	altitude_clock_set_system_time(deadline + MS(1000));
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
	altitude_clock_set_system_time(now);
}

static void switching_clocks_keeps_the_remaining_relative_time(void **state)
{
	struct waiter w = { 0 };
	LONGLONG timeout = -MS(3600 * 1000);
	KEVENT e;

	(void)state;
	altitude_clock_use_real();
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w, &e, &timeout, 0);
	altitude_clock_use_virtual(T0_SYSTEM);
	/* Less than an hour is left: at most an hour of virtual time ends it. */
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_true(altitude_clock_advance(MS(3600 * 1000)));
	assert_int_equal(waiter_join(&w), STATUS_TIMEOUT);
}

static void local_time_uses_the_time_zone(void **state)
{
	LARGE_INTEGER sys = { .QuadPart = T0_SYSTEM + MS(6LL * 30 * 24 * 3600 * 1000) }, local, back;

	(void)state;
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	ExSystemTimeToLocalTime(&sys, &local);
	assert_int_equal(local.QuadPart - sys.QuadPart, MS(2 * 3600 * 1000)); /* summer: +2 h */
	ExLocalTimeToSystemTime(&local, &back);
	assert_int_equal(back.QuadPart, sys.QuadPart);
	sys.QuadPart = T0_SYSTEM;
	ExSystemTimeToLocalTime(&sys, &local);
	assert_int_equal(local.QuadPart - sys.QuadPart, MS(3600 * 1000)); /* winter: +1 h */
	ExLocalTimeToSystemTime(&local, &back);
	assert_int_equal(back.QuadPart, sys.QuadPart);
	setenv("TZ", "UTC0", 1);
	tzset();
	ExSystemTimeToLocalTime(&sys, &local);
	assert_int_equal(local.QuadPart, sys.QuadPart);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(relative_timeout_expires_when_the_clock_passes_it, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(signal_before_the_deadline_wins, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(relative_timeout_ignores_system_time_changes, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(absolute_timeout_ends_early_when_system_time_is_set_past_it, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(absolute_timeout_lengthens_when_system_time_is_set_back, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(extreme_timeouts_do_not_wrap, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(past_absolute_deadline_times_out_at_once, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(delay_execution_follows_the_clock, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(time_queries_read_the_virtual_clock, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(waiting_for_waiters_gives_up_when_nobody_waits, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(real_clock_reads_are_near_the_system_clock, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(real_clock_absolute_timeout_follows_set_system_time, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(switching_clocks_keeps_the_remaining_relative_time, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(local_time_uses_the_time_zone, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
