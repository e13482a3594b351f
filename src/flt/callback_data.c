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
