/*
 * MDLs over user-space memory (see include/km/nt/mdl.h) and
 * FltLockUserBuffer.  MDLs are allocated under the pool tag "Mdl ".
 */
#include "flt/flt.h"

#define FLT_MDL_TAG FLT_TAG('M', 'd', 'l', ' ')
#define FLT_MDL_MAX_LENGTH 0xfffff000u

PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
			 BOOLEAN ChargeQuota, PIRP Irp)
{
	PMDL mdl;

	(void)ChargeQuota;
	if (Length == 0 || Length > FLT_MDL_MAX_LENGTH)
		return NULL;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "IoAllocateMdl"))
		return NULL;
	mdl = ExAllocatePoolWithTag(NonPagedPool, sizeof(MDL), FLT_MDL_TAG);
	if (!mdl)
		return NULL;
	memset(mdl, 0, sizeof(*mdl));
	mdl->Size = (CSHORT)sizeof(MDL);
	mdl->StartVa = (PVOID)((ULONG_PTR)VirtualAddress & ~(ULONG_PTR)(PAGE_SIZE - 1));
	mdl->ByteOffset = (ULONG)((ULONG_PTR)VirtualAddress & (PAGE_SIZE - 1));
	mdl->ByteCount = Length;
	if (Irp && !SecondaryBuffer) {
		Irp->MdlAddress = mdl;
	} else if (Irp) {
		PMDL last = Irp->MdlAddress;

		while (last && last->Next)
			last = last->Next;
		if (last)
			last->Next = mdl;
		else
			Irp->MdlAddress = mdl;
	}
	return mdl;
}

VOID NTAPI IoFreeMdl(PMDL Mdl)
{
	if (Mdl)
		ExFreePoolWithTag(Mdl, FLT_MDL_TAG);
}

static PVOID flt_mdl_va(PMDL mdl)
{
	return (PUCHAR)mdl->StartVa + mdl->ByteOffset;
}

VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
	if (!MemoryDescriptorList)
		return;
	MemoryDescriptorList->MappedSystemVa = flt_mdl_va(MemoryDescriptorList);
	MemoryDescriptorList->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
			       LOCK_OPERATION Operation)
{
	PMDL m = MemoryDescriptorList;

	(void)AccessMode;
	(void)Operation;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "MmProbeAndLockPages"))
		return;
	/* An invalid range raises an access violation; nobody handles it here. */
	if (!m || (!m->StartVa && m->ByteOffset == 0)) {
		ke_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ACCESS_VIOLATION, 0,
			    (ULONG_PTR)m, 0, "MmProbeAndLockPages");
		return;
	}
	m->MdlFlags |= MDL_PAGES_LOCKED;
}

VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList)
{
	if (MemoryDescriptorList)
		MemoryDescriptorList->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
}

PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
					 MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
					 ULONG BugCheckOnFailure, ULONG Priority)
{
	PMDL m = MemoryDescriptorList;

	(void)AccessMode;
	(void)CacheType;
	(void)RequestedAddress;
	(void)BugCheckOnFailure;
	(void)Priority;
	if (!m || !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL)))
		return NULL;
	m->MappedSystemVa = flt_mdl_va(m);
	m->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
	return m->MappedSystemVa;
}

VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
	(void)BaseAddress;
	if (MemoryDescriptorList)
		MemoryDescriptorList->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
}

/* An MDL FltLockUserBuffer made: the operation frees it when it ends. */
struct flt_locked_mdl {
	struct flt_locked_mdl *next;
	PMDL mdl;
};

void flt_mdl_release_locked(PFLT_CALLBACK_DATA data)
{
	struct flt_op *op = flt_op_from_data(data);
	struct flt_locked_mdl *lock = op->locked_mdls;

	op->locked_mdls = NULL;
	while (lock) {
		struct flt_locked_mdl *next = lock->next;

		MmUnlockPages(lock->mdl);
		IoFreeMdl(lock->mdl);
		ExFreePoolWithTag(lock, FLT_MDL_TAG);
		lock = next;
	}
}

