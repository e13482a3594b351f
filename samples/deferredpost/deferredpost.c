/*++

Module Name:

    deferredpost.c

Abstract:

    Pending an operation in its post-operation callback.

    The filter's post-read work needs PASSIVE_LEVEL: it asks for the file's
    normalized name (FltGetFileNameInformation), which may not be done at
    DISPATCH_LEVEL, where the post callback of a read that the file system
    completed asynchronously runs.  So the post callback hands the work to
    a system worker thread:

        1. FltAllocateDeferredIoWorkItem
        2. FltQueueDeferredIoWorkItem( ..., Data, DpDeferredPostRead, ... )
        3. return FLT_POSTOP_MORE_PROCESSING_REQUIRED

    The Filter Manager then does nothing more for the read (no post
    callbacks of the filters above, no completion to the requester) until
    the worker, at PASSIVE_LEVEL, finishes the work and calls
    FltCompletePendedPostOperation.

    FltQueueDeferredIoWorkItem refuses, and the filter copes, when:

        - the operation is not IRP-based (fast I/O),
        - it is paging I/O,
        - the thread's top-level IRP is not NULL,
          (these three: STATUS_FLT_NOT_SAFE_TO_POST_OPERATION)
        - the instance is being torn down (FLTFL_POST_OPERATION_DRAINING):
          STATUS_FLT_DELETING_OBJECT.

    Coping means handling the read without pending it: at IRQL <= APC_LEVEL
    the work is done right in the post callback; at DISPATCH_LEVEL only what
    is allowed there is done (the name is reported unavailable).  A filter
    that cannot cope at all should return FLT_PREOP_SYNCHRONIZE from its
    pre-operation callback instead, so that the post callback runs at
    IRQL <= APC_LEVEL in the requester's thread.

    To show every path, the filter posts its work whenever it can, also
    when it is called at PASSIVE_LEVEL.  Every outcome is logged
    (DbgPrintEx, DPFLTR_INFO_LEVEL) with the prefix "deferredpost:".

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

#define DP_LOG(_fmt, ...) \
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "deferredpost: " _fmt, __VA_ARGS__ )

static PFLT_FILTER gFilterHandle;

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI DpUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static NTSTATUS FLTAPI
DpQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
DpPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
DpPostRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_READ, 0, DpPreRead, DpPostRead, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    DpUnload,                           //  FilterUnload
    NULL,                               //  InstanceSetup
    DpQueryTeardown,                    //  InstanceQueryTeardown
    NULL,                               //  InstanceTeardownStart
    NULL,                               //  InstanceTeardownComplete
    NULL,                               //  GenerateFileName
    NULL,                               //  NormalizeNameComponent
    NULL,                               //  NormalizeContextCleanup
    NULL,                               //  TransactionNotification
    NULL,                               //  NormalizeNameComponentEx
    NULL                                //  SectionNotification
};

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER( RegistryPath );

    status = FltRegisterFilter( DriverObject, &FilterRegistration, &gFilterHandle );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltStartFiltering( gFilterHandle );
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( gFilterHandle );
        gFilterHandle = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
DpUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltUnregisterFilter( gFilterHandle );
    gFilterHandle = NULL;

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
DpQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    )
/*++

Routine Description:

    Allows manual detaches (fltmc detach): reads in flight then drain.

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    return STATUS_SUCCESS;
}

static VOID
DpDoWork (
    _In_ PFLT_CALLBACK_DATA Data,
    _In_z_ PCSTR Where
    )
/*++

Routine Description:

    The PASSIVE_LEVEL work: report the read with the file's name.

--*/
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    NTSTATUS status;

    PAGED_CODE();

    status = FltGetFileNameInformation( Data,
                                        FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT,
                                        &nameInfo );
    if (!NT_SUCCESS( status )) {
        DP_LOG( "read of <no name: 0x%08x> (%lu bytes) finished at IRQL %u %s\n",
                status, (ULONG)Data->IoStatus.Information, KeGetCurrentIrql(), Where );
        return;
    }

    DP_LOG( "read of %wZ (%lu bytes) finished at IRQL %u %s\n",
            &nameInfo->Name, (ULONG)Data->IoStatus.Information, KeGetCurrentIrql(), Where );

    FltReleaseFileNameInformation( nameInfo );
}

static VOID FLTAPI
DpDeferredPostRead (
    _In_ PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
    _In_ PFLT_CALLBACK_DATA Data,
    _In_opt_ PVOID Context
    )
/*++

Routine Description:

    Runs at PASSIVE_LEVEL on a system worker thread: does the work, then
    gives the read back to the Filter Manager.

--*/
{
    UNREFERENCED_PARAMETER( Context );

    PAGED_CODE();

    DpDoWork( Data, "on a worker" );

    FltFreeDeferredIoWorkItem( FltWorkItem );
    FltCompletePendedPostOperation( Data );
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
DpPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
{
    UNREFERENCED_PARAMETER( Data );
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
DpPostRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    May run at DISPATCH_LEVEL.  Pends the read to a worker, or when the
    Filter Manager refuses, handles it here without pending.

--*/
{
    PFLT_DEFERRED_IO_WORKITEM workItem;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    if (!NT_SUCCESS( Data->IoStatus.Status )) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    workItem = FltAllocateDeferredIoWorkItem();
    if (workItem == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        status = FltQueueDeferredIoWorkItem( workItem,
                                             Data,
                                             DpDeferredPostRead,
                                             DelayedWorkQueue,
                                             NULL );
        if (NT_SUCCESS( status )) {
            DP_LOG( "read pended at IRQL %u\n", KeGetCurrentIrql() );
            return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
        }
        FltFreeDeferredIoWorkItem( workItem );
    }

    DP_LOG( "cannot pend (0x%08x%s%s%s%s), handling without pending\n",
            status,
            FLT_IS_FASTIO_OPERATION( Data ) ? ", fast I/O" : "",
            FlagOn( Data->Iopb->IrpFlags, IRP_PAGING_IO ) ? ", paging I/O" : "",
            IoGetTopLevelIrp() != NULL ? ", top-level IRP" : "",
            FlagOn( Flags, FLTFL_POST_OPERATION_DRAINING ) ? ", draining" : "" );

    if (KeGetCurrentIrql() <= APC_LEVEL) {
        DpDoWork( Data, "in the post callback" );
    } else {
        DP_LOG( "read of <name unavailable at DISPATCH_LEVEL> (%lu bytes) finished at IRQL %u "
                "in the post callback\n",
                (ULONG)Data->IoStatus.Information, KeGetCurrentIrql() );
    }

    return FLT_POSTOP_FINISHED_PROCESSING;
}
