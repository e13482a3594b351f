/*
 * Callback data helpers: the dirty flag, FltIsOperationSynchronous, the
 * requestor, IRP names, and the per-thread top-level IRP.
 */
#include "flt/flt.h"

static __thread PIRP flt_top_level_irp;

PIRP NTAPI IoGetTopLevelIrp(VOID)
{
	return flt_top_level_irp;
}

VOID NTAPI IoSetTopLevelIrp(PIRP Irp)
{
	flt_top_level_irp = Irp;
}

VOID FLTAPI FltSetCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
	Data->Flags |= FLTFL_CALLBACK_DATA_DIRTY;
}

VOID FLTAPI FltClearCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
	Data->Flags &= ~FLTFL_CALLBACK_DATA_DIRTY;
}

BOOLEAN FLTAPI FltIsCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
	return BooleanFlagOn(Data->Flags, FLTFL_CALLBACK_DATA_DIRTY);
}

BOOLEAN FLTAPI FltIsOperationSynchronous(PFLT_CALLBACK_DATA CallbackData)
{
	ULONG irpf = CallbackData->Iopb->IrpFlags;
	PFILE_OBJECT file = CallbackData->Iopb->TargetFileObject;

	if (!FLT_IS_IRP_OPERATION(CallbackData))
		return TRUE;
	if ((irpf & IRP_PAGING_IO) && (irpf & IRP_SYNCHRONOUS_PAGING_IO))
		return TRUE;
	if (irpf & IRP_SYNCHRONOUS_API)
		return TRUE;
	return file && (file->Flags & FO_SYNCHRONOUS_IO);
}

ULONG FLTAPI FltGetRequestorProcessId(PFLT_CALLBACK_DATA CallbackData)
{
	return flt_op_from_data(CallbackData)->requestor_pid;
}

/*
 * The process object is looked up on first use and kept referenced until
 * the operation ends, so the pointer stays valid for the filter's callbacks
 * without a reference of its own.  NULL when no process is associated (pid
 * 0, e.g. a FUSE release) or the requester has already exited.
 */
PEPROCESS FLTAPI FltGetRequestorProcess(PFLT_CALLBACK_DATA CallbackData)
{
	struct flt_op *op = flt_op_from_data(CallbackData);
	PEPROCESS process = __atomic_load_n(&op->requestor_process, __ATOMIC_ACQUIRE);
	PEPROCESS expected = NULL;

	if (process || op->requestor_pid == 0)
		return process;
	if (!NT_SUCCESS(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)op->requestor_pid, &process)))
		return NULL;
	if (!__atomic_compare_exchange_n(&op->requestor_process, &expected, process, FALSE,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		ObDereferenceObject(process);
		return expected;
	}
	return process;
}

HANDLE FLTAPI FltGetRequestorProcessIdEx(PFLT_CALLBACK_DATA CallbackData)
{
	return (HANDLE)(ULONG_PTR)flt_op_from_data(CallbackData)->requestor_pid;
}

static const char *const flt_irp_names[IRP_MJ_MAXIMUM_FUNCTION + 1] = {
	"IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ", "IRP_MJ_WRITE",
	"IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION", "IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA",
	"IRP_MJ_FLUSH_BUFFERS", "IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
	"IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
	"IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL", "IRP_MJ_CLEANUP",
	"IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY", "IRP_MJ_SET_SECURITY", "IRP_MJ_POWER",
	"IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE", "IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA",
	"IRP_MJ_PNP",
};

static const char *flt_fs_filter_name(UCHAR major)
{
	switch (major) {
	case IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION:
		return "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION";
	case IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION:
		return "IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION";
	case IRP_MJ_ACQUIRE_FOR_MOD_WRITE:
		return "IRP_MJ_ACQUIRE_FOR_MOD_WRITE";
	case IRP_MJ_RELEASE_FOR_MOD_WRITE:
		return "IRP_MJ_RELEASE_FOR_MOD_WRITE";
	case IRP_MJ_ACQUIRE_FOR_CC_FLUSH:
		return "IRP_MJ_ACQUIRE_FOR_CC_FLUSH";
	case IRP_MJ_RELEASE_FOR_CC_FLUSH:
		return "IRP_MJ_RELEASE_FOR_CC_FLUSH";
	case IRP_MJ_QUERY_OPEN:
		return "IRP_MJ_QUERY_OPEN";
	case IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE:
		return "IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE";
	case IRP_MJ_NETWORK_QUERY_OPEN:
		return "IRP_MJ_NETWORK_QUERY_OPEN";
	case IRP_MJ_MDL_READ:
		return "IRP_MJ_MDL_READ";
	case IRP_MJ_MDL_READ_COMPLETE:
		return "IRP_MJ_MDL_READ_COMPLETE";
	case IRP_MJ_PREPARE_MDL_WRITE:
		return "IRP_MJ_PREPARE_MDL_WRITE";
	case IRP_MJ_MDL_WRITE_COMPLETE:
		return "IRP_MJ_MDL_WRITE_COMPLETE";
	case IRP_MJ_VOLUME_MOUNT:
		return "IRP_MJ_VOLUME_MOUNT";
	case IRP_MJ_VOLUME_DISMOUNT:
		return "IRP_MJ_VOLUME_DISMOUNT";
	default:
		return "IRP_MJ_UNKNOWN";
	}
}

PCHAR FLTAPI FltGetIrpName(UCHAR IrpMajorCode)
{
	if (IrpMajorCode <= IRP_MJ_MAXIMUM_FUNCTION)
		return (PCHAR)flt_irp_names[IrpMajorCode];
	return (PCHAR)flt_fs_filter_name(IrpMajorCode);
}
