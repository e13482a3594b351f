/*
 * Building blocks of the ke services' locks: futex waits on
 * words inside the objects, a three-state futex mutex, and polite spinning.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ke/kesync.h"

void ke_futex_wait(volatile LONG *word, LONG expected)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void ke_futex_wake(volatile LONG *word, int count)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

void ke_futex_waitv2(volatile LONG *mine, LONG mine_val, volatile LONG *shared, LONG shared_val)
{
	struct futex_waitv w[2] = {
		{ .val = (uint32_t)mine_val, .uaddr = (uintptr_t)mine,
		  .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		{ .val = (uint32_t)shared_val, .uaddr = (uintptr_t)shared, .flags = FUTEX_32 },
	};

	syscall(SYS_futex_waitv, w, 2, 0, NULL, 0);
}

static int ke_futex_waitv_state; /* 0 unknown, 1 supported, 2 not */

BOOLEAN ke_futex_waitv_supported(void)
{
	int state = __atomic_load_n(&ke_futex_waitv_state, __ATOMIC_RELAXED);

	if (state == 0) {
		/* An empty vector: EINVAL when the call exists, ENOSYS when not. */
		long r = syscall(SYS_futex_waitv, NULL, 0, 0, NULL, 0);

		state = (r < 0 && errno == ENOSYS) ? 2 : 1;
		__atomic_store_n(&ke_futex_waitv_state, state, __ATOMIC_RELAXED);
	}
	return state == 1;
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
