/*++

Module Name:

    msgtimeoutuser.c

Abstract:

    The msgtimeout filter's user-mode side.  It answers the filter's
    questions ("may this file in \ask\ be opened?") over \MsgTimeoutPort.

    usage: msgtimeoutuser --auto [--delay-ms D] [--deny]
           msgtimeoutuser --stdin

    --auto answers every question, after D milliseconds (default 0); with
    a delay longer than the filter's TimeoutMs every answer is late.
    --stdin takes one command per line, to step through a conversation:

        get             wait for the next question (FilterGetMessage)
        reply allow     answer the last question (FilterReplyMessage)
        reply deny
        quit

    A late answer (the filter's FltSendMessage already returned
    STATUS_TIMEOUT) fails with ERROR_FLT_NO_WAITER_FOR_REPLY; the tool
    reports it and goes on.

    Output lines (stdout): "msgtimeoutuser: ready", then per question
    "msgtimeoutuser: received id=<id> reply-length=<n> name=<name>" and per
    answer "msgtimeoutuser: reply hr=0x<hr>" or
    "msgtimeoutuser: late reply to id=<id>: ERROR_FLT_NO_WAITER_FOR_REPLY (0x801f0020)".

Environment:

    User mode.

--*/

#include <windows.h>
#include <fltUser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgtimeout.h"

typedef struct _MT_MESSAGE {

    FILTER_MESSAGE_HEADER MessageHeader;
    MSGTIMEOUT_NOTIFICATION Notification;

} MT_MESSAGE, *PMT_MESSAGE;

typedef struct _MT_REPLY_MESSAGE {

    FILTER_REPLY_HEADER ReplyHeader;
    MSGTIMEOUT_REPLY Reply;

} MT_REPLY_MESSAGE, *PMT_REPLY_MESSAGE;

//
//  The filter allows exactly sizeof( MSGTIMEOUT_REPLY ) bytes of reply: the
//  padded size of MT_REPLY_MESSAGE would be too long.
//

#define MT_REPLY_SIZE (sizeof( FILTER_REPLY_HEADER ) + sizeof( MSGTIMEOUT_REPLY ))

static void
NameToUtf8 (
    _In_ const MSGTIMEOUT_NOTIFICATION *Notification,
    _Out_writes_(Size) char *Out,
    _In_ size_t Size
    )
{
    size_t chars = min( Notification->NameLength / sizeof( WCHAR ), MSGTIMEOUT_NAME_CHARS );
    size_t n = 0;

    for (size_t i = 0; i < chars && n + 3 < Size; i++) {

        unsigned c = Notification->Name[i];

        if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            Out[n++] = (char)c;
        } else if (c < 0x800) {
            Out[n++] = (char)(0xC0 | (c >> 6));
            Out[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            Out[n++] = (char)(0xE0 | (c >> 12));
            Out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            Out[n++] = (char)(0x80 | (c & 0x3F));
        }
    }

    Out[n] = '\0';
}

static HRESULT
GetQuestion (
    _In_ HANDLE Port,
    _Out_ PMT_MESSAGE Message
    )
{
    char name[MSGTIMEOUT_NAME_CHARS * 3 + 1];
    HRESULT hr;

    hr = FilterGetMessage( Port, &Message->MessageHeader, sizeof( MT_MESSAGE ), NULL );
    if (FAILED( hr )) {
        printf( "msgtimeoutuser: get failed hr=0x%08x\n", (unsigned)hr );
        return hr;
    }

    NameToUtf8( &Message->Notification, name, sizeof( name ) );
    printf( "msgtimeoutuser: received id=%llu reply-length=%lu name=%s\n",
            (unsigned long long)Message->MessageHeader.MessageId,
            (unsigned long)Message->MessageHeader.ReplyLength,
            name );
    return S_OK;
}

