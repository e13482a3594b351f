/*++

Module Name:

    cancelsafe.c

Abstract:

    Pending reads in a cancel-safe callback data queue (FltCbdq*).

    Reads of files under a configured directory are pended in their
    pre-read callback: inserted into the instance's cancel-safe queue and
    answered FLT_PREOP_PENDING.  A worker thread per instance lets each
    read go on (FltCompletePendedPreOperation with
    FLT_PREOP_SUCCESS_NO_CALLBACK) once it has waited the configured
    delay.  A read that is cancelled while queued (the requester's Ctrl-C:
    a FUSE interrupt, or FltCancelIo) is taken out of the queue by the
    Filter Manager and completed by CsqCompleteCanceledIo with
    STATUS_CANCELLED, exactly once: the worker can no longer find it.

    Registry values under Parameters:

        Directory   REG_SZ      the volume-relative directory whose files
                                are delayed, with its trailing backslash
                                (default "\pended\"; subdirectories too)
        DelayMs     REG_DWORD   how long each read is held (default 1000)

    At instance teardown the queue is disabled, the worker stops, and every
    read still queued goes on at once.

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

#define CSQ_LOG(_fmt, ...) \
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "cancelsafe: " _fmt, __VA_ARGS__ )

#define CSQ_INSTANCE_CONTEXT_TAG    'cIsC'
#define CSQ_DIRECTORY_TAG           'dDsC'
#define CSQ_DEFAULT_DELAY_MS        1000
#define CSQ_MAX_DIRECTORY_CHARS     260

typedef struct _CSQ_INSTANCE_CONTEXT {

    //
    //  The cancel-safe queue and what its callbacks keep: a list through
    //  FLT_CALLBACK_DATA.QueueLinks, under a spin lock.
    //

    FLT_CALLBACK_DATA_QUEUE Cbdq;
    LIST_ENTRY QueueHead;
    KSPIN_LOCK QueueLock;

    //
    //  The worker: woken by WorkAvailable, ended by Teardown.
    //

    PETHREAD WorkerThread;
    KEVENT WorkAvailable;
    KEVENT Teardown;

} CSQ_INSTANCE_CONTEXT, *PCSQ_INSTANCE_CONTEXT;

typedef struct _CSQ_GLOBALS {

    PFLT_FILTER Filter;
    UNICODE_STRING Directory;
    ULONG DelayMs;

} CSQ_GLOBALS;

static CSQ_GLOBALS Globals;

//
//  A pended read keeps its due time (interrupt time, 100 ns) in its
//  callback data's QueueContext[0], which belongs to the filter while the
//  operation is pended.
//

#define CSQ_DUE_TIME(_data) ((LONGLONG)(LONG_PTR)(_data)->QueueContext[0])

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI CsqUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static NTSTATUS FLTAPI
CsqInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    );

static VOID FLTAPI
CsqInstanceTeardownStart (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_TEARDOWN_FLAGS Reason
    );

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CsqPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_READ, 0, CsqPreRead, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_CONTEXT_REGISTRATION ContextRegistration[] = {
    { FLT_INSTANCE_CONTEXT, 0, NULL, sizeof( CSQ_INSTANCE_CONTEXT ), CSQ_INSTANCE_CONTEXT_TAG,
      NULL, NULL, NULL },
    { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    ContextRegistration,                //  Context
    Callbacks,                          //  Operation callbacks
    CsqUnload,                          //  FilterUnload
    CsqInstanceSetup,                   //  InstanceSetup
    NULL,                               //  InstanceQueryTeardown
    CsqInstanceTeardownStart,           //  InstanceTeardownStart
    NULL,                               //  InstanceTeardownComplete
    NULL,                               //  GenerateFileName
    NULL,                               //  NormalizeNameComponent
    NULL,                               //  NormalizeContextCleanup
    NULL,                               //  TransactionNotification
    NULL,                               //  NormalizeNameComponentEx
    NULL                                //  SectionNotification
};

//
//  Cancel-safe queue callbacks.  The Filter Manager calls them with the
//  queue lock held (Acquire/Release), also from its cancel path.
//

static PCSQ_INSTANCE_CONTEXT
CsqContextFromQueue (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq
    )
{
    return CONTAINING_RECORD( Cbdq, CSQ_INSTANCE_CONTEXT, Cbdq );
}

static VOID FLTAPI
CsqAcquire (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _Out_ PKIRQL Irql
    )
{
    KeAcquireSpinLock( &CsqContextFromQueue( Cbdq )->QueueLock, Irql );
}

static VOID FLTAPI
CsqRelease (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _In_ KIRQL Irql
    )
{
    KeReleaseSpinLock( &CsqContextFromQueue( Cbdq )->QueueLock, Irql );
}

static NTSTATUS FLTAPI
CsqInsertIo (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _In_ PFLT_CALLBACK_DATA Data,
    _In_opt_ PVOID Context
    )
{
    UNREFERENCED_PARAMETER( Context );

    InsertTailList( &CsqContextFromQueue( Cbdq )->QueueHead, &Data->QueueLinks );
    return STATUS_SUCCESS;
}

static VOID FLTAPI
CsqRemoveIo (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _In_ PFLT_CALLBACK_DATA Data
    )
{
    UNREFERENCED_PARAMETER( Cbdq );

    RemoveEntryList( &Data->QueueLinks );
}

static PFLT_CALLBACK_DATA FLTAPI
CsqPeekNextIo (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _In_opt_ PFLT_CALLBACK_DATA Data,
    _In_opt_ PVOID PeekContext
    )
/*++

Routine Description:

    The next queued read after Data (or the first).  With a PeekContext
    (a pointer to the current interrupt time), only a read that is due.

--*/
{
    PCSQ_INSTANCE_CONTEXT context = CsqContextFromQueue( Cbdq );
    PLIST_ENTRY entry = Data != NULL ? Data->QueueLinks.Flink : context->QueueHead.Flink;
    PFLT_CALLBACK_DATA next;

    if (entry == &context->QueueHead) {
        return NULL;
    }

    next = CONTAINING_RECORD( entry, FLT_CALLBACK_DATA, QueueLinks );
    if (PeekContext != NULL && CSQ_DUE_TIME( next ) > *(PLONGLONG)PeekContext) {
        return NULL;
    }

    return next;
}

