/*
 * Executive support: pool allocation with tags, lookaside lists, fast and
 * guarded mutexes, and executive resources (ERESOURCE).
 *
 * Pool.  Every block is preceded by a header holding its tag, size, pool type
 * and a magic, and is registered in the runtime's table of live blocks, so
 * that freeing with another tag, freeing twice or freeing a pointer the pool
 * never returned bugchecks BAD_POOL_CALLER instead of corrupting memory:
 *   0x07 (0, header contents, address)      block already freed;
 *   0x08 (IRQL, pool type, size)            allocation above the pool's IRQL;
 *   0x09 (IRQL, pool type, address)         free above the block's IRQL;
 *   0x0A (address, allocator's tag, tag)    free with the wrong tag;
 *   0x42 (address, 0, 0)                    address never in any pool.
 * Paged pool may be used up to APC_LEVEL, non-paged pool up to
 * DISPATCH_LEVEL.  A zero-byte request returns a valid unique block, as on
 * Windows without Driver Verifier.  There is no structured exception
 * handling on Linux, so a raised allocation failure (POOL_FLAG_RAISE_ON_FAILURE,
 * POOL_RAISE_IF_ALLOCATION_FAILURE, ExAllocatePoolWithQuotaTag without
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) can never be handled: it is reported as
 * KMODE_EXCEPTION_NOT_HANDLED (STATUS_INSUFFICIENT_RESOURCES, 0, 0, 0) and,
 * under a harness hook, the routine returns NULL.  Per-tag accounting and
 * fault injection are in <altitude/pool.h>.
 *
 * Fast and guarded mutexes are not recursive: acquiring one the caller
 * already holds bugchecks MUTEX_ALREADY_OWNED (mutex, owner thread) instead of
 * deadlocking, and releasing one the caller does not hold bugchecks
 * THREAD_NOT_MUTEX_OWNER (mutex, owner thread, caller).
 *
 * Resources: owners are recorded by ERESOURCE_THREAD, which is the owning
 * thread's PETHREAD as on Windows (ExGetCurrentResourceThread() ==
 * (ERESOURCE_THREAD)PsGetCurrentThread()), so ExReleaseResourceForThreadLite
 * takes the value another thread got from ExGetCurrentResourceThread.
 * Releasing a resource the thread does not own bugchecks
 * RESOURCE_NOT_OWNED (resource, thread, owner table, 0).  A thread that holds
 * a resource shared and asks for it exclusively with Wait = TRUE would wait
 * for itself forever on Windows; here that is reported as RESOURCE_NOT_OWNED
 * with parameter 4 = 1, and the call returns FALSE under a harness hook.
 */
#ifndef ALTITUDE_NT_EX_H
#define ALTITUDE_NT_EX_H

#include <ntdef.h>
#include <nt/irql.h>
#include <nt/ke.h>
#include <nt/spinlock.h>

/* ---- pool ---- */

typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	NonPagedPoolExecute = NonPagedPool,
	PagedPool = 1,
	NonPagedPoolMustSucceed = NonPagedPool + 2,
	DontUseThisType = 3,
	NonPagedPoolCacheAligned = NonPagedPool + 4,
	PagedPoolCacheAligned = 5,
	NonPagedPoolCacheAlignedMustS = NonPagedPool + 6,
	MaxPoolType = 7,
	NonPagedPoolBase = 0,
	NonPagedPoolBaseMustSucceed = NonPagedPoolBase + 2,
	NonPagedPoolBaseCacheAligned = NonPagedPoolBase + 4,
	NonPagedPoolBaseCacheAlignedMustS = NonPagedPoolBase + 6,
	NonPagedPoolSession = 32,
	PagedPoolSession = NonPagedPoolSession + 1,
	NonPagedPoolMustSucceedSession = PagedPoolSession + 1,
	DontUseThisTypeSession = NonPagedPoolMustSucceedSession + 1,
	NonPagedPoolCacheAlignedSession = DontUseThisTypeSession + 1,
	PagedPoolCacheAlignedSession = NonPagedPoolCacheAlignedSession + 1,
	NonPagedPoolCacheAlignedMustSSession = PagedPoolCacheAlignedSession + 1,
	NonPagedPoolNx = 512,
	NonPagedPoolNxCacheAligned = NonPagedPoolNx + 4,
	NonPagedPoolSessionNx = NonPagedPoolNx + 32,
} POOL_TYPE;

