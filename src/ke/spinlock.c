/*
 * Executive spin locks (KSPIN_LOCK) and reader/writer spin locks
 * (EX_SPIN_LOCK).  An executive holder stores its spin token (odd) in the
 * lock word; in-stack queued holders (queuedspinlock.c) store the tail of
 * their queue (an even pointer).  See <nt/spinlock.h>.
 */
#include "ke/kesync.h"

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
	__atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
}

/* Spins until the lock word goes from 0 to `self`. */
static void ke_spin_lock_take(PKSPIN_LOCK lock, ULONG_PTR self)
{
	ULONG spins = 0;

	for (;;) {
		ULONG_PTR expected = 0;

		if (__atomic_compare_exchange_n(lock, &expected, self, FALSE, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0)
			ke_spin_pause(&spins);
	}
}

/* TRUE when the caller holds the lock (as an executive spin lock) and may release it. */
static BOOLEAN ke_spin_lock_mine(PKSPIN_LOCK lock, const char *routine)
{
	ULONG_PTR owner = __atomic_load_n(lock, __ATOMIC_RELAXED);

	if (owner == ke_spin_token())
		return TRUE;
	ke_bugcheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)lock, owner, 0, 0, routine);
	return FALSE;
}

BOOLEAN ke_at_dpc_level(const char *routine)
{
	KIRQL irql = KeGetCurrentIrql();

	if (irql >= DISPATCH_LEVEL)
		return TRUE;
	ke_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, irql, DISPATCH_LEVEL, 0, 0, routine);
	return FALSE;
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
	ULONG_PTR self = ke_spin_token();
	KIRQL old = KeGetCurrentIrql();

	if (!ke_spin_lock_not_mine(SpinLock, self, "KeAcquireSpinLock"))
		return old;
	if (old > DISPATCH_LEVEL) {
		ke_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, old, DISPATCH_LEVEL, 0, 0,
			    "KeAcquireSpinLock");
		return old;
	}
	ke_irql_set(DISPATCH_LEVEL);
	ke_spin_lock_take(SpinLock, self);
	return old;
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
	if (!ke_spin_lock_mine(SpinLock, "KeReleaseSpinLock"))
		return;
	if (NewIrql > KeGetCurrentIrql()) {
		ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeGetCurrentIrql(), NewIrql, 0, 0,
			    "KeReleaseSpinLock");
		return;
	}
	__atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
	ke_irql_set(NewIrql);
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	ULONG_PTR self = ke_spin_token();

	if (!ke_at_dpc_level("KeAcquireSpinLockAtDpcLevel"))
		return;
	if (!ke_spin_lock_not_mine(SpinLock, self, "KeAcquireSpinLockAtDpcLevel"))
		return;
	ke_spin_lock_take(SpinLock, self);
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
	if (!ke_at_dpc_level("KeReleaseSpinLockFromDpcLevel"))
		return;
	if (!ke_spin_lock_mine(SpinLock, "KeReleaseSpinLockFromDpcLevel"))
		return;
	__atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
}

BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	ULONG_PTR self = ke_spin_token();
	ULONG_PTR expected = 0;

	if (!ke_at_dpc_level("KeTryToAcquireSpinLockAtDpcLevel"))
		return FALSE;
	if (!ke_spin_lock_not_mine(SpinLock, self, "KeTryToAcquireSpinLockAtDpcLevel"))
		return FALSE;
	return __atomic_compare_exchange_n(SpinLock, &expected, self, FALSE, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
	return __atomic_load_n(SpinLock, __ATOMIC_RELAXED) == 0;
}

/* EX_SPIN_LOCK word: exclusive owner bit, exclusive waiter bit, shared count. */
#define KE_EX_SPIN_EXCLUSIVE ((LONG)0x80000000)
#define KE_EX_SPIN_WRITER_WAITING 0x40000000
#define KE_EX_SPIN_SHARED_MASK 0x3fffffff

