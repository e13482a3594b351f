/*++

Module Name:

    minispy.h

Abstract:

    What the minispy filter and minispyctl share: the port, the command,
    and the records the filter keeps.  Only fixed-size types.

Environment:

    Kernel and user mode.

--*/

#ifndef __MINISPY_H__
#define __MINISPY_H__

#define MINISPY_PORT_NAME       L"\\MiniSpyPort"

//
//  Characters of a file name a record keeps (longer names are cut).
//

#define MINISPY_NAME_CHARS      128

typedef enum _MINISPY_COMMAND {

    //
    //  Returns the records from FromSequence on, as many as fit.
    //

    GetMiniSpyLog = 1

} MINISPY_COMMAND;

typedef struct _COMMAND_MESSAGE {

    ULONG Command;                  // MINISPY_COMMAND
    ULONG Reserved;                 // alignment of FromSequence
    ULONGLONG FromSequence;

} COMMAND_MESSAGE, *PCOMMAND_MESSAGE;

typedef struct _MINISPY_RECORD {

    ULONGLONG Sequence;
    LONGLONG StartTime;             // system time, 100 ns since 1601, at the pre callback
    LONGLONG Duration;              // 100 ns from the pre to the post callback
    ULONGLONG Information;          // IoStatus.Information
    ULONG ProcessId;                // FltGetRequestorProcessId
    ULONG ThreadId;                 // the issuing thread
    NTSTATUS Status;                // IoStatus.Status
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    USHORT NameLength;              // bytes in Name; 0 when no name was available
    WCHAR Name[MINISPY_NAME_CHARS];

} MINISPY_RECORD, *PMINISPY_RECORD;

typedef struct _MINISPY_LOG_REPLY {

    ULONG RecordCount;
    ULONG Reserved;
    ULONGLONG NextSequence;         // what to ask for next
    ULONGLONG Dropped;              // records overwritten before they were asked for
    MINISPY_RECORD Records[1];

} MINISPY_LOG_REPLY, *PMINISPY_LOG_REPLY;

#define MINISPY_LOG_REPLY_HEADER_SIZE  ((ULONG)FIELD_OFFSET( MINISPY_LOG_REPLY, Records ))

#endif //  __MINISPY_H__
