/*
 * The user-mode headers a filter service includes, compiled with the flags
 * of `pkg-config altitude-um`: sizes and offsets of the structures that cross
 * the port, as on x64 Windows.
 */
#include <windows.h>
#include <fltUser.h>
#include <stddef.h>

_Static_assert(sizeof(FILTER_MESSAGE_HEADER) == 16, "FILTER_MESSAGE_HEADER");
_Static_assert(offsetof(FILTER_MESSAGE_HEADER, ReplyLength) == 0, "ReplyLength");
_Static_assert(offsetof(FILTER_MESSAGE_HEADER, MessageId) == 8, "MessageId");
_Static_assert(sizeof(FILTER_REPLY_HEADER) == 16, "FILTER_REPLY_HEADER");
_Static_assert(offsetof(FILTER_REPLY_HEADER, Status) == 0, "Status");
_Static_assert(offsetof(FILTER_REPLY_HEADER, MessageId) == 8, "MessageId");
_Static_assert(sizeof(OVERLAPPED) == 32, "OVERLAPPED");
_Static_assert(offsetof(OVERLAPPED, hEvent) == 24, "OVERLAPPED.hEvent");
_Static_assert(sizeof(DWORD) == 4 && sizeof(WCHAR) == 2 && sizeof(HRESULT) == 4, "base types");
_Static_assert(sizeof(HANDLE) == sizeof(void *), "HANDLE");

/* A service's typical use compiles: the names and signatures are the WDK's. */
HRESULT headers_um_connect(HANDLE *port)
{
	return FilterConnectCommunicationPort(L"\\ScannerPort", 0, NULL, 0, NULL, port);
}
