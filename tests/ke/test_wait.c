#include "ke_test.h"

static LARGE_INTEGER zero_timeout = { .QuadPart = 0 };

static void wait_any_returns_lowest_signalled_index_and_consumes_only_it(void **state)
{
	KEVENT e[3];
	PVOID objects[3] = { &e[0], &e[1], &e[2] };

	(void)state;
	KeInitializeEvent(&e[0], SynchronizationEvent, FALSE);
	KeInitializeEvent(&e[1], SynchronizationEvent, TRUE);
	KeInitializeEvent(&e[2], SynchronizationEvent, TRUE);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_WAIT_1);
	assert_int_equal(KeReadStateEvent(&e[1]), 0);
	assert_int_equal(KeReadStateEvent(&e[2]), 1);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_WAIT_2);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
						  &zero_timeout, NULL),
			 STATUS_TIMEOUT);
}

static void wait_all_with_one_unsignalled_consumes_nothing(void **state)
{
	KEVENT e[2];
	KSEMAPHORE s;
	PVOID objects[3] = { &e[0], &s, &e[1] };

	(void)state;
	KeInitializeEvent(&e[0], SynchronizationEvent, TRUE);
	KeInitializeEvent(&e[1], SynchronizationEvent, FALSE);
	KeInitializeSemaphore(&s, 2, 5);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode, FALSE,
						  &zero_timeout, NULL),
			 STATUS_TIMEOUT);
	assert_int_equal(KeReadStateEvent(&e[0]), 1);
	assert_int_equal(KeReadStateSemaphore(&s), 2);
	KeSetEvent(&e[1], IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode, FALSE,
						  &zero_timeout, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(KeReadStateEvent(&e[0]), 0);
	assert_int_equal(KeReadStateEvent(&e[1]), 0);
	assert_int_equal(KeReadStateSemaphore(&s), 1);
}

static void blocked_wait_all_takes_everything_when_the_last_is_set(void **state)
{
	struct waiter w = { 0 };
	KEVENT e[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		KeInitializeEvent(&e[i], SynchronizationEvent, FALSE);
	w.count = 3;
	w.type = WaitAll;
	for (int i = 0; i < 3; i++)
		w.objects[i] = &e[i];
	waiter_start(&w);
	assert_true(altitude_clock_wait_for_waiters(1));
	KeSetEvent(&e[0], IO_NO_INCREMENT, FALSE);
	KeSetEvent(&e[2], IO_NO_INCREMENT, FALSE);
	/* Two of three: the waiter stays blocked and consumes nothing. */
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_int_equal(KeReadStateEvent(&e[0]), 1);
	assert_int_equal(KeReadStateEvent(&e[2]), 1);
	KeSetEvent(&e[1], IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&w), STATUS_SUCCESS);
	for (int i = 0; i < 3; i++)
		assert_int_equal(KeReadStateEvent(&e[i]), 0);
}

static void blocked_wait_any_reports_the_object_that_was_set(void **state)
{
	struct waiter w = { 0 };
	KEVENT e[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		KeInitializeEvent(&e[i], SynchronizationEvent, FALSE);
		w.objects[i] = &e[i];
	}
	w.count = 3;
	w.type = WaitAny;
	waiter_start(&w);
	assert_true(altitude_clock_wait_for_waiters(1));
	KeSetEvent(&e[2], IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&w), STATUS_WAIT_2);
	assert_int_equal(KeReadStateEvent(&e[2]), 0);
	/* The wait blocks left the other objects' wait lists. */
	assert_true(IsListEmpty(&e[0].Header.WaitListHead));
	assert_true(IsListEmpty(&e[1].Header.WaitListHead));
}

static void four_objects_need_a_wait_block_array(void **state)
{
	KEVENT e[4];
	PVOID objects[4];
	KWAIT_BLOCK blocks[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		KeInitializeEvent(&e[i], NotificationEvent, i == 3);
		objects[i] = &e[i];
	}
	assert_int_equal(KeWaitForMultipleObjects(4, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(test_last_bugcheck.code, MAXIMUM_WAIT_OBJECTS_EXCEEDED);
	assert_int_equal(test_last_bugcheck.parameters[0], 4);
	test_last_bugcheck.code = 0;
	assert_int_equal(KeWaitForMultipleObjects(4, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, blocks),
			 STATUS_WAIT_3);
	assert_int_equal(test_last_bugcheck.code, 0);
}

static void sixty_five_objects_bugcheck_even_with_wait_blocks(void **state)
{
	KEVENT e[65];
	PVOID objects[65];
	KWAIT_BLOCK blocks[65];

	(void)state;
	for (int i = 0; i < 65; i++) {
		KeInitializeEvent(&e[i], NotificationEvent, TRUE);
		objects[i] = &e[i];
	}
	assert_int_equal(KeWaitForMultipleObjects(64, objects, WaitAll, Executive, KernelMode, FALSE,
						  NULL, blocks),
			 STATUS_SUCCESS);
	assert_int_equal(test_last_bugcheck.code, 0);
	assert_int_equal(KeWaitForMultipleObjects(65, objects, WaitAll, Executive, KernelMode, FALSE,
						  NULL, blocks),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(test_last_bugcheck.code, MAXIMUM_WAIT_OBJECTS_EXCEEDED);
	assert_int_equal(test_last_bugcheck.parameters[0], 65);
}

static void zero_timeout_polls_and_works_at_dispatch(void **state)
{
	KEVENT e;
	KIRQL old;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero_timeout),
			 STATUS_TIMEOUT);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero_timeout),
			 STATUS_SUCCESS);
	KeLowerIrql(old);
	assert_int_equal(test_last_bugcheck.code, 0);
	assert_int_equal(altitude_clock_waiters(), 0);
}

