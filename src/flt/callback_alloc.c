/*
 * Callback data a filter allocates for its own I/O (FltAllocateCallbackData,
 * FltReuseCallbackData, FltFreeCallbackData), and sector-aligned pool for
 * non-cached I/O.  The callback data is an operation record of the
 * instance's volume, with the instance's place in the stack kept for
 * FltPerform{Synchronous,Asynchronous}Io.
 */
#include "flt/flt.h"

NTSTATUS FLTAPI FltAllocateCallbackData(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					PFLT_CALLBACK_DATA *RetNewCallbackData)
{
	NTSTATUS s;

	if (!Instance || !RetNewCallbackData)
		return STATUS_INVALID_PARAMETER;
	*RetNewCallbackData = NULL;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltAllocateCallbackData"))
		return STATUS_UNSUCCESSFUL;
	if (!flt_object_acquire(&Instance->obj))
		return STATUS_FLT_DELETING_OBJECT;
	s = flt_io_allocate(Instance->volume, Instance, FileObject, RetNewCallbackData);
	flt_object_release(&Instance->obj);
	return s;
}

/* Freeing callback data the filter did not allocate is reported, not done. */
VOID FLTAPI FltFreeCallbackData(PFLT_CALLBACK_DATA CallbackData)
{
	if (!CallbackData)
		return;
	if (!(CallbackData->Flags & FLTFL_CALLBACK_DATA_GENERATED_IO)) {
		ke_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xAA, (ULONG_PTR)CallbackData, 0, 0,
			    "FltFreeCallbackData: callback data not from FltAllocateCallbackData");
		return;
	}
	flt_op_free(CallbackData);
}

VOID FLTAPI FltReuseCallbackData(PFLT_CALLBACK_DATA CallbackData)
{
	PFLT_IO_PARAMETER_BLOCK iopb;
	PFLT_INSTANCE inst;
	PFILE_OBJECT file;

	if (!CallbackData)
		return;
	iopb = CallbackData->Iopb;
	inst = iopb->TargetInstance;
	file = iopb->TargetFileObject;
	memset(iopb, 0, sizeof(*iopb));
	iopb->TargetInstance = inst;
	iopb->TargetFileObject = file;
	CallbackData->Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO;
	CallbackData->IoStatus.Status = STATUS_SUCCESS;
	CallbackData->IoStatus.Information = 0;
	CallbackData->TagData = NULL;
	memset(CallbackData->FilterContext, 0, sizeof(CallbackData->FilterContext));
}

/* Aligned blocks keep the block's start just before the aligned address. */
PVOID FLTAPI FltAllocatePoolAlignedWithTag(PFLT_INSTANCE Instance, POOL_TYPE PoolType,
					   SIZE_T NumberOfBytes, ULONG Tag)
{
	ULONG_PTR align, at;
	PUCHAR block;

	if (!Instance || NumberOfBytes == 0 || NumberOfBytes > ((SIZE_T)1 << 40))
		return NULL;
	align = Instance->volume->sector_size ? Instance->volume->sector_size : 512;
	if (align < sizeof(PVOID))
		align = sizeof(PVOID);
	block = ExAllocatePoolWithTag(PoolType, NumberOfBytes + align + sizeof(PVOID), Tag);
	if (!block)
		return NULL;
	at = ((ULONG_PTR)block + sizeof(PVOID) + align - 1) & ~(align - 1);
	((PVOID *)at)[-1] = block;
	return (PVOID)at;
}

VOID FLTAPI FltFreePoolAlignedWithTag(PFLT_INSTANCE Instance, PVOID Buffer, ULONG Tag)
{
	(void)Instance;
	if (Buffer)
		ExFreePoolWithTag(((PVOID *)Buffer)[-1], Tag);
}
