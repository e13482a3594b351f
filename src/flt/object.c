/*
 * Rundown protection for filters, volumes and instances
 * (FltObjectReference / FltObjectDereference), the engine's wait point for
 * teardown, and misuse reports that name the filter.
 */
#include <stdio.h>
#include <time.h>

#include "flt/flt.h"

static pthread_mutex_t flt_wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flt_wait_cv = PTHREAD_COND_INITIALIZER;
static atomic_long flt_live;

void flt_wait_lock(void)
{
	pthread_mutex_lock(&flt_wait_mutex);
}

void flt_wait_unlock(void)
{
	pthread_mutex_unlock(&flt_wait_mutex);
}

void flt_wait(void)
{
	pthread_cond_wait(&flt_wait_cv, &flt_wait_mutex);
}

void flt_wait_timed(ULONG ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&flt_wait_cv, &flt_wait_mutex, &ts);
}

void flt_wake_all(void)
{
	pthread_mutex_lock(&flt_wait_mutex);
	pthread_cond_broadcast(&flt_wait_cv);
	pthread_mutex_unlock(&flt_wait_mutex);
}

void flt_object_init(struct flt_object *obj, ULONG kind)
{
	obj->kind = kind;
	atomic_init(&obj->rundown, 0);
}

BOOLEAN flt_object_acquire(struct flt_object *obj)
{
	long v = atomic_load(&obj->rundown);

	while (!(v & FLT_RUNDOWN_DELETING)) {
		if (atomic_compare_exchange_weak(&obj->rundown, &v, v + 1))
			return TRUE;
	}
	return FALSE;
}

void flt_object_release(struct flt_object *obj)
{
	long v = atomic_fetch_sub(&obj->rundown, 1) - 1;

	if (v == FLT_RUNDOWN_DELETING)
		flt_wake_all();
}

void flt_object_run_down(struct flt_object *obj)
{
	atomic_fetch_or(&obj->rundown, FLT_RUNDOWN_DELETING);
	flt_wait_lock();
	while (atomic_load(&obj->rundown) != FLT_RUNDOWN_DELETING)
		flt_wait();
	flt_wait_unlock();
}

static struct flt_object *flt_object_of(PVOID object)
{
	struct flt_object *obj = object;

	if (!obj)
		return NULL;
	if (obj->kind != FLT_KIND_FILTER && obj->kind != FLT_KIND_VOLUME &&
	    obj->kind != FLT_KIND_INSTANCE)
		return NULL;
	return obj;
}

NTSTATUS FLTAPI FltObjectReference(PVOID FltObject)
{
	struct flt_object *obj = flt_object_of(FltObject);

	if (!obj)
		return STATUS_INVALID_PARAMETER;
	return flt_object_acquire(obj) ? STATUS_SUCCESS : STATUS_FLT_DELETING_OBJECT;
}

VOID FLTAPI FltObjectDereference(PVOID FltObject)
{
	struct flt_object *obj = flt_object_of(FltObject);

	if (obj)
		flt_object_release(obj);
}

void flt_report_filter(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, PFLT_FILTER filter,
		       const char *what)
{
	static __thread char text[160];
	char name[64] = "?";
	USHORT n = filter ? filter->name.Length / sizeof(WCHAR) : 0;

	for (size_t i = 0; i < n && i + 1 < sizeof(name); i++) {
		WCHAR c = filter->name.Buffer[i];
		name[i] = c < 0x80 ? (char)c : '?';
		name[i + 1] = 0;
	}
	snprintf(text, sizeof(text), "FltMgr (filter %s: %s)", name, what);
	ke_bugcheck(code, p1, p2, p3, (ULONG_PTR)filter, text);
}

void flt_live_add(LONG delta)
{
	atomic_fetch_add(&flt_live, delta);
}

LONG flt_live_count(void)
{
	return (LONG)atomic_load(&flt_live);
}
