/*
 * Executive resources (ERESOURCE): reader/writer locks with recursive
 * ownership.  All state is guarded by a futex mutex in the low half of
 * ERESOURCE.SpinLock; waiters sleep on the high half, a sequence number the
 * releasing thread bumps before waking them all to re-check.  See <nt/ex.h>.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kesync.h"

#define EX_RES_INITIAL_TABLE 4

_Static_assert(sizeof(KSPIN_LOCK) == 2 * sizeof(LONG), "two futex words in SpinLock");

enum ex_res_shared_mode {
	EX_RES_SHARED,            /* ExAcquireResourceSharedLite */
	EX_RES_STARVE_EXCLUSIVE,  /* ExAcquireSharedStarveExclusive */
	EX_RES_WAIT_FOR_EXCLUSIVE /* ExAcquireSharedWaitForExclusive */
};

static volatile LONG *ex_res_lock_word(PERESOURCE r)
{
	return (volatile LONG *)&r->SpinLock;
}

static volatile LONG *ex_res_seq_word(PERESOURCE r)
{
	return (volatile LONG *)&r->SpinLock + 1;
}

static BOOLEAN ex_res_exclusive(PERESOURCE r)
{
	return (r->Flag & ResourceOwnedExclusive) != 0;
}

static POWNER_ENTRY ex_res_find_shared(PERESOURCE r, ERESOURCE_THREAD thread)
{
	for (ULONG i = 1; i <= r->ActiveEntries; i++) {
		if (r->OwnerTable[i].OwnerThread == thread)
			return &r->OwnerTable[i];
	}
	return NULL;
}

/* Adds `thread` as a shared owner holding `count`; FALSE when out of memory. */
static BOOLEAN ex_res_add_shared(PERESOURCE r, ERESOURCE_THREAD thread, ULONG count)
{
	ULONG size = r->OwnerTable[0].TableSize;
	POWNER_ENTRY e;

	if (r->ActiveEntries + 1 >= size) {
		POWNER_ENTRY grown = realloc(r->OwnerTable, 2 * size * sizeof(OWNER_ENTRY));

		if (grown == NULL)
			return FALSE;
		memset(grown + size, 0, size * sizeof(OWNER_ENTRY));
		grown[0].TableSize = 2 * size;
		r->OwnerTable = grown;
	}
	e = &r->OwnerTable[++r->ActiveEntries];
	e->OwnerThread = thread;
	e->OwnerCount = count;
	r->ActiveCount++;
	return TRUE;
}

static void ex_res_remove_shared(PERESOURCE r, POWNER_ENTRY e)
{
	*e = r->OwnerTable[r->ActiveEntries];
	memset(&r->OwnerTable[r->ActiveEntries], 0, sizeof(OWNER_ENTRY));
	r->ActiveEntries--;
	r->ActiveCount--;
}

static BOOLEAN ex_res_try_exclusive(PERESOURCE r, ERESOURCE_THREAD self)
{
	if (ex_res_exclusive(r)) {
		if (r->OwnerEntry.OwnerThread != self)
			return FALSE;
		r->OwnerEntry.OwnerCount++;
		return TRUE;
	}
	if (r->ActiveEntries != 0)
		return FALSE;
	r->Flag |= ResourceOwnedExclusive;
	r->OwnerEntry.OwnerThread = self;
	r->OwnerEntry.OwnerCount = 1;
	r->ActiveCount = 1;
	return TRUE;
}

static BOOLEAN ex_res_try_shared(PERESOURCE r, ERESOURCE_THREAD self, enum ex_res_shared_mode mode)
{
	POWNER_ENTRY e;

	if (ex_res_exclusive(r)) {
		if (r->OwnerEntry.OwnerThread != self)
			return FALSE;
		r->OwnerEntry.OwnerCount++;
		return TRUE;
	}
	e = ex_res_find_shared(r, self);
	if (e != NULL) {
		if (mode == EX_RES_WAIT_FOR_EXCLUSIVE && r->NumberOfExclusiveWaiters != 0)
			return FALSE;
		e->OwnerCount++;
		return TRUE;
	}
	if (mode != EX_RES_STARVE_EXCLUSIVE && r->NumberOfExclusiveWaiters != 0)
		return FALSE;
	return ex_res_add_shared(r, self, 1);
}

static BOOLEAN ex_res_try(PERESOURCE r, BOOLEAN exclusive, enum ex_res_shared_mode mode)
{
	ERESOURCE_THREAD self = ExGetCurrentResourceThread();

	return exclusive ? ex_res_try_exclusive(r, self) : ex_res_try_shared(r, self, mode);
}

