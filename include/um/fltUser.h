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

/*
 * The rest of the management API, also through fltmgrd (docs/host.md,
 * "The management API").  Volume names are \Device\AltitudeVolumeN; where a
 * volume is an argument its mount point is accepted too, and a trailing
 * backslash or slash is ignored.  FilterGetDosName gives the mount point.
 *
 * A *FindFirst takes a snapshot with one request to fltmgrd and returns its
 * first entry and a search handle; *FindNext walks the snapshot, one entry
 * per call (NextEntryOffset 0); *FindClose frees it.  Results:
 *   S_OK;
 *   HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS)  nothing (more) to return (FindFirst:
 *                                            no handle, *lpHandle INVALID_HANDLE_VALUE);
 *   HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) *lpBytesReturned is the size
 *                                            the entry needs; FindNext does not
 *                                            advance, FindFirst returns no handle;
 *   E_INVALIDARG                             NULL pointer, unknown information class,
 *                                            NULL, empty or ill-formed name;
 *   HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE) not a handle of that kind (closed,
 *                                            forged, or of another kind);
 *   ERROR_FLT_FILTER_NOT_FOUND, ERROR_FLT_VOLUME_NOT_FOUND,
 *   ERROR_FLT_INSTANCE_NOT_FOUND, ERROR_FLT_INSTANCE_ALTITUDE_COLLISION,
 *   ERROR_FLT_INSTANCE_NAME_COLLISION ...   the Filter Manager's status, mapped as
 *                                            Windows maps it;
 *   E_ACCESSDENIED                           the caller is not an fltmgrd admin
 *                                            (root, the daemon's user, its admin group);
 *   HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) fltmgrd cannot be reached;
 *   E_OUTOFMEMORY.
 */
HRESULT WINAPI FilterCreate(LPCWSTR lpFilterName, HFILTER *hFilter);
HRESULT WINAPI FilterClose(HFILTER hFilter);
HRESULT WINAPI FilterInstanceCreate(LPCWSTR lpFilterName, LPCWSTR lpVolumeName,
				    LPCWSTR lpInstanceName, HFILTER_INSTANCE *hInstance);
HRESULT WINAPI FilterInstanceClose(HFILTER_INSTANCE hInstance);

HRESULT WINAPI FilterGetInformation(HFILTER hFilter, FILTER_INFORMATION_CLASS dwInformationClass,
				    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterInstanceGetInformation(HFILTER_INSTANCE hInstance,
					    INSTANCE_INFORMATION_CLASS dwInformationClass,
					    LPVOID lpBuffer, DWORD dwBufferSize,
					    LPDWORD lpBytesReturned);

HRESULT WINAPI FilterFindFirst(FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
			       DWORD dwBufferSize, LPDWORD lpBytesReturned, LPHANDLE lpFilterFind);
HRESULT WINAPI FilterFindNext(HANDLE hFilterFind, FILTER_INFORMATION_CLASS dwInformationClass,
			      LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterFindClose(HANDLE hFilterFind);

HRESULT WINAPI FilterVolumeFindFirst(FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
				     LPVOID lpBuffer, DWORD dwBufferSize,
				     LPDWORD lpBytesReturned, PHANDLE lpVolumeFind);
HRESULT WINAPI FilterVolumeFindNext(HANDLE hVolumeFind,
				    FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
				    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterVolumeFindClose(HANDLE hVolumeFind);

HRESULT WINAPI FilterInstanceFindFirst(LPCWSTR lpFilterName,
				       INSTANCE_INFORMATION_CLASS dwInformationClass,
				       LPVOID lpBuffer, DWORD dwBufferSize,
				       LPDWORD lpBytesReturned, LPHANDLE lpFilterInstanceFind);
HRESULT WINAPI FilterInstanceFindNext(HANDLE hFilterInstanceFind,
				      INSTANCE_INFORMATION_CLASS dwInformationClass,
				      LPVOID lpBuffer, DWORD dwBufferSize,
				      LPDWORD lpBytesReturned);
HRESULT WINAPI FilterInstanceFindClose(HANDLE hFilterInstanceFind);

HRESULT WINAPI FilterVolumeInstanceFindFirst(LPCWSTR lpVolumeName,
					     INSTANCE_INFORMATION_CLASS dwInformationClass,
					     LPVOID lpBuffer, DWORD dwBufferSize,
					     LPDWORD lpBytesReturned,
					     LPHANDLE lpVolumeInstanceFind);
HRESULT WINAPI FilterVolumeInstanceFindNext(HANDLE hVolumeInstanceFind,
					    INSTANCE_INFORMATION_CLASS dwInformationClass,
					    LPVOID lpBuffer, DWORD dwBufferSize,
					    LPDWORD lpBytesReturned);
HRESULT WINAPI FilterVolumeInstanceFindClose(HANDLE hVolumeInstanceFind);

/*
 * FilterAttach attaches at the altitude the filter's registry gives the
 * instance, FilterAttachAtAltitude at lpAltitude.  lpInstanceName NULL:
 * the filter's default instance name.  When lpCreatedInstanceName is not
 * NULL it receives the new instance's name, NUL-terminated, if it fits in
 * dwCreatedInstanceNameLength bytes (else
 * HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER), the instance stays
 * attached).  FilterDetach with lpInstanceName NULL detaches the filter's
 * default instance (FltDetachVolume).
 */
HRESULT WINAPI FilterAttach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
			    DWORD dwCreatedInstanceNameLength, LPWSTR lpCreatedInstanceName);
HRESULT WINAPI FilterAttachAtAltitude(LPCWSTR lpFilterName, LPCWSTR lpVolumeName,
				      LPCWSTR lpAltitude, LPCWSTR lpInstanceName,
				      DWORD dwCreatedInstanceNameLength,
				      LPWSTR lpCreatedInstanceName);
HRESULT WINAPI FilterDetach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName);

/*
 * The DOS name of a volume is, on Linux, its mount point (an absolute
 * path), NUL-terminated in lpDosName; dwDosNameBufferSize counts WCHARs.
 * HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) when it does not fit,
 * ERROR_FLT_VOLUME_NOT_FOUND for a name no volume has.
 */
HRESULT WINAPI FilterGetDosName(LPCWSTR lpVolumeName, LPWSTR lpDosName, DWORD dwDosNameBufferSize);

#ifdef __cplusplus
}
#endif

#endif /* __FLTUSER_H__ */
