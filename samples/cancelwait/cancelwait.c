/*++

Module Name:

    cancelwait.c

Abstract:

    A pre-operation callback that waits for a decision, cancellably.

    Reads of files in the directory \gated\ (of any volume) are held in
    their pre-read callback until a decision is made:

        - creating (or opening) \gated\.open allows them,
        - creating (or opening) \gated\.deny denies them
          (STATUS_ACCESS_DENIED).

    The wait is FltCancellableWaitForSingleObject with the read's callback
    data, so the read can be cancelled while it waits (the requester gives
    up, FltCancelIo, a FUSE interrupt): the wait then returns
    STATUS_CANCELLED, and the filter completes the read itself with
    STATUS_CANCELLED.  Ending the wait never cancels the I/O by itself:
    completing the operation is the filter's decision.

    The wait has a limit, Parameters\DecisionTimeoutMs (REG_DWORD, default
    30000).  FltCancellableWaitForSingleObject then returns STATUS_TIMEOUT,
    a success code (NT_SUCCESS is TRUE): only STATUS_SUCCESS means the
    event was signalled.  A read that timed out fails with
    STATUS_IO_TIMEOUT.  A thread being terminated while waiting
    (STATUS_THREAD_IS_TERMINATING) fails the read with that status.

    The decision is sticky for the life of the filter.  Outcomes are logged
    (DbgPrintEx, DPFLTR_INFO_LEVEL) with the prefix "cancelwait:".

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

#define CW_LOG(_fmt, ...) \
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "cancelwait: " _fmt, __VA_ARGS__ )

#define CW_DEFAULT_TIMEOUT_MS   30000

typedef enum _CW_DECISION {
    CwUndecided,
    CwAllow,
    CwDeny
} CW_DECISION;

typedef struct _CW_DATA {

    PFLT_FILTER Filter;

    //
    //  Set once a decision is made (notification event: releases every
    //  waiting read and stays signalled).
    //

    KEVENT Decided;
    volatile LONG Decision;

    ULONG TimeoutMs;

} CW_DATA;

static CW_DATA CwData;

static const UNICODE_STRING CwGatedDir = RTL_CONSTANT_STRING( L"\\gated\\" );
static const UNICODE_STRING CwOpenName = RTL_CONSTANT_STRING( L".open" );
static const UNICODE_STRING CwDenyName = RTL_CONSTANT_STRING( L".deny" );

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI CwUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CwPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CwPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_CREATE, 0, CwPreCreate, NULL, NULL },
    { IRP_MJ_READ, 0, CwPreRead, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    CwUnload,                           //  FilterUnload
    NULL,                               //  InstanceSetup
    NULL,                               //  InstanceQueryTeardown
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
CwReadParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    ULONG timeoutMs = CW_DEFAULT_TIMEOUT_MS;
    RTL_QUERY_REGISTRY_TABLE table[2];
    NTSTATUS status;

    PAGED_CODE();

    CwData.TimeoutMs = CW_DEFAULT_TIMEOUT_MS;

    InitializeObjectAttributes( &attributes, RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL );
    status = ZwOpenKey( &driverKey, KEY_READ, &attributes );
    if (!NT_SUCCESS( status )) {
        return;
    }

    InitializeObjectAttributes( &attributes, &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, driverKey, NULL );
    status = ZwOpenKey( &parametersKey, KEY_READ, &attributes );
    ZwClose( driverKey );
    if (!NT_SUCCESS( status )) {
        return;
    }

    RtlZeroMemory( table, sizeof( table ) );
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    table[0].Name = L"DecisionTimeoutMs";
    table[0].EntryContext = &timeoutMs;
    table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;

    if (NT_SUCCESS( RtlQueryRegistryValues( RTL_REGISTRY_HANDLE, (PWSTR)parametersKey,
                                            table, NULL, NULL ) )) {
        CwData.TimeoutMs = timeoutMs;
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

    RtlZeroMemory( &CwData, sizeof( CwData ) );
    KeInitializeEvent( &CwData.Decided, NotificationEvent, FALSE );
    CwReadParameters( RegistryPath );

    status = FltRegisterFilter( DriverObject, &FilterRegistration, &CwData.Filter );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltStartFiltering( CwData.Filter );
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( CwData.Filter );
        CwData.Filter = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
CwUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltUnregisterFilter( CwData.Filter );
    CwData.Filter = NULL;

    return STATUS_SUCCESS;
}

static NTSTATUS
CwGetGatedName (
    _In_ PFLT_CALLBACK_DATA Data,
    _Outptr_ PFLT_FILE_NAME_INFORMATION *NameInfo
    )
/*++

Routine Description:

    The parsed opened name of the operation's file if it is in \gated\,
    else STATUS_NOT_FOUND.

--*/
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    NTSTATUS status;

    PAGED_CODE();

    status = FltGetFileNameInformation( Data,
                                        FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                        &nameInfo );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltParseFileNameInformation( nameInfo );
    if (NT_SUCCESS( status ) &&
        !RtlEqualUnicodeString( &nameInfo->ParentDir, &CwGatedDir, TRUE )) {

        status = STATUS_NOT_FOUND;
    }

    if (!NT_SUCCESS( status )) {
        FltReleaseFileNameInformation( nameInfo );
        return status;
    }

    *NameInfo = nameInfo;
    return STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CwPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    An open of \gated\.open or \gated\.deny makes the decision.

