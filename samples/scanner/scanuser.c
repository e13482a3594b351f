/*++

Module Name:

    scanuser.c

Abstract:

    The scanner's user-mode service.  It connects to \ScannerPort, then
    runs N threads on one I/O completion port; M asynchronous
    FilterGetMessage calls per thread are kept outstanding, so messages are
    picked up the moment the filter sends them.  Each notification is
    searched for the filter's scan word; the verdict goes back with
    FilterReplyMessage.

    usage: scanuser [--threads N] [--requests M] [--delay-ms D] [--verbose]

    --delay-ms holds every reply back by D milliseconds, to provoke the
    filter's timeout: a reply that arrives after the filter stopped waiting
    fails with ERROR_FLT_NO_WAITER_FOR_REPLY, which the service reports and
    survives.

    Output (stdout, one line each): "scanuser: ready pid=<pid>" once
    connected and listening; with --verbose a line per verdict; a line per
    late reply; "scanuser: disconnected" once every worker has stopped
    because the filter ended the connection.

Environment:

    User mode.

--*/

#include <windows.h>
#include <fltUser.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanuk.h"

#define SCANNER_DEFAULT_REQUEST_COUNT       5
#define SCANNER_DEFAULT_THREAD_COUNT        2
#define SCANNER_MAX_REQUEST_COUNT           64
#define SCANNER_MAX_THREAD_COUNT            64

typedef struct _SCANNER_MESSAGE {

    //
    //  Required structure header.
    //

    FILTER_MESSAGE_HEADER MessageHeader;

    //
    //  Private scanner-specific fields begin here.
    //

    SCANNER_NOTIFICATION Notification;

    //
    //  Overlapped structure: not really part of the message.
    //

    OVERLAPPED Ovlp;

} SCANNER_MESSAGE, *PSCANNER_MESSAGE;

typedef struct _SCANNER_REPLY_MESSAGE {

    FILTER_REPLY_HEADER ReplyHeader;
    SCANNER_REPLY Reply;

} SCANNER_REPLY_MESSAGE, *PSCANNER_REPLY_MESSAGE;

//
//  The reply's size on the wire: the header and the payload, without the
//  structure's tail padding (the filter allows exactly sizeof(SCANNER_REPLY)).
//

#define SCANNER_REPLY_MESSAGE_SIZE (sizeof( FILTER_REPLY_HEADER ) + sizeof( SCANNER_REPLY ))

typedef struct _SCANNER_CONTEXT {

    HANDLE Port;
    HANDLE Completion;
    DWORD DelayMs;
    BOOL Verbose;
    LONG Disconnected;              // a worker saw the connection end (atomic)

} SCANNER_CONTEXT, *PSCANNER_CONTEXT;

static pthread_mutex_t OutputLock = PTHREAD_MUTEX_INITIALIZER;

static void
Say (
    _In_z_ const char *Format,
    ...
    ) __attribute__(( format( printf, 1, 2 ) ));

static void
Say (
    _In_z_ const char *Format,
    ...
    )
{
    va_list args;

    va_start( args, Format );
    pthread_mutex_lock( &OutputLock );
    vprintf( Format, args );
    fflush( stdout );
    pthread_mutex_unlock( &OutputLock );
    va_end( args );
}

static BOOL
ScanBuffer (
    _In_reads_bytes_(BufferSize) const UCHAR *Buffer,
    _In_ ULONG BufferSize,
    _In_z_ const CHAR *Word
    )
/*++

Routine Description:

    TRUE if Word occurs in the buffer.

--*/
{
    size_t wordLength = strnlen( Word, SCANNER_MAX_WORD );

    if (wordLength == 0 || wordLength > BufferSize) {
        return FALSE;
    }

    for (ULONG i = 0; i + wordLength <= BufferSize; i++) {
        if (memcmp( Buffer + i, Word, wordLength ) == 0) {
            return TRUE;
        }
    }

    return FALSE;
}

