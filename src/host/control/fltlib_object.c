/*
 * FilterCreate/FilterClose/FilterGetInformation and
 * FilterInstanceCreate/FilterInstanceClose/FilterInstanceGetInformation.
 * A handle names the filter (and volume and instance) as fltmgrd spelled
 * them when it was created; each query asks fltmgrd again, so it reports
 * the current instance count, and ERROR_FLT_FILTER_NOT_FOUND or
 * ERROR_FLT_INSTANCE_NOT_FOUND once the object is gone.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <altitude/ntstatus_defs.h>

#include "host/control/fltlib.h"
#include "port/user/um.h"

struct fltlib_object {
	struct um_object base;
	char *filter;
	char *volume;   /* instances only */
	char *instance; /* instances only */
};

static void fltlib_object_destroy(struct um_object *o)
{
	struct fltlib_object *f = (struct fltlib_object *)o;

	free(f->filter);
	free(f->volume);
	free(f->instance);
	free(f);
}

/* The current record of a filter (reply owns its strings; clear it). */
static HRESULT fltlib_filter_lookup(const char *name, struct ctl_msg *reply,
				    struct fltlib_filter *out)
{
	HRESULT hr = fltlib_request(CTL_FILTERS, NULL, 0, reply);

	if (FAILED(hr))
		return hr;
	for (size_t i = 1; i < reply->count; i++) {
		if (!fltlib_parse_filter(reply->strings[i], out)) {
			hr = HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
			goto out;
		}
		if (strcasecmp(out->name, name) == 0)
			return S_OK;
	}
	hr = um_status_to_hresult(STATUS_FLT_FILTER_NOT_FOUND);
out:
	ctl_msg_clear(reply);
	return hr;
}

/* The current record of an instance; instance NULL: the filter's first one on the volume. */
static HRESULT fltlib_instance_lookup(const char *filter, const char *volume, const char *instance,
				      struct ctl_msg *reply, struct fltlib_instance *out)
{
	const char *args[2] = { filter, volume };
	HRESULT hr = fltlib_request(CTL_MGMT_INSTANCES, args, 2, reply);

	if (FAILED(hr))
		return hr;
	for (size_t i = 1; i < reply->count; i++) {
		if (!fltlib_parse_instance(reply->strings[i], out)) {
			hr = HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
			goto out;
		}
		if (!instance || strcasecmp(out->instance, instance) == 0)
			return S_OK;
	}
	hr = um_status_to_hresult(STATUS_FLT_INSTANCE_NOT_FOUND);
out:
	ctl_msg_clear(reply);
	return hr;
}

static HRESULT fltlib_object_insert(struct fltlib_object *o, HANDLE *handle)
{
	*handle = um_handle_insert(&o->base);
	if (*handle)
		return S_OK;
	*handle = INVALID_HANDLE_VALUE;
	um_object_unref(&o->base);
	return E_OUTOFMEMORY;
}

HRESULT WINAPI FilterCreate(LPCWSTR lpFilterName, HFILTER *hFilter)
{
	struct fltlib_object *o = NULL;
	struct fltlib_filter f;
	struct ctl_msg reply;
	char *name = NULL;
	HRESULT hr;

	if (!hFilter)
		return E_INVALIDARG;
	*hFilter = INVALID_HANDLE_VALUE;
	hr = fltlib_name_arg(lpFilterName, &name);
	if (FAILED(hr))
		return hr;
	hr = fltlib_filter_lookup(name, &reply, &f);
	if (FAILED(hr))
		goto out;
	o = calloc(1, sizeof(*o));
	if (o)
		o->filter = strdup(f.name);
	ctl_msg_clear(&reply);
	if (!o || !o->filter) {
		free(o);
		hr = E_OUTOFMEMORY;
		goto out;
	}
	um_object_init(&o->base, UM_KIND_FILTER, fltlib_object_destroy);
	hr = fltlib_object_insert(o, hFilter);
out:
	free(name);
	return hr;
}

static HRESULT fltlib_object_close(HANDLE h, enum um_kind kind)
{
	struct um_object *o = um_handle_remove_kind(h, kind);

	if (!o)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	um_object_unref(o);
	return S_OK;
}

HRESULT WINAPI FilterClose(HFILTER hFilter)
{
	return fltlib_object_close(hFilter, UM_KIND_FILTER);
}

