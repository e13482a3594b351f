/*++

Module Name:

    minispy.c

Abstract:

    Records every operation the filter sees: its start time, requesting
    process and thread, major and minor function, file name, final status
    and information, and how long it took from the pre to the post
    callback.  Records go into a ring buffer in nonpaged pool (the post
    callback may run at DISPATCH_LEVEL); when it is full the oldest
    records are overwritten and counted as dropped.  The user tool
    minispyctl pulls them through the port \MiniSpyPort with
    FilterSendMessage (command GetMiniSpyLog).

    Registry value under Parameters: RecordCount (REG_DWORD, 16..65536,
    default 1024), the ring's capacity.

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>
#include "minispy.h"

#define SPY_RING_TAG            'rSpM'
#define SPY_RECORD_TAG          'cSpM'
#define SPY_DEFAULT_RECORDS     1024
#define SPY_MIN_RECORDS         16
#define SPY_MAX_RECORDS         65536

typedef struct _MINISPY_DATA {

    PFLT_FILTER Filter;
    PFLT_PORT ServerPort;

    //
    //  One reader at a time.  NoClient is signalled while none is
    //  connected; unload waits for it so that no message or disconnect
    //  callback is running when the image goes away.
    //

    PFLT_PORT ClientPort;
    volatile LONG Connected;        // ClientPort is valid (tested instead of ClientPort)
    KEVENT NoClient;

    //
    //  The ring: Capacity records; NextSequence is the sequence number the
    //  next record gets, so the ring holds [NextSequence - Capacity,
    //  NextSequence).  Guarded by RingLock.
    //

    KSPIN_LOCK RingLock;
    PMINISPY_RECORD Ring;
    ULONG Capacity;
    ULONGLONG NextSequence;

} MINISPY_DATA;

static MINISPY_DATA MiniSpyData;

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI SpyUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
SpyPreOperationCallback (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
SpyPostOperationCallback (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    );

#define SPY_OP(_mj) { _mj, 0, SpyPreOperationCallback, SpyPostOperationCallback, NULL }

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    SPY_OP( IRP_MJ_CREATE ),
    SPY_OP( IRP_MJ_CLOSE ),
    SPY_OP( IRP_MJ_READ ),
    SPY_OP( IRP_MJ_WRITE ),
    SPY_OP( IRP_MJ_QUERY_INFORMATION ),
    SPY_OP( IRP_MJ_SET_INFORMATION ),
    SPY_OP( IRP_MJ_QUERY_EA ),
    SPY_OP( IRP_MJ_SET_EA ),
    SPY_OP( IRP_MJ_FLUSH_BUFFERS ),
    SPY_OP( IRP_MJ_QUERY_VOLUME_INFORMATION ),
    SPY_OP( IRP_MJ_SET_VOLUME_INFORMATION ),
    SPY_OP( IRP_MJ_DIRECTORY_CONTROL ),
    SPY_OP( IRP_MJ_FILE_SYSTEM_CONTROL ),
    SPY_OP( IRP_MJ_DEVICE_CONTROL ),
    SPY_OP( IRP_MJ_LOCK_CONTROL ),
    SPY_OP( IRP_MJ_CLEANUP ),
    SPY_OP( IRP_MJ_QUERY_SECURITY ),
    SPY_OP( IRP_MJ_SET_SECURITY ),
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    Callbacks,                          //  Operation callbacks
    SpyUnload,                          //  FilterUnload
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

static ULONG
SpyReadCapacity (
    _In_ PUNICODE_STRING RegistryPath
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    ULONG capacity = SPY_DEFAULT_RECORDS;
    RTL_QUERY_REGISTRY_TABLE table[2];

    PAGED_CODE();

    InitializeObjectAttributes( &attributes, RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL );
    if (!NT_SUCCESS( ZwOpenKey( &driverKey, KEY_READ, &attributes ) )) {
        return capacity;
    }

    InitializeObjectAttributes( &attributes, &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, driverKey, NULL );
    if (NT_SUCCESS( ZwOpenKey( &parametersKey, KEY_READ, &attributes ) )) {

        RtlZeroMemory( table, sizeof( table ) );
        table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[0].Name = L"RecordCount";
        table[0].EntryContext = &capacity;
        table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
        if (!NT_SUCCESS( RtlQueryRegistryValues( RTL_REGISTRY_HANDLE, (PWSTR)parametersKey,
                                                 table, NULL, NULL ) )) {
            capacity = SPY_DEFAULT_RECORDS;
        }
        ZwClose( parametersKey );
    }

    ZwClose( driverKey );
    return max( SPY_MIN_RECORDS, min( capacity, SPY_MAX_RECORDS ) );
}

//
//  The ring.
//

static VOID
SpyAppend (
    _Inout_ PMINISPY_RECORD Record
    )
/*++

Routine Description:

    Copies a finished record into the ring, giving it its sequence number.
    Any IRQL <= DISPATCH_LEVEL.

--*/
{
    KIRQL irql;

    KeAcquireSpinLock( &MiniSpyData.RingLock, &irql );
    Record->Sequence = MiniSpyData.NextSequence++;
    RtlCopyMemory( &MiniSpyData.Ring[Record->Sequence % MiniSpyData.Capacity],
                   Record,
                   sizeof( MINISPY_RECORD ) );
    KeReleaseSpinLock( &MiniSpyData.RingLock, irql );
}

