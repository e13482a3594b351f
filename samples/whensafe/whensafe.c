/*++

Module Name:

    whensafe.c

Abstract:

    Post-operation work through FltDoCompletionProcessingWhenSafe.

    The filter's post-read work needs IRQL <= APC_LEVEL (it queries the
    file's normalized name).  The post callback hands it to
    FltDoCompletionProcessingWhenSafe, which

        - below DISPATCH_LEVEL calls WsSafePostRead at once and returns
          TRUE with WsSafePostRead's result;
        - at DISPATCH_LEVEL (a read the file system completed
          asynchronously) posts WsSafePostRead to a worker thread, returns
          TRUE with FLT_POSTOP_MORE_PROCESSING_REQUIRED, and the read
          completes after WsSafePostRead ran at PASSIVE_LEVEL;
        - at DISPATCH_LEVEL, when posting is not safe (paging I/O, not
          IRP-based, a top-level IRP), returns FALSE with
          FLT_POSTOP_FINISHED_PROCESSING: the filter then finishes without
          the work.

    The routine must not be called while the instance drains
    (FLTFL_POST_OPERATION_DRAINING): the filter checks first.  Every
    outcome is logged (DbgPrintEx, DPFLTR_INFO_LEVEL) with the prefix
    "whensafe:".

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

#define WS_LOG(_fmt, ...) \
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "whensafe: " _fmt, __VA_ARGS__ )

static PFLT_FILTER gFilterHandle;

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI WsUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static NTSTATUS FLTAPI
WsQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
WsPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
WsPostRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_READ, 0, WsPreRead, WsPostRead, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    WsUnload,                           //  FilterUnload
    NULL,                               //  InstanceSetup
    WsQueryTeardown,                    //  InstanceQueryTeardown
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
WsUnload (
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
WsQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    return STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
WsPreRead (
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
WsSafePostRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    The post-read work, at IRQL <= APC_LEVEL: report the read with its
    file's name.  Returning FLT_POSTOP_FINISHED_PROCESSING lets the Filter
    Manager complete the read (also when this ran on a worker).

--*/
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    status = FltGetFileNameInformation( Data,
                                        FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT,
                                        &nameInfo );
    if (!NT_SUCCESS( status )) {
        WS_LOG( "safe post-read of <no name: 0x%08x> (%lu bytes) at IRQL %u\n",
                status, (ULONG)Data->IoStatus.Information, KeGetCurrentIrql() );
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    WS_LOG( "safe post-read of %wZ (%lu bytes) at IRQL %u\n",
            &nameInfo->Name, (ULONG)Data->IoStatus.Information, KeGetCurrentIrql() );

    FltReleaseFileNameInformation( nameInfo );
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
WsPostRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    May run at DISPATCH_LEVEL.  Lets the Filter Manager run the work when
    it is safe to.

--*/
{
    FLT_POSTOP_CALLBACK_STATUS postStatus = FLT_POSTOP_FINISHED_PROCESSING;
    KIRQL irql = KeGetCurrentIrql();

    if (FlagOn( Flags, FLTFL_POST_OPERATION_DRAINING )) {
        WS_LOG( "draining at IRQL %u: finishing without the work\n", irql );
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    if (!NT_SUCCESS( Data->IoStatus.Status )) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    if (!FltDoCompletionProcessingWhenSafe( Data,
                                            FltObjects,
                                            CompletionContext,
                                            Flags,
                                            WsSafePostRead,
                                            &postStatus )) {

        //
        //  postStatus is FLT_POSTOP_FINISHED_PROCESSING here.
        //

        WS_LOG( "not safe to post at IRQL %u (%s): FALSE, status FINISHED_PROCESSING, "
                "finishing without the work\n",
                irql,
                FlagOn( Data->Iopb->IrpFlags, IRP_PAGING_IO ) ? "paging I/O" : "not IRP-based or top-level IRP" );

        return postStatus;
    }

    WS_LOG( "TRUE at IRQL %u, status %s\n",
            irql,
            postStatus == FLT_POSTOP_MORE_PROCESSING_REQUIRED ? "MORE_PROCESSING_REQUIRED"
                                                              : "FINISHED_PROCESSING" );

    return postStatus;
}
