/*
 * Lookaside lists: a bounded cache of fixed-size entries in front of the
 * pool (or of the caller's allocate and free routines).  Cached entries stay
 * pool allocations, so they remain accounted under the list's tag until the
 * list is flushed or deleted.  The cache is a singly linked list guarded by a
 * spin word (Future[0]); the caller's routines run outside it.
 */
#include <string.h>

#include "ke/kesync.h"

#define KE_LOOKASIDE_DEPTH EX_MAXIMUM_LOOKASIDE_DEPTH_BASE

static volatile LONG *ke_la_lock_word(PGENERAL_LOOKASIDE_POOL l)
{
	return (volatile LONG *)&l->Future[0];
}

static void ke_la_lock(PGENERAL_LOOKASIDE_POOL l)
{
	ULONG spins = 0;

	while (!ke_futex_trylock(ke_la_lock_word(l)))
		ke_spin_pause(&spins);
}

static void ke_la_unlock(PGENERAL_LOOKASIDE_POOL l)
{
	__atomic_store_n(ke_la_lock_word(l), 0, __ATOMIC_RELEASE);
}

/* Which flavour of routines the list calls (kept in Future[1]). */
enum ke_la_kind { KE_LA_CLASSIC, KE_LA_EX };

static void ke_la_init(PGENERAL_LOOKASIDE_POOL l, ULONG type, SIZE_T size, ULONG tag,
		       enum ke_la_kind kind)
{
	memset(l, 0, sizeof(*l));
	l->Depth = KE_LOOKASIDE_DEPTH;
	l->MaximumDepth = KE_LOOKASIDE_DEPTH;
	l->Type = (POOL_TYPE)type;
	l->Tag = tag;
	/* Every entry must hold the link of the cache list. */
	l->Size = (ULONG)(size < LOOKASIDE_MINIMUM_BLOCK_SIZE ? LOOKASIDE_MINIMUM_BLOCK_SIZE : size);
	InitializeListHead(&l->ListEntry);
	l->Future[1] = kind;
}

/* ExInitialize(N)PagedLookasideList: routines without the list argument. */
static void ke_la_init_classic(PGENERAL_LOOKASIDE_POOL l, ULONG type, PALLOCATE_FUNCTION allocate,
			       PFREE_FUNCTION free_routine, SIZE_T size, ULONG tag)
{
	ke_la_init(l, type, size, tag, KE_LA_CLASSIC);
	l->Allocate = allocate;
	l->Free = free_routine;
}

static PVOID ke_la_pop(PGENERAL_LOOKASIDE_POOL l)
{
	PSINGLE_LIST_ENTRY e;

	ke_la_lock(l);
	l->TotalAllocates++;
	e = PopEntryList(&l->SingleListHead);
	if (e != NULL)
		l->ListHead.Region--; /* Region counts cached entries */
	else
		l->AllocateMisses++;
	ke_la_unlock(l);
	return e;
}

/* Caches `entry`; FALSE when the list is at its depth and the caller must free it. */
static BOOLEAN ke_la_push(PGENERAL_LOOKASIDE_POOL l, PVOID entry)
{
	BOOLEAN cached = FALSE;

	ke_la_lock(l);
	l->TotalFrees++;
	if (l->ListHead.Region < l->Depth) {
		PushEntryList(&l->SingleListHead, entry);
		l->ListHead.Region++;
		cached = TRUE;
	} else {
		l->FreeMisses++;
	}
	ke_la_unlock(l);
	return cached;
}

static PVOID ke_la_new_entry(PGENERAL_LOOKASIDE_POOL l)
{
	if (l->Future[1] == KE_LA_EX)
		return l->AllocateEx != NULL ?
			       l->AllocateEx(l->Type, l->Size, l->Tag, (PLOOKASIDE_LIST_EX)l) :
			       ExAllocatePoolWithTag(l->Type, l->Size, l->Tag);
	return l->Allocate != NULL ? l->Allocate(l->Type, l->Size, l->Tag) :
				     ExAllocatePoolWithTag(l->Type, l->Size, l->Tag);
}