static ULONG
SpyCopyRecords (
    _In_ ULONGLONG FromSequence,
    _Out_writes_bytes_(OutputBufferLength) PMINISPY_LOG_REPLY Reply,
    _In_ ULONG OutputBufferLength
    )
/*++

Routine Description:

    Fills the reply with the records from FromSequence on that fit.

Return Value:

    The bytes of the reply.

--*/
{
    ULONG room = (OutputBufferLength - MINISPY_LOG_REPLY_HEADER_SIZE) / sizeof( MINISPY_RECORD );
    ULONGLONG oldest;
    ULONGLONG sequence;
    ULONG count = 0;
    KIRQL irql;

    KeAcquireSpinLock( &MiniSpyData.RingLock, &irql );

    oldest = MiniSpyData.NextSequence > MiniSpyData.Capacity ?
             MiniSpyData.NextSequence - MiniSpyData.Capacity : 0;
    sequence = max( FromSequence, oldest );
    Reply->Dropped = sequence - min( FromSequence, sequence );

    for (; sequence < MiniSpyData.NextSequence && count < room; sequence++, count++) {
        RtlCopyMemory( &Reply->Records[count],
                       &MiniSpyData.Ring[sequence % MiniSpyData.Capacity],
                       sizeof( MINISPY_RECORD ) );
    }

    KeReleaseSpinLock( &MiniSpyData.RingLock, irql );

    Reply->RecordCount = count;
    Reply->Reserved = 0;
    Reply->NextSequence = sequence;

    return MINISPY_LOG_REPLY_HEADER_SIZE + count * (ULONG)sizeof( MINISPY_RECORD );
}

//
//  The port.
//

static NTSTATUS FLTAPI
SpyConnect (
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

    KeClearEvent( &MiniSpyData.NoClient );
    MiniSpyData.ClientPort = ClientPort;
    InterlockedExchange( &MiniSpyData.Connected, TRUE );
    *ConnectionCookie = NULL;
    return STATUS_SUCCESS;
}

static VOID FLTAPI
SpyDisconnect (
    _In_opt_ PVOID ConnectionCookie
    )
{
    UNREFERENCED_PARAMETER( ConnectionCookie );

    PAGED_CODE();

    InterlockedExchange( &MiniSpyData.Connected, FALSE );
    FltCloseClientPort( MiniSpyData.Filter, &MiniSpyData.ClientPort );
    KeSetEvent( &MiniSpyData.NoClient, IO_NO_INCREMENT, FALSE );
}

static NTSTATUS FLTAPI
SpyMessage (
    _In_ PVOID ConnectionCookie,
    _In_reads_bytes_opt_(InputBufferSize) PVOID InputBuffer,
    _In_ ULONG InputBufferSize,
    _Out_writes_bytes_to_opt_(OutputBufferSize, *ReturnOutputBufferLength) PVOID OutputBuffer,
    _In_ ULONG OutputBufferSize,
    _Out_ PULONG ReturnOutputBufferLength
    )
/*++

Routine Description:

    GetMiniSpyLog: copies records into the caller's buffer.

Return Value:

    STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a short or unknown
    command; STATUS_BUFFER_TOO_SMALL for an output buffer that cannot hold
    one record.

--*/
{
    COMMAND_MESSAGE command;

    UNREFERENCED_PARAMETER( ConnectionCookie );

    PAGED_CODE();

    *ReturnOutputBufferLength = 0;

    if (InputBuffer == NULL || InputBufferSize < sizeof( COMMAND_MESSAGE )) {
        return STATUS_INVALID_PARAMETER;
    }

    RtlCopyMemory( &command, InputBuffer, sizeof( command ) );
    if (command.Command != GetMiniSpyLog) {
        return STATUS_INVALID_PARAMETER;
    }

    if (OutputBuffer == NULL ||
        OutputBufferSize < MINISPY_LOG_REPLY_HEADER_SIZE + sizeof( MINISPY_RECORD )) {
        return STATUS_BUFFER_TOO_SMALL;
    }

    *ReturnOutputBufferLength = SpyCopyRecords( command.FromSequence, OutputBuffer, OutputBufferSize );
    return STATUS_SUCCESS;
}

