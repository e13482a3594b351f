/*++

Module Name:

    msgtimeout.h

Abstract:

    What the msgtimeout filter and msgtimeoutuser share.

Environment:

    Kernel and user mode.

--*/

#ifndef __MSGTIMEOUT_H__
#define __MSGTIMEOUT_H__

#define MSGTIMEOUT_PORT_NAME        L"\\MsgTimeoutPort"
#define MSGTIMEOUT_NAME_CHARS       260

typedef struct _MSGTIMEOUT_NOTIFICATION {

    ULONG NameLength;                       // bytes in Name
    WCHAR Name[MSGTIMEOUT_NAME_CHARS];      // the file being opened

} MSGTIMEOUT_NOTIFICATION, *PMSGTIMEOUT_NOTIFICATION;

typedef struct _MSGTIMEOUT_REPLY {

    BOOLEAN Allow;

} MSGTIMEOUT_REPLY, *PMSGTIMEOUT_REPLY;

#endif //  __MSGTIMEOUT_H__
