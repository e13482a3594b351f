#include <sched.h>

#include "ke_test.h"

/* Runs fn(arg) on another thread and returns its result. */
static ULONG_PTR on_other_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *result;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	pthread_join(t, &result);
	return (ULONG_PTR)result;
}

static void *try_exclusive(void *arg)
{
	BOOLEAN got = ExAcquireResourceExclusiveLite(arg, FALSE);

	if (got)
		ExReleaseResourceLite(arg);
	return (void *)(ULONG_PTR)got;
}

static void *try_shared(void *arg)
{
	BOOLEAN got = ExAcquireResourceSharedLite(arg, FALSE);

	if (got)
		ExReleaseResourceLite(arg);
	return (void *)(ULONG_PTR)got;
}

static void *try_starve(void *arg)
{
	BOOLEAN got = ExAcquireSharedStarveExclusive(arg, FALSE);

	if (got)
		ExReleaseResourceLite(arg);
	return (void *)(ULONG_PTR)got;
}

static void exclusive_is_recursive_and_includes_shared(void **state)
{
	ERESOURCE r;

	(void)state;
	assert_int_equal(ExInitializeResourceLite(&r), STATUS_SUCCESS);
	KeEnterCriticalRegion();
	assert_true(ExAcquireResourceExclusiveLite(&r, TRUE));
	assert_true(ExAcquireResourceExclusiveLite(&r, FALSE));
	assert_true(ExAcquireResourceSharedLite(&r, FALSE));
	assert_true(ExIsResourceAcquiredExclusiveLite(&r));
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 3);
	assert_int_equal(on_other_thread(try_exclusive, &r), FALSE);
	assert_int_equal(on_other_thread(try_shared, &r), FALSE);
	assert_int_equal(on_other_thread(try_starve, &r), FALSE);
	ExReleaseResourceLite(&r);
	ExReleaseResourceLite(&r);
	assert_true(ExIsResourceAcquiredExclusiveLite(&r));
	ExReleaseResourceLite(&r);
	assert_false(ExIsResourceAcquiredExclusiveLite(&r));
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	assert_int_equal(on_other_thread(try_exclusive, &r), TRUE);
	KeLeaveCriticalRegion();
	assert_int_equal(ExDeleteResourceLite(&r), STATUS_SUCCESS);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void *resource_thread_of(void *arg)
{
	(void)arg;
	return (void *)ExGetCurrentResourceThread();
}

/* Takes the resource shared and leaves it for another thread to release. */
static void *acquire_shared_for_release_elsewhere(void *arg)
{
	KeEnterCriticalRegion();
	assert_true(ExAcquireResourceSharedLite(arg, TRUE));
	KeLeaveCriticalRegion();
	return (void *)ExGetCurrentResourceThread();
}