static void blocking_wait_at_dispatch_bugchecks(void **state)
{
	LARGE_INTEGER timeout = { .QuadPart = -MS(10) };
	KEVENT e;
	KIRQL old;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &timeout),
			 STATUS_UNSUCCESSFUL);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(test_last_bugcheck.parameters[0], DISPATCH_LEVEL);
	assert_string_equal(test_last_bugcheck.routine, "KeWaitForSingleObject");
	test_last_bugcheck.code = 0;
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL),
			 STATUS_UNSUCCESSFUL);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	KeLowerIrql(old);
	/* At APC_LEVEL a blocking wait is allowed. */
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	KeLowerIrql(old);
	assert_int_equal(altitude_bugcheck_count(), 2);
}

static void invalid_arguments_are_refused(void **state)
{
	KEVENT e;
	PVOID objects[2] = { &e, NULL };

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	assert_int_equal(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(KeWaitForMultipleObjects(0, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(KeWaitForMultipleObjects(1, objects, WaitNotification, Executive, KernelMode,
						  FALSE, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(KeReadStateEvent(&e), 1);
}

/* Wait-all naming an object twice is refused; wait-any may repeat objects. */
static void wait_all_with_a_duplicate_object_is_refused(void **state)
{
	KSEMAPHORE s;
	KEVENT e;
	PVOID objects[3] = { &s, &e, &s };

	(void)state;
	KeInitializeSemaphore(&s, 1, 2);
	KeInitializeEvent(&e, NotificationEvent, TRUE);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAll, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_INVALID_PARAMETER_MIX);
	assert_int_equal(ke_wait_objects(3, objects, WaitAll, &zero_timeout, NULL, NULL, FALSE),
			 STATUS_INVALID_PARAMETER_MIX);
	assert_int_equal(KeReadStateSemaphore(&s), 1);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
						  NULL, NULL),
			 STATUS_WAIT_0);
	assert_int_equal(KeReadStateSemaphore(&s), 0);
	assert_int_equal(KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE,
						  &zero_timeout, NULL),
			 STATUS_WAIT_1);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void abort_event_cancels_a_wait_all(void **state)
{
	struct waiter w = { 0 };
	KEVENT e[2], abort;

	(void)state;
	KeInitializeEvent(&e[0], SynchronizationEvent, TRUE);
	KeInitializeEvent(&e[1], SynchronizationEvent, FALSE);
	KeInitializeEvent(&abort, NotificationEvent, FALSE);
	w.count = 2;
	w.objects[0] = &e[0];
	w.objects[1] = &e[1];
	w.type = WaitAll;
	w.abort_event = &abort;
	waiter_start(&w);
	assert_true(altitude_clock_wait_for_waiters(1));
	KeSetEvent(&abort, IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&w), STATUS_CANCELLED);
	assert_int_equal(KeReadStateEvent(&e[0]), 1);
	assert_true(IsListEmpty(&abort.Header.WaitListHead));
	/* Already signalled: cancelled at once, nothing consumed. */
	assert_int_equal(ke_wait_objects(1, w.objects, WaitAny, NULL, NULL, &abort, FALSE),
			 STATUS_CANCELLED);
	assert_int_equal(KeReadStateEvent(&e[0]), 1);
}

static void termination_ends_a_terminable_wait(void **state)
{
	struct waiter w = { 0 }, plain = { 0 };
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, NotificationEvent, FALSE);
	w.count = 1;
	w.objects[0] = &e;
	w.type = WaitAny;
	w.terminable = TRUE;
	plain.count = 1;
	plain.objects[0] = &e;
	plain.type = WaitAny;
	waiter_start(&w);
	waiter_start(&plain);
	assert_true(altitude_clock_wait_for_waiters(2));
	altitude_thread_terminate(plain.thread);
	assert_int_equal(altitude_clock_waiters(), 2);
	altitude_thread_terminate(w.thread);
	assert_int_equal(waiter_join(&w), STATUS_THREAD_IS_TERMINATING);
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(waiter_join(&plain), STATUS_SUCCESS);
}

static void *terminated_then_waits(void *arg)
{
	PRKEVENT e = arg;
	PVOID object = e;
	NTSTATUS *result = malloc(sizeof(*result));

	altitude_thread_terminate(PsGetCurrentThread());
	assert_true(ke_thread_is_terminating());
	assert_true(PsIsThreadTerminating(PsGetCurrentThread()));
	*result = ke_wait_objects(1, &object, WaitAny, NULL, NULL, NULL, TRUE);
	return result;
}

static void a_thread_already_terminating_cannot_start_a_terminable_wait(void **state)
{
	pthread_t t;
	NTSTATUS *result;
	KEVENT e;

	(void)state;
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	assert_false(ke_thread_is_terminating());
	assert_int_equal(pthread_create(&t, NULL, terminated_then_waits, &e), 0);
	assert_int_equal(pthread_join(t, (void **)&result), 0);
	assert_int_equal(*result, STATUS_THREAD_IS_TERMINATING);
	free(result);
	assert_int_equal(KeReadStateEvent(&e), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(wait_any_returns_lowest_signalled_index_and_consumes_only_it, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(wait_all_with_one_unsignalled_consumes_nothing, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(wait_all_with_a_duplicate_object_is_refused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(blocked_wait_all_takes_everything_when_the_last_is_set, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(blocked_wait_any_reports_the_object_that_was_set, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(four_objects_need_a_wait_block_array, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(sixty_five_objects_bugcheck_even_with_wait_blocks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(zero_timeout_polls_and_works_at_dispatch, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(blocking_wait_at_dispatch_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(invalid_arguments_are_refused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(abort_event_cancels_a_wait_all, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(termination_ends_a_terminable_wait, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(a_thread_already_terminating_cannot_start_a_terminable_wait, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