static NTSTATUS
SpyCreatePort (
    VOID
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING portName = RTL_CONSTANT_STRING( MINISPY_PORT_NAME );
    PSECURITY_DESCRIPTOR securityDescriptor;
    NTSTATUS status;

    PAGED_CODE();

    status = FltBuildDefaultSecurityDescriptor( &securityDescriptor, FLT_PORT_ALL_ACCESS );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    InitializeObjectAttributes( &attributes, &portName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, securityDescriptor );

    status = FltCreateCommunicationPort( MiniSpyData.Filter, &MiniSpyData.ServerPort, &attributes,
                                         NULL, SpyConnect, SpyDisconnect, SpyMessage, 1 );

    FltFreeSecurityDescriptor( securityDescriptor );
    return status;
}

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS status;

    RtlZeroMemory( &MiniSpyData, sizeof( MiniSpyData ) );
    KeInitializeSpinLock( &MiniSpyData.RingLock );
    KeInitializeEvent( &MiniSpyData.NoClient, NotificationEvent, TRUE );
    MiniSpyData.Capacity = SpyReadCapacity( RegistryPath );

    MiniSpyData.Ring = ExAllocatePoolZero( NonPagedPoolNx,
                                           (SIZE_T)MiniSpyData.Capacity * sizeof( MINISPY_RECORD ),
                                           SPY_RING_TAG );
    if (MiniSpyData.Ring == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    status = FltRegisterFilter( DriverObject, &FilterRegistration, &MiniSpyData.Filter );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = SpyCreatePort();
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( MiniSpyData.Filter );
        goto out;
    }

    status = FltStartFiltering( MiniSpyData.Filter );
    if (!NT_SUCCESS( status )) {
        FltCloseCommunicationPort( MiniSpyData.ServerPort );
        FltUnregisterFilter( MiniSpyData.Filter );
    }

out:
    if (!NT_SUCCESS( status )) {
        ExFreePoolWithTag( MiniSpyData.Ring, SPY_RING_TAG );
        MiniSpyData.Ring = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
SpyUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
/*++

Routine Description:

    Stops new connections, ends the reader's connection and waits until
    its callbacks are done.  The ring goes once the filter is unregistered
    (no operation callback runs any more).

--*/
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltCloseCommunicationPort( MiniSpyData.ServerPort );
    if (InterlockedCompareExchange( &MiniSpyData.Connected, FALSE, FALSE )) {
        FltCloseClientPort( MiniSpyData.Filter, &MiniSpyData.ClientPort );
    }
    KeWaitForSingleObject( &MiniSpyData.NoClient, Executive, KernelMode, FALSE, NULL );
    FltUnregisterFilter( MiniSpyData.Filter );
    ExFreePoolWithTag( MiniSpyData.Ring, SPY_RING_TAG );
    MiniSpyData.Ring = NULL;

    return STATUS_SUCCESS;
}

//
//  Operation callbacks.
//

static VOID
SpySetName (
    _In_ PFLT_CALLBACK_DATA Data,
    _Inout_ PMINISPY_RECORD Record
    )
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    USHORT length;

    if (Data->Iopb->MajorFunction == IRP_MJ_CLOSE ||
        FlagOn( Data->Iopb->IrpFlags, IRP_PAGING_IO ) ||
        !NT_SUCCESS( FltGetFileNameInformation( Data,
                                                FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                                &nameInfo ) )) {
        return;
    }

    length = (USHORT)min( nameInfo->Name.Length, sizeof( Record->Name ) );
    RtlCopyMemory( Record->Name, nameInfo->Name.Buffer, length );
    Record->NameLength = length;

    FltReleaseFileNameInformation( nameInfo );
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
SpyPreOperationCallback (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Starts a record; the post callback finishes it.  Without memory the
    operation simply goes unrecorded.

--*/
{
    PMINISPY_RECORD record;
    LARGE_INTEGER now;

    UNREFERENCED_PARAMETER( FltObjects );

    record = ExAllocatePoolZero( NonPagedPoolNx, sizeof( MINISPY_RECORD ), SPY_RECORD_TAG );
    if (record == NULL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    KeQuerySystemTimePrecise( &now );
    record->StartTime = now.QuadPart;
    record->ProcessId = FltGetRequestorProcessId( Data );
    record->ThreadId = (ULONG)(ULONG_PTR)PsGetThreadId( Data->Thread );
    record->MajorFunction = Data->Iopb->MajorFunction;
    record->MinorFunction = Data->Iopb->MinorFunction;
    SpySetName( Data, record );

    *CompletionContext = record;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI
SpyPostOperationCallback (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    Finishes the record (also while draining: the operation happened) and
    appends it.  May run at DISPATCH_LEVEL.

--*/
{
    PMINISPY_RECORD record = CompletionContext;
    LARGE_INTEGER now;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );

    KeQuerySystemTimePrecise( &now );
    record->Duration = now.QuadPart - record->StartTime;
    record->Status = Data->IoStatus.Status;
    record->Information = Data->IoStatus.Information;

    SpyAppend( record );
    ExFreePoolWithTag( record, SPY_RECORD_TAG );

    return FLT_POSTOP_FINISHED_PROCESSING;
}
