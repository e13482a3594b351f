#include "ke_test.h"

#define N_WAITERS 4

static void set_reset_pulse_return_previous_state(void **state)
{
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	assert_int_equal(KeReadStateEvent(&e), 0);
	assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 1);
	assert_int_equal(KeReadStateEvent(&e), 1);
	assert_int_equal(KeResetEvent(&e), 1);
	assert_int_equal(KeResetEvent(&e), 0);
	assert_int_equal(KePulseEvent(&e, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(KeReadStateEvent(&e), 0);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(KePulseEvent(&e, IO_NO_INCREMENT, FALSE), 1);
	assert_int_equal(KeReadStateEvent(&e), 0);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	KeClearEvent(&e);
	assert_int_equal(KeReadStateEvent(&e), 0);
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	assert_int_equal(KeReadStateEvent(&e), 1);
	assert_int_equal(e.Header.Type, EventSynchronizationObject);
}

static void synchronization_event_releases_one_waiter_per_set(void **state)
{
	struct waiter w[N_WAITERS] = { 0 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	for (ULONG i = 0; i < N_WAITERS; i++)
		waiter_start_single(&w[i], &e, NULL, i);
	for (ULONG set = 1; set <= N_WAITERS; set++) {
		assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
		/* The event was consumed by exactly one waiter. */
		assert_int_equal(KeReadStateEvent(&e), 0);
		assert_int_equal(altitude_clock_waiters(), N_WAITERS - set);
	}
	for (ULONG i = 0; i < N_WAITERS; i++)
		assert_int_equal(waiter_join(&w[i]), STATUS_SUCCESS);
}

static void notification_event_releases_all_waiters(void **state)
{
	struct waiter w[N_WAITERS] = { 0 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	for (ULONG i = 0; i < N_WAITERS; i++)
		waiter_start_single(&w[i], &e, NULL, i);
	assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(altitude_clock_waiters(), 0);
	assert_int_equal(KeReadStateEvent(&e), 1);
	for (ULONG i = 0; i < N_WAITERS; i++)
		assert_int_equal(waiter_join(&w[i]), STATUS_SUCCESS);
}

static void pulse_releases_waiters_and_leaves_event_reset(void **state)
{
	struct waiter w[2] = { 0 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	waiter_start_single(&w[0], &e, NULL, 0);
	waiter_start_single(&w[1], &e, NULL, 1);
	assert_int_equal(KePulseEvent(&e, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(KeReadStateEvent(&e), 0);
	assert_int_equal(waiter_join(&w[0]), STATUS_SUCCESS);
	assert_int_equal(waiter_join(&w[1]), STATUS_SUCCESS);
}

static void signalled_synchronization_event_is_consumed_by_a_wait(void **state)
{
	LARGE_INTEGER zero = { .QuadPart = 0 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeReadStateEvent(&e), 0);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
	assert_int_equal(KeReadStateEvent(&e), 1);
}

static void set_event_above_dispatch_bugchecks(void **state)
{
	KEVENT e;
	KIRQL old;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(test_last_bugcheck.code, 0);
	KeResetEvent(&e);
	KeLowerIrql(old);
	KeRaiseIrql(HIGH_LEVEL, &old);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	KeLowerIrql(old);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(test_last_bugcheck.routine, "KeSetEvent");
	assert_int_equal(KeReadStateEvent(&e), 0);
	/* Reset and clear, also DISPATCH_LEVEL at most, leave the event alone above it. */
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	KeRaiseIrql(HIGH_LEVEL, &old);
	test_last_bugcheck.code = 0;
	KeClearEvent(&e);
	assert_string_equal(test_last_bugcheck.routine, "KeClearEvent");
	test_last_bugcheck.code = 0;
	KeResetEvent(&e);
	assert_string_equal(test_last_bugcheck.routine, "KeResetEvent");
	KeLowerIrql(old);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(KeReadStateEvent(&e), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(set_reset_pulse_return_previous_state, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(synchronization_event_releases_one_waiter_per_set, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(notification_event_releases_all_waiters, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(pulse_releases_waiters_and_leaves_event_reset, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(signalled_synchronization_event_is_consumed_by_a_wait, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(set_event_above_dispatch_bugchecks, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
