/*
 * Fast mutexes and guarded mutexes: a futex mutex on FAST_MUTEX.Count plus
 * the owner's thread token, so recursion and foreign releases are reported
 * (see <nt/ex.h>).  A fast mutex raises to APC_LEVEL and keeps the previous
 * IRQL in OldIrql; a guarded mutex enters a guarded region instead.
 */
#include <string.h>

#include "ke/kesync.h"

static PVOID ke_mutex_owner(PFAST_MUTEX m)
{
	return __atomic_load_n(&m->Owner, __ATOMIC_RELAXED);
}

/* TRUE when the caller may wait for the mutex (it does not hold it). */
static BOOLEAN ke_mutex_not_mine(PFAST_MUTEX m, const char *routine)
{
	PVOID self = (PVOID)ke_thread_current();

	if (ke_mutex_owner(m) != self)
		return TRUE;
	ke_bugcheck(MUTEX_ALREADY_OWNED, (ULONG_PTR)m, (ULONG_PTR)self, 0, 0, routine);
	return FALSE;
}

/* TRUE when the caller holds the mutex and may release it. */
static BOOLEAN ke_mutex_mine(PFAST_MUTEX m, const char *routine)
{
	PVOID self = (PVOID)ke_thread_current();
	PVOID owner = ke_mutex_owner(m);

	if (owner == self)
		return TRUE;
	ke_bugcheck(THREAD_NOT_MUTEX_OWNER, (ULONG_PTR)m, (ULONG_PTR)owner, (ULONG_PTR)self, 0,
		    routine);
	return FALSE;
}

static void ke_mutex_take(PFAST_MUTEX m)
{
	if (ke_futex_lock(&m->Count))
		m->Contention++;
	__atomic_store_n(&m->Owner, (PVOID)ke_thread_current(), __ATOMIC_RELAXED);
}

static BOOLEAN ke_mutex_try_take(PFAST_MUTEX m)
{
	if (!ke_futex_trylock(&m->Count))
		return FALSE;
	__atomic_store_n(&m->Owner, (PVOID)ke_thread_current(), __ATOMIC_RELAXED);
	return TRUE;
}

static void ke_mutex_give(PFAST_MUTEX m)
{
	__atomic_store_n(&m->Owner, NULL, __ATOMIC_RELAXED);
	ke_futex_unlock(&m->Count);
}

static void ke_mutex_init(PFAST_MUTEX m)
{
	memset(m, 0, sizeof(*m));
	KeInitializeEvent(&m->Event, SynchronizationEvent, FALSE);
}

VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
	ke_mutex_init(FastMutex);
}

VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
	KIRQL old;

	if (!ke_irql_at_most(APC_LEVEL, "ExAcquireFastMutex") ||
	    !ke_mutex_not_mine(FastMutex, "ExAcquireFastMutex"))
		return;
	old = KfRaiseIrql(APC_LEVEL);
	ke_mutex_take(FastMutex);
	FastMutex->OldIrql = old;
}

VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
	KIRQL old;

	if (!ke_mutex_mine(FastMutex, "ExReleaseFastMutex"))
		return;
	old = (KIRQL)FastMutex->OldIrql;
	if (old > KeGetCurrentIrql()) {
		ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeGetCurrentIrql(), old, 0, 0,
			    "ExReleaseFastMutex");
		return;
	}
	ke_mutex_give(FastMutex);
	KeLowerIrql(old);
}

BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
	KIRQL old;

	if (!ke_irql_at_most(APC_LEVEL, "ExTryToAcquireFastMutex"))
		return FALSE;
	old = KfRaiseIrql(APC_LEVEL);
	if (!ke_mutex_try_take(FastMutex)) {
		KeLowerIrql(old);
		return FALSE;
	}
	FastMutex->OldIrql = old;
	return TRUE;
}

VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
	if (!ke_irql_at_most(APC_LEVEL, "ExAcquireFastMutexUnsafe") ||
	    !ke_mutex_not_mine(FastMutex, "ExAcquireFastMutexUnsafe"))
		return;
	ke_mutex_take(FastMutex);
}

VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
	if (!ke_irql_at_most(APC_LEVEL, "ExReleaseFastMutexUnsafe") ||
	    !ke_mutex_mine(FastMutex, "ExReleaseFastMutexUnsafe"))
		return;
	ke_mutex_give(FastMutex);
}

VOID NTAPI KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	ke_mutex_init(Mutex);
}

VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeAcquireGuardedMutex") ||
	    !ke_mutex_not_mine(Mutex, "KeAcquireGuardedMutex"))
		return;
	KeEnterGuardedRegion();
	ke_mutex_take(Mutex);
}

VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeReleaseGuardedMutex") ||
	    !ke_mutex_mine(Mutex, "KeReleaseGuardedMutex"))
		return;
	ke_mutex_give(Mutex);
	KeLeaveGuardedRegion();
}

BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeTryToAcquireGuardedMutex"))
		return FALSE;
	KeEnterGuardedRegion();
	if (ke_mutex_try_take(Mutex))
		return TRUE;
	KeLeaveGuardedRegion();
	return FALSE;
}