/* Sleeps until the resource can be granted; called and returns with the lock held. */
static void ex_res_wait(PERESOURCE r, BOOLEAN exclusive, enum ex_res_shared_mode mode)
{
	ULONG *waiters = exclusive ? &r->NumberOfExclusiveWaiters : &r->NumberOfSharedWaiters;

	r->ContentionCount++;
	(*waiters)++;
	do {
		LONG seq = __atomic_load_n(ex_res_seq_word(r), __ATOMIC_RELAXED);

		ke_futex_unlock(ex_res_lock_word(r));
		ke_futex_wait(ex_res_seq_word(r), seq);
		ke_futex_lock(ex_res_lock_word(r));
	} while (!ex_res_try(r, exclusive, mode));
	(*waiters)--;
}

static BOOLEAN ex_res_acquire(PERESOURCE r, BOOLEAN exclusive, enum ex_res_shared_mode mode,
			      BOOLEAN wait, const char *routine)
{
	BOOLEAN granted = TRUE;

	if (!ke_irql_at_most(APC_LEVEL, routine))
		return FALSE;
	ke_futex_lock(ex_res_lock_word(r));
	if (ex_res_try(r, exclusive, mode))
		goto out;
	if (!wait) {
		granted = FALSE;
		goto out;
	}
	if (exclusive && ex_res_find_shared(r, ExGetCurrentResourceThread()) != NULL) {
		/* Waiting for ourselves: a certain deadlock on Windows. */
		ke_futex_unlock(ex_res_lock_word(r));
		ke_bugcheck(RESOURCE_NOT_OWNED, (ULONG_PTR)r, ExGetCurrentResourceThread(),
			    (ULONG_PTR)r->OwnerTable, 1, routine);
		return FALSE;
	}
	ex_res_wait(r, exclusive, mode);
out:
	ke_futex_unlock(ex_res_lock_word(r));
	return granted;
}

/* Wakes every waiter to re-check; called with the lock held, returns after unlocking. */
static void ex_res_unlock_and_wake(PERESOURCE r)
{
	BOOLEAN waiters = r->NumberOfExclusiveWaiters != 0 || r->NumberOfSharedWaiters != 0;

	if (waiters)
		__atomic_add_fetch(ex_res_seq_word(r), 1, __ATOMIC_RELAXED);
	ke_futex_unlock(ex_res_lock_word(r));
	if (waiters)
		ke_futex_wake(ex_res_seq_word(r), INT_MAX);
}

static void ex_res_release(PERESOURCE r, ERESOURCE_THREAD thread, const char *routine)
{
	POWNER_ENTRY e;

	if (!ke_irql_at_most(DISPATCH_LEVEL, routine))
		return;
	ke_futex_lock(ex_res_lock_word(r));
	if (ex_res_exclusive(r) && r->OwnerEntry.OwnerThread == thread) {
		if (--r->OwnerEntry.OwnerCount == 0) {
			r->Flag &= ~ResourceOwnedExclusive;
			r->OwnerEntry.OwnerThread = 0;
			r->ActiveCount = 0;
		}
		ex_res_unlock_and_wake(r);
		return;
	}
	e = ex_res_exclusive(r) ? NULL : ex_res_find_shared(r, thread);
	if (e == NULL) {
		ke_futex_unlock(ex_res_lock_word(r));
		ke_bugcheck(RESOURCE_NOT_OWNED, (ULONG_PTR)r, thread, (ULONG_PTR)r->OwnerTable, 0,
			    routine);
		return;
	}
	if (--e->OwnerCount == 0)
		ex_res_remove_shared(r, e);
	ex_res_unlock_and_wake(r);
}

NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource)
{
	memset(Resource, 0, sizeof(*Resource));
	InitializeListHead(&Resource->SystemResourcesList);
	Resource->OwnerTable = calloc(EX_RES_INITIAL_TABLE, sizeof(OWNER_ENTRY));
	if (Resource->OwnerTable == NULL)
		return STATUS_INSUFFICIENT_RESOURCES;
	Resource->OwnerTable[0].TableSize = EX_RES_INITIAL_TABLE;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource)
{
	POWNER_ENTRY table = Resource->OwnerTable;
	ULONG size;

	if (table == NULL)
		return ExInitializeResourceLite(Resource);
	size = table[0].TableSize;
	memset(table, 0, size * sizeof(OWNER_ENTRY));
	table[0].TableSize = size;
	memset(Resource, 0, sizeof(*Resource));
	InitializeListHead(&Resource->SystemResourcesList);
	Resource->OwnerTable = table;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource)
{
	free(Resource->OwnerTable);
	memset(Resource, 0, sizeof(*Resource));
	return STATUS_SUCCESS;
}

BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
	return ex_res_acquire(Resource, TRUE, EX_RES_SHARED, Wait, "ExAcquireResourceExclusiveLite");
}

BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
	return ex_res_acquire(Resource, FALSE, EX_RES_SHARED, Wait, "ExAcquireResourceSharedLite");
}

BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
	return ex_res_acquire(Resource, FALSE, EX_RES_STARVE_EXCLUSIVE, Wait,
			      "ExAcquireSharedStarveExclusive");
}

BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
	return ex_res_acquire(Resource, FALSE, EX_RES_WAIT_FOR_EXCLUSIVE, Wait,
			      "ExAcquireSharedWaitForExclusive");
}

VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource)
{
	ex_res_release(Resource, ExGetCurrentResourceThread(), "ExReleaseResourceLite");
}

VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
{
	ex_res_release(Resource, ResourceThreadId, "ExReleaseResourceForThreadLite");
}

VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource)
{
	ERESOURCE_THREAD self = ExGetCurrentResourceThread();
	ULONG count;

	if (!ke_irql_at_most(DISPATCH_LEVEL, "ExConvertExclusiveToSharedLite"))
		return;
	ke_futex_lock(ex_res_lock_word(Resource));
	if (!ex_res_exclusive(Resource) || Resource->OwnerEntry.OwnerThread != self) {
		ke_futex_unlock(ex_res_lock_word(Resource));
		ke_bugcheck(RESOURCE_NOT_OWNED, (ULONG_PTR)Resource, self,
			    (ULONG_PTR)Resource->OwnerTable, 0, "ExConvertExclusiveToSharedLite");
		return;
	}
	count = Resource->OwnerEntry.OwnerCount;
	Resource->Flag &= ~ResourceOwnedExclusive;
	Resource->OwnerEntry.OwnerThread = 0;
	Resource->OwnerEntry.OwnerCount = 0;
	Resource->ActiveCount = 0;
	/* The table always has room for one entry while nobody owns it shared. */
	ex_res_add_shared(Resource, self, count);
	ex_res_unlock_and_wake(Resource);
}

BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
	BOOLEAN mine;

	ke_futex_lock(ex_res_lock_word(Resource));
	mine = ex_res_exclusive(Resource) &&
	       Resource->OwnerEntry.OwnerThread == ExGetCurrentResourceThread();
	ke_futex_unlock(ex_res_lock_word(Resource));
	return mine;
}

ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
	ERESOURCE_THREAD self = ExGetCurrentResourceThread();
	POWNER_ENTRY e;
	ULONG count = 0;

	ke_futex_lock(ex_res_lock_word(Resource));
	if (ex_res_exclusive(Resource)) {
		if (Resource->OwnerEntry.OwnerThread == self)
			count = Resource->OwnerEntry.OwnerCount;
	} else if ((e = ex_res_find_shared(Resource, self)) != NULL) {
		count = e->OwnerCount;
	}
	ke_futex_unlock(ex_res_lock_word(Resource));
	return count;
}

/* Reads a counter of the resource under its lock. */
static ULONG ex_res_read(PERESOURCE r, const ULONG *counter)
{
	ULONG n;

	ke_futex_lock(ex_res_lock_word(r));
	n = *counter;
	ke_futex_unlock(ex_res_lock_word(r));
	return n;
}

ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource)
{
	return ex_res_read(Resource, &Resource->NumberOfExclusiveWaiters);
}

ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource)
{
	return ex_res_read(Resource, &Resource->NumberOfSharedWaiters);
}

ERESOURCE_THREAD NTAPI ExGetCurrentResourceThread(VOID)
{
	return (ERESOURCE_THREAD)KeGetCurrentThread();
}

/* The Enter...AndAcquire routines return the resource itself as their opaque value. */
PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)
{
	KeEnterCriticalRegion();
	ExAcquireResourceExclusiveLite(Resource, TRUE);
	return Resource;
}

PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)
{
	KeEnterCriticalRegion();
	ExAcquireResourceSharedLite(Resource, TRUE);
	return Resource;
}

PVOID NTAPI ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(PERESOURCE Resource)
{
	KeEnterCriticalRegion();
	ExAcquireSharedWaitForExclusive(Resource, TRUE);
	return Resource;
}

VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)
{
	ExReleaseResourceLite(Resource);
	KeLeaveCriticalRegion();
}
