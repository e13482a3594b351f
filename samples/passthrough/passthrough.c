/*++

Module Name:

    passthrough.c

Abstract:

    A filter that registers a pre- and a post-operation callback for every
    operation the Filter Manager delivers and passes each one through
    unchanged.  It is the baseline filter of the benchmarks: what a stack
    costs per operation when its filters do nothing.

    Tracing is off by default.  The DWORD registry value
    Parameters\DebugFlags turns it on: PTDBG_TRACE_ROUTINES (0x1) traces
    the load and unload routines, PTDBG_TRACE_OPERATION_STATUS (0x2) every
    pre and post callback.  Lines go through DbgPrintEx at
    DPFLTR_TRACE_LEVEL, which the host log shows only when asked to.

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

#define PTDBG_TRACE_ROUTINES            0x00000001
#define PTDBG_TRACE_OPERATION_STATUS    0x00000002

static PFLT_FILTER gFilterHandle;
static ULONG gTraceFlags = 0;

#define PT_DBG_PRINT( _dbgLevel, _string )          \
    (FlagOn(gTraceFlags,(_dbgLevel)) ?              \
        DbgPrintEx _string :                        \
        ((int)0))

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI PtUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static NTSTATUS FLTAPI
PtInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    );

static NTSTATUS FLTAPI
PtInstanceQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
PtPreOperationPassThrough (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
PtPostOperationPassThrough (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    );

#define PT_OP(_mj) { _mj, 0, PtPreOperationPassThrough, PtPostOperationPassThrough, NULL }

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    PT_OP( IRP_MJ_CREATE ),
    PT_OP( IRP_MJ_CREATE_NAMED_PIPE ),
    PT_OP( IRP_MJ_CLOSE ),
    PT_OP( IRP_MJ_READ ),
    PT_OP( IRP_MJ_WRITE ),
    PT_OP( IRP_MJ_QUERY_INFORMATION ),
    PT_OP( IRP_MJ_SET_INFORMATION ),
    PT_OP( IRP_MJ_QUERY_EA ),
    PT_OP( IRP_MJ_SET_EA ),
    PT_OP( IRP_MJ_FLUSH_BUFFERS ),
    PT_OP( IRP_MJ_QUERY_VOLUME_INFORMATION ),
    PT_OP( IRP_MJ_SET_VOLUME_INFORMATION ),
    PT_OP( IRP_MJ_DIRECTORY_CONTROL ),
    PT_OP( IRP_MJ_FILE_SYSTEM_CONTROL ),
    PT_OP( IRP_MJ_DEVICE_CONTROL ),
    PT_OP( IRP_MJ_INTERNAL_DEVICE_CONTROL ),
    PT_OP( IRP_MJ_SHUTDOWN ),
    PT_OP( IRP_MJ_LOCK_CONTROL ),
    PT_OP( IRP_MJ_CLEANUP ),
    PT_OP( IRP_MJ_CREATE_MAILSLOT ),
    PT_OP( IRP_MJ_QUERY_SECURITY ),
    PT_OP( IRP_MJ_SET_SECURITY ),
    PT_OP( IRP_MJ_QUERY_QUOTA ),
    PT_OP( IRP_MJ_SET_QUOTA ),
    PT_OP( IRP_MJ_PNP ),
    PT_OP( IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION ),
    PT_OP( IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION ),
    PT_OP( IRP_MJ_ACQUIRE_FOR_MOD_WRITE ),
    PT_OP( IRP_MJ_RELEASE_FOR_MOD_WRITE ),
    PT_OP( IRP_MJ_ACQUIRE_FOR_CC_FLUSH ),
    PT_OP( IRP_MJ_RELEASE_FOR_CC_FLUSH ),
    PT_OP( IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE ),
    PT_OP( IRP_MJ_NETWORK_QUERY_OPEN ),
    PT_OP( IRP_MJ_MDL_READ ),
    PT_OP( IRP_MJ_MDL_READ_COMPLETE ),
    PT_OP( IRP_MJ_PREPARE_MDL_WRITE ),
    PT_OP( IRP_MJ_MDL_WRITE_COMPLETE ),
    PT_OP( IRP_MJ_VOLUME_MOUNT ),
    PT_OP( IRP_MJ_VOLUME_DISMOUNT ),
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    PtUnload,                           //  MiniFilterUnload
    PtInstanceSetup,                    //  InstanceSetup
    PtInstanceQueryTeardown,            //  InstanceQueryTeardown
    NULL,                               //  InstanceTeardownStart
    NULL,                               //  InstanceTeardownComplete
    NULL,                               //  GenerateFileName
    NULL,                               //  NormalizeNameComponent
    NULL,                               //  NormalizeContextCleanup
    NULL,                               //  TransactionNotification
    NULL,                               //  NormalizeNameComponentEx
    NULL                                //  SectionNotification
};

static VOID
PtReadParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Reads <RegistryPath>\Parameters\DebugFlags; a missing key or value
    leaves tracing off.

--*/
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    ULONG flags = 0;
    RTL_QUERY_REGISTRY_TABLE table[2];
    NTSTATUS status;

    PAGED_CODE();

    gTraceFlags = 0;

    InitializeObjectAttributes( &attributes,
                                RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                                NULL,
                                NULL );
    status = ZwOpenKey( &driverKey, KEY_READ, &attributes );
    if (!NT_SUCCESS( status )) {
        return;
    }

    InitializeObjectAttributes( &attributes,
                                &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                                driverKey,
                                NULL );
    status = ZwOpenKey( &parametersKey, KEY_READ, &attributes );
    ZwClose( driverKey );
    if (!NT_SUCCESS( status )) {
        return;
    }

    RtlZeroMemory( table, sizeof( table ) );
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    table[0].Name = L"DebugFlags";
    table[0].EntryContext = &flags;
    table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;

    status = RtlQueryRegistryValues( RTL_REGISTRY_HANDLE, (PWSTR)parametersKey, table, NULL, NULL );
    if (NT_SUCCESS( status )) {
        gTraceFlags = flags;
    }

    ZwClose( parametersKey );
}

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS status;

    PtReadParameters( RegistryPath );

    PT_DBG_PRINT( PTDBG_TRACE_ROUTINES,
                  (DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                   "PassThrough!DriverEntry: Entered\n") );

    status = FltRegisterFilter( DriverObject,
                                &FilterRegistration,
                                &gFilterHandle );
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
PtUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    PT_DBG_PRINT( PTDBG_TRACE_ROUTINES,
                  (DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                   "PassThrough!PtUnload: Entered\n") );

    FltUnregisterFilter( gFilterHandle );
    gFilterHandle = NULL;

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
PtInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    )
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );
    UNREFERENCED_PARAMETER( VolumeDeviceType );
    UNREFERENCED_PARAMETER( VolumeFilesystemType );

    PAGED_CODE();

    PT_DBG_PRINT( PTDBG_TRACE_ROUTINES,
                  (DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                   "PassThrough!PtInstanceSetup: Entered\n") );

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
PtInstanceQueryTeardown (
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
PtPreOperationPassThrough (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Every operation's pre-operation callback: trace it and ask for the post
    callback.  Runs at IRQL <= APC_LEVEL.

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    PT_DBG_PRINT( PTDBG_TRACE_OPERATION_STATUS,
                  (DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                   "PassThrough!PtPreOperationPassThrough: %s\n",
                   FltGetIrpName( Data->Iopb->MajorFunction )) );

    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
PtPostOperationPassThrough (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    Every operation's post-operation callback: trace it.  May run at
    DISPATCH_LEVEL, so it touches nothing pageable.

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );
    UNREFERENCED_PARAMETER( Flags );

    PT_DBG_PRINT( PTDBG_TRACE_OPERATION_STATUS,
                  (DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                   "PassThrough!PtPostOperationPassThrough: %s status=0x%08x\n",
                   FltGetIrpName( Data->Iopb->MajorFunction ),
                   Data->IoStatus.Status) );

    return FLT_POSTOP_FINISHED_PROCESSING;
}
