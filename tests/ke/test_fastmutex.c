#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <sched.h>
#include <cmocka.h>

#include <wdm.h>
#include <altitude/bugcheck.h>

static altitude_bugcheck_report last;

static void record(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	last = *r;
}

static int setup(void **state)
{
	(void)state;
	last.code = 0;
	altitude_bugcheck_reset();
	altitude_bugcheck_set_hook(record, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	KeLowerIrql(PASSIVE_LEVEL);
	altitude_bugcheck_set_hook(NULL, NULL);
	return 0;
}

static void fast_mutex_raises_to_apc_and_restores(void **state)
{
	FAST_MUTEX m;

	(void)state;
	ExInitializeFastMutex(&m);
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
	assert_int_equal(last.code, MUTEX_ALREADY_OWNED);
	assert_int_equal(last.parameters[0], (ULONG_PTR)&m);
	assert_string_equal(altitude_bugcheck_name(last.code), "MUTEX_ALREADY_OWNED");
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_int_equal(m.OldIrql, PASSIVE_LEVEL);
	last.code = 0;
	ExAcquireFastMutexUnsafe(&m);
	assert_int_equal(last.code, MUTEX_ALREADY_OWNED);
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
	assert_int_equal(last.code, THREAD_NOT_MUTEX_OWNER);
	assert_int_equal(last.parameters[0], (ULONG_PTR)&m);
	assert_int_equal(m.Count, 0);
	last.code = 0;
	KeInitializeGuardedMutex(&g);
	KeReleaseGuardedMutex(&g);
	assert_int_equal(last.code, THREAD_NOT_MUTEX_OWNER);
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
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(last.parameters[0], DISPATCH_LEVEL);
	assert_int_equal(last.parameters[1], APC_LEVEL);
	assert_null(m.Owner);
	last.code = 0;
	assert_false(ExTryToAcquireFastMutex(&m));
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	last.code = 0;
	KeAcquireGuardedMutex(&m);
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
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
	assert_non_null(m.Owner);
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
	assert_int_equal(last.code, MUTEX_ALREADY_OWNED);
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
		cmocka_unit_test_setup_teardown(fast_mutex_raises_to_apc_and_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(recursive_acquire_bugchecks_instead_of_deadlocking,
						setup, teardown),
		cmocka_unit_test_setup_teardown(release_not_owned_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(acquire_at_dispatch_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_variants_leave_irql_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(guarded_mutex_uses_a_guarded_region, setup, teardown),
		cmocka_unit_test_setup_teardown(contended_fast_mutex_excludes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
