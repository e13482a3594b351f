/*++

Module Name:

    msgtimeout.c

Abstract:

    FltSendMessage with a timeout, relative or absolute.

    Every open of a file in \ask\ asks the user-mode tool (msgtimeoutuser)
    whether it may proceed and waits for the answer at most TimeoutMs.
    The Timeout parameter covers the whole conversation: until the tool
    picks the message up, then until it replies.

        - Parameters\Absolute = 0 (default): a relative timeout (negative:
          an interval on the monotonic clock; changing the system time does
          not move it).
        - Parameters\Absolute = 1: an absolute timeout (positive: a system
          time, computed when the open starts; setting the clock past it
          ends the wait).

    FltSendMessage returns STATUS_TIMEOUT when time runs out.  That is a
    success code: NT_SUCCESS( STATUS_TIMEOUT ) is TRUE, and a filter that
    tests NT_SUCCESS would read a reply that never came.  This filter
    compares with STATUS_SUCCESS, and fails a timed-out open with
    STATUS_IO_TIMEOUT.  A message that timed out before the tool picked it
    up is withdrawn (never delivered); one that timed out after delivery
    gets no waiter: the tool's late FilterReplyMessage fails with
    ERROR_FLT_NO_WAITER_FOR_REPLY.

    With no tool connected, or when it goes away, opens proceed.

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>
#include "msgtimeout.h"

#define MT_LOG(_fmt, ...) \
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "msgtimeout: " _fmt, __VA_ARGS__ )

#define MT_NOTIFICATION_TAG     'nTsM'
#define MT_DEFAULT_TIMEOUT_MS   5000

typedef struct _MT_DATA {

    PFLT_FILTER Filter;
    PFLT_PORT ServerPort;
    PFLT_PORT ClientPort;
    volatile LONG Connected;        // ClientPort is valid (tested instead of ClientPort)
    KEVENT NoClient;

    ULONG TimeoutMs;
    BOOLEAN Absolute;

} MT_DATA;

static MT_DATA MtData;

static const UNICODE_STRING MtAskDir = RTL_CONSTANT_STRING( L"\\ask\\" );

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI MtUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
MtPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_CREATE, 0, MtPreCreate, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    MtUnload,                           //  FilterUnload
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
MtReadParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    ULONG timeoutMs = MT_DEFAULT_TIMEOUT_MS;
    ULONG absolute = 0;
    RTL_QUERY_REGISTRY_TABLE table[3];

    PAGED_CODE();

    MtData.TimeoutMs = MT_DEFAULT_TIMEOUT_MS;

    InitializeObjectAttributes( &attributes, RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL );
    if (!NT_SUCCESS( ZwOpenKey( &driverKey, KEY_READ, &attributes ) )) {
        return;
    }

    InitializeObjectAttributes( &attributes, &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, driverKey, NULL );
    if (NT_SUCCESS( ZwOpenKey( &parametersKey, KEY_READ, &attributes ) )) {

        RtlZeroMemory( table, sizeof( table ) );
        table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[0].Name = L"TimeoutMs";
        table[0].EntryContext = &timeoutMs;
        table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
        table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[1].Name = L"Absolute";
        table[1].EntryContext = &absolute;
        table[1].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;

        if (NT_SUCCESS( RtlQueryRegistryValues( RTL_REGISTRY_HANDLE, (PWSTR)parametersKey,
                                                table, NULL, NULL ) )) {
            MtData.TimeoutMs = timeoutMs;
            MtData.Absolute = (BOOLEAN)(absolute != 0);
        }
        ZwClose( parametersKey );
    }

    ZwClose( driverKey );
}

static NTSTATUS FLTAPI
MtConnect (
    _In_ PFLT_PORT ClientPort,
    _In_opt_ PVOID ServerPortCookie,
    _In_reads_bytes_opt_(SizeOfContext) PVOID ConnectionContext,
    _In_ ULONG SizeOfContext,
    _Outptr_result_maybenull_ PVOID *ConnectionCookie
    )
{
    UNREFERENCED_PARAMETER( ServerPortCookie );
    UNREFERENCED_PARAMETER( ConnectionContext );
    UNREFERENCED_PARAMETER( SizeOfContext );

    PAGED_CODE();

    KeClearEvent( &MtData.NoClient );
    MtData.ClientPort = ClientPort;
    InterlockedExchange( &MtData.Connected, TRUE );
    *ConnectionCookie = NULL;
    return STATUS_SUCCESS;
}

static VOID FLTAPI
MtDisconnect (
    _In_opt_ PVOID ConnectionCookie
    )
{
    UNREFERENCED_PARAMETER( ConnectionCookie );

    PAGED_CODE();

    InterlockedExchange( &MtData.Connected, FALSE );
    FltCloseClientPort( MtData.Filter, &MtData.ClientPort );
    KeSetEvent( &MtData.NoClient, IO_NO_INCREMENT, FALSE );
}

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING portName = RTL_CONSTANT_STRING( MSGTIMEOUT_PORT_NAME );
    PSECURITY_DESCRIPTOR securityDescriptor;
    NTSTATUS status;

    RtlZeroMemory( &MtData, sizeof( MtData ) );
    KeInitializeEvent( &MtData.NoClient, NotificationEvent, TRUE );
    MtReadParameters( RegistryPath );

    status = FltRegisterFilter( DriverObject, &FilterRegistration, &MtData.Filter );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltBuildDefaultSecurityDescriptor( &securityDescriptor, FLT_PORT_ALL_ACCESS );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    InitializeObjectAttributes( &attributes, &portName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, securityDescriptor );
    status = FltCreateCommunicationPort( MtData.Filter, &MtData.ServerPort, &attributes, NULL,
                                         MtConnect, MtDisconnect, NULL, 1 );
    FltFreeSecurityDescriptor( securityDescriptor );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = FltStartFiltering( MtData.Filter );
    if (!NT_SUCCESS( status )) {
        FltCloseCommunicationPort( MtData.ServerPort );
    }

out:
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( MtData.Filter );
        MtData.Filter = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
MtUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltCloseCommunicationPort( MtData.ServerPort );
    if (InterlockedCompareExchange( &MtData.Connected, FALSE, FALSE )) {
        FltCloseClientPort( MtData.Filter, &MtData.ClientPort );
    }
    KeWaitForSingleObject( &MtData.NoClient, Executive, KernelMode, FALSE, NULL );
    FltUnregisterFilter( MtData.Filter );
    MtData.Filter = NULL;

    return STATUS_SUCCESS;
}

static VOID
MtComputeTimeout (
    _Out_ PLARGE_INTEGER Timeout
    )
{
    LONGLONG interval = (LONGLONG)MtData.TimeoutMs * 10000;

    if (MtData.Absolute) {

        //
        //  Positive: a system time, fixed now.
        //

        KeQuerySystemTime( Timeout );
        Timeout->QuadPart += interval;

    } else {

        //
        //  Negative: an interval from now.
        //

        Timeout->QuadPart = -interval;
    }
}

static NTSTATUS
MtAsk (
    _In_ PCUNICODE_STRING Name,
    _Out_ PBOOLEAN Allow
    )
/*++

Routine Description:

    One question to the tool.

Return Value:

    FltSendMessage's status: STATUS_SUCCESS (then *Allow is the answer),
    STATUS_TIMEOUT, STATUS_PORT_DISCONNECTED, ...

--*/
{
    PMSGTIMEOUT_NOTIFICATION notification;
    MSGTIMEOUT_REPLY reply = { 0 };
    ULONG replyLength = sizeof( reply );
    LARGE_INTEGER timeout;
    NTSTATUS status;

    PAGED_CODE();

    *Allow = TRUE;

    notification = ExAllocatePoolZero( PagedPool, sizeof( MSGTIMEOUT_NOTIFICATION ),
                                       MT_NOTIFICATION_TAG );
    if (notification == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    notification->NameLength = min( Name->Length, sizeof( notification->Name ) );
    RtlCopyMemory( notification->Name, Name->Buffer, notification->NameLength );

    MtComputeTimeout( &timeout );
    status = FltSendMessage( MtData.Filter, &MtData.ClientPort,
                             notification, sizeof( MSGTIMEOUT_NOTIFICATION ),
                             &reply, &replyLength, &timeout );

    if (status == STATUS_SUCCESS) {
        *Allow = reply.Allow;
    }

    ExFreePoolWithTag( notification, MT_NOTIFICATION_TAG );
    return status;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
MtPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    BOOLEAN allow = TRUE;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    PAGED_CODE();

    if (!InterlockedCompareExchange( &MtData.Connected, FALSE, FALSE )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    status = FltGetFileNameInformation( Data, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                        &nameInfo );
    if (!NT_SUCCESS( status )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    status = FltParseFileNameInformation( nameInfo );
    if (!NT_SUCCESS( status ) || !RtlEqualUnicodeString( &nameInfo->ParentDir, &MtAskDir, TRUE )) {
        FltReleaseFileNameInformation( nameInfo );
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    status = MtAsk( &nameInfo->Name, &allow );

    if (status == STATUS_SUCCESS) {
        MT_LOG( "%wZ: %s\n", &nameInfo->Name, allow ? "allowed" : "denied" );
    } else if (status == STATUS_TIMEOUT) {
        MT_LOG( "%wZ: no answer within %lu ms (%s timeout): STATUS_TIMEOUT, a success code "
                "without a reply\n",
                &nameInfo->Name, MtData.TimeoutMs, MtData.Absolute ? "absolute" : "relative" );
    } else {
        MT_LOG( "%wZ: no answer (0x%08x), proceeding\n", &nameInfo->Name, status );
    }

    FltReleaseFileNameInformation( nameInfo );

    if (status == STATUS_TIMEOUT) {
        Data->IoStatus.Status = STATUS_IO_TIMEOUT;
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }

    if (!allow) {
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }

    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}
