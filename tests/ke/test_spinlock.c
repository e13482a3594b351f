#include <sched.h>
#include <string.h>

#include "ke_test.h"

static void acquire_raises_and_release_restores(void **state)
{
	KSPIN_LOCK lock;
	KIRQL old;

	(void)state;
	KeInitializeSpinLock(&lock);
	assert_true(KeTestSpinLock(&lock));
	KeAcquireSpinLock(&lock, &old);
	assert_int_equal(old, PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_false(KeTestSpinLock(&lock));
	KeReleaseSpinLock(&lock, old);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_true(KeTestSpinLock(&lock));

	KeRaiseIrql(APC_LEVEL, &old);
	old = KeAcquireSpinLockRaiseToDpc(&lock);
	assert_int_equal(old, APC_LEVEL);
	KeReleaseSpinLock(&lock, old);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void reacquire_by_owner_bugchecks(void **state)
{
	KSPIN_LOCK lock;
	KIRQL old, again;
	KLOCK_QUEUE_HANDLE h;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeAcquireSpinLock(&lock, &old);
	KeAcquireSpinLock(&lock, &again);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&lock);
	assert_int_equal(again, DISPATCH_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	test_last_bugcheck.code = 0;
	KeAcquireSpinLockAtDpcLevel(&lock);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	test_last_bugcheck.code = 0;
	KeAcquireInStackQueuedSpinLock(&lock, &h);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	test_last_bugcheck.code = 0;
	assert_false(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	assert_false(KeTestSpinLock(&lock));
	KeReleaseSpinLock(&lock, old);
	assert_true(KeTestSpinLock(&lock));
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 4);
}

static void release_not_held_bugchecks(void **state)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h = { { NULL, NULL }, 0 };

	(void)state;
	KeInitializeSpinLock(&lock);
	KeReleaseSpinLock(&lock, PASSIVE_LEVEL);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)&lock);
	assert_true(KeTestSpinLock(&lock));
	test_last_bugcheck.code = 0;
	KeReleaseInStackQueuedSpinLock(&h);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

struct holder {
	PKSPIN_LOCK lock;
	volatile LONG held;
	volatile LONG done;
};

static void *hold_lock(void *arg)
{
	struct holder *h = arg;
	KIRQL old;

	KeAcquireSpinLock(h->lock, &old);
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->done, __ATOMIC_ACQUIRE))
		sched_yield();
	KeReleaseSpinLock(h->lock, old);
	return NULL;
}

static void release_by_other_thread_bugchecks_and_try_fails(void **state)
{
	KSPIN_LOCK lock;
	struct holder h = { &lock, 0, 0 };
	pthread_t t;
	KIRQL old;

	(void)state;
	KeInitializeSpinLock(&lock);
	assert_int_equal(pthread_create(&t, NULL, hold_lock, &h), 0);
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		sched_yield();
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_false(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	KeReleaseSpinLockFromDpcLevel(&lock);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_false(KeTestSpinLock(&lock));
	KeLowerIrql(old);
	__atomic_store_n(&h.done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(KeTestSpinLock(&lock));
}

static void dpc_level_routines_require_dispatch(void **state)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;
	KIRQL old;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeAcquireSpinLockAtDpcLevel(&lock);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_GREATER_OR_EQUAL);
	assert_int_equal(test_last_bugcheck.parameters[0], PASSIVE_LEVEL);
	assert_true(KeTestSpinLock(&lock));

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeAcquireSpinLockAtDpcLevel(&lock);
	assert_false(KeTestSpinLock(&lock));
	KeReleaseSpinLockFromDpcLevel(&lock);
	assert_true(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	KeReleaseSpinLockFromDpcLevel(&lock);
	KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &h);
	assert_false(KeTestSpinLock(&lock));
	assert_int_equal(h.OldIrql, DISPATCH_LEVEL);
	KeReleaseInStackQueuedSpinLockFromDpcLevel(&h);
	assert_true(KeTestSpinLock(&lock));
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(old);
	assert_int_equal(altitude_bugcheck_count(), 1);
}

static void acquire_above_dispatch_bugchecks(void **state)
{
	KSPIN_LOCK lock;
	KIRQL old, got;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeRaiseIrql(HIGH_LEVEL, &old);
	KeAcquireSpinLock(&lock, &got);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_GREATER_OR_EQUAL);
	assert_true(KeTestSpinLock(&lock));
	assert_int_equal(KeGetCurrentIrql(), HIGH_LEVEL);
}

static void in_stack_queued_keeps_old_irql(void **state)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;
	KIRQL old;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeRaiseIrql(APC_LEVEL, &old);
	KeAcquireInStackQueuedSpinLock(&lock, &h);
	assert_int_equal(h.OldIrql, APC_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	assert_false(KeTestSpinLock(&lock));
	KeReleaseInStackQueuedSpinLock(&h);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	assert_true(KeTestSpinLock(&lock));
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void queued_ownership_is_checked(void **state)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h, other;
	KIRQL old;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeAcquireInStackQueuedSpinLock(&lock, &h);
	KeAcquireInStackQueuedSpinLock(&lock, &other);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	test_last_bugcheck.code = 0;
	KeAcquireSpinLock(&lock, &old);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_ALREADY_OWNED);
	test_last_bugcheck.code = 0;
	KeReleaseSpinLock(&lock, PASSIVE_LEVEL);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	test_last_bugcheck.code = 0;
	memset(&other, 0, sizeof(other));
	KeReleaseInStackQueuedSpinLock(&other);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_false(KeTestSpinLock(&lock));
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeReleaseInStackQueuedSpinLock(&h);
	assert_true(KeTestSpinLock(&lock));
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	test_last_bugcheck.code = 0;
	KeReleaseInStackQueuedSpinLock(&h);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_int_equal(altitude_bugcheck_count(), 5);
}