static HRESULT
Answer (
    _In_ HANDLE Port,
    _In_ const MT_MESSAGE *Message,
    _In_ BOOLEAN Allow
    )
{
    MT_REPLY_MESSAGE reply;
    HRESULT hr;

    memset( &reply, 0, sizeof( reply ) );
    reply.ReplyHeader.Status = 0;
    reply.ReplyHeader.MessageId = Message->MessageHeader.MessageId;
    reply.Reply.Allow = Allow;

    hr = FilterReplyMessage( Port, &reply.ReplyHeader, MT_REPLY_SIZE );
    if (hr == ERROR_FLT_NO_WAITER_FOR_REPLY) {
        printf( "msgtimeoutuser: late reply to id=%llu: ERROR_FLT_NO_WAITER_FOR_REPLY (0x%08x)\n",
                (unsigned long long)Message->MessageHeader.MessageId, (unsigned)hr );
        return S_OK;
    }

    printf( "msgtimeoutuser: reply hr=0x%08x\n", (unsigned)hr );
    return hr;
}

static int
RunAuto (
    _In_ HANDLE Port,
    _In_ unsigned long DelayMs,
    _In_ BOOLEAN Allow
    )
{
    MT_MESSAGE message;

    for (;;) {

        if (FAILED( GetQuestion( Port, &message ) )) {
            return 0;
        }
        fflush( stdout );

        if (DelayMs != 0) {
            usleep( (useconds_t)DelayMs * 1000 );
        }

        if (FAILED( Answer( Port, &message, Allow ) )) {
            return 1;
        }
        fflush( stdout );
    }
}

static int
RunStdin (
    _In_ HANDLE Port
    )
{
    MT_MESSAGE message;
    char line[64];
    BOOL haveMessage = FALSE;

    while (fgets( line, sizeof( line ), stdin ) != NULL) {

        line[strcspn( line, "\r\n" )] = '\0';

        if (strcmp( line, "get" ) == 0) {
            haveMessage = SUCCEEDED( GetQuestion( Port, &message ) );
        } else if (strncmp( line, "reply ", 6 ) == 0 && haveMessage) {
            Answer( Port, &message, strcmp( line + 6, "allow" ) == 0 );
        } else if (strcmp( line, "quit" ) == 0) {
            break;
        } else {
            printf( "msgtimeoutuser: unknown command '%s'\n", line );
        }
        fflush( stdout );
    }

    return 0;
}

int
main (
    _In_ int argc,
    _In_reads_(argc) char **argv
    )
{
    BOOL automatic = FALSE, fromStdin = FALSE, usage = FALSE;
    BOOLEAN allow = TRUE;
    unsigned long delayMs = 0;
    HANDLE port;
    HRESULT hr;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp( argv[i], "--auto" ) == 0) {
            automatic = TRUE;
        } else if (strcmp( argv[i], "--stdin" ) == 0) {
            fromStdin = TRUE;
        } else if (strcmp( argv[i], "--deny" ) == 0) {
            allow = FALSE;
        } else if (strcmp( argv[i], "--delay-ms" ) == 0 && i + 1 < argc) {
            delayMs = strtoul( argv[++i], NULL, 10 );
        } else {
            usage = TRUE;
        }
    }

    if (usage || automatic == fromStdin) {
        fprintf( stderr, "usage: msgtimeoutuser --auto [--delay-ms D] [--deny] | --stdin\n" );
        return 2;
    }

    hr = FilterConnectCommunicationPort( MSGTIMEOUT_PORT_NAME, 0, NULL, 0, NULL, &port );
    if (FAILED( hr )) {
        fprintf( stderr, "msgtimeoutuser: could not connect: 0x%08x\n", (unsigned)hr );
        return 1;
    }

    printf( "msgtimeoutuser: ready\n" );
    fflush( stdout );

    rc = automatic ? RunAuto( port, delayMs, allow ) : RunStdin( port );

    CloseHandle( port );
    return rc;
}
