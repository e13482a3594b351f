/*
 * Thread-local last error, status mapping, and deadlines for libfltlib.
 */
#include <errno.h>

#include "port/user/um.h"

static __thread DWORD um_last_error;

DWORD WINAPI GetLastError(VOID)
{
	return um_last_error;
}

VOID WINAPI SetLastError(DWORD dwErrCode)
{
	um_last_error = dwErrCode;
}

/* The host's NTSTATUS values a client can meet, as Win32 errors. */
DWORD um_status_to_win32(NTSTATUS status)
{
	switch (status) {
	case STATUS_SUCCESS:
		return ERROR_SUCCESS;
	case STATUS_TIMEOUT:
		return ERROR_TIMEOUT;
	case STATUS_PENDING:
		return ERROR_IO_PENDING;
	case STATUS_BUFFER_OVERFLOW:
		return ERROR_MORE_DATA;
	case STATUS_ACCESS_DENIED:
		return ERROR_ACCESS_DENIED;
	case STATUS_INVALID_HANDLE:
	case STATUS_PORT_DISCONNECTED:
		return ERROR_INVALID_HANDLE;
	case STATUS_INVALID_PARAMETER:
	case STATUS_INVALID_BUFFER_SIZE:
		return ERROR_INVALID_PARAMETER;
	case STATUS_BUFFER_TOO_SMALL:
		return ERROR_INSUFFICIENT_BUFFER;
	case STATUS_CANCELLED:
		return ERROR_OPERATION_ABORTED;
	case STATUS_NO_MEMORY:
		return ERROR_NOT_ENOUGH_MEMORY;
	case STATUS_INSUFFICIENT_RESOURCES:
		return ERROR_NO_SYSTEM_RESOURCES;
	case STATUS_OBJECT_NAME_NOT_FOUND:
	case STATUS_OBJECT_PATH_NOT_FOUND:
		return ERROR_FILE_NOT_FOUND;
	case STATUS_OBJECT_NAME_INVALID:
		return ERROR_INVALID_NAME;
	case STATUS_OBJECT_PATH_INVALID:
		return ERROR_BAD_PATHNAME;
	case STATUS_NOT_SUPPORTED:
		return ERROR_NOT_SUPPORTED;
	case STATUS_INVALID_DEVICE_REQUEST:
		return ERROR_INVALID_FUNCTION;
	case STATUS_CONNECTION_REFUSED:
	case STATUS_PORT_CONNECTION_REFUSED:
		return ERROR_CONNECTION_REFUSED;
	case STATUS_CONNECTION_COUNT_LIMIT:
		return ERROR_CONNECTION_COUNT_LIMIT;
	case STATUS_DATA_ERROR:
		return ERROR_INVALID_DATA;
	default:
		return ERROR_GEN_FAILURE;
	}
}

/*
 * As fltlib does: Filter Manager statuses keep their code under
 * FACILITY_USERMODE_FILTER_MANAGER (STATUS_FLT_NO_WAITER_FOR_REPLY ->
 * ERROR_FLT_NO_WAITER_FOR_REPLY), other failures become
 * HRESULT_FROM_WIN32 of their Win32 error, and an unknown one
 * HRESULT_FROM_NT.
 */
HRESULT um_status_to_hresult(NTSTATUS status)
{
	DWORD error;

	if (NT_SUCCESS(status))
		return S_OK;
	if (((ULONG)status & 0x0FFF0000u) == 0x001C0000u)
		return (HRESULT)(0x801F0000u | ((ULONG)status & 0xFFFFu));
	error = um_status_to_win32(status);
	if (error == ERROR_GEN_FAILURE)
		return HRESULT_FROM_NT(status);
	return HRESULT_FROM_WIN32(error);
}

void um_deadline(struct timespec *ts, DWORD ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void um_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

int um_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m, const struct timespec *deadline,
		 DWORD ms)
{
	if (ms == INFINITE)
		return pthread_cond_wait(cv, m);
	return pthread_cond_timedwait(cv, m, deadline);
}
