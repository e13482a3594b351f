/*
 * Synchronisation helpers shared inside ke (spin locks, fast mutexes,
 * resources, regions, pool): the calling thread's record, futex
 * waits on words inside the objects themselves, and polite spinning.
 */
#ifndef ALTITUDE_SRC_KE_KESVC_H
#define ALTITUDE_SRC_KE_KESVC_H

#include "ke/ke.h"

/*
 * The calling thread's record (thread.c), created the first time the thread
 * calls in.  As on Windows, its address (the PKTHREAD, which is also the
 * PETHREAD) identifies the owners of spin locks, fast mutexes and resources
 * (ExGetCurrentResourceThread).  Inline: spin lock acquisition must stay
 * cheap.
 */
extern __thread PKTHREAD ke_thread_self;
/* Slow path of ke_thread_current: creates and attaches the record. */
PKTHREAD ke_thread_attach_new(void);

static inline PKTHREAD ke_thread_current(void)
{
	PKTHREAD thread = ke_thread_self;

	if (__builtin_expect(thread != NULL, 1))
		return thread;
	return ke_thread_attach_new();
}

/* Sleeps while *word == expected (returns on wake-up, signal or mismatch). */
void ke_futex_wait(volatile LONG *word, LONG expected);
/* Wakes up to `count` threads sleeping on word (INT_MAX: all of them). */
void ke_futex_wake(volatile LONG *word, int count);
/*
 * Sleeps until the private word `*mine` is woken or differs from `mine_val`,
 * or the shared word `*shared` (MAP_SHARED memory) is woken or differs from
 * `shared_val` (futex_waitv).  May return spuriously.
 */
void ke_futex_waitv2(volatile LONG *mine, LONG mine_val, volatile LONG *shared, LONG shared_val);
/* TRUE when the kernel has futex_waitv (Linux 5.16). */
BOOLEAN ke_futex_waitv_supported(void);

/*
 * A three-state futex mutex on a LONG (0 free, 1 held, 2 held with
 * sleepers).  ke_futex_lock returns TRUE when it had to wait.
 */
BOOLEAN ke_futex_lock(volatile LONG *word);
BOOLEAN ke_futex_trylock(volatile LONG *word);
void ke_futex_unlock(volatile LONG *word);

/*
 * One step of a spin-wait: pause the CPU, and every so often yield it, since
 * the owner may be a preempted user-space thread on a shared core.
 */
void ke_spin_pause(ULONG *spins);

/* Spin locks (spinlock.c, queuedspinlock.c). */

/* The value a holder stores in a KSPIN_LOCK: its thread record's address (16-byte aligned), odd. */
static inline ULONG_PTR ke_spin_token(void)
{
	return (ULONG_PTR)ke_thread_current() | 1;
}

/* How many in-stack queued spin locks the calling thread holds. */
extern __thread ULONG ke_queued_held_count;
/* TRUE when the caller holds `lock` as an in-stack queued spin lock. */
BOOLEAN ke_queued_spin_lock_held(PKSPIN_LOCK lock);

/* TRUE when `self` may take `lock`; otherwise reports SPIN_LOCK_ALREADY_OWNED. */
static inline BOOLEAN ke_spin_lock_not_mine(PKSPIN_LOCK lock, ULONG_PTR self, const char *routine)
{
	if (__atomic_load_n(lock, __ATOMIC_RELAXED) != self &&
	    (ke_queued_held_count == 0 || !ke_queued_spin_lock_held(lock)))
		return TRUE;
	ke_bugcheck(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)lock, self, 0, 0, routine);
	return FALSE;
}
/* TRUE at IRQL >= DISPATCH_LEVEL; otherwise reports IRQL_NOT_GREATER_OR_EQUAL. */
BOOLEAN ke_at_dpc_level(const char *routine);
/* Raises to DISPATCH_LEVEL, *old = previous IRQL; FALSE (reported) when above it. */
BOOLEAN ke_raise_to_dpc(KIRQL *old, const char *routine);

#endif /* ALTITUDE_SRC_KE_KESVC_H */
