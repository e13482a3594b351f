/*
 * windows.h subset for filter services: what a port client needs around
 * fltUser.h.  Every function declared here is implemented by libfltlib for
 * the handle kinds it knows (communication port connections, events, I/O
 * completion ports); any other handle fails with ERROR_INVALID_HANDLE.
 *
 * Not supported, and documented as such at each function: named events,
 * alertable waits that run APCs (no APCs exist here), handle inheritance.
 */
#ifndef _WINDOWS_
#define _WINDOWS_

#include <altitude/wintypes.h>
#include <altitude/ntstatus_defs.h>
#include <winerror.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *LPVOID;
typedef const void *LPCVOID;
typedef DWORD *PDWORD;

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define INFINITE 0xFFFFFFFF
#define MAXIMUM_WAIT_OBJECTS 64
#define WAIT_OBJECT_0 ((DWORD)0x00000000L)
#define WAIT_ABANDONED_0 ((DWORD)0x00000080L)
#define WAIT_IO_COMPLETION ((DWORD)0x000000C0L)
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)

typedef struct _SECURITY_ATTRIBUTES {
	DWORD nLength;
	LPVOID lpSecurityDescriptor;
	BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef struct _OVERLAPPED {
	ULONG_PTR Internal;     /* status of the request; STATUS_PENDING while in flight */
	ULONG_PTR InternalHigh; /* bytes transferred */
	union {
		struct {
			DWORD Offset;
			DWORD OffsetHigh;
		};
		PVOID Pointer;
	};
	HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _OVERLAPPED_ENTRY {
	ULONG_PTR lpCompletionKey;
	LPOVERLAPPED lpOverlapped;
	ULONG_PTR Internal;
	DWORD dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY, *LPOVERLAPPED_ENTRY;

#define HasOverlappedIoCompleted(lpOverlapped) \
	(((DWORD)(lpOverlapped)->Internal) != STATUS_PENDING)

DWORD WINAPI GetLastError(VOID);
VOID WINAPI SetLastError(DWORD dwErrCode);

/* Closes a port connection, event or completion port handle. */
BOOL WINAPI CloseHandle(HANDLE hObject);

/* lpName must be NULL: named events fail with ERROR_NOT_SUPPORTED.
 * lpEventAttributes is accepted; bInheritHandle has no effect. */
HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
			   BOOL bInitialState, LPCWSTR lpName);
#define CreateEvent CreateEventW
BOOL WINAPI SetEvent(HANDLE hEvent);
BOOL WINAPI ResetEvent(HANDLE hEvent);

/* Waits on events (a port connection or completion port handle is not
 * waitable here: ERROR_INVALID_HANDLE).  No APCs exist, so bAlertable never
 * produces WAIT_IO_COMPLETION. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
				    DWORD dwMilliseconds);
DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
				      DWORD dwMilliseconds, BOOL bAlertable);

/* I/O completion ports: FileHandle may be a port connection handle (opened
 * without FLT_PORT_FLAG_SYNC_HANDLE) or INVALID_HANDLE_VALUE.
 * NumberOfConcurrentThreads is accepted and not enforced. */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
				     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
				      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
				      DWORD dwMilliseconds);
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
				       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);

BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
BOOL WINAPI CancelIo(HANDLE hFile);
BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
				LPDWORD lpNumberOfBytesTransferred, BOOL bWait);

#ifdef __cplusplus
}
#endif

#endif /* _WINDOWS_ */
