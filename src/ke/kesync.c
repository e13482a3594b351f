/*
 * Building blocks of the ke services' locks: futex waits on
 * words inside the objects, a three-state futex mutex, and polite spinning.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ke/kesvc.h"

void ke_futex_wait(volatile LONG *word, LONG expected)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void ke_futex_wake(volatile LONG *word, int count)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

void ke_spin_pause(ULONG *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
	else
		YieldProcessor();
}

BOOLEAN ke_futex_trylock(volatile LONG *word)
{
	LONG expected = 0;

	return __atomic_compare_exchange_n(word, &expected, 1, FALSE, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

BOOLEAN ke_futex_lock(volatile LONG *word)
{
	LONG c = 0;

	if (__atomic_compare_exchange_n(word, &c, 1, FALSE, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return FALSE;
	/* 2 = held with (possible) sleepers: the unlocker must wake one. */
	if (c != 2)
		c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		ke_futex_wait(word, 2);
		c = __atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE);
	}
	return TRUE;
}

void ke_futex_unlock(volatile LONG *word)
{
	if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2)
		ke_futex_wake(word, 1);
}
