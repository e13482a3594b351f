/*
 * In-stack queued spin locks: an MCS queue on the KSPIN_LOCK word.  The word
 * holds the tail of the queue (the last waiter's KSPIN_LOCK_QUEUE, an even
 * pointer); each waiter spins on its own queue entry until its predecessor
 * hands the lock over, so the lock is granted first come, first served.
 * LockQueue.Lock holds the lock's address with bit 0 set while waiting and
 * bit 1 set while owning.  An executive holder's odd token in the word makes
 * queued acquirers wait until it releases (see spinlock.c).
 *
 * Each thread remembers the queued locks it holds, so that re-acquiring one
 * bugchecks SPIN_LOCK_ALREADY_OWNED instead of spinning forever.
 */
#include "ke/kesync.h"

#define KE_LOCK_QUEUE_WAIT ((ULONG_PTR)1)
#define KE_LOCK_QUEUE_OWNER ((ULONG_PTR)2)
#define KE_QUEUED_HELD_MAX 16

static __thread PKSPIN_LOCK ke_queued_held[KE_QUEUED_HELD_MAX];
__thread ULONG ke_queued_held_count;

BOOLEAN ke_queued_spin_lock_held(PKSPIN_LOCK lock)
{
	for (ULONG i = 0; i < ke_queued_held_count && i < KE_QUEUED_HELD_MAX; i++) {
		if (ke_queued_held[i] == lock)
			return TRUE;
	}
	return FALSE;
}

static void ke_queued_remember(PKSPIN_LOCK lock)
{
	if (ke_queued_held_count < KE_QUEUED_HELD_MAX)
		ke_queued_held[ke_queued_held_count] = lock;
	ke_queued_held_count++;
}

static void ke_queued_forget(PKSPIN_LOCK lock)
{
	ULONG n = ke_queued_held_count < KE_QUEUED_HELD_MAX ? ke_queued_held_count :
							      KE_QUEUED_HELD_MAX;

	for (ULONG i = 0; i < n; i++) {
		if (ke_queued_held[i] == lock) {
			ke_queued_held[i] = ke_queued_held[n - 1];
			break;
		}
	}
	ke_queued_held_count--;
}

static PKSPIN_LOCK ke_queue_lock_of(PKSPIN_LOCK_QUEUE q, ULONG_PTR *bits)
{
	ULONG_PTR v = (ULONG_PTR)__atomic_load_n(&q->Lock, __ATOMIC_ACQUIRE);

	*bits = v & (KE_LOCK_QUEUE_WAIT | KE_LOCK_QUEUE_OWNER);
	return (PKSPIN_LOCK)(v & ~(KE_LOCK_QUEUE_WAIT | KE_LOCK_QUEUE_OWNER));
}

static void ke_queue_set_lock(PKSPIN_LOCK_QUEUE q, PKSPIN_LOCK lock, ULONG_PTR bits)
{
	__atomic_store_n(&q->Lock, (PKSPIN_LOCK)((ULONG_PTR)lock | bits), __ATOMIC_RELEASE);
}

