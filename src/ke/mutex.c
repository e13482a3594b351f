/*
 * Mutexes (KMUTANT).  SignalState is 1 when free and goes down by one per
 * acquisition by the owner (recursion); KeReleaseMutex returns the state
 * before the release, so the last release of a mutex taken once returns 0.
 * Acquiring once more at MINLONG raises STATUS_MUTANT_LIMIT_EXCEEDED (see
 * wait.c); a release by a thread that does not own the mutex raises
 * STATUS_MUTANT_NOT_OWNED: both are bugcheck reports with those codes that
 * leave the mutex unchanged.  A thread that ends owning mutexes abandons
 * them: each becomes free and its next acquirer gets
 * STATUS_ABANDONED_WAIT_0 (+ index) and owns it.  While a thread owns a
 * mutex, KeAreApcsDisabled returns TRUE (the implicit critical region).
 */
#include "ke/dispatcher.h"

VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
	(void)Level;
	ke_dispatcher_init_header(&Mutex->Header, MutantObject, sizeof(KMUTANT) / sizeof(LONG), 1);
	InitializeListHead(&Mutex->MutantListEntry);
	Mutex->OwnerThread = NULL;
	Mutex->Abandoned = FALSE;
	Mutex->ApcDisable = 1;
}

LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
	struct _KTHREAD *thread = ke_thread_current();
	PKTHREAD owner;
	LONG old;

	(void)Wait;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "KeReleaseMutex"))
		return KeReadStateMutex(Mutex);
	ke_lock();
	old = Mutex->Header.SignalState;
	owner = Mutex->OwnerThread;
	if (owner != thread)
		goto out;
	Mutex->Header.SignalState++;
	if (Mutex->Header.SignalState == 1) {
		RemoveEntryList(&Mutex->MutantListEntry);
		InitializeListHead(&Mutex->MutantListEntry);
		Mutex->OwnerThread = NULL;
		ke_object_wake(&Mutex->Header);
	}
out:
	ke_unlock();
	if (owner != thread)
		ke_bugcheck((ULONG)STATUS_MUTANT_NOT_OWNED, (ULONG_PTR)Mutex, (ULONG_PTR)thread,
			    (ULONG_PTR)owner, 0, "KeReleaseMutex");
	return old;
}

LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex)
{
	return ke_read_signal_state(&Mutex->Header);
}

/*
 * Holding a mutex puts the holder in a critical region (normal kernel APCs
 * disabled), as on Windows; KeAreApcsDisabled asks here.
 */
BOOLEAN ke_mutex_owned_by_current(void)
{
	struct _KTHREAD *thread = ke_thread_current();
	BOOLEAN owns;

	ke_lock();
	owns = (BOOLEAN)!IsListEmpty(&thread->owned_mutants);
	ke_unlock();
	return owns;
}

void ke_mutex_abandon_all(struct _KTHREAD *thread)
{
	while (!IsListEmpty(&thread->owned_mutants)) {
		PKMUTANT mutant = CONTAINING_RECORD(RemoveHeadList(&thread->owned_mutants), KMUTANT,
						   MutantListEntry);

		InitializeListHead(&mutant->MutantListEntry);
		mutant->OwnerThread = NULL;
		mutant->Abandoned = TRUE;
		mutant->Header.SignalState = 1;
		ke_object_wake(&mutant->Header);
	}
}
