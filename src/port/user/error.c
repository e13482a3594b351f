/*
 * Thread-local last error, status mapping, and deadlines for libfltlib.
 */
#include <errno.h>

#include <altitude/status.h>
#include "port/user/um.h"

ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);

static __thread DWORD um_last_error;

DWORD WINAPI GetLastError(VOID)
{
	return um_last_error;
}

VOID WINAPI SetLastError(DWORD dwErrCode)
{
	um_last_error = dwErrCode;
}

/* The Windows mappings (RtlNtStatusToDosError's table, compiled in privately). */
DWORD um_status_to_win32(NTSTATUS status)
{
	return RtlNtStatusToDosError(status);
}

HRESULT um_status_to_hresult(NTSTATUS status)
{
	if (NT_SUCCESS(status))
		return S_OK;
	return altitude_status_to_hresult(status);
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

DWORD um_ms_left(const struct timespec *deadline, DWORD ms)
{
	struct timespec now;
	long long left;

	if (ms == INFINITE)
		return INFINITE;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	if (left <= 0)
		return 0;
	return left >= (long long)INFINITE ? INFINITE - 1 : (DWORD)left;
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