static HRESULT
ScannerGetNext (
    _In_ PSCANNER_CONTEXT Context,
    _Inout_ PSCANNER_MESSAGE Message
    )
{
    memset( &Message->Ovlp, 0, sizeof( OVERLAPPED ) );

    return FilterGetMessage( Context->Port,
                             &Message->MessageHeader,
                             FIELD_OFFSET( SCANNER_MESSAGE, Ovlp ),
                             &Message->Ovlp );
}

static HRESULT
ScannerReply (
    _In_ PSCANNER_CONTEXT Context,
    _In_ PSCANNER_MESSAGE Message
    )
{
    PSCANNER_NOTIFICATION notification = &Message->Notification;
    SCANNER_REPLY_MESSAGE replyMessage;
    BOOL foul;
    HRESULT hr;

    notification->ScanWord[SCANNER_MAX_WORD - 1] = '\0';
    foul = ScanBuffer( notification->Contents,
                       min( notification->BytesToScan, SCANNER_READ_BUFFER_SIZE ),
                       notification->ScanWord );

    if (Context->DelayMs != 0) {
        usleep( (useconds_t)Context->DelayMs * 1000 );
    }

    memset( &replyMessage, 0, sizeof( replyMessage ) );
    replyMessage.ReplyHeader.Status = 0;
    replyMessage.ReplyHeader.MessageId = Message->MessageHeader.MessageId;
    replyMessage.Reply.SafeToOpen = !foul;

    hr = FilterReplyMessage( Context->Port,
                             &replyMessage.ReplyHeader,
                             SCANNER_REPLY_MESSAGE_SIZE );

    if (hr == S_OK && Context->Verbose) {
        Say( "scanuser: message %llu: %s (%lu bytes)\n",
             (unsigned long long)Message->MessageHeader.MessageId,
             foul ? "foul" : "clean",
             (unsigned long)notification->BytesToScan );
    } else if (hr == ERROR_FLT_NO_WAITER_FOR_REPLY) {
        Say( "scanuser: late reply to message %llu: ERROR_FLT_NO_WAITER_FOR_REPLY (0x%08x)\n",
             (unsigned long long)Message->MessageHeader.MessageId,
             (unsigned)hr );
        hr = S_OK;
    }

    return hr;
}

static BOOL
ScannerConnectionEnded (
    _In_ HRESULT Hr
    )
{
    return Hr == HRESULT_FROM_WIN32( ERROR_INVALID_HANDLE );
}

static void *
ScannerWorker (
    _In_ void *Parameter
    )
/*++

Routine Description:

    Takes completed gets off the completion port, answers them and puts
    each message buffer back as a new outstanding get.  Ends when the
    connection ends (the gets, the reply or the next get fail with
    ERROR_INVALID_HANDLE) or on any other error.

--*/
{
    PSCANNER_CONTEXT context = Parameter;
    LPOVERLAPPED ovlp;
    ULONG_PTR key;
    DWORD bytes;
    HRESULT hr;

    for (;;) {

        PSCANNER_MESSAGE message;

        if (!GetQueuedCompletionStatus( context->Completion, &bytes, &key, &ovlp, INFINITE )) {
            hr = HRESULT_FROM_WIN32( GetLastError() );
            break;
        }

        message = CONTAINING_RECORD( ovlp, SCANNER_MESSAGE, Ovlp );

        hr = ScannerReply( context, message );
        if (FAILED( hr )) {
            break;
        }

        hr = ScannerGetNext( context, message );
        if (hr != HRESULT_FROM_WIN32( ERROR_IO_PENDING )) {
            break;
        }
    }

    if (ScannerConnectionEnded( hr )) {
        __atomic_store_n( &context->Disconnected, TRUE, __ATOMIC_RELAXED );
    } else {
        Say( "scanuser: worker stopped: 0x%08x\n", (unsigned)hr );
    }

    return NULL;
}

static void
Usage (
    VOID
    )
{
    fprintf( stderr,
             "usage: scanuser [--threads N (1-%d)] [--requests M (1-%d)] [--delay-ms D] [--verbose]\n",
             SCANNER_MAX_THREAD_COUNT, SCANNER_MAX_REQUEST_COUNT );
}

