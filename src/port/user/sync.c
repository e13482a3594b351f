/*
 * Events and the Wait functions.  All event state lives under one lock with
 * one condition variable: waits are rare on the hot path (completions go
 * through completion ports or GetOverlappedResult), and a single lock makes
 * WaitForMultipleObjects' wait-all atomic for free.
 */
#include <errno.h>
#include <stdlib.h>

#include "port/user/um.h"

struct um_event {
	struct um_object obj;
	BOOL manual_reset;
	BOOL signaled;
};

static pthread_mutex_t um_sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t um_sync_cv;
static pthread_once_t um_sync_once = PTHREAD_ONCE_INIT;

static void um_sync_init(void)
{
	um_cond_init(&um_sync_cv);
}

static void um_event_destroy(struct um_object *o)
{
	free(o);
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
			   BOOL bInitialState, LPCWSTR lpName)
{
	struct um_event *e;
	HANDLE h;

	(void)lpEventAttributes;
	pthread_once(&um_sync_once, um_sync_init);
	if (lpName) {
		SetLastError(ERROR_NOT_SUPPORTED);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	um_object_init(&e->obj, UM_KIND_EVENT, um_event_destroy);
	e->manual_reset = bManualReset != FALSE;
	e->signaled = bInitialState != FALSE;
	h = um_handle_insert(&e->obj);
	if (!h) {
		free(e);
		SetLastError(ERROR_NO_SYSTEM_RESOURCES);
		return NULL;
	}
	SetLastError(ERROR_SUCCESS);
	return h;
}

static struct um_event *um_event_ref(HANDLE h)
{
	return (struct um_event *)um_handle_ref(h, UM_KIND_EVENT);
}

BOOL um_event_set(HANDLE h)
{
	struct um_event *e = um_event_ref(h);

	if (!e)
		return FALSE;
	pthread_once(&um_sync_once, um_sync_init);
	pthread_mutex_lock(&um_sync_lock);
	e->signaled = TRUE;
	pthread_cond_broadcast(&um_sync_cv);
	pthread_mutex_unlock(&um_sync_lock);
	um_object_unref(&e->obj);
	return TRUE;
}

void um_event_reset(HANDLE h)
{
	struct um_event *e = um_event_ref(h);

	if (!e)
		return;
	pthread_mutex_lock(&um_sync_lock);
	e->signaled = FALSE;
	pthread_mutex_unlock(&um_sync_lock);
	um_object_unref(&e->obj);
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
	if (!um_event_set(hEvent)) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	return TRUE;
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
	struct um_event *e = um_event_ref(hEvent);

	if (!e) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	um_event_reset(hEvent);
	um_object_unref(&e->obj);
	return TRUE;
}

/* Under um_sync_lock: the index satisfying the wait, or -1. */
static int um_wait_check(struct um_event **ev, DWORD n, BOOL all)
{
	if (!all) {
		for (DWORD i = 0; i < n; i++)
			if (ev[i]->signaled)
				return (int)i;
		return -1;
	}
	for (DWORD i = 0; i < n; i++)
		if (!ev[i]->signaled)
			return -1;
	return 0;
}

/* Under um_sync_lock: consumes what a satisfied wait acquires. */
static void um_wait_acquire(struct um_event **ev, DWORD n, BOOL all, int index)
{
	if (!all) {
		if (!ev[index]->manual_reset)
			ev[index]->signaled = FALSE;
		return;
	}
	for (DWORD i = 0; i < n; i++)
		if (!ev[i]->manual_reset)
			ev[i]->signaled = FALSE;
}

static DWORD um_wait_events(struct um_event **ev, DWORD n, BOOL all, DWORD ms)
{
	struct timespec deadline;
	DWORD result = WAIT_TIMEOUT;
	int index;

	pthread_once(&um_sync_once, um_sync_init);
	um_deadline(&deadline, ms);
	pthread_mutex_lock(&um_sync_lock);
	while ((index = um_wait_check(ev, n, all)) < 0) {
		if (ms == 0 || um_cond_wait(&um_sync_cv, &um_sync_lock, &deadline, ms) == ETIMEDOUT) {
			index = um_wait_check(ev, n, all);
			break;
		}
	}
	if (index >= 0) {
		um_wait_acquire(ev, n, all, index);
		result = WAIT_OBJECT_0 + (DWORD)index;
	}
	pthread_mutex_unlock(&um_sync_lock);
	return result;
}

DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
				      DWORD dwMilliseconds, BOOL bAlertable)
{
	struct um_event *ev[MAXIMUM_WAIT_OBJECTS];
	DWORD got = 0, result = WAIT_FAILED;

	(void)bAlertable;
	if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS || !lpHandles) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return WAIT_FAILED;
	}
	for (; got < nCount; got++) {
		ev[got] = um_event_ref(lpHandles[got]);
		if (!ev[got]) {
			SetLastError(ERROR_INVALID_HANDLE);
			goto out;
		}
		for (DWORD j = 0; bWaitAll && j < got; j++) {
			if (ev[j] == ev[got]) {
				um_object_unref(&ev[got]->obj);
				SetLastError(ERROR_INVALID_PARAMETER);
				goto out;
			}
		}
	}
	result = um_wait_events(ev, nCount, bWaitAll, dwMilliseconds);
out:
	for (DWORD i = 0; i < got; i++)
		um_object_unref(&ev[i]->obj);
	return result;
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
				    DWORD dwMilliseconds)
{
	return WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds, FALSE);
}

DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable)
{
	return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds, bAlertable);
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
	return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds, FALSE);
}
