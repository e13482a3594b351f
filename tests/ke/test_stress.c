/*
 * Many threads on the same dispatcher objects, on the real clock: the
 * counts must come out exact and nothing may hang (TSan checks that every
 * hand-off is a proper synchronisation).
 */
#include "ke_test.h"

#define THREADS 4
#define ROUNDS 2000

struct shared {
	KMUTEX mutex;
	KSEMAPHORE items;
	KEVENT stop;
	LONG counter; /* protected by `mutex` */
	LONG consumed[THREADS];
};

static struct shared shared;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(KeWaitForSingleObject(&shared.mutex, Executive, KernelMode, FALSE, NULL),
				 STATUS_SUCCESS);
		shared.counter++;
		KeReleaseMutex(&shared.mutex, FALSE);
	}
	return NULL;
}

static void mutex_serialises_its_owners(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	altitude_clock_use_real();
	KeInitializeMutex(&shared.mutex, 0);
	shared.counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, mutex_worker, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(shared.counter, THREADS * ROUNDS);
	assert_int_equal(KeReadStateMutex(&shared.mutex), 1);
	assert_int_equal(test_last_bugcheck.code, 0);
}

static void *consumer(void *arg)
{
	LONG index = (LONG)(LONG_PTR)arg;
	PVOID objects[2] = { &shared.items, &shared.stop };
	LARGE_INTEGER timeout = { .QuadPart = -MS(1) };

	for (;;) {
		NTSTATUS status = KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode,
							   FALSE, &timeout, NULL);

		if (status == STATUS_WAIT_0) {
			shared.consumed[index]++;
			continue;
		}
		if (status == STATUS_TIMEOUT)
			continue;
		assert_int_equal(status, STATUS_WAIT_1);
		break;
	}
	assert_int_equal(KeReadStateEvent(&shared.stop), 1);
	return NULL;
}

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++)
		KeReleaseSemaphore(&shared.items, SEMAPHORE_INCREMENT, 1, FALSE);
	return NULL;
}

static void semaphore_items_are_each_consumed_once(void **state)
{
	pthread_t consumers[THREADS], producers[THREADS];
	LARGE_INTEGER zero = { .QuadPart = 0 };
	LONG total = 0;

	(void)state;
	altitude_clock_use_real();
	KeInitializeSemaphore(&shared.items, 0, MAXLONG);
	KeInitializeEvent(&shared.stop, NotificationEvent, FALSE);
	for (LONG i = 0; i < THREADS; i++) {
		shared.consumed[i] = 0;
		assert_int_equal(pthread_create(&consumers[i], NULL, consumer, (PVOID)(LONG_PTR)i), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&producers[i], NULL, producer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(producers[i], NULL), 0);
	/* Drain what the consumers have not taken yet, then stop them. */
	while (KeReadStateSemaphore(&shared.items) > 0) {
		if (KeWaitForSingleObject(&shared.items, Executive, KernelMode, FALSE, &zero) == STATUS_SUCCESS)
			total++;
	}
	KeSetEvent(&shared.stop, IO_NO_INCREMENT, FALSE);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(consumers[i], NULL), 0);
		total += shared.consumed[i];
	}
	assert_int_equal(total, THREADS * ROUNDS);
	assert_int_equal(KeReadStateSemaphore(&shared.items), 0);
	assert_int_equal(altitude_clock_waiters(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mutex_serialises_its_owners, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(semaphore_items_are_each_consumed_once, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
