#include <sched.h>

#include "ke_test.h"

static void fast_mutex_raises_to_apc_and_restores(void **state)
{
	FAST_MUTEX m;

	(void)state;
	ExInitializeFastMutex(&m);
	assert_int_equal(m.Event.Header.Type, EventSynchronizationObject);
	assert_int_equal(KeReadStateEvent(&m.Event), 0);
	assert_false(KeAreAllApcsDisabled());
	ExAcquireFastMutex(&m);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_true(KeAreAllApcsDisabled());
	assert_int_equal(m.OldIrql, PASSIVE_LEVEL);
	ExReleaseFastMutex(&m);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_false(KeAreAllApcsDisabled());

	assert_true(ExTryToAcquireFastMutex(&m));
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_false(ExTryToAcquireFastMutex(&m));
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	ExReleaseFastMutex(&m);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void recursive_acquire_bugchecks_instead_of_deadlocking(void **state)
{
	FAST_MUTEX m;

	(void)state;
	ExInitializeFastMutex(&m);
	ExAcquireFastMutex(&m);
	ExAcquireFastMutex(&m);
	assert_int_equal(test_last_bugcheck.code, MUTEX_ALREADY_OWNED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&m);
	assert_string_equal(altitude_bugcheck_name(test_last_bugcheck.code), "MUTEX_ALREADY_OWNED");
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_int_equal(m.OldIrql, PASSIVE_LEVEL);
	test_last_bugcheck.code = 0;
	ExAcquireFastMutexUnsafe(&m);
	assert_int_equal(test_last_bugcheck.code, MUTEX_ALREADY_OWNED);
	ExReleaseFastMutex(&m);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 2);
}

static void release_not_owned_bugchecks(void **state)
{
	FAST_MUTEX m;
	KGUARDED_MUTEX g;

	(void)state;
	ExInitializeFastMutex(&m);
	ExReleaseFastMutex(&m);
	assert_int_equal(test_last_bugcheck.code, THREAD_NOT_MUTEX_OWNER);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&m);
	assert_int_equal(m.Count, 0);
	test_last_bugcheck.code = 0;
	KeInitializeGuardedMutex(&g);
	KeReleaseGuardedMutex(&g);
	assert_int_equal(test_last_bugcheck.code, THREAD_NOT_MUTEX_OWNER);
	assert_false(KeAreAllApcsDisabled());
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void acquire_at_dispatch_bugchecks(void **state)
{
	FAST_MUTEX m;
	KIRQL old;

	(void)state;
	ExInitializeFastMutex(&m);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	ExAcquireFastMutex(&m);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(test_last_bugcheck.parameters[0], DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.parameters[1], APC_LEVEL);
	assert_null(m.Owner);
	test_last_bugcheck.code = 0;
	assert_false(ExTryToAcquireFastMutex(&m));
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	test_last_bugcheck.code = 0;
	KeAcquireGuardedMutex(&m);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
}

static void unsafe_variants_leave_irql_alone(void **state)
{
	FAST_MUTEX m;

	(void)state;
	ExInitializeFastMutex(&m);
	KeEnterCriticalRegion();
	ExAcquireFastMutexUnsafe(&m);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_ptr_equal(m.Owner, KeGetCurrentThread());
	ExReleaseFastMutexUnsafe(&m);
	assert_null(m.Owner);
	KeLeaveCriticalRegion();
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void guarded_mutex_uses_a_guarded_region(void **state)
{
	KGUARDED_MUTEX g;

	(void)state;
	KeInitializeGuardedMutex(&g);
	KeAcquireGuardedMutex(&g);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_true(KeAreAllApcsDisabled());
	assert_true(KeAreApcsDisabled());
	assert_false(KeTryToAcquireGuardedMutex(&g));
	KeAcquireGuardedMutex(&g);
	assert_int_equal(test_last_bugcheck.code, MUTEX_ALREADY_OWNED);
	KeReleaseGuardedMutex(&g);
	assert_false(KeAreAllApcsDisabled());
	assert_true(KeTryToAcquireGuardedMutex(&g));
	assert_true(KeAreAllApcsDisabled());
	KeReleaseGuardedMutex(&g);
	assert_false(KeAreApcsDisabled());
	assert_int_equal(altitude_bugcheck_count(), 1);
}

#define THREADS 4
#define ROUNDS 5000

static FAST_MUTEX shared_mutex;
static ULONG counter;

static void *contend(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		switch (i % 3) {
		case 0:
			ExAcquireFastMutex(&shared_mutex);
			counter++;
			ExReleaseFastMutex(&shared_mutex);
			break;
		case 1:
			KeAcquireGuardedMutex(&shared_mutex);
			counter++;
			KeReleaseGuardedMutex(&shared_mutex);
			break;
		default:
			while (!ExTryToAcquireFastMutex(&shared_mutex))
				sched_yield();
			counter++;
			ExReleaseFastMutex(&shared_mutex);
		}
		if (KeGetCurrentIrql() != PASSIVE_LEVEL)
			return (void *)1;
	}
	return NULL;
}

static void contended_fast_mutex_excludes(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	ExInitializeFastMutex(&shared_mutex);
	counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, contend, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad;

		pthread_join(t[i], &bad);
		assert_null(bad);
	}
	assert_int_equal(counter, THREADS * ROUNDS);
	assert_int_equal(shared_mutex.Count, 0);
	assert_null(shared_mutex.Owner);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fast_mutex_raises_to_apc_and_restores,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(recursive_acquire_bugchecks_instead_of_deadlocking,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(release_not_owned_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(acquire_at_dispatch_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(unsafe_variants_leave_irql_alone,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(guarded_mutex_uses_a_guarded_region,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(contended_fast_mutex_excludes,
						test_setup_no_clock, test_teardown_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