static void ke_ex_spin_take_shared(PEX_SPIN_LOCK lock)
{
	ULONG spins = 0;
	LONG v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	for (;;) {
		if ((v & (KE_EX_SPIN_EXCLUSIVE | KE_EX_SPIN_WRITER_WAITING)) == 0 &&
		    __atomic_compare_exchange_n(lock, &v, v + 1, TRUE, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		ke_spin_pause(&spins);
		v = __atomic_load_n(lock, __ATOMIC_RELAXED);
	}
}

static void ke_ex_spin_take_exclusive(PEX_SPIN_LOCK lock)
{
	ULONG spins = 0;
	LONG v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	for (;;) {
		if ((v & (KE_EX_SPIN_EXCLUSIVE | KE_EX_SPIN_SHARED_MASK)) == 0) {
			if (__atomic_compare_exchange_n(lock, &v, KE_EX_SPIN_EXCLUSIVE, TRUE,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return;
			continue;
		}
		/* Announce the writer so that new readers hold back. */
		if ((v & KE_EX_SPIN_WRITER_WAITING) == 0)
			__atomic_fetch_or(lock, KE_EX_SPIN_WRITER_WAITING, __ATOMIC_RELAXED);
		ke_spin_pause(&spins);
		v = __atomic_load_n(lock, __ATOMIC_RELAXED);
	}
}

static BOOLEAN ke_ex_spin_held_shared(PEX_SPIN_LOCK lock, const char *routine)
{
	LONG v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	if ((v & KE_EX_SPIN_EXCLUSIVE) == 0 && (v & KE_EX_SPIN_SHARED_MASK) != 0)
		return TRUE;
	ke_bugcheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)lock, (ULONG)v, 0, 0, routine);
	return FALSE;
}

static BOOLEAN ke_ex_spin_held_exclusive(PEX_SPIN_LOCK lock, const char *routine)
{
	LONG v = __atomic_load_n(lock, __ATOMIC_RELAXED);

	if ((v & KE_EX_SPIN_EXCLUSIVE) != 0)
		return TRUE;
	ke_bugcheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)lock, (ULONG)v, 0, 0, routine);
	return FALSE;
}

BOOLEAN ke_raise_to_dpc(KIRQL *old, const char *routine)
{
	*old = KeGetCurrentIrql();
	if (*old > DISPATCH_LEVEL) {
		ke_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, *old, DISPATCH_LEVEL, 0, 0, routine);
		return FALSE;
	}
	ke_irql_set(DISPATCH_LEVEL);
	return TRUE;
}

/* Restores `old` after a release; FALSE (after a bugcheck) if that would raise. */
static BOOLEAN ke_lower_ok(KIRQL old, const char *routine)
{
	if (old <= KeGetCurrentIrql())
		return TRUE;
	ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeGetCurrentIrql(), old, 0, 0, routine);
	return FALSE;
}

KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock)
{
	KIRQL old;

	if (ke_raise_to_dpc(&old, "ExAcquireSpinLockShared"))
		ke_ex_spin_take_shared(SpinLock);
	return old;
}

VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)
{
	if (!ke_ex_spin_held_shared(SpinLock, "ExReleaseSpinLockShared") ||
	    !ke_lower_ok(OldIrql, "ExReleaseSpinLockShared"))
		return;
	__atomic_fetch_sub(SpinLock, 1, __ATOMIC_RELEASE);
	ke_irql_set(OldIrql);
}

VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	if (ke_at_dpc_level("ExAcquireSpinLockSharedAtDpcLevel"))
		ke_ex_spin_take_shared(SpinLock);
}

VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	if (ke_at_dpc_level("ExReleaseSpinLockSharedFromDpcLevel") &&
	    ke_ex_spin_held_shared(SpinLock, "ExReleaseSpinLockSharedFromDpcLevel"))
		__atomic_fetch_sub(SpinLock, 1, __ATOMIC_RELEASE);
}

KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock)
{
	KIRQL old;

	if (ke_raise_to_dpc(&old, "ExAcquireSpinLockExclusive"))
		ke_ex_spin_take_exclusive(SpinLock);
	return old;
}

VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)
{
	if (!ke_ex_spin_held_exclusive(SpinLock, "ExReleaseSpinLockExclusive") ||
	    !ke_lower_ok(OldIrql, "ExReleaseSpinLockExclusive"))
		return;
	__atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
	ke_irql_set(OldIrql);
}

VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	if (ke_at_dpc_level("ExAcquireSpinLockExclusiveAtDpcLevel"))
		ke_ex_spin_take_exclusive(SpinLock);
}

VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	if (ke_at_dpc_level("ExReleaseSpinLockExclusiveFromDpcLevel") &&
	    ke_ex_spin_held_exclusive(SpinLock, "ExReleaseSpinLockExclusiveFromDpcLevel"))
		__atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
}
