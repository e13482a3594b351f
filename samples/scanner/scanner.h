/*++

Module Name:

    scanner.h

Abstract:

    The scanner filter's global data and routines shared by its files.

Environment:

    Kernel mode (Altitude host).

--*/

#ifndef __SCANNER_H__
#define __SCANNER_H__

#include <fltKernel.h>
#include "scanuk.h"

#define SCANNER_NOTIFICATION_TAG        'nSBS'
#define SCANNER_READ_BUFFER_TAG         'rSBS'
#define SCANNER_STREAM_HANDLE_TAG       'hSBS'

//
//  Defaults of the registry values under Parameters.
//

#define SCANNER_DEFAULT_SCAN_WORD       "foul"
#define SCANNER_DEFAULT_SCAN_WORD_W     L"foul"
#define SCANNER_DEFAULT_TIMEOUT_MS      30000

typedef struct _SCANNER_DATA {

    PDRIVER_OBJECT DriverObject;
    PFLT_FILTER Filter;

    //
    //  The listening port, and the one connection the service may hold.
    //

    PFLT_PORT ServerPort;
    PFLT_PORT ClientPort;

    //
    //  Connected is set (Interlocked) once ClientPort is valid and cleared
    //  before it is closed; the filter tests it instead of reading
    //  ClientPort, which only the Filter Manager's port routines touch.
    //

    volatile LONG Connected;

    //
    //  The connected service's process: its own I/O is never scanned.
    //

    volatile LONG UserProcessId;

    //
    //  Signalled while no connection is open; unload waits for it so that
    //  DisconnectNotify has returned before the image goes away.
    //

    KEVENT NoClient;

    //
    //  Configuration (Parameters: ScanWord, TimeoutMs, FailClosed).
    //  TimeoutMs 0 waits for the service without limit.
    //

    CHAR ScanWord[SCANNER_MAX_WORD];
    ULONG ScanWordLength;
    ULONG TimeoutMs;
    BOOLEAN FailClosed;

} SCANNER_DATA, *PSCANNER_DATA;

extern SCANNER_DATA ScannerData;

//
//  Set on handles opened for write: the file is scanned again at cleanup.
//

typedef struct _SCANNER_STREAM_HANDLE_CONTEXT {

    BOOLEAN RescanRequired;

} SCANNER_STREAM_HANDLE_CONTEXT, *PSCANNER_STREAM_HANDLE_CONTEXT;

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

FLT_POSTOP_CALLBACK_STATUS FLTAPI
ScannerPostCreate (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags
    );

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreWrite (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

FLT_PREOP_CALLBACK_STATUS FLTAPI
ScannerPreCleanup (
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Flt_CompletionContext_Outptr_ PVOID *CompletionContext
    );

#endif //  __SCANNER_H__
