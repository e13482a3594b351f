/*++

Module Name:

    scanner.c

Abstract:

    The scanner filter's loading, configuration, communication port and
    unloading.  The scanning itself is in scanops.c.

    The filter asks its user-mode service (scanuser) through the port
    \ScannerPort whether file content is safe: when a file is opened, when
    a handle that was opened for write is cleaned up, and for every write
    buffer.  Content containing the scan word is refused.

    Registry values under the service key's Parameters:

        ScanWord    REG_SZ      the word to refuse (default "foul")
        TimeoutMs   REG_DWORD   how long one question may take, delivery
                                and reply together (default 30000; 0: no
                                limit)
        FailClosed  REG_DWORD   1: refuse when the service does not answer
                                (timeout, service gone); 0 (default): allow

Environment:

    Kernel mode (Altitude host).

--*/

#include <ntstrsafe.h>
#include "scanner.h"

SCANNER_DATA ScannerData;

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI ScannerUnload ( _In_ FLT_FILTER_UNLOAD_FLAGS Flags );

static NTSTATUS FLTAPI
ScannerInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    );

static NTSTATUS FLTAPI
ScannerQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    );

static const FLT_OPERATION_REGISTRATION Callbacks[] = {

    { IRP_MJ_CREATE,
      0,
      ScannerPreCreate,
      ScannerPostCreate,
      NULL },

    { IRP_MJ_CLEANUP,
      0,
      ScannerPreCleanup,
      NULL,
      NULL },

    { IRP_MJ_WRITE,
      0,
      ScannerPreWrite,
      NULL,
      NULL },

    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static const FLT_CONTEXT_REGISTRATION ContextRegistration[] = {

    { FLT_STREAMHANDLE_CONTEXT,
      0,
      NULL,
      sizeof( SCANNER_STREAM_HANDLE_CONTEXT ),
      SCANNER_STREAM_HANDLE_TAG,
      NULL,
      NULL,
      NULL },

    { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    ContextRegistration,                //  Context Registration.
    Callbacks,                          //  Operation callbacks
    ScannerUnload,                      //  FilterUnload
    ScannerInstanceSetup,               //  InstanceSetup
    ScannerQueryTeardown,               //  InstanceQueryTeardown
    NULL,                               //  InstanceTeardownStart
    NULL,                               //  InstanceTeardownComplete
    NULL,                               //  GenerateFileName
    NULL,                               //  NormalizeNameComponent
    NULL,                               //  NormalizeContextCleanup
    NULL,                               //  TransactionNotification
    NULL,                               //  NormalizeNameComponentEx
    NULL                                //  SectionNotification
};

static HANDLE
ScannerOpenParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Opens <RegistryPath>\Parameters for reading.

Return Value:

    The key handle, or NULL when the key does not exist.

--*/
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING parametersName = RTL_CONSTANT_STRING( L"Parameters" );
    HANDLE driverKey = NULL;
    HANDLE parametersKey = NULL;
    NTSTATUS status;

    PAGED_CODE();

    InitializeObjectAttributes( &attributes,
                                RegistryPath,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                                NULL,
                                NULL );
    status = ZwOpenKey( &driverKey, KEY_READ, &attributes );
    if (!NT_SUCCESS( status )) {
        return NULL;
    }

    InitializeObjectAttributes( &attributes,
                                &parametersName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                                driverKey,
                                NULL );
    status = ZwOpenKey( &parametersKey, KEY_READ, &attributes );
    ZwClose( driverKey );

    return NT_SUCCESS( status ) ? parametersKey : NULL;
}

static NTSTATUS
ScannerReadParameters (
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Reads the configuration; absent values (or an absent Parameters key)
    give the defaults.

Return Value:

    STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a value of the wrong
    type, an empty ScanWord or one longer than SCANNER_MAX_WORD - 1 bytes
    of UTF-8.

--*/
{
    WCHAR wordBuffer[SCANNER_MAX_WORD];
    UNICODE_STRING word;
    ULONG timeoutMs = SCANNER_DEFAULT_TIMEOUT_MS;
    ULONG failClosed = 0;
    ULONG utf8Length = 0;
    size_t wordLength = 0;
    RTL_QUERY_REGISTRY_TABLE table[4];
    HANDLE parameters;
    NTSTATUS status = STATUS_SUCCESS;

    PAGED_CODE();

    RtlInitEmptyUnicodeString( &word, wordBuffer, sizeof( wordBuffer ) );
    RtlStringCbCopyA( ScannerData.ScanWord,
                      sizeof( ScannerData.ScanWord ),
                      SCANNER_DEFAULT_SCAN_WORD );

    parameters = ScannerOpenParameters( RegistryPath );
    if (parameters != NULL) {

        RtlZeroMemory( table, sizeof( table ) );
        table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[0].Name = L"ScanWord";
        table[0].EntryContext = &word;
        table[0].DefaultType = (REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_SZ;
        table[0].DefaultData = (PVOID)SCANNER_DEFAULT_SCAN_WORD_W;
        table[0].DefaultLength = 0;
        table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[1].Name = L"TimeoutMs";
        table[1].EntryContext = &timeoutMs;
        table[1].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
        table[2].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
        table[2].Name = L"FailClosed";
        table[2].EntryContext = &failClosed;
        table[2].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;

        status = RtlQueryRegistryValues( RTL_REGISTRY_HANDLE,
                                         (PWSTR)parameters,
                                         table,
                                         NULL,
                                         NULL );
        ZwClose( parameters );
        if (!NT_SUCCESS( status )) {
            return STATUS_INVALID_PARAMETER;
        }
    }

    if (parameters != NULL) {

        status = RtlUnicodeToUTF8N( ScannerData.ScanWord,
                                    SCANNER_MAX_WORD - 1,
                                    &utf8Length,
                                    word.Buffer,
                                    word.Length );
        if (!NT_SUCCESS( status )) {
            return STATUS_INVALID_PARAMETER;
        }
        ScannerData.ScanWord[utf8Length] = '\0';
    }

    RtlStringCbLengthA( ScannerData.ScanWord, sizeof( ScannerData.ScanWord ), &wordLength );
    ScannerData.ScanWordLength = (ULONG)wordLength;
    ScannerData.TimeoutMs = timeoutMs;
    ScannerData.FailClosed = (BOOLEAN)(failClosed != 0);

    return ScannerData.ScanWordLength != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

static NTSTATUS FLTAPI
ScannerPortConnect (
    _In_ PFLT_PORT ClientPort,
    _In_opt_ PVOID ServerPortCookie,
    _In_reads_bytes_opt_(SizeOfContext) PVOID ConnectionContext,
    _In_ ULONG SizeOfContext,
    _Outptr_result_maybenull_ PVOID *ConnectionCookie
    )
/*++

Routine Description:

    The service connects.  The connection context names its process, whose
    I/O the filter will not scan.  MaxConnections is 1, so there is no
    other connection.

--*/
{
    PSCANNER_CONNECT_CONTEXT context = ConnectionContext;

    UNREFERENCED_PARAMETER( ServerPortCookie );

    PAGED_CODE();

    if (context == NULL || SizeOfContext < sizeof( SCANNER_CONNECT_CONTEXT )) {
        return STATUS_INVALID_PARAMETER;
    }

    KeClearEvent( &ScannerData.NoClient );
    ScannerData.ClientPort = ClientPort;
    InterlockedExchange( &ScannerData.UserProcessId, (LONG)context->ProcessId );
    InterlockedExchange( &ScannerData.Connected, TRUE );
    *ConnectionCookie = NULL;

    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                "!!! scanner.sys --- connected, port=%p pid=%lu\n",
                ClientPort, context->ProcessId );

    return STATUS_SUCCESS;
}

static VOID FLTAPI
ScannerPortDisconnect (
    _In_opt_ PVOID ConnectionCookie
    )
/*++

Routine Description:

    The connection ended (the service closed its handle or died, or the
    filter closed the client port).  Closing the client port releases every
    sender still waiting with STATUS_PORT_DISCONNECTED.

--*/
{
    UNREFERENCED_PARAMETER( ConnectionCookie );

    PAGED_CODE();

    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                "!!! scanner.sys --- disconnected\n" );

    InterlockedExchange( &ScannerData.Connected, FALSE );
    FltCloseClientPort( ScannerData.Filter, &ScannerData.ClientPort );
    InterlockedExchange( &ScannerData.UserProcessId, 0 );
    KeSetEvent( &ScannerData.NoClient, IO_NO_INCREMENT, FALSE );
}

static NTSTATUS
ScannerCreatePort (
    VOID
    )
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING portName = RTL_CONSTANT_STRING( SCANNER_PORT_NAME );
    PSECURITY_DESCRIPTOR securityDescriptor;
    NTSTATUS status;

    PAGED_CODE();

    status = FltBuildDefaultSecurityDescriptor( &securityDescriptor, FLT_PORT_ALL_ACCESS );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    InitializeObjectAttributes( &attributes,
                                &portName,
                                OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
                                NULL,
                                securityDescriptor );

    status = FltCreateCommunicationPort( ScannerData.Filter,
                                         &ScannerData.ServerPort,
                                         &attributes,
                                         NULL,
                                         ScannerPortConnect,
                                         ScannerPortDisconnect,
                                         NULL,
                                         1 );

    FltFreeSecurityDescriptor( securityDescriptor );
    return status;
}

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Reads the configuration, registers the filter, creates the port and
    starts filtering.

--*/
{
    NTSTATUS status;

    RtlZeroMemory( &ScannerData, sizeof( ScannerData ) );
    ScannerData.DriverObject = DriverObject;
    KeInitializeEvent( &ScannerData.NoClient, NotificationEvent, TRUE );

    status = ScannerReadParameters( RegistryPath );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltRegisterFilter( DriverObject,
                                &FilterRegistration,
                                &ScannerData.Filter );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = ScannerCreatePort();
    if (!NT_SUCCESS( status )) {
        goto out;
    }

    status = FltStartFiltering( ScannerData.Filter );
    if (!NT_SUCCESS( status )) {
        FltCloseCommunicationPort( ScannerData.ServerPort );
        ScannerData.ServerPort = NULL;
    }

out:
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( ScannerData.Filter );
        ScannerData.Filter = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
ScannerUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
/*++

Routine Description:

    Stops accepting connections, ends the service's connection (releasing
    any sender still waiting on it), waits until its DisconnectNotify has
    run, then unregisters.

--*/
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltCloseCommunicationPort( ScannerData.ServerPort );
    ScannerData.ServerPort = NULL;

    if (InterlockedCompareExchange( &ScannerData.Connected, FALSE, FALSE )) {
        FltCloseClientPort( ScannerData.Filter, &ScannerData.ClientPort );
    }
    KeWaitForSingleObject( &ScannerData.NoClient, Executive, KernelMode, FALSE, NULL );

    FltUnregisterFilter( ScannerData.Filter );
    ScannerData.Filter = NULL;

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
ScannerInstanceSetup (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType
    )
/*++

Routine Description:

    Attaches to disk volumes only (what the memory volume and FUSE
    volumes present).

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );
    UNREFERENCED_PARAMETER( VolumeFilesystemType );

    PAGED_CODE();

    if (VolumeDeviceType == FILE_DEVICE_NETWORK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
ScannerQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    )
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    return STATUS_SUCCESS;
}
