/*++

Module Name:

    scanops.c

Abstract:

    The scanner's operation callbacks and its conversation with the
    service.  Content is sent in notifications of at most
    SCANNER_READ_BUFFER_SIZE bytes; consecutive pieces overlap by the scan
    word's length minus one, so a word that straddles two pieces is seen
    whole in one of them.

    FltSendMessage's STATUS_TIMEOUT is a success code (NT_SUCCESS is TRUE)
    but carries no reply: only STATUS_SUCCESS is an answer.  Every other
    outcome (timeout, service gone, no memory) applies the configured
    policy: FailClosed refuses, otherwise the content is allowed.

Environment:

    Kernel mode (Altitude host).

--*/

#include "scanner.h"

static BOOLEAN
ScannerpPolicy (
    _In_ NTSTATUS Status
    )
{
    DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL,
                "!!! scanner.sys --- no verdict (0x%08x), %s\n",
                Status,
                ScannerData.FailClosed ? "refusing" : "allowing" );

    return (BOOLEAN)!ScannerData.FailClosed;
}

static BOOLEAN
ScannerpServiceConnected (
    VOID
    )
{
    return InterlockedCompareExchange( &ScannerData.Connected, FALSE, FALSE ) != FALSE;
}

static BOOLEAN
ScannerpIsServiceProcess (
    _In_ PFLT_CALLBACK_DATA Data
    )
{
    LONG service = InterlockedCompareExchange( &ScannerData.UserProcessId, 0, 0 );

    return service != 0 && FltGetRequestorProcessId( Data ) == (ULONG)service;
}

static BOOLEAN
ScannerpAskService (
    _In_reads_bytes_(Length) PUCHAR Buffer,
    _In_ ULONG Length
    )
/*++

Routine Description:

    Sends one piece of content to the service and returns its verdict, or
    the policy's when there is none.  IRQL <= APC_LEVEL.

--*/
{
    PSCANNER_NOTIFICATION notification;
    SCANNER_REPLY reply = { 0 };
    ULONG replyLength = sizeof( reply );
    LARGE_INTEGER timeout;
    NTSTATUS status;
    BOOLEAN safe;

    notification = ExAllocatePoolWithTag( NonPagedPoolNx,
                                          sizeof( SCANNER_NOTIFICATION ),
                                          SCANNER_NOTIFICATION_TAG );
    if (notification == NULL) {
        return ScannerpPolicy( STATUS_INSUFFICIENT_RESOURCES );
    }

    RtlZeroMemory( notification, sizeof( SCANNER_NOTIFICATION ) );
    notification->BytesToScan = min( Length, SCANNER_READ_BUFFER_SIZE );
    RtlCopyMemory( notification->Contents, Buffer, notification->BytesToScan );
    RtlCopyMemory( notification->ScanWord, ScannerData.ScanWord, ScannerData.ScanWordLength );

    //
    //  A negative timeout is relative: the whole time for delivery and reply.
    //

    timeout.QuadPart = -(LONGLONG)ScannerData.TimeoutMs * 10000;

    status = FltSendMessage( ScannerData.Filter,
                             &ScannerData.ClientPort,
                             notification,
                             sizeof( SCANNER_NOTIFICATION ),
                             &reply,
                             &replyLength,
                             ScannerData.TimeoutMs != 0 ? &timeout : NULL );

    if (status == STATUS_SUCCESS && replyLength >= sizeof( reply )) {
        safe = reply.SafeToOpen;
    } else {
        safe = ScannerpPolicy( status == STATUS_SUCCESS ? STATUS_INVALID_PARAMETER : status );
    }

    ExFreePoolWithTag( notification, SCANNER_NOTIFICATION_TAG );
    return safe;
}

static ULONG
ScannerpStride (
    VOID
    )
{
    //
    //  How far the next piece starts: pieces overlap by the word length - 1.
    //

    return SCANNER_READ_BUFFER_SIZE - (ScannerData.ScanWordLength - 1);
}

static BOOLEAN
ScannerpScanMemory (
    _In_reads_bytes_(Length) PUCHAR Buffer,
    _In_ ULONG Length
    )
{
    ULONG offset = 0;

    for (;;) {

        ULONG piece = min( Length - offset, SCANNER_READ_BUFFER_SIZE );

        if (!ScannerpAskService( Buffer + offset, piece )) {
            return FALSE;
        }

        if (offset + piece >= Length) {
            return TRUE;
        }

        offset += ScannerpStride();
    }
}

static BOOLEAN
ScannerpScanFile (
    _In_ PFLT_INSTANCE Instance,
    _In_ PFILE_OBJECT FileObject
    )
