/*
 * Memory descriptor lists.  In user space every address is "mapped" and
 * "resident": an MDL records a virtual range, building or locking it marks
 * it usable, and its system address is the range itself.
 *
 * IoAllocateMdl: Length 0 or above 4 GB minus a page gives NULL; with Irp
 * the MDL is chained as the IRP's MdlAddress (or after it when
 * SecondaryBuffer).  MmProbeAndLockPages on a NULL MDL or a NULL range
 * raises an access violation, which nothing handles here: the bugcheck
 * KMODE_EXCEPTION_NOT_HANDLED (STATUS_ACCESS_VIOLATION, 0, mdl, 0); the
 * range is not probed page by page.  MmGetSystemAddressForMdlSafe on an
 * MDL neither built for nonpaged pool nor locked returns NULL.
 */
#ifndef ALTITUDE_NT_MDL_H
#define ALTITUDE_NT_MDL_H

#include <ntdef.h>
#include <nt/io.h>

#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_IO_SPACE 0x0800

typedef enum _LOCK_OPERATION { IoReadAccess, IoWriteAccess, IoModifyAccess } LOCK_OPERATION;

typedef enum _MEMORY_CACHING_TYPE {
	MmNonCached = 0,
	MmCached = 1,
	MmWriteCombined = 2,
	MmHardwareCoherentCached,
	MmNonCachedUnordered,
	MmUSWCCached,
	MmMaximumCacheType,
	MmNotMapped = -1
} MEMORY_CACHING_TYPE;

typedef enum _MM_PAGE_PRIORITY {
	LowPagePriority,
	NormalPagePriority = 16,
	HighPagePriority = 32
} MM_PAGE_PRIORITY;

#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

NTKERNELAPI PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
				     BOOLEAN ChargeQuota, PIRP Irp);
NTKERNELAPI VOID NTAPI IoFreeMdl(PMDL Mdl);
NTKERNELAPI VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
NTKERNELAPI VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
					   LOCK_OPERATION Operation);
NTKERNELAPI VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList);
/* NULL for an MDL that is not locked (or built for nonpaged pool). */
NTKERNELAPI PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList,
						     KPROCESSOR_MODE AccessMode,
						     MEMORY_CACHING_TYPE CacheType,
						     PVOID RequestedAddress, ULONG BugCheckOnFailure,
						     ULONG Priority);
NTKERNELAPI VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);

#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))

static inline PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
	if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
		return Mdl->MappedSystemVa;
	return MmMapLockedPagesSpecifyCache(Mdl, 0 /* KernelMode */, MmCached, NULL, FALSE, Priority);
}

#endif /* ALTITUDE_NT_MDL_H */