--*/
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    LONG decision = CwUndecided;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    PAGED_CODE();

    if (!NT_SUCCESS( CwGetGatedName( Data, &nameInfo ) )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    if (RtlEqualUnicodeString( &nameInfo->FinalComponent, &CwOpenName, TRUE )) {
        decision = CwAllow;
    } else if (RtlEqualUnicodeString( &nameInfo->FinalComponent, &CwDenyName, TRUE )) {
        decision = CwDeny;
    }

    FltReleaseFileNameInformation( nameInfo );

    if (decision != CwUndecided &&
        InterlockedCompareExchange( &CwData.Decision, decision, CwUndecided ) == CwUndecided) {

        CW_LOG( "decision: %s\n", decision == CwAllow ? "allow" : "deny" );
        KeSetEvent( &CwData.Decided, IO_NO_INCREMENT, FALSE );
    }

    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CwPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Holds a read of a gated file until the decision; the wait ends early
    when the read is cancelled.  Only IRP-based reads at PASSIVE_LEVEL
    wait (the routine's requirement); paging reads pass.

--*/
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    LARGE_INTEGER timeout;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    if (!FLT_IS_IRP_OPERATION( Data ) ||
        FlagOn( Data->Iopb->IrpFlags, IRP_PAGING_IO ) ||
        KeGetCurrentIrql() != PASSIVE_LEVEL) {

        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    if (!NT_SUCCESS( CwGetGatedName( Data, &nameInfo ) )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    CW_LOG( "read of %wZ waits for a decision\n", &nameInfo->Name );
    FltReleaseFileNameInformation( nameInfo );

    timeout.QuadPart = -(LONGLONG)CwData.TimeoutMs * 10000;
    status = FltCancellableWaitForSingleObject( &CwData.Decided, &timeout, Data );

    switch (status) {

    case STATUS_SUCCESS:
        if (CwData.Decision == CwAllow) {
            CW_LOG( "read allowed%s\n", "" );
            return FLT_PREOP_SUCCESS_NO_CALLBACK;
        }
        CW_LOG( "read denied%s\n", "" );
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        break;

    case STATUS_TIMEOUT:
        CW_LOG( "no decision in %lu ms: STATUS_IO_TIMEOUT\n", CwData.TimeoutMs );
        Data->IoStatus.Status = STATUS_IO_TIMEOUT;
        break;

    case STATUS_CANCELLED:
        CW_LOG( "read cancelled while waiting: completing it with STATUS_CANCELLED%s\n", "" );
        Data->IoStatus.Status = STATUS_CANCELLED;
        break;

    default:
        CW_LOG( "wait failed 0x%08x\n", status );
        Data->IoStatus.Status = status;
        break;
    }

    Data->IoStatus.Information = 0;
    return FLT_PREOP_COMPLETE;
}
