/*
 * Internal helpers shared by the ke services (spin locks, fast mutexes,
 * resources, regions, pool): the calling thread's identity token, futex
 * waits on words inside the objects themselves, and polite spinning.
 */
#ifndef ALTITUDE_SRC_KE_KESVC_H
#define ALTITUDE_SRC_KE_KESVC_H

#include "ke/ke.h"

/*
 * A non-zero value unique to each live thread (the address of a thread-local
 * byte); it identifies owners of spin locks, mutexes and resources.
 */
ULONG_PTR ke_thread_token(void);

/* Sleeps while *word == expected (returns on wake-up, signal or mismatch). */
void ke_futex_wait(volatile LONG *word, LONG expected);
/* Wakes up to `count` threads sleeping on word (INT_MAX: all of them). */
void ke_futex_wake(volatile LONG *word, int count);

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

/* The value an executive holder stores in a KSPIN_LOCK: its thread token, odd. */
ULONG_PTR ke_spin_token(void);
/* TRUE when `self` may take `lock`; otherwise reports SPIN_LOCK_ALREADY_OWNED. */
BOOLEAN ke_spin_lock_not_mine(PKSPIN_LOCK lock, ULONG_PTR self, const char *routine);
/* TRUE when the caller holds `lock` as an in-stack queued spin lock. */
BOOLEAN ke_queued_spin_lock_held(PKSPIN_LOCK lock);
/* TRUE at IRQL >= DISPATCH_LEVEL; otherwise reports IRQL_NOT_GREATER_OR_EQUAL. */
BOOLEAN ke_at_dpc_level(const char *routine);
/* Raises to DISPATCH_LEVEL, *old = previous IRQL; FALSE (reported) when above it. */
BOOLEAN ke_raise_to_dpc(KIRQL *old, const char *routine);

#endif /* ALTITUDE_SRC_KE_KESVC_H */