/* As on Windows, the resource thread is the current PETHREAD, and owners are recorded by it. */
static void resource_thread_is_the_current_thread(void **state)
{
	ERESOURCE_THREAD owner;
	ERESOURCE r;

	(void)state;
	assert_int_equal(ExGetCurrentResourceThread(), (ERESOURCE_THREAD)PsGetCurrentThread());
	assert_int_equal(ExGetCurrentResourceThread(), (ERESOURCE_THREAD)KeGetCurrentThread());
	assert_int_not_equal(on_other_thread(resource_thread_of, NULL), ExGetCurrentResourceThread());
	assert_int_equal(ExInitializeResourceLite(&r), STATUS_SUCCESS);
	KeEnterCriticalRegion();
	assert_true(ExAcquireResourceExclusiveLite(&r, TRUE));
	assert_int_equal(r.OwnerEntry.OwnerThread, (ERESOURCE_THREAD)PsGetCurrentThread());
	ExReleaseResourceForThreadLite(&r, (ERESOURCE_THREAD)PsGetCurrentThread());
	assert_false(ExIsResourceAcquiredExclusiveLite(&r));
	owner = on_other_thread(acquire_shared_for_release_elsewhere, &r);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	assert_false(ExAcquireResourceExclusiveLite(&r, FALSE));
	ExReleaseResourceForThreadLite(&r, owner);
	assert_true(ExAcquireResourceExclusiveLite(&r, FALSE));
	ExReleaseResourceLite(&r);
	KeLeaveCriticalRegion();
	ExDeleteResourceLite(&r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void shared_owners_coexist(void **state)
{
	ERESOURCE r;

	(void)state;
	ExInitializeResourceLite(&r);
	assert_true(ExAcquireResourceSharedLite(&r, TRUE));
	assert_true(ExAcquireResourceSharedLite(&r, TRUE));
	assert_false(ExIsResourceAcquiredExclusiveLite(&r));
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 2);
	assert_int_equal(on_other_thread(try_shared, &r), TRUE);
	assert_int_equal(on_other_thread(try_exclusive, &r), FALSE);
	/* A shared owner asking for exclusive without waiting just fails. */
	assert_false(ExAcquireResourceExclusiveLite(&r, FALSE));
	ExReleaseResourceLite(&r);
	ExReleaseResourceLite(&r);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	ExDeleteResourceLite(&r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void shared_owner_waiting_for_exclusive_bugchecks(void **state)
{
	ERESOURCE r;

	(void)state;
	ExInitializeResourceLite(&r);
	ExAcquireResourceSharedLite(&r, TRUE);
	assert_false(ExAcquireResourceExclusiveLite(&r, TRUE));
	assert_int_equal(test_last_bugcheck.code, RESOURCE_NOT_OWNED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&r);
	assert_int_equal(test_last_bugcheck.parameters[3], 1);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 1);
	assert_int_equal(ExGetExclusiveWaiterCount(&r), 0);
	ExReleaseResourceLite(&r);
	ExDeleteResourceLite(&r);
}

static void release_not_owned_bugchecks(void **state)
{
	ERESOURCE r;

	(void)state;
	ExInitializeResourceLite(&r);
	ExReleaseResourceLite(&r);
	assert_int_equal(test_last_bugcheck.code, RESOURCE_NOT_OWNED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&r);
	assert_int_equal(test_last_bugcheck.parameters[1], ExGetCurrentResourceThread());
	test_last_bugcheck.code = 0;
	ExConvertExclusiveToSharedLite(&r);
	assert_int_equal(test_last_bugcheck.code, RESOURCE_NOT_OWNED);
	test_last_bugcheck.code = 0;
	ExAcquireResourceSharedLite(&r, TRUE);
	ExReleaseResourceForThreadLite(&r, ExGetCurrentResourceThread() + 1);
	assert_int_equal(test_last_bugcheck.code, RESOURCE_NOT_OWNED);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 1);
	ExReleaseResourceForThreadLite(&r, ExGetCurrentResourceThread());
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	ExDeleteResourceLite(&r);
}

static void acquire_above_apc_bugchecks(void **state)
{
	ERESOURCE r;
	KIRQL old;

	(void)state;
	ExInitializeResourceLite(&r);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_false(ExAcquireResourceExclusiveLite(&r, TRUE));
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	KeLowerIrql(old);
	ExDeleteResourceLite(&r);
}

static void convert_exclusive_to_shared(void **state)
{
	ERESOURCE r;

	(void)state;
	ExInitializeResourceLite(&r);
	ExAcquireResourceExclusiveLite(&r, TRUE);
	ExAcquireResourceExclusiveLite(&r, TRUE);
	ExConvertExclusiveToSharedLite(&r);
	assert_false(ExIsResourceAcquiredExclusiveLite(&r));
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 2);
	assert_int_equal(on_other_thread(try_shared, &r), TRUE);
	ExReleaseResourceLite(&r);
	ExReleaseResourceLite(&r);
	assert_int_equal(on_other_thread(try_exclusive, &r), TRUE);
	assert_int_equal(ExReinitializeResourceLite(&r), STATUS_SUCCESS);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 0);
	ExDeleteResourceLite(&r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

struct resource_waiter {
	PERESOURCE r;
	volatile LONG acquired;
};

static void *wait_exclusive(void *arg)
{
	struct resource_waiter *w = arg;

	ExAcquireResourceExclusiveLite(w->r, TRUE);
	__atomic_store_n(&w->acquired, 1, __ATOMIC_RELEASE);
	ExReleaseResourceLite(w->r);
	return NULL;
}

static void wait_for_count(ULONG (*count)(PERESOURCE), PERESOURCE r, ULONG n)
{
	while (count(r) != n)
		sched_yield();
}

static void exclusive_waiter_blocks_new_shared_but_not_starvers(void **state)
{
	ERESOURCE r;
	struct resource_waiter w = { &r, 0 };
	pthread_t t;

	(void)state;
	ExInitializeResourceLite(&r);
	ExAcquireResourceSharedLite(&r, TRUE);
	assert_int_equal(pthread_create(&t, NULL, wait_exclusive, &w), 0);
	wait_for_count(ExGetExclusiveWaiterCount, &r, 1);
	/* Another thread: SharedLite waits behind the writer, StarveExclusive does not. */
	assert_int_equal(on_other_thread(try_shared, &r), FALSE);
	assert_int_equal(on_other_thread(try_starve, &r), TRUE);
	/* The caller already owns it shared: SharedLite recursion is granted. */
	assert_true(ExAcquireResourceSharedLite(&r, FALSE));
	assert_false(ExAcquireSharedWaitForExclusive(&r, FALSE));
	assert_true(ExAcquireSharedStarveExclusive(&r, FALSE));
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 3);
	assert_int_equal(__atomic_load_n(&w.acquired, __ATOMIC_ACQUIRE), 0);
	ExReleaseResourceLite(&r);
	ExReleaseResourceLite(&r);
	ExReleaseResourceLite(&r);
	pthread_join(t, NULL);
	assert_int_equal(w.acquired, 1);
	assert_int_equal(ExGetExclusiveWaiterCount(&r), 0);
	ExDeleteResourceLite(&r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void *wait_shared(void *arg)
{
	struct resource_waiter *w = arg;

	ExAcquireResourceSharedLite(w->r, TRUE);
	__atomic_store_n(&w->acquired, 1, __ATOMIC_RELEASE);
	ExReleaseResourceLite(w->r);
	return NULL;
}

static void shared_waiter_counted_while_exclusive_held(void **state)
{
	ERESOURCE r;
	struct resource_waiter w = { &r, 0 };
	pthread_t t;

	(void)state;
	ExInitializeResourceLite(&r);
	ExEnterCriticalRegionAndAcquireResourceExclusive(&r);
	assert_true(KeAreApcsDisabled());
	assert_int_equal(pthread_create(&t, NULL, wait_shared, &w), 0);
	wait_for_count(ExGetSharedWaiterCount, &r, 1);
	assert_int_equal(__atomic_load_n(&w.acquired, __ATOMIC_ACQUIRE), 0);
	ExReleaseResourceAndLeaveCriticalRegion(&r);
	assert_false(KeAreApcsDisabled());
	pthread_join(t, NULL);
	assert_int_equal(w.acquired, 1);
	assert_int_equal(ExGetSharedWaiterCount(&r), 0);
	ExEnterCriticalRegionAndAcquireResourceShared(&r);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 1);
	ExReleaseResourceAndLeaveCriticalRegion(&r);
	ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(&r);
	assert_int_equal(ExIsResourceAcquiredSharedLite(&r), 1);
	ExReleaseResourceAndLeaveCriticalRegion(&r);
	ExDeleteResourceLite(&r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

#define THREADS 6
#define ROUNDS 3000

static ERESOURCE shared_resource;
static ULONG counter;
static ULONG mirror;

static void *contend(void *arg)
{
	ULONG_PTR id = (ULONG_PTR)arg;
	ULONG torn = 0;

	for (int i = 0; i < ROUNDS; i++) {
		KeEnterCriticalRegion();
		if ((i + id) % 3 == 0) {
			ExAcquireResourceExclusiveLite(&shared_resource, TRUE);
			counter++;
			mirror++;
		} else if ((i + id) % 3 == 1) {
			ExAcquireResourceSharedLite(&shared_resource, TRUE);
			torn += counter != mirror;
		} else {
			ExAcquireSharedStarveExclusive(&shared_resource, TRUE);
			torn += counter != mirror;
		}
		ExReleaseResourceLite(&shared_resource);
		KeLeaveCriticalRegion();
	}
	return (void *)(ULONG_PTR)torn;
}

static void contended_resource_excludes_writers(void **state)
{
	pthread_t t[THREADS];
	ULONG expected = 0;

	(void)state;
	ExInitializeResourceLite(&shared_resource);
	counter = mirror = 0;
	for (ULONG_PTR i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, contend, (void *)i), 0);
		for (int k = 0; k < ROUNDS; k++)
			expected += (k + i) % 3 == 0;
	}
	for (int i = 0; i < THREADS; i++) {
		void *torn;

		pthread_join(t[i], &torn);
		assert_null(torn);
	}
	assert_int_equal(counter, expected);
	assert_int_equal(ExGetExclusiveWaiterCount(&shared_resource), 0);
	assert_int_equal(ExGetSharedWaiterCount(&shared_resource), 0);
	ExDeleteResourceLite(&shared_resource);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exclusive_is_recursive_and_includes_shared,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(shared_owners_coexist,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(shared_owner_waiting_for_exclusive_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(release_not_owned_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(acquire_above_apc_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(convert_exclusive_to_shared,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(exclusive_waiter_blocks_new_shared_but_not_starvers,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(shared_waiter_counted_while_exclusive_held,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(resource_thread_is_the_current_thread,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(contended_resource_excludes_writers,
						test_setup_no_clock, test_teardown_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