static VOID FLTAPI
CsqCompleteCanceledIo (
    _In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
    _Inout_ PFLT_CALLBACK_DATA Data
    )
/*++

Routine Description:

    A queued read was cancelled; it is already out of the queue.

--*/
{
    UNREFERENCED_PARAMETER( Cbdq );

    CSQ_LOG( "read cancelled while queued: STATUS_CANCELLED%s\n", "" );

    Data->IoStatus.Status = STATUS_CANCELLED;
    Data->IoStatus.Information = 0;
    FltCompletePendedPreOperation( Data, FLT_PREOP_COMPLETE, NULL );
}

static BOOLEAN
CsqHeadDueTime (
    _In_ PCSQ_INSTANCE_CONTEXT Context,
    _Out_ PLONGLONG DueTime
    )
{
    KIRQL irql;
    BOOLEAN found = FALSE;

    KeAcquireSpinLock( &Context->QueueLock, &irql );
    if (!IsListEmpty( &Context->QueueHead )) {
        *DueTime = CSQ_DUE_TIME( CONTAINING_RECORD( Context->QueueHead.Flink,
                                                    FLT_CALLBACK_DATA,
                                                    QueueLinks ) );
        found = TRUE;
    }
    KeReleaseSpinLock( &Context->QueueLock, irql );

    return found;
}

static VOID
CsqWorker (
    _In_ PVOID StartContext
    )
/*++

Routine Description:

    Lets every read go on once it is due, oldest first; sleeps until the
    next one is due or a read arrives; ends at teardown.

--*/
{
    PCSQ_INSTANCE_CONTEXT context = StartContext;
    PVOID objects[2] = { &context->Teardown, &context->WorkAvailable };
    LARGE_INTEGER timeout;
    LONGLONG due;
    LONGLONG now;
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    PAGED_CODE();

    for (;;) {

        if (!CsqHeadDueTime( context, &due )) {
            status = KeWaitForMultipleObjects( 2, objects, WaitAny, Executive, KernelMode,
                                               FALSE, NULL, NULL );
        } else {
            now = (LONGLONG)KeQueryInterruptTime();
            timeout.QuadPart = -(due - now);
            status = due <= now ? STATUS_TIMEOUT
                                : KeWaitForSingleObject( &context->Teardown, Executive,
                                                         KernelMode, FALSE, &timeout );
        }

        if (status == STATUS_WAIT_0) {
            break;
        }

        now = (LONGLONG)KeQueryInterruptTime();
        while ((data = FltCbdqRemoveNextIo( &context->Cbdq, &now )) != NULL) {
            CSQ_LOG( "read released after %lu ms\n", Globals.DelayMs );
            FltCompletePendedPreOperation( data, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL );
        }
    }

    PsTerminateSystemThread( STATUS_SUCCESS );
}

