/*++

Module Name:

    minispyctl.c

Abstract:

    Prints the operations the minispy filter recorded.  It connects to
    \MiniSpyPort and pulls records with FilterSendMessage (GetMiniSpyLog),
    oldest first.

    usage: minispyctl [--follow] [--interval-ms N] [--count N]

    Without --follow it prints what the filter holds now and exits (a
    snapshot).  With --follow it keeps polling every N ms (default 200)
    and prints new records as they come (a live tail) until --count
    records were printed or the filter goes away.

    One line per record:

      <seq> <UTC time> pid=<pid> tid=<tid> <major>/<minor> status=0x<status>
          info=<information> dur=<microseconds>us <file name>

Environment:

    User mode.

--*/

#include <windows.h>
#include <fltUser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minispy.h"

#define MINISPY_BUFFER_SIZE     (64 * 1024)
#define UNIX_EPOCH_AS_FILETIME  116444736000000000LL

static const char *const MajorNames[] = {
    "IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ",
    "IRP_MJ_WRITE", "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION",
    "IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA", "IRP_MJ_FLUSH_BUFFERS",
    "IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
    "IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
    "IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL",
    "IRP_MJ_CLEANUP", "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY",
    "IRP_MJ_SET_SECURITY", "IRP_MJ_POWER", "IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE",
    "IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
};

static void
NameToUtf8 (
    _In_ const MINISPY_RECORD *Record,
    _Out_writes_(Size) char *Out,
    _In_ size_t Size
    )
/*++

Routine Description:

    UTF-16 to UTF-8; an unpaired surrogate becomes U+FFFD.

--*/
{
    size_t chars = min( Record->NameLength / sizeof( WCHAR ), MINISPY_NAME_CHARS );
    size_t n = 0;

    for (size_t i = 0; i < chars && n + 4 < Size; i++) {

        unsigned long c = Record->Name[i];

        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < chars &&
            Record->Name[i + 1] >= 0xDC00 && Record->Name[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (Record->Name[++i] - 0xDC00);
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }

        if (c < 0x80) {
            Out[n++] = (char)c;
        } else if (c < 0x800) {
            Out[n++] = (char)(0xC0 | (c >> 6));
            Out[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            Out[n++] = (char)(0xE0 | (c >> 12));
            Out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            Out[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            Out[n++] = (char)(0xF0 | (c >> 18));
            Out[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
            Out[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            Out[n++] = (char)(0x80 | (c & 0x3F));
        }
    }

    Out[n] = '\0';
}

static void
PrintRecord (
    _In_ const MINISPY_RECORD *Record
    )
{
    char name[MINISPY_NAME_CHARS * 4 + 1];
    char when[32] = "?";
    LONGLONG sinceEpoch = Record->StartTime - UNIX_EPOCH_AS_FILETIME;
    time_t seconds = (time_t)(sinceEpoch / 10000000);
    struct tm tm;

    if (sinceEpoch >= 0 && gmtime_r( &seconds, &tm ) != NULL) {
        snprintf( when, sizeof( when ), "%02d:%02d:%02d.%06ld",
                  tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(sinceEpoch % 10000000) / 10 );
    }

    NameToUtf8( Record, name, sizeof( name ) );

    printf( "%llu %s pid=%lu tid=%lu %s/0x%02x status=0x%08x info=%llu dur=%lldus %s\n",
            (unsigned long long)Record->Sequence,
            when,
            (unsigned long)Record->ProcessId,
            (unsigned long)Record->ThreadId,
            Record->MajorFunction < sizeof( MajorNames ) / sizeof( MajorNames[0] ) ?
                MajorNames[Record->MajorFunction] : "IRP_MJ_?",
            Record->MinorFunction,
            (unsigned)Record->Status,
            (unsigned long long)Record->Information,
            (long long)(Record->Duration / 10),
            name );
}

static HRESULT
GetRecords (
    _In_ HANDLE Port,
    _Inout_ PULONGLONG NextSequence,
    _Out_writes_bytes_(MINISPY_BUFFER_SIZE) PMINISPY_LOG_REPLY Reply,
    _Out_ PULONG Count
    )
{
    COMMAND_MESSAGE command;
    DWORD bytes = 0;
    HRESULT hr;

    *Count = 0;
    memset( &command, 0, sizeof( command ) );
    command.Command = GetMiniSpyLog;
    command.FromSequence = *NextSequence;

    hr = FilterSendMessage( Port, &command, sizeof( command ), Reply, MINISPY_BUFFER_SIZE, &bytes );
    if (FAILED( hr )) {
        return hr;
    }

    if (bytes < MINISPY_LOG_REPLY_HEADER_SIZE ||
        bytes < MINISPY_LOG_REPLY_HEADER_SIZE + Reply->RecordCount * sizeof( MINISPY_RECORD )) {
        return E_UNEXPECTED;
    }

    if (Reply->Dropped != 0) {
        printf( "minispyctl: %llu records were overwritten before they were read\n",
                (unsigned long long)Reply->Dropped );
    }

    *NextSequence = Reply->NextSequence;
    *Count = Reply->RecordCount;
    return S_OK;
}

int
main (
    _In_ int argc,
    _In_reads_(argc) char **argv
    )
{
    BOOL follow = FALSE;
    unsigned long intervalMs = 200;
    unsigned long long limit = 0;
    unsigned long long printed = 0;
    ULONGLONG next = 0;
    PMINISPY_LOG_REPLY reply;
    HANDLE port;
    HRESULT hr;
    int rc = 0;

    for (int i = 1; i < argc; i++) {

        char *end = NULL;

        if (strcmp( argv[i], "--follow" ) == 0) {
            follow = TRUE;
        } else if (strcmp( argv[i], "--interval-ms" ) == 0 && i + 1 < argc) {
            intervalMs = strtoul( argv[++i], &end, 10 );
        } else if (strcmp( argv[i], "--count" ) == 0 && i + 1 < argc) {
            limit = strtoull( argv[++i], &end, 10 );
        } else {
            end = argv[i];
        }

        if (end != NULL && *end != '\0') {
            fprintf( stderr, "usage: minispyctl [--follow] [--interval-ms N] [--count N]\n" );
            return 2;
        }
    }

    hr = FilterConnectCommunicationPort( MINISPY_PORT_NAME, 0, NULL, 0, NULL, &port );
    if (FAILED( hr )) {
        fprintf( stderr, "minispyctl: could not connect to minispy: 0x%08x\n", (unsigned)hr );
        return 1;
    }

    reply = malloc( MINISPY_BUFFER_SIZE );
    if (reply == NULL) {
        CloseHandle( port );
        return 1;
    }

    for (;;) {

        ULONG count;

        hr = GetRecords( port, &next, reply, &count );
        if (FAILED( hr )) {
            if (follow && hr == HRESULT_FROM_WIN32( ERROR_INVALID_HANDLE )) {
                printf( "minispyctl: minispy went away\n" );
            } else {
                fprintf( stderr, "minispyctl: FilterSendMessage: 0x%08x\n", (unsigned)hr );
                rc = 1;
            }
            break;
        }

        for (ULONG i = 0; i < count && (limit == 0 || printed < limit); i++, printed++) {
            PrintRecord( &reply->Records[i] );
        }
        fflush( stdout );

        if (limit != 0 && printed >= limit) {
            break;
        }

        if (count == 0) {
            if (!follow) {
                break;
            }
            usleep( (useconds_t)intervalMs * 1000 );
        }
    }

    free( reply );
    CloseHandle( port );
    return rc;
}