/* Joins the queue of `lock` and spins until the lock is handed to `q`. */
static void ke_queued_take(PKSPIN_LOCK lock, PKSPIN_LOCK_QUEUE q)
{
	ULONG spins = 0;
	ULONG_PTR tail = __atomic_load_n(lock, __ATOMIC_RELAXED);
	ULONG_PTR bits;

	__atomic_store_n(&q->Next, NULL, __ATOMIC_RELAXED);
	ke_queue_set_lock(q, lock, KE_LOCK_QUEUE_WAIT);
	for (;;) {
		if (tail & 1) { /* an executive holder: wait for it to leave */
			ke_spin_pause(&spins);
			tail = __atomic_load_n(lock, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_compare_exchange_n(lock, &tail, (ULONG_PTR)q, FALSE, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	if (tail != 0) {
		__atomic_store_n(&((PKSPIN_LOCK_QUEUE)tail)->Next, q, __ATOMIC_RELEASE);
		do
			ke_spin_pause(&spins);
		while (ke_queue_lock_of(q, &bits), bits & KE_LOCK_QUEUE_WAIT);
	}
	ke_queue_set_lock(q, lock, KE_LOCK_QUEUE_OWNER);
	ke_queued_remember(lock);
}

/* Hands the lock to the next waiter, or frees it. */
static void ke_queued_give(PKSPIN_LOCK lock, PKSPIN_LOCK_QUEUE q)
{
	ULONG spins = 0;
	PKSPIN_LOCK_QUEUE next = __atomic_load_n(&q->Next, __ATOMIC_ACQUIRE);

	ke_queued_forget(lock);
	if (next == NULL) {
		ULONG_PTR self = (ULONG_PTR)q;

		if (__atomic_compare_exchange_n(lock, &self, 0, FALSE, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			__atomic_store_n(&q->Lock, NULL, __ATOMIC_RELAXED);
			return;
		}
		/* A waiter swapped itself in and is about to link behind us. */
		while ((next = __atomic_load_n(&q->Next, __ATOMIC_ACQUIRE)) == NULL)
			ke_spin_pause(&spins);
	}
	__atomic_store_n(&q->Lock, NULL, __ATOMIC_RELAXED);
	ke_queue_set_lock(next, lock, KE_LOCK_QUEUE_OWNER);
}

/* The lock the handle owns, or NULL after reporting SPIN_LOCK_NOT_OWNED. */
static PKSPIN_LOCK ke_queued_owned(PKLOCK_QUEUE_HANDLE h, const char *routine)
{
	ULONG_PTR bits;
	PKSPIN_LOCK lock = ke_queue_lock_of(&h->LockQueue, &bits);

	if (lock != NULL && bits == KE_LOCK_QUEUE_OWNER && ke_queued_spin_lock_held(lock))
		return lock;
	ke_bugcheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)lock, (ULONG_PTR)h, 0, 0, routine);
	return NULL;
}

VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
	KIRQL old;

	if (!ke_spin_lock_not_mine(SpinLock, ke_spin_token(), "KeAcquireInStackQueuedSpinLock") ||
	    !ke_raise_to_dpc(&old, "KeAcquireInStackQueuedSpinLock"))
		return;
	ke_queued_take(SpinLock, &LockHandle->LockQueue);
	LockHandle->OldIrql = old;
}

VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
	PKSPIN_LOCK lock = ke_queued_owned(LockHandle, "KeReleaseInStackQueuedSpinLock");
	KIRQL old = LockHandle->OldIrql;

	if (lock == NULL)
		return;
	if (old > KeGetCurrentIrql()) {
		ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeGetCurrentIrql(), old, 0, 0,
			    "KeReleaseInStackQueuedSpinLock");
		return;
	}
	ke_queued_give(lock, &LockHandle->LockQueue);
	ke_irql_set(old);
}

VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
						       PKLOCK_QUEUE_HANDLE LockHandle)
{
	if (!ke_at_dpc_level("KeAcquireInStackQueuedSpinLockAtDpcLevel") ||
	    !ke_spin_lock_not_mine(SpinLock, ke_spin_token(),
				   "KeAcquireInStackQueuedSpinLockAtDpcLevel"))
		return;
	ke_queued_take(SpinLock, &LockHandle->LockQueue);
	LockHandle->OldIrql = KeGetCurrentIrql();
}

VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
	PKSPIN_LOCK lock;

	if (!ke_at_dpc_level("KeReleaseInStackQueuedSpinLockFromDpcLevel"))
		return;
	lock = ke_queued_owned(LockHandle, "KeReleaseInStackQueuedSpinLockFromDpcLevel");
	if (lock != NULL)
		ke_queued_give(lock, &LockHandle->LockQueue);
}
