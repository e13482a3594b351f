#include "ke_test.h"

static void release_returns_previous_state_through_ten_recursions(void **state)
{
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	assert_int_equal(KeReadStateMutex(&m), 1);
	assert_false(KeAreApcsDisabled());
	for (int i = 0; i < 10; i++)
		assert_int_equal(KeWaitForMutexObject(&m, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
	assert_int_equal(KeReadStateMutex(&m), -9);
	/* Owning a mutex is an implicit critical region. */
	assert_true(KeAreApcsDisabled());
	assert_false(KeAreAllApcsDisabled());
	for (int i = 9; i >= 0; i--)
		assert_int_equal(KeReleaseMutex(&m, FALSE), -i);
	assert_int_equal(KeReadStateMutex(&m), 1);
	assert_null(m.OwnerThread);
	assert_false(KeAreApcsDisabled());
	assert_int_equal(test_last_bugcheck.code, 0);
}

static void release_by_a_non_owner_raises_mutant_not_owned(void **state)
{
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	assert_int_equal(KeReleaseMutex(&m, FALSE), 1);
	assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_MUTANT_NOT_OWNED);
	assert_string_equal(altitude_bugcheck_name(test_last_bugcheck.code), "STATUS_MUTANT_NOT_OWNED");
	assert_string_equal(test_last_bugcheck.routine, "KeReleaseMutex");
	assert_int_equal(KeReadStateMutex(&m), 1);
}

static void *release_other(void *arg)
{
	return (void *)(LONG_PTR)KeReleaseMutex(arg, FALSE);
}

static void release_by_another_thread_leaves_the_owner(void **state)
{
	pthread_t t;
	void *result;
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL);
	assert_int_equal(pthread_create(&t, NULL, release_other, &m), 0);
	assert_int_equal(pthread_join(t, &result), 0);
	assert_int_equal((LONG)(LONG_PTR)result, 0);
	assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_MUTANT_NOT_OWNED);
	assert_int_equal(KeReadStateMutex(&m), 0);
	assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
	assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
}

static void recursion_past_minlong_raises_limit_exceeded(void **state)
{
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL);
	/* Pretend MINLONG - 1 more acquisitions happened. */
	m.Header.SignalState = MINLONG + 1;
	assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeReadStateMutex(&m), MINLONG);
	assert_int_equal(test_last_bugcheck.code, 0);
	assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL),
			 STATUS_MUTANT_LIMIT_EXCEEDED);
	assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_MUTANT_LIMIT_EXCEEDED);
	assert_string_equal(test_last_bugcheck.routine, "KeWaitForSingleObject");
	assert_int_equal(KeReadStateMutex(&m), MINLONG);
	assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
	/* Wait-any stops at the first object it can take, before the mutex. */
	{
		KEVENT e;
		PVOID objects[2] = { &e, &m };

		KeInitializeEvent(&e, NotificationEvent, TRUE);
		test_last_bugcheck.code = 0;
		assert_int_equal(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode,
							  FALSE, NULL, NULL),
				 STATUS_WAIT_0);
		assert_int_equal(test_last_bugcheck.code, 0);
		assert_int_equal(KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode,
							  FALSE, NULL, NULL),
				 STATUS_MUTANT_LIMIT_EXCEEDED);
		assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_MUTANT_LIMIT_EXCEEDED);
		assert_int_equal(KeReadStateMutex(&m), MINLONG);
	}
	m.Header.SignalState = 0;
	assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
}

static void *take_and_exit(void *arg)
{
	assert_int_equal(KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	return NULL;
}

static void owner_exit_abandons_the_mutex_to_the_next_waiter(void **state)
{
	struct waiter w = { 0 };
	pthread_t owner;
	KMUTEX m;
	KEVENT other;

	(void)state;
	KeInitializeMutex(&m, 0);
	KeInitializeEvent(&other, NotificationEvent, FALSE);
	assert_int_equal(pthread_create(&owner, NULL, take_and_exit, &m), 0);
	assert_int_equal(pthread_join(owner, NULL), 0);
	/* Nobody waited: the mutex is free and marked abandoned. */
	assert_int_equal(KeReadStateMutex(&m), 1);
	assert_true(m.Abandoned);
	w.count = 2;
	w.objects[0] = &other;
	w.objects[1] = &m;
	w.type = WaitAny;
	waiter_start(&w);
	assert_int_equal(waiter_join(&w), STATUS_ABANDONED_WAIT_0 + 1);
	assert_int_equal(KeReadStateMutex(&m), 1); /* the waiter ended: abandoned again */
	assert_true(m.Abandoned);
	assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL),
			 STATUS_ABANDONED_WAIT_0);
	assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
	assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
}

static void *hold_until(void *arg)
{
	PVOID *objects = arg;

	assert_int_equal(KeWaitForSingleObject(objects[0], Executive, KernelMode, FALSE, NULL),
			 STATUS_SUCCESS);
	KeSetEvent(objects[1], IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeWaitForSingleObject(objects[2], Executive, KernelMode, FALSE, NULL),
			 STATUS_SUCCESS);
	return NULL;
}

