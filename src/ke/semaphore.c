/*
 * Semaphores.  KeReleaseSemaphore returns the count before the release;
 * releasing past the limit (or by a non-positive adjustment) raises
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED: a bugcheck report with that code that
 * leaves the count unchanged.
 */
#include "ke/dispatcher.h"

VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
	ke_dispatcher_init_header(&Semaphore->Header, SemaphoreObject,
				  sizeof(KSEMAPHORE) / sizeof(LONG), Count);
	Semaphore->Limit = Limit;
}

LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
			      BOOLEAN Wait)
{
	BOOLEAN exceeded;
	LONG old;

	(void)Increment;
	(void)Wait;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "KeReleaseSemaphore"))
		return KeReadStateSemaphore(Semaphore);
	ke_lock();
	old = Semaphore->Header.SignalState;
	exceeded = (BOOLEAN)(Adjustment <= 0 || Adjustment > Semaphore->Limit - old);
	if (!exceeded) {
		Semaphore->Header.SignalState = old + Adjustment;
		if (old == 0)
			ke_object_wake(&Semaphore->Header);
	}
	ke_unlock();
	if (exceeded)
		ke_bugcheck((ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED, (ULONG_PTR)Semaphore,
			    (ULONG_PTR)old, (ULONG_PTR)Adjustment, (ULONG_PTR)Semaphore->Limit,
			    "KeReleaseSemaphore");
	return old;
}

LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
{
	return ke_read_signal_state(&Semaphore->Header);
}