/* The buffer, length and MDL slot of a control operation (method-neither or direct output). */
static BOOLEAN flt_lock_control(PFLT_CALLBACK_DATA d, PVOID *buf, ULONG *len, PMDL **slot)
{
	PFLT_PARAMETERS p = &d->Iopb->Parameters;

	if (d->Iopb->MajorFunction == IRP_MJ_FILE_SYSTEM_CONTROL) {
		*buf = p->FileSystemControl.Neither.OutputBuffer;
		*len = p->FileSystemControl.Neither.OutputBufferLength;
		*slot = &p->FileSystemControl.Neither.OutputMdlAddress;
		return TRUE;
	}
	*buf = p->DeviceIoControl.Neither.OutputBuffer;
	*len = p->DeviceIoControl.Neither.OutputBufferLength;
	*slot = &p->DeviceIoControl.Neither.OutputMdlAddress;
	return TRUE;
}

/* The operation's buffer, length and MDL slot, or FALSE when it has none. */
static BOOLEAN flt_lock_target(PFLT_CALLBACK_DATA d, PVOID *buf, ULONG *len, PMDL **slot)
{
	PFLT_PARAMETERS p = &d->Iopb->Parameters;

	switch (d->Iopb->MajorFunction) {
	case IRP_MJ_READ:
	case IRP_MJ_WRITE:
		/* Read and Write share their layout; an MDL read/write has no user buffer. */
		if (d->Iopb->MinorFunction & IRP_MN_MDL)
			return FALSE;
		*buf = p->Read.ReadBuffer;
		*len = p->Read.Length;
		*slot = &p->Read.MdlAddress;
		return TRUE;
	case IRP_MJ_DIRECTORY_CONTROL:
		/* QueryDirectory and NotifyDirectory share the buffer and MDL places. */
		*buf = p->DirectoryControl.QueryDirectory.DirectoryBuffer;
		*len = p->DirectoryControl.QueryDirectory.Length;
		*slot = &p->DirectoryControl.QueryDirectory.MdlAddress;
		return TRUE;
	case IRP_MJ_QUERY_EA:
		*buf = p->QueryEa.EaBuffer;
		*len = p->QueryEa.Length;
		*slot = &p->QueryEa.MdlAddress;
		return TRUE;
	case IRP_MJ_SET_EA:
		*buf = p->SetEa.EaBuffer;
		*len = p->SetEa.Length;
		*slot = &p->SetEa.MdlAddress;
		return TRUE;
	case IRP_MJ_QUERY_SECURITY:
		*buf = p->QuerySecurity.SecurityBuffer;
		*len = p->QuerySecurity.Length;
		*slot = &p->QuerySecurity.MdlAddress;
		return TRUE;
	case IRP_MJ_QUERY_QUOTA:
		*buf = p->QueryQuota.QuotaBuffer;
		*len = p->QueryQuota.Length;
		*slot = &p->QueryQuota.MdlAddress;
		return TRUE;
	case IRP_MJ_SET_QUOTA:
		*buf = p->SetQuota.QuotaBuffer;
		*len = p->SetQuota.Length;
		*slot = &p->SetQuota.MdlAddress;
		return TRUE;
	case IRP_MJ_FILE_SYSTEM_CONTROL:
	case IRP_MJ_DEVICE_CONTROL:
	case IRP_MJ_INTERNAL_DEVICE_CONTROL:
		return flt_lock_control(d, buf, len, slot);
	default:
		return FALSE;
	}
}

NTSTATUS FLTAPI FltLockUserBuffer(PFLT_CALLBACK_DATA CallbackData)
{
	struct flt_locked_mdl *lock;
	struct flt_op *op;
	PVOID buf;
	ULONG len;
	PMDL *slot, mdl;

	if (!CallbackData)
		return STATUS_INVALID_PARAMETER;
	op = flt_op_from_data(CallbackData);
	if (!ke_irql_at_most(APC_LEVEL, "FltLockUserBuffer"))
		return STATUS_UNSUCCESSFUL;
	if (!flt_lock_target(CallbackData, &buf, &len, &slot))
		return STATUS_INVALID_PARAMETER;
	if (*slot || !buf || !len)
		return STATUS_SUCCESS;
	lock = ExAllocatePoolWithTag(NonPagedPool, sizeof(*lock), FLT_MDL_TAG);
	mdl = lock ? IoAllocateMdl(buf, len, FALSE, FALSE, NULL) : NULL;
	if (!mdl) {
		if (lock)
			ExFreePoolWithTag(lock, FLT_MDL_TAG);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	lock->mdl = mdl;
	lock->next = op->locked_mdls;
	op->locked_mdls = lock;
	MmProbeAndLockPages(mdl, CallbackData->RequestorMode, IoModifyAccess);
	MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
	*slot = mdl;
	return STATUS_SUCCESS;
}