static void blocked_waiter_gets_the_abandoned_mutex_when_the_owner_exits(void **state)
{
	struct waiter w = { 0 };
	pthread_t owner;
	KMUTEX m;
	KEVENT owned, go;
	PVOID objects[3] = { &m, &owned, &go };

	(void)state;
	KeInitializeMutex(&m, 0);
	KeInitializeEvent(&owned, NotificationEvent, FALSE);
	KeInitializeEvent(&go, NotificationEvent, FALSE);
	assert_int_equal(pthread_create(&owner, NULL, hold_until, objects), 0);
	KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, NULL);
	waiter_start_single(&w, &m, NULL, 0);
	KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
	assert_int_equal(pthread_join(owner, NULL), 0);
	assert_int_equal(waiter_join(&w), STATUS_ABANDONED_WAIT_0);
}

/* A wait-all that takes an abandoned mutex returns STATUS_ABANDONED_WAIT_0, blocked or not. */
static void wait_all_with_an_abandoned_mutex(void **state)
{
	struct waiter w = { 0 };
	pthread_t owner;
	KMUTEX m;
	KEVENT owned, go, e;
	PVOID objects[3] = { &m, &owned, &go };
	PVOID all[2] = { &e, &m };

	(void)state;
	KeInitializeMutex(&m, 0);
	KeInitializeEvent(&owned, NotificationEvent, FALSE);
	KeInitializeEvent(&go, NotificationEvent, FALSE);
	KeInitializeEvent(&e, SynchronizationEvent, FALSE);
	assert_int_equal(pthread_create(&owner, NULL, hold_until, objects), 0);
	KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, NULL);
	w.count = 2;
	w.objects[0] = &e;
	w.objects[1] = &m;
	w.type = WaitAll;
	waiter_start(&w);
	assert_true(altitude_clock_wait_for_waiters(1));
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
	assert_int_equal(pthread_join(owner, NULL), 0);
	assert_int_equal(waiter_join(&w), STATUS_ABANDONED_WAIT_0);
	assert_int_equal(KeReadStateEvent(&e), 0);
	/* The waiter ended too: abandoned again, now taken without blocking. */
	KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeWaitForMultipleObjects(2, all, WaitAll, Executive, KernelMode, FALSE, NULL,
						  NULL),
			 STATUS_ABANDONED_WAIT_0);
	assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
	assert_int_equal(KeReadStateEvent(&e), 0);
	assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void mutex_handoff_wakes_one_waiter_at_a_time(void **state)
{
	struct waiter w[2] = { 0 };
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL);
	waiter_start_single(&w[0], &m, NULL, 0);
	waiter_start_single(&w[1], &m, NULL, 1);
	assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
	/* One waiter owns it; it ends, abandoning it to the other. */
	assert_int_equal(waiter_join(&w[0]), STATUS_SUCCESS);
	assert_int_equal(waiter_join(&w[1]), STATUS_ABANDONED_WAIT_0);
	assert_int_equal(KeReadStateMutex(&m), 1);
}

static void semaphore_release_returns_previous_count_and_respects_the_limit(void **state)
{
	KSEMAPHORE s;

	(void)state;
	KeInitializeSemaphore(&s, 0, 3);
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 1, FALSE), 0);
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 2, FALSE), 1);
	assert_int_equal(KeReadStateSemaphore(&s), 3);
	assert_int_equal(test_last_bugcheck.code, 0);
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 1, FALSE), 3);
	assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
	assert_int_equal(KeReadStateSemaphore(&s), 3);
	assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeReadStateSemaphore(&s), 2);
	test_last_bugcheck.code = 0;
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 2, FALSE), 2);
	assert_int_equal(test_last_bugcheck.code, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
	assert_int_equal(KeReadStateSemaphore(&s), 2);
}

static void semaphore_release_wakes_as_many_waiters_as_the_adjustment(void **state)
{
	struct waiter w[3] = { 0 };
	KSEMAPHORE s;

	(void)state;
	KeInitializeSemaphore(&s, 0, 10);
	for (ULONG i = 0; i < 3; i++)
		waiter_start_single(&w[i], &s, NULL, i);
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 2, FALSE), 0);
	assert_int_equal(altitude_clock_waiters(), 1);
	assert_int_equal(KeReadStateSemaphore(&s), 0);
	assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 3, FALSE), 0);
	assert_int_equal(KeReadStateSemaphore(&s), 2);
	for (ULONG i = 0; i < 3; i++)
		assert_int_equal(waiter_join(&w[i]), STATUS_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(release_returns_previous_state_through_ten_recursions, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(release_by_a_non_owner_raises_mutant_not_owned, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(release_by_another_thread_leaves_the_owner, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(recursion_past_minlong_raises_limit_exceeded, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(owner_exit_abandons_the_mutex_to_the_next_waiter, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(blocked_waiter_gets_the_abandoned_mutex_when_the_owner_exits, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(wait_all_with_an_abandoned_mutex, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(mutex_handoff_wakes_one_waiter_at_a_time, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(semaphore_release_returns_previous_count_and_respects_the_limit, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(semaphore_release_wakes_as_many_waiters_as_the_adjustment, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
