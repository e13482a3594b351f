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

#endif /* ALTITUDE_SRC_KE_KESVC_H */
