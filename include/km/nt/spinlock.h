/*
 * Spin locks: KSPIN_LOCK (executive spin lock), in-stack queued spin locks
 * and EX_SPIN_LOCK reader/writer spin locks.
 *
 * Acquiring raises the caller to DISPATCH_LEVEL and releasing restores the
 * IRQL the caller passes back.  A KSPIN_LOCK holds 0 when free and its owner
 * thread's token when held, so that acquiring a lock the caller already holds
 * bugchecks SPIN_LOCK_ALREADY_OWNED and releasing a lock the caller does not
 * hold bugchecks SPIN_LOCK_NOT_OWNED (parameter 1: the lock's address); under
 * a harness hook the lock and the IRQL are left unchanged.
 *
 * In-stack queued spin locks grant the lock first come, first served: the
 * lock word holds the tail of a queue of KLOCK_QUEUE_HANDLEs and each waiter
 * spins on its own handle.  Re-acquiring one the thread holds bugchecks
 * SPIN_LOCK_ALREADY_OWNED; releasing through a handle that does not own its
 * lock bugchecks SPIN_LOCK_NOT_OWNED.  Windows forbids using one lock with
 * both the executive and the queued routines; here that is safe but not
 * fair (an executive acquirer waits for the queue to drain).
 *
 * EX_SPIN_LOCK is a 32-bit word: bit 31 marks an exclusive owner, bit 30 an
 * exclusive waiter (new shared acquirers then wait, so writers are not
 * starved) and the low bits count shared owners.  It cannot record owners, so
 * recursion is not detected there: re-acquiring one deadlocks, as on Windows.
 */
#ifndef ALTITUDE_NT_SPINLOCK_H
#define ALTITUDE_NT_SPINLOCK_H

#include <ntdef.h>
#include <nt/irql.h>

typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
	struct _KSPIN_LOCK_QUEUE *volatile Next;
	PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
	KSPIN_LOCK_QUEUE LockQueue;
	KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

_Static_assert(sizeof(KLOCK_QUEUE_HANDLE) == 3 * sizeof(void *), "KLOCK_QUEUE_HANDLE layout");

typedef volatile LONG EX_SPIN_LOCK, *PEX_SPIN_LOCK;

NTKERNELAPI VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
NTKERNELAPI VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock);

#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))

NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
							  PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
								    PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle);

NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock);

#endif /* ALTITUDE_NT_SPINLOCK_H */