static void ke_la_free_entry(PGENERAL_LOOKASIDE_POOL l, PVOID entry)
{
	if (l->Future[1] == KE_LA_EX && l->FreeEx != NULL)
		l->FreeEx(entry, (PLOOKASIDE_LIST_EX)l);
	else if (l->Future[1] == KE_LA_CLASSIC && l->Free != NULL)
		l->Free(entry);
	else
		ExFreePoolWithTag(entry, l->Tag);
}

static KIRQL ke_la_max_irql(PGENERAL_LOOKASIDE_POOL l)
{
	return (l->Type & PagedPool) ? APC_LEVEL : DISPATCH_LEVEL;
}

static PVOID ke_la_allocate(PGENERAL_LOOKASIDE_POOL l, const char *routine)
{
	PVOID entry;

	if (!ke_irql_at_most(ke_la_max_irql(l), routine))
		return NULL;
	entry = ke_la_pop(l);
	return entry != NULL ? entry : ke_la_new_entry(l);
}

static void ke_la_free(PGENERAL_LOOKASIDE_POOL l, PVOID entry, const char *routine)
{
	if (!ke_irql_at_most(ke_la_max_irql(l), routine))
		return;
	if (!ke_la_push(l, entry))
		ke_la_free_entry(l, entry);
}

/* Frees every cached entry. */
static void ke_la_flush(PGENERAL_LOOKASIDE_POOL l)
{
	PSINGLE_LIST_ENTRY e;

	ke_la_lock(l);
	e = l->SingleListHead.Next;
	l->SingleListHead.Next = NULL;
	l->ListHead.Region = 0;
	ke_la_unlock(l);
	while (e != NULL) {
		PSINGLE_LIST_ENTRY next = e->Next;

		ke_la_free_entry(l, e);
		e = next;
	}
}

VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
					   PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
					   ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
	(void)Depth; /* reserved: the system chooses the depth */
	ke_la_init_classic((PGENERAL_LOOKASIDE_POOL)&Lookaside->L, NonPagedPool | Flags, Allocate, Free,
			   Size, Tag);
}

VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
	ke_la_flush((PGENERAL_LOOKASIDE_POOL)&Lookaside->L);
}

PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
	return ke_la_allocate((PGENERAL_LOOKASIDE_POOL)&Lookaside->L,
			      "ExAllocateFromNPagedLookasideList");
}

VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
	ke_la_free((PGENERAL_LOOKASIDE_POOL)&Lookaside->L, Entry, "ExFreeToNPagedLookasideList");
}

VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside,
					  PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
					  ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
	(void)Depth; /* reserved: the system chooses the depth */
	ke_la_init_classic((PGENERAL_LOOKASIDE_POOL)&Lookaside->L, PagedPool | Flags, Allocate, Free,
			   Size, Tag);
}

VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
	ke_la_flush((PGENERAL_LOOKASIDE_POOL)&Lookaside->L);
}

PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
	return ke_la_allocate((PGENERAL_LOOKASIDE_POOL)&Lookaside->L,
			      "ExAllocateFromPagedLookasideList");
}

VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
	ke_la_free((PGENERAL_LOOKASIDE_POOL)&Lookaside->L, Entry, "ExFreeToPagedLookasideList");
}

NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
					   PALLOCATE_FUNCTION_EX Allocate, PFREE_FUNCTION_EX Free,
					   POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag,
					   USHORT Depth)
{
	const ULONG both = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL |
			   EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;
	ULONG type = PoolType;

	(void)Depth; /* reserved: the system chooses the depth */
	if ((Flags & ~both) != 0 || (Flags & both) == both)
		return STATUS_INVALID_PARAMETER_5;
	if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL)
		type |= POOL_RAISE_IF_ALLOCATION_FAILURE;
	if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE)
		type |= POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
	ke_la_init(&Lookaside->L, type, Size, Tag, KE_LA_EX);
	Lookaside->L.AllocateEx = Allocate;
	Lookaside->L.FreeEx = Free;
	return STATUS_SUCCESS;
}

VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	ke_la_flush(&Lookaside->L);
}

VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	ke_la_flush(&Lookaside->L);
}

PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	return ke_la_allocate(&Lookaside->L, "ExAllocateFromLookasideListEx");
}

VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)
{
	ke_la_free(&Lookaside->L, Entry, "ExFreeToLookasideListEx");
}
