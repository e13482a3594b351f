/*
 * fltUser.h: the communication-port part of the Filter Manager user API,
 * implemented by libfltlib (link with `pkg-config --libs altitude-um`).
 *
 * Every function returns an HRESULT.  The ones a caller meets:
 *   S_OK;
 *   HRESULT_FROM_WIN32(ERROR_IO_PENDING)   overlapped FilterGetMessage started;
 *   HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) no port of that name;
 *   E_ACCESSDENIED                         the port's security descriptor refuses us;
 *   HRESULT_FROM_WIN32(ERROR_CONNECTION_COUNT_LIMIT) MaxConnections reached;
 *   HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE) not a port handle, or the
 *                                          connection was closed by the minifilter;
 *   HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) message larger than the
 *                                          FilterGetMessage buffer (it stays
 *                                          queued for the next get), or a reply
 *                                          larger than the sender allows;
 *   HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED) get cancelled (CancelIo(Ex),
 *                                          handle closed);
 *   ERROR_FLT_NO_WAITER_FOR_REPLY          reply to a message whose sender no
 *                                          longer waits (timed out, or replied to);
 *   E_INVALIDARG                           invalid parameter;
 *   other HRESULT_FROM_WIN32(...) values   the minifilter's MessageNotify status.
 *
 * Limits (see <altitude/port.h>): a message, reply or FilterSendMessage
 * buffer carries at most ALTITUDE_PORT_MAX_MESSAGE (65536) bytes of payload;
 * the connection context may use the whole wSizeOfContext range.
 */
#ifndef __FLTUSER_H__
#define __FLTUSER_H__

#include <windows.h>
#include <fltUserStructures.h>

#ifdef __cplusplus
extern "C" {
#endif

HRESULT WINAPI FilterConnectCommunicationPort(LPCWSTR lpPortName, DWORD dwOptions,
					      LPCVOID lpContext, WORD wSizeOfContext,
					      LPSECURITY_ATTRIBUTES lpSecurityAttributes,
					      HANDLE *hPort);

HRESULT WINAPI FilterSendMessage(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize,
				 LPVOID lpOutBuffer, DWORD dwOutBufferSize,
				 LPDWORD lpBytesReturned);

HRESULT WINAPI FilterGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
				DWORD dwMessageBufferSize, LPOVERLAPPED lpOverlapped);

HRESULT WINAPI FilterReplyMessage(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer,
				  DWORD dwReplyBufferSize);

/*
 * Filter management (the host's fltmgrd, through its control socket):
 * FilterLoad loads an installed filter, FilterUnload unloads it (not
 * mandatory: the filter may refuse).  E_INVALIDARG for a NULL or empty
 * name, HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when fltmgrd cannot
 * be reached, else the HRESULT of the Filter Manager's status.
 */
HRESULT WINAPI FilterLoad(LPCWSTR lpFilterName);
HRESULT WINAPI FilterUnload(LPCWSTR lpFilterName);

#ifdef __cplusplus
}
#endif

#endif /* __FLTUSER_H__ */