#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION 256
#define POOL_NX_ALLOCATION 512
#define POOL_ZERO_ALLOCATION 1024

typedef ULONG64 POOL_FLAGS;

#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ULL

NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
						  ULONG Tag);
NTKERNELAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID NTAPI ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID NTAPI ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
						   ULONG Tag);
NTKERNELAPI PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
NTKERNELAPI VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag);
NTKERNELAPI VOID NTAPI ExFreePool(PVOID P);

/* ---- lookaside lists ---- */

typedef PVOID(NTAPI ALLOCATE_FUNCTION)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID(NTAPI FREE_FUNCTION)(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;

struct _LOOKASIDE_LIST_EX;
typedef PVOID(NTAPI ALLOCATE_FUNCTION_EX)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
					   struct _LOOKASIDE_LIST_EX *Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID(NTAPI FREE_FUNCTION_EX)(PVOID Buffer, struct _LOOKASIDE_LIST_EX *Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/*
 * The WDK's GENERAL_LOOKASIDE_POOL fields.  Cached entries are linked
 * through SingleListHead and counted in ListHead.Region; Future[0] is the
 * list's lock word and Future[1] says which routine flavour it calls.  Depth
 * is the number of entries kept cached (fixed at MaximumDepth, 256; the
 * Depth argument of the initialize routines is reserved); further frees go
 * back to the pool or to the Free routine.  Statistics (TotalAllocates,
 * AllocateMisses, TotalFrees, FreeMisses) are kept as on Windows.
 */
#define ALTITUDE_GENERAL_LOOKASIDE_FIELDS                                   \
	union {                                                             \
		struct {                                                    \
			ULONGLONG Alignment;                                \
			ULONGLONG Region;                                   \
		} ListHead;                                                 \
		SINGLE_LIST_ENTRY SingleListHead;                           \
	};                                                                  \
	USHORT Depth;                                                       \
	USHORT MaximumDepth;                                                \
	ULONG TotalAllocates;                                               \
	union {                                                             \
		ULONG AllocateMisses;                                       \
		ULONG AllocateHits;                                         \
	};                                                                  \
	ULONG TotalFrees;                                                   \
	union {                                                             \
		ULONG FreeMisses;                                           \
		ULONG FreeHits;                                             \
	};                                                                  \
	POOL_TYPE Type;                                                     \
	ULONG Tag;                                                          \
	ULONG Size;                                                         \
	union {                                                             \
		PALLOCATE_FUNCTION_EX AllocateEx;                           \
		PALLOCATE_FUNCTION Allocate;                                \
	};                                                                  \
	union {                                                             \
		PFREE_FUNCTION_EX FreeEx;                                   \
		PFREE_FUNCTION Free;                                        \
	};                                                                  \
	LIST_ENTRY ListEntry;                                               \
	ULONG LastTotalAllocates;                                           \
	union {                                                             \
		ULONG LastAllocateMisses;                                   \
		ULONG LastAllocateHits;                                     \
	};                                                                  \
	ULONG Future[2];

/*
 * The WDK declares GENERAL_LOOKASIDE cache aligned, but the documentation
 * only asks callers for 16-byte alignment (pool blocks give no more), so it
 * is declared 16-byte aligned here: 96 bytes instead of 128.
 */
typedef struct DECLSPEC_ALIGN(16) _GENERAL_LOOKASIDE {
	ALTITUDE_GENERAL_LOOKASIDE_FIELDS
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct DECLSPEC_ALIGN(16) _GENERAL_LOOKASIDE_POOL {
	ALTITUDE_GENERAL_LOOKASIDE_FIELDS
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct _NPAGED_LOOKASIDE_LIST {
	GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct _PAGED_LOOKASIDE_LIST {
	GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
	GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX;

_Static_assert(sizeof(GENERAL_LOOKASIDE) == 96, "GENERAL_LOOKASIDE layout");
_Static_assert(sizeof(LOOKASIDE_LIST_EX) == 96, "LOOKASIDE_LIST_EX layout");

#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SINGLE_LIST_ENTRY, Next))
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

NTKERNELAPI VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
						       PALLOCATE_FUNCTION Allocate,
						       PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size,
						       ULONG Tag, USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

NTKERNELAPI VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside,
						      PALLOCATE_FUNCTION Allocate,
						      PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size,
						      ULONG Tag, USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

NTKERNELAPI NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
						       PALLOCATE_FUNCTION_EX Allocate,
						       PFREE_FUNCTION_EX Free, POOL_TYPE PoolType,
						       ULONG Flags, SIZE_T Size, ULONG Tag,
						       USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry);

/* ---- fast and guarded mutexes ---- */

/*
 * WDK layout (56 bytes on x64).  Count is the futex word waiters sleep on
 * (0 free, 1 held, 2 held with waiters); Owner is the holder's PKTHREAD;
 * Event is a synchronization event, initialised as on Windows, that this
 * implementation never waits on.
 */
typedef struct _FAST_MUTEX {
	volatile LONG Count;
	PVOID Owner;
	ULONG Contention;
	KEVENT Event;
	ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;

_Static_assert(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX layout");
_Static_assert(offsetof(FAST_MUTEX, Event) == 24, "FAST_MUTEX.Event");
_Static_assert(offsetof(FAST_MUTEX, OldIrql) == 48, "FAST_MUTEX.OldIrql");

NTKERNELAPI VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex);
NTKERNELAPI BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex);

NTKERNELAPI VOID NTAPI KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);

/* ---- executive resources ---- */

typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;

typedef struct _OWNER_ENTRY {
	ERESOURCE_THREAD OwnerThread;
	union {
		struct {
			ULONG IoPriorityBoosted : 1;
			ULONG OwnerReferenced : 1;
			ULONG IoQoSPriorityBoosted : 1;
			ULONG OwnerCount : 29;
		};
		ULONG TableSize;
	};
} OWNER_ENTRY, *POWNER_ENTRY;

/*
 * WDK layout (104 bytes on x64).  OwnerEntry is the exclusive owner;
 * OwnerTable (allocated by ExInitializeResourceLite, its entry 0 holding the
 * TableSize) lists the shared owners; SpinLock holds the resource's internal
 * lock word and the word its waiters sleep on.
 */
typedef struct _ERESOURCE {
	LIST_ENTRY SystemResourcesList;
	POWNER_ENTRY OwnerTable;
	SHORT ActiveCount;
	union {
		USHORT Flag;
		struct {
			UCHAR ReservedLowFlags;
			UCHAR WaiterPriority;
		};
	};
	struct _KSEMAPHORE *SharedWaiters;
	struct _KEVENT *ExclusiveWaiters;
	OWNER_ENTRY OwnerEntry;
	ULONG ActiveEntries;
	ULONG ContentionCount;
	ULONG NumberOfSharedWaiters;
	ULONG NumberOfExclusiveWaiters;
	PVOID Reserved2;
	union {
		PVOID Address;
		ULONG_PTR CreatorBackTraceIndex;
	};
	KSPIN_LOCK SpinLock;
} ERESOURCE, *PERESOURCE;

_Static_assert(sizeof(ERESOURCE) == 104, "ERESOURCE layout");

#define ResourceNeverExclusive 0x0010
#define ResourceReleaseByOtherThread 0x0020
#define ResourceOwnedExclusive 0x0080

NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource);
NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource);
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource);
NTKERNELAPI VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource,
						      ERESOURCE_THREAD ResourceThreadId);
NTKERNELAPI VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource);
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource);
NTKERNELAPI ERESOURCE_THREAD NTAPI ExGetCurrentResourceThread(VOID);
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource);
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource);
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(PERESOURCE Resource);
NTKERNELAPI VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource);

#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite

#endif /* ALTITUDE_NT_EX_H */