HRESULT WINAPI FilterInstanceClose(HFILTER_INSTANCE hInstance)
{
	return fltlib_object_close(hInstance, UM_KIND_INSTANCE);
}

static BOOL fltlib_out_ok(int cls, int classes, LPVOID buffer, DWORD size, LPDWORD returned)
{
	return returned && (buffer || !size) && cls >= 0 && cls < classes;
}

HRESULT WINAPI FilterGetInformation(HFILTER hFilter, FILTER_INFORMATION_CLASS dwInformationClass,
				    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned)
{
	struct fltlib_object *o;
	struct fltlib_filter f;
	struct ctl_msg reply;
	HRESULT hr;

	if (!fltlib_out_ok((int)dwInformationClass, FilterAggregateStandardInformation + 1,
			   lpBuffer, dwBufferSize, lpBytesReturned))
		return E_INVALIDARG;
	*lpBytesReturned = 0;
	o = (struct fltlib_object *)um_handle_ref(hFilter, UM_KIND_FILTER);
	if (!o)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	hr = fltlib_filter_lookup(o->filter, &reply, &f);
	if (SUCCEEDED(hr)) {
		hr = fltlib_pack_filter(dwInformationClass, &f, lpBuffer, dwBufferSize,
					lpBytesReturned);
		ctl_msg_clear(&reply);
	}
	um_object_unref(&o->base);
	return hr;
}

/* A new instance handle for a looked-up record. */
static HRESULT fltlib_instance_object(const struct fltlib_instance *i, HFILTER_INSTANCE *handle)
{
	struct fltlib_object *o = calloc(1, sizeof(*o));

	if (!o)
		return E_OUTOFMEMORY;
	um_object_init(&o->base, UM_KIND_INSTANCE, fltlib_object_destroy);
	o->filter = strdup(i->filter);
	o->volume = strdup(i->volume);
	o->instance = strdup(i->instance);
	if (!o->filter || !o->volume || !o->instance) {
		um_object_unref(&o->base);
		return E_OUTOFMEMORY;
	}
	return fltlib_object_insert(o, handle);
}

HRESULT WINAPI FilterInstanceCreate(LPCWSTR lpFilterName, LPCWSTR lpVolumeName,
				    LPCWSTR lpInstanceName, HFILTER_INSTANCE *hInstance)
{
	char *filter = NULL, *volume = NULL, *instance = NULL;
	struct fltlib_instance i;
	struct ctl_msg reply;
	HRESULT hr;

	if (!hInstance)
		return E_INVALIDARG;
	*hInstance = INVALID_HANDLE_VALUE;
	hr = fltlib_name_arg(lpFilterName, &filter);
	if (SUCCEEDED(hr))
		hr = fltlib_volume_arg(lpVolumeName, &volume);
	if (SUCCEEDED(hr) && lpInstanceName)
		hr = fltlib_name_arg(lpInstanceName, &instance);
	if (SUCCEEDED(hr))
		hr = fltlib_instance_lookup(filter, volume, instance, &reply, &i);
	if (SUCCEEDED(hr)) {
		hr = fltlib_instance_object(&i, hInstance);
		ctl_msg_clear(&reply);
	}
	free(filter);
	free(volume);
	free(instance);
	return hr;
}

HRESULT WINAPI FilterInstanceGetInformation(HFILTER_INSTANCE hInstance,
					    INSTANCE_INFORMATION_CLASS dwInformationClass,
					    LPVOID lpBuffer, DWORD dwBufferSize,
					    LPDWORD lpBytesReturned)
{
	struct fltlib_object *o;
	struct fltlib_instance i;
	struct ctl_msg reply;
	HRESULT hr;

	if (!fltlib_out_ok((int)dwInformationClass, InstanceAggregateStandardInformation + 1,
			   lpBuffer, dwBufferSize, lpBytesReturned))
		return E_INVALIDARG;
	*lpBytesReturned = 0;
	o = (struct fltlib_object *)um_handle_ref(hInstance, UM_KIND_INSTANCE);
	if (!o)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	hr = fltlib_instance_lookup(o->filter, o->volume, o->instance, &reply, &i);
	if (SUCCEEDED(hr)) {
		hr = fltlib_pack_instance(dwInformationClass, &i, lpBuffer, dwBufferSize,
					  lpBytesReturned);
		ctl_msg_clear(&reply);
	}
	um_object_unref(&o->base);
	return hr;
}