struct queuer {
	PKSPIN_LOCK lock;
	volatile LONG *next_turn;
	LONG turn;
};

static void *queue_up(void *arg)
{
	struct queuer *q = arg;
	KLOCK_QUEUE_HANDLE h;

	KeAcquireInStackQueuedSpinLock(q->lock, &h);
	q->turn = __atomic_fetch_add(q->next_turn, 1, __ATOMIC_RELAXED);
	KeReleaseInStackQueuedSpinLock(&h);
	return NULL;
}

/* Waits until the lock word (the queue's tail) moves past `seen`. */
static ULONG_PTR wait_for_new_tail(PKSPIN_LOCK lock, ULONG_PTR seen)
{
	ULONG_PTR now;

	while ((now = __atomic_load_n(lock, __ATOMIC_ACQUIRE)) == seen)
		sched_yield();
	return now;
}

static void queued_waiters_are_served_in_order(void **state)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;
	volatile LONG next_turn = 0;
	struct queuer a = { &lock, &next_turn, -1 }, b = { &lock, &next_turn, -1 };
	pthread_t ta, tb;
	ULONG_PTR tail;

	(void)state;
	KeInitializeSpinLock(&lock);
	KeAcquireInStackQueuedSpinLock(&lock, &h);
	tail = __atomic_load_n(&lock, __ATOMIC_ACQUIRE);
	assert_int_equal(pthread_create(&ta, NULL, queue_up, &a), 0);
	tail = wait_for_new_tail(&lock, tail);
	assert_int_equal(pthread_create(&tb, NULL, queue_up, &b), 0);
	wait_for_new_tail(&lock, tail);
	KeReleaseInStackQueuedSpinLock(&h);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.turn, 0);
	assert_int_equal(b.turn, 1);
	assert_true(KeTestSpinLock(&lock));
}

static void ex_spin_lock_shared_and_exclusive(void **state)
{
	EX_SPIN_LOCK lock = 0;
	KIRQL old;

	(void)state;
	old = ExAcquireSpinLockShared(&lock);
	assert_int_equal(old, PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	ExAcquireSpinLockSharedAtDpcLevel(&lock);
	assert_int_equal(lock, 2);
	ExReleaseSpinLockSharedFromDpcLevel(&lock);
	ExReleaseSpinLockShared(&lock, old);
	assert_int_equal(lock, 0);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

	old = ExAcquireSpinLockExclusive(&lock);
	assert_int_not_equal(lock, 0);
	ExReleaseSpinLockShared(&lock, old);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	ExReleaseSpinLockExclusive(&lock, old);
	assert_int_equal(lock, 0);
	test_last_bugcheck.code = 0;
	ExReleaseSpinLockExclusive(&lock, PASSIVE_LEVEL);
	assert_int_equal(test_last_bugcheck.code, SPIN_LOCK_NOT_OWNED);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	ExAcquireSpinLockExclusiveAtDpcLevel(&lock);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_GREATER_OR_EQUAL);
	assert_int_equal(lock, 0);
}

#define THREADS 4
#define ROUNDS 20000

static KSPIN_LOCK shared_lock;
static EX_SPIN_LOCK shared_ex_lock;
static ULONG counter;
static ULONG mirror;

static void *contend(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		KIRQL old;
		KLOCK_QUEUE_HANDLE h;

		if (i % 2) {
			KeAcquireSpinLock(&shared_lock, &old);
			counter++;
			KeReleaseSpinLock(&shared_lock, old);
		} else {
			KeAcquireInStackQueuedSpinLock(&shared_lock, &h);
			counter++;
			KeReleaseInStackQueuedSpinLock(&h);
		}
	}
	return NULL;
}

static void contended_spin_lock_excludes(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	KeInitializeSpinLock(&shared_lock);
	counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, contend, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(counter, THREADS * ROUNDS);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void *contend_rw(void *arg)
{
	BOOLEAN writer = (BOOLEAN)(ULONG_PTR)arg;
	ULONG torn = 0;

	for (int i = 0; i < ROUNDS / 4; i++) {
		KIRQL old;

		if (writer) {
			old = ExAcquireSpinLockExclusive(&shared_ex_lock);
			counter++;
			mirror++;
			ExReleaseSpinLockExclusive(&shared_ex_lock, old);
		} else {
			old = ExAcquireSpinLockShared(&shared_ex_lock);
			torn += counter != mirror;
			ExReleaseSpinLockShared(&shared_ex_lock, old);
		}
	}
	return (void *)(ULONG_PTR)torn;
}

static void contended_ex_spin_lock_excludes_writers(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	counter = mirror = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, contend_rw, (void *)(ULONG_PTR)(i % 2)), 0);
	for (int i = 0; i < THREADS; i++) {
		void *torn;

		pthread_join(t[i], &torn);
		assert_null(torn);
	}
	assert_int_equal(counter, (THREADS / 2) * (ROUNDS / 4));
	assert_int_equal(shared_ex_lock, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acquire_raises_and_release_restores,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(reacquire_by_owner_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(release_not_held_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(release_by_other_thread_bugchecks_and_try_fails,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(dpc_level_routines_require_dispatch,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(acquire_above_dispatch_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(in_stack_queued_keeps_old_irql,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(queued_ownership_is_checked,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(queued_waiters_are_served_in_order,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(ex_spin_lock_shared_and_exclusive,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(contended_spin_lock_excludes,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(contended_ex_spin_lock_excludes_writers,
						test_setup_no_clock, test_teardown_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