/*++

Routine Description:

    Reads the whole file through the filters below this one and asks the
    service about each piece.  A read failure applies the policy.

--*/
{
    LARGE_INTEGER offset;
    PUCHAR buffer;
    ULONG bytesRead;
    NTSTATUS status;
    BOOLEAN safe = TRUE;

    PAGED_CODE();

    buffer = ExAllocatePoolWithTag( NonPagedPoolNx,
                                    SCANNER_READ_BUFFER_SIZE,
                                    SCANNER_READ_BUFFER_TAG );
    if (buffer == NULL) {
        return ScannerpPolicy( STATUS_INSUFFICIENT_RESOURCES );
    }

    offset.QuadPart = 0;

    for (;;) {

        bytesRead = 0;
        status = FltReadFile( Instance,
                              FileObject,
                              &offset,
                              SCANNER_READ_BUFFER_SIZE,
                              buffer,
                              FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET,
                              &bytesRead,
                              NULL,
                              NULL );

        if (status == STATUS_END_OF_FILE || (NT_SUCCESS( status ) && bytesRead == 0)) {
            break;
        }

        if (!NT_SUCCESS( status )) {
            safe = ScannerpPolicy( status );
            break;
        }

        if (!ScannerpAskService( buffer, bytesRead )) {
            safe = FALSE;
            break;
        }

        if (bytesRead < SCANNER_READ_BUFFER_SIZE) {
            break;
        }

        offset.QuadPart += ScannerpStride();
    }

    ExFreePoolWithTag( buffer, SCANNER_READ_BUFFER_TAG );
    return safe;
}

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Opens by the service itself are never scanned (it must be able to
    read what it is asked about); every other open is scanned after it
    succeeds.

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    PAGED_CODE();

    if (ScannerpIsServiceProcess( Data )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

FLT_POSTOP_CALLBACK_STATUS FLTAPI
ScannerPostCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    )
/*++

Routine Description:

    Post-create runs at PASSIVE_LEVEL in the requester's thread.  An open
    of a file whose content the service refuses is cancelled
    (FltCancelFileOpen) and fails with STATUS_ACCESS_DENIED.  A handle
    opened for write gets a stream handle context so that cleanup scans
    the file again.

--*/
{
    PSCANNER_STREAM_HANDLE_CONTEXT context;
    BOOLEAN isDirectory = FALSE;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( CompletionContext );

    if (!NT_SUCCESS( Data->IoStatus.Status ) ||
        Data->IoStatus.Status == STATUS_REPARSE ||
        FlagOn( Flags, FLTFL_POST_OPERATION_DRAINING ) ||
        !ScannerpServiceConnected()) {

        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    status = FltIsDirectory( FltObjects->FileObject, FltObjects->Instance, &isDirectory );
    if (!NT_SUCCESS( status ) || isDirectory) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    if (!ScannerpScanFile( FltObjects->Instance, FltObjects->FileObject )) {

        DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                    "!!! scanner.sys --- foul language detected in postcreate !!!\n" );

        FltCancelFileOpen( FltObjects->Instance, FltObjects->FileObject );
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        Data->IoStatus.Information = 0;
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    if (!FltObjects->FileObject->WriteAccess) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    status = FltAllocateContext( ScannerData.Filter,
                                 FLT_STREAMHANDLE_CONTEXT,
                                 sizeof( SCANNER_STREAM_HANDLE_CONTEXT ),
                                 PagedPool,
                                 (PFLT_CONTEXT *)&context );
    if (!NT_SUCCESS( status )) {
        return FLT_POSTOP_FINISHED_PROCESSING;
    }

    context->RescanRequired = TRUE;
    (VOID)FltSetStreamHandleContext( FltObjects->Instance,
                                     FltObjects->FileObject,
                                     FLT_SET_CONTEXT_REPLACE_IF_EXISTS,
                                     context,
                                     NULL );

    //
    //  Whether or not the set worked, our reference goes; a set context is
    //  held by its handle until cleanup/close.
    //

    FltReleaseContext( context );
    return FLT_POSTOP_FINISHED_PROCESSING;
}

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreWrite (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    Asks the service about the buffer being written; a refused write
    completes here with STATUS_ACCESS_DENIED and never reaches the file.

--*/
{
    ULONG length = Data->Iopb->Parameters.Write.Length;
    PUCHAR buffer;

    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( CompletionContext );

    if (length == 0 || ScannerpIsServiceProcess( Data ) || !ScannerpServiceConnected()) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    if (Data->Iopb->Parameters.Write.MdlAddress != NULL) {
        buffer = MmGetSystemAddressForMdlSafe( Data->Iopb->Parameters.Write.MdlAddress,
                                               NormalPagePriority | MdlMappingNoExecute );
        if (buffer == NULL) {
            Data->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
            Data->IoStatus.Information = 0;
            return FLT_PREOP_COMPLETE;
        }
    } else {
        buffer = Data->Iopb->Parameters.Write.WriteBuffer;
    }

    if (!ScannerpScanMemory( buffer, length )) {

        DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                    "!!! scanner.sys --- foul language detected in write !!!\n" );

        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }

    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreCleanup (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    )
/*++

Routine Description:

    A handle opened for write is closing: scan the file as written.  Every
    single write was clean, but the word may have been assembled from
    several writes; such a file is marked for deletion, so it is gone once
    its last handle closes.

--*/
{
    PSCANNER_STREAM_HANDLE_CONTEXT context;
    FILE_DISPOSITION_INFORMATION disposition;
    NTSTATUS status;

    UNREFERENCED_PARAMETER( CompletionContext );

    PAGED_CODE();

    status = FltGetStreamHandleContext( FltObjects->Instance,
                                        FltObjects->FileObject,
                                        (PFLT_CONTEXT *)&context );
    if (!NT_SUCCESS( status )) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    if (context->RescanRequired &&
        !ScannerpIsServiceProcess( Data ) &&
        ScannerpServiceConnected() &&
        !ScannerpScanFile( FltObjects->Instance, FltObjects->FileObject )) {

        DbgPrintEx( DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
                    "!!! scanner.sys --- foul language detected in precleanup, deleting !!!\n" );

        disposition.DeleteFile = TRUE;
        (VOID)FltSetInformationFile( FltObjects->Instance,
                                     FltObjects->FileObject,
                                     &disposition,
                                     sizeof( disposition ),
                                     FileDispositionInformation );
    }

    FltReleaseContext( context );
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}
