/*++

Module Name:

    scanuk.h

Abstract:

    What the scanner filter and its user-mode service share: the port name,
    the connection context, the notification and the reply.  Only fixed-size
    types, so both sides see the same layout.

Environment:

    Kernel and user mode.

--*/

#ifndef __SCANUK_H__
#define __SCANUK_H__

#define SCANNER_PORT_NAME           L"\\ScannerPort"

//
//  Bytes of file content per notification, and the longest scan word (UTF-8,
//  NUL-terminated inside ScanWord).
//

#define SCANNER_READ_BUFFER_SIZE    1024
#define SCANNER_MAX_WORD            64

//
//  Sent by the service in FilterConnectCommunicationPort.  On Windows the
//  filter would identify the service's process with PsGetCurrentProcess in
//  its ConnectNotify; here ConnectNotify runs on the host's port thread, so
//  the service names its own process (the port's security descriptor
//  already decides who may connect at all).
//

typedef struct _SCANNER_CONNECT_CONTEXT {

    ULONG ProcessId;

} SCANNER_CONNECT_CONTEXT, *PSCANNER_CONNECT_CONTEXT;

typedef struct _SCANNER_NOTIFICATION {

    ULONG BytesToScan;
    ULONG Reserved;                             // for quad-word alignment of Contents
    UCHAR Contents[SCANNER_READ_BUFFER_SIZE];
    CHAR ScanWord[SCANNER_MAX_WORD];            // the word to deny, from the filter's registry

} SCANNER_NOTIFICATION, *PSCANNER_NOTIFICATION;

typedef struct _SCANNER_REPLY {

    BOOLEAN SafeToOpen;

} SCANNER_REPLY, *PSCANNER_REPLY;

#endif //  __SCANUK_H__