static NTSTATUS
CsqReadParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
{
    static const WCHAR defaultDirectory[] = L"\\pended\\";
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    RTL_QUERY_REGISTRY_TABLE table[3];
    NTSTATUS status;

    PAGED_CODE();

    Globals.DelayMs = CSQ_DEFAULT_DELAY_MS;
    Globals.Directory.Buffer = ExAllocatePoolWithTag( PagedPool,
                                                      CSQ_MAX_DIRECTORY_CHARS * sizeof( WCHAR ),
                                                      CSQ_DIRECTORY_TAG );
    if (Globals.Directory.Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Globals.Directory.MaximumLength = CSQ_MAX_DIRECTORY_CHARS * sizeof( WCHAR );
    RtlCopyMemory( Globals.Directory.Buffer, defaultDirectory, sizeof( defaultDirectory ) );
    Globals.Directory.Length = sizeof( defaultDirectory ) - sizeof( WCHAR );

    InitializeObjectAttributes( &attributes, RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL );
    status = ZwOpenKey( &driverKey, KEY_READ, &attributes );
    if (!NT_SUCCESS( status )) {
        return STATUS_SUCCESS;
    }

    InitializeObjectAttributes( &attributes, &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, driverKey, NULL );
    status = ZwOpenKey( &parametersKey, KEY_READ, &attributes );
    ZwClose( driverKey );
    if (!NT_SUCCESS( status )) {
        return STATUS_SUCCESS;
    }

    RtlZeroMemory( table, sizeof( table ) );
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    table[0].Name = L"Directory";
    table[0].EntryContext = &Globals.Directory;
    table[0].DefaultType = (REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
    table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    table[1].Name = L"DelayMs";
    table[1].EntryContext = &Globals.DelayMs;
    table[1].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;

    status = RtlQueryRegistryValues( RTL_REGISTRY_HANDLE, (PWSTR)parametersKey, table, NULL, NULL );
    ZwClose( parametersKey );

    return NT_SUCCESS( status ) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

static VOID
CsqFreeGlobals (
    VOID
    )
{
    if (Globals.Directory.Buffer != NULL) {
        ExFreePoolWithTag( Globals.Directory.Buffer, CSQ_DIRECTORY_TAG );
        Globals.Directory.Buffer = NULL;
    }
}

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS status;

    RtlZeroMemory( &Globals, sizeof( Globals ) );

    status = CsqReadParameters( RegistryPath );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = FltRegisterFilter( DriverObject, &FilterRegistration, &Globals.Filter );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = FltStartFiltering( Globals.Filter );
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( Globals.Filter );
        Globals.Filter = NULL;
    }

out:
    if (!NT_SUCCESS( status )) {
        CsqFreeGlobals();
    }

    return status;
}

static NTSTATUS FLTAPI
CsqUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltUnregisterFilter( Globals.Filter );
    Globals.Filter = NULL;
    CsqFreeGlobals();

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
CsqInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    )
/*++

Routine Description:

    Gives the instance its queue and worker thread.

--*/
{
    PCSQ_INSTANCE_CONTEXT context = NULL;
    HANDLE threadHandle;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( Flags );
    UNREFERENCED_PARAMETER( VolumeDeviceType );
    UNREFERENCED_PARAMETER( VolumeFilesystemType );

    PAGED_CODE();

    status = FltAllocateContext( FltObjects->Filter, FLT_INSTANCE_CONTEXT,
                                 sizeof( CSQ_INSTANCE_CONTEXT ), NonPagedPoolNx,
                                 (PFLT_CONTEXT *)&context );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    RtlZeroMemory( context, sizeof( CSQ_INSTANCE_CONTEXT ) );
    InitializeListHead( &context->QueueHead );
    KeInitializeSpinLock( &context->QueueLock );
    KeInitializeEvent( &context->WorkAvailable, SynchronizationEvent, FALSE );
    KeInitializeEvent( &context->Teardown, NotificationEvent, FALSE );

    status = FltCbdqInitialize( FltObjects->Instance, &context->Cbdq,
                                CsqInsertIo, CsqRemoveIo, CsqPeekNextIo,
                                CsqAcquire, CsqRelease, CsqCompleteCanceledIo );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = PsCreateSystemThread( &threadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL,
                                   CsqWorker, context );
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = ObReferenceObjectByHandle( threadHandle, THREAD_ALL_ACCESS, *PsThreadType,
                                        KernelMode, (PVOID *)&context->WorkerThread, NULL );
    ZwClose( threadHandle );
    if (!NT_SUCCESS( status )) {
        KeSetEvent( &context->Teardown, IO_NO_INCREMENT, FALSE );
        goto out;
    }

    status = FltSetInstanceContext( FltObjects->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
                                    context, NULL );
    if (!NT_SUCCESS( status )) {
        KeSetEvent( &context->Teardown, IO_NO_INCREMENT, FALSE );
        KeWaitForSingleObject( context->WorkerThread, Executive, KernelMode, FALSE, NULL );
        ObDereferenceObject( context->WorkerThread );
    }

out:
    FltReleaseContext( context );
    return status;
}