static BOOL
ParseCount (
    _In_z_ const char *Text,
    _In_ DWORD Max,
    _Out_ DWORD *Value
    )
{
    char *end;
    unsigned long v = strtoul( Text, &end, 10 );

    if (*Text == '\0' || *end != '\0' || v > Max) {
        return FALSE;
    }

    *Value = (DWORD)v;
    return TRUE;
}

int
main (
    _In_ int argc,
    _In_reads_(argc) char **argv
    )
{
    DWORD threadCount = SCANNER_DEFAULT_THREAD_COUNT;
    DWORD requestCount = SCANNER_DEFAULT_REQUEST_COUNT;
    SCANNER_CONNECT_CONTEXT connectContext;
    SCANNER_CONTEXT context;
    pthread_t threads[SCANNER_MAX_THREAD_COUNT];
    PSCANNER_MESSAGE messages = NULL;
    DWORD started = 0;
    HRESULT hr;
    int rc = 1;

    memset( &context, 0, sizeof( context ) );

    for (int i = 1; i < argc; i++) {

        BOOL ok = i + 1 < argc;

        if (strcmp( argv[i], "--verbose" ) == 0) {
            context.Verbose = TRUE;
            continue;
        }

        if (ok && strcmp( argv[i], "--threads" ) == 0) {
            ok = ParseCount( argv[++i], SCANNER_MAX_THREAD_COUNT, &threadCount ) && threadCount != 0;
        } else if (ok && strcmp( argv[i], "--requests" ) == 0) {
            ok = ParseCount( argv[++i], SCANNER_MAX_REQUEST_COUNT, &requestCount ) && requestCount != 0;
        } else if (ok && strcmp( argv[i], "--delay-ms" ) == 0) {
            ok = ParseCount( argv[++i], 3600000, &context.DelayMs );
        } else {
            ok = FALSE;
        }

        if (!ok) {
            Usage();
            return 2;
        }
    }

    connectContext.ProcessId = (ULONG)getpid();

    hr = FilterConnectCommunicationPort( SCANNER_PORT_NAME,
                                         0,
                                         &connectContext,
                                         sizeof( connectContext ),
                                         NULL,
                                         &context.Port );
    if (FAILED( hr )) {
        fprintf( stderr, "scanuser: could not connect to the filter: 0x%08x\n", (unsigned)hr );
        return 1;
    }

    context.Completion = CreateIoCompletionPort( context.Port, NULL, 0, threadCount );
    if (context.Completion == NULL) {
        fprintf( stderr, "scanuser: CreateIoCompletionPort: %lu\n", (unsigned long)GetLastError() );
        goto out;
    }

    messages = calloc( (size_t)threadCount * requestCount, sizeof( SCANNER_MESSAGE ) );
    if (messages == NULL) {
        fprintf( stderr, "scanuser: out of memory\n" );
        goto out;
    }

    for (DWORD i = 0; i < threadCount * requestCount; i++) {

        hr = ScannerGetNext( &context, &messages[i] );
        if (hr != HRESULT_FROM_WIN32( ERROR_IO_PENDING )) {
            fprintf( stderr, "scanuser: FilterGetMessage: 0x%08x\n", (unsigned)hr );
            goto out;
        }
    }

    for (; started < threadCount; started++) {
        if (pthread_create( &threads[started], NULL, ScannerWorker, &context ) != 0) {
            fprintf( stderr, "scanuser: could not start a thread\n" );
            break;
        }
    }

    Say( "scanuser: ready pid=%d threads=%lu requests=%lu\n",
         (int)getpid(), (unsigned long)threadCount, (unsigned long)requestCount );

    for (DWORD i = 0; i < started; i++) {
        pthread_join( threads[i], NULL );
    }

    if (context.Disconnected) {
        Say( "scanuser: disconnected\n" );
    }

    rc = started == threadCount ? 0 : 1;

out:
    //
    //  Closing the port handle cancels the gets still outstanding; the
    //  message buffers may go only after that.
    //

    CloseHandle( context.Port );
    if (context.Completion != NULL) {
        CloseHandle( context.Completion );
    }
    free( messages );
    return rc;
}