static VOID FLTAPI
CsqInstanceTeardownStart (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_TEARDOWN_FLAGS Reason
    )
/*++

Routine Description:

    Pended reads are the filter's to complete: disable the queue (no new
    reads), stop the worker, then let every queued read go on.

--*/
{
    PCSQ_INSTANCE_CONTEXT context;
    PFLT_CALLBACK_DATA data;

    UNREFERENCED_PARAMETER( Reason );

    PAGED_CODE();

    if (!NT_SUCCESS( FltGetInstanceContext( FltObjects->Instance, (PFLT_CONTEXT *)&context ) )) {
        return;
    }

    FltCbdqDisable( &context->Cbdq );
    KeSetEvent( &context->Teardown, IO_NO_INCREMENT, FALSE );
    KeWaitForSingleObject( context->WorkerThread, Executive, KernelMode, FALSE, NULL );
    ObDereferenceObject( context->WorkerThread );
    context->WorkerThread = NULL;

    while ((data = FltCbdqRemoveNextIo( &context->Cbdq, NULL )) != NULL) {
        FltCompletePendedPreOperation( data, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL );
    }

    FltReleaseContext( context );
}

static BOOLEAN
CsqIsDelayed (
    _In_ PFLT_CALLBACK_DATA Data
    )
{
    PFLT_FILE_NAME_INFORMATION nameInfo;
    BOOLEAN delayed = FALSE;

    PAGED_CODE();

    if (!NT_SUCCESS( FltGetFileNameInformation( Data,
                                                FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                                &nameInfo ) )) {
        return FALSE;
    }

    if (NT_SUCCESS( FltParseFileNameInformation( nameInfo ) )) {
        delayed = RtlPrefixUnicodeString( &Globals.Directory, &nameInfo->ParentDir, TRUE );
    }

    FltReleaseFileNameInformation( nameInfo );
    return delayed;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI
CsqPreRead (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Queues IRP-based, non-paging reads of files under the directory.

--*/
{
    PCSQ_INSTANCE_CONTEXT context;
    FLT_PREOP_CALLBACK_STATUS result = FLT_PREOP_SUCCESS_NO_CALLBACK;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( CompletionContext );

    if (!FLT_IS_IRP_OPERATION( Data ) ||
        FlagOn( Data->Iopb->IrpFlags, IRP_PAGING_IO ) ||
        KeGetCurrentIrql() > APC_LEVEL ||
        !CsqIsDelayed( Data )) {

        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    status = FltGetInstanceContext( FltObjects->Instance, (PFLT_CONTEXT *)&context );
    if (!NT_SUCCESS( status )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    Data->QueueContext[0] = (PVOID)(LONG_PTR)((LONGLONG)KeQueryInterruptTime() +
                                              (LONGLONG)Globals.DelayMs * 10000);

    status = FltCbdqInsertIo( &context->Cbdq, Data, NULL, NULL );
    if (NT_SUCCESS( status )) {
        CSQ_LOG( "read queued for %lu ms\n", Globals.DelayMs );
        KeSetEvent( &context->WorkAvailable, IO_NO_INCREMENT, FALSE );
        result = FLT_PREOP_PENDING;
    }

    FltReleaseContext( context );
    return result;
}
