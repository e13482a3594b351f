/*
 * FilterFindFirst/Next/Close, FilterVolumeFindFirst/Next/Close,
 * FilterInstanceFindFirst/Next/Close and
 * FilterVolumeInstanceFindFirst/Next/Close.  FindFirst takes a snapshot
 * with one request to fltmgrd (its reply's records, parsed once); the
 * search handle owns it and FindNext walks it, one entry per call, so an
 * enumeration never sees a half-changed list.  An entry that does not fit
 * leaves the walk where it is.  Each kind of search has its own handle
 * kind: another one's handle is refused as invalid.
 */
#include <pthread.h>
#include <stdlib.h>

#include "host/control/fltlib.h"
#include "port/user/um.h"

typedef BOOL (*fltlib_parse_fn)(char *record, void *out);
typedef HRESULT (*fltlib_pack_fn)(int cls, const void *entry, void *buffer, DWORD size,
				  DWORD *returned);

struct fltlib_kind {
	enum um_kind kind;
	uint16_t request;
	size_t entry_size;
	int classes; /* valid information classes: 0 .. classes-1 */
	fltlib_parse_fn parse;
	fltlib_pack_fn pack;
};

struct fltlib_find {
	struct um_object base;
	pthread_mutex_t lock;
	const struct fltlib_kind *kind;
	struct ctl_msg reply;
	void *entries;
	size_t count;
	size_t next;
};

static BOOL fltlib_parse_filter_any(char *record, void *out)
{
	return fltlib_parse_filter(record, out);
}

static BOOL fltlib_parse_volume_any(char *record, void *out)
{
	return fltlib_parse_volume(record, out);
}

static BOOL fltlib_parse_instance_any(char *record, void *out)
{
	return fltlib_parse_instance(record, out);
}

static HRESULT fltlib_pack_filter_any(int cls, const void *e, void *b, DWORD s, DWORD *r)
{
	return fltlib_pack_filter((FILTER_INFORMATION_CLASS)cls, e, b, s, r);
}

static HRESULT fltlib_pack_volume_any(int cls, const void *e, void *b, DWORD s, DWORD *r)
{
	return fltlib_pack_volume((FILTER_VOLUME_INFORMATION_CLASS)cls, e, b, s, r);
}

static HRESULT fltlib_pack_instance_any(int cls, const void *e, void *b, DWORD s, DWORD *r)
{
	return fltlib_pack_instance((INSTANCE_INFORMATION_CLASS)cls, e, b, s, r);
}

static const struct fltlib_kind fltlib_filters = {
	UM_KIND_FILTER_FIND, CTL_FILTERS, sizeof(struct fltlib_filter),
	FilterAggregateStandardInformation + 1, fltlib_parse_filter_any, fltlib_pack_filter_any,
};
static const struct fltlib_kind fltlib_volumes = {
	UM_KIND_VOLUME_FIND, CTL_VOLUMES, sizeof(struct fltlib_volume),
	FilterVolumeStandardInformation + 1, fltlib_parse_volume_any, fltlib_pack_volume_any,
};
static const struct fltlib_kind fltlib_filter_instances = {
	UM_KIND_FILTER_INSTANCE_FIND, CTL_MGMT_INSTANCES, sizeof(struct fltlib_instance),
	InstanceAggregateStandardInformation + 1, fltlib_parse_instance_any, fltlib_pack_instance_any,
};
static const struct fltlib_kind fltlib_volume_instances = {
	UM_KIND_VOLUME_INSTANCE_FIND, CTL_MGMT_INSTANCES, sizeof(struct fltlib_instance),
	InstanceAggregateStandardInformation + 1, fltlib_parse_instance_any, fltlib_pack_instance_any,
};

static void fltlib_find_destroy(struct um_object *o)
{
	struct fltlib_find *f = (struct fltlib_find *)o;

	pthread_mutex_destroy(&f->lock);
	ctl_msg_clear(&f->reply);
	free(f->entries);
	free(f);
}

static BOOL fltlib_args_ok(const struct fltlib_kind *k, int cls, LPVOID buffer, DWORD size,
			   LPDWORD returned)
{
	return returned && (buffer || !size) && cls >= 0 && cls < k->classes;
}

/* The reply's records, parsed into f->entries. */
static HRESULT fltlib_find_parse(struct fltlib_find *f)
{
	f->count = f->reply.count - 1;
	f->entries = calloc(f->count ? f->count : 1, f->kind->entry_size);
	if (!f->entries)
		return E_OUTOFMEMORY;
	for (size_t i = 0; i < f->count; i++)
		if (!f->kind->parse(f->reply.strings[i + 1],
				    (char *)f->entries + i * f->kind->entry_size))
			return HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
	return S_OK;
}

/* Returns the next entry; the walk advances only when it was returned. */
static HRESULT fltlib_find_step(struct fltlib_find *f, int cls, LPVOID buffer, DWORD size,
				LPDWORD returned)
{
	HRESULT hr;

	*returned = 0;
	pthread_mutex_lock(&f->lock);
	if (f->next == f->count) {
		hr = HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS);
		goto out;
	}
	hr = f->kind->pack(cls, (char *)f->entries + f->next * f->kind->entry_size, buffer, size,
			   returned);
	if (SUCCEEDED(hr))
		f->next++;
out:
	pthread_mutex_unlock(&f->lock);
	return hr;
}

static HRESULT fltlib_find_first(const struct fltlib_kind *k, const char *const *args,
				 size_t nargs, int cls, LPVOID buffer, DWORD size,
				 LPDWORD returned, LPHANDLE handle)
{
	struct fltlib_find *f;
	HRESULT hr;

	if (handle)
		*handle = INVALID_HANDLE_VALUE;
	if (!handle || !fltlib_args_ok(k, cls, buffer, size, returned))
		return E_INVALIDARG;
	*returned = 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return E_OUTOFMEMORY;
	um_object_init(&f->base, k->kind, fltlib_find_destroy);
	pthread_mutex_init(&f->lock, NULL);
	f->kind = k;
	hr = fltlib_request(k->request, args, nargs, &f->reply);
	if (SUCCEEDED(hr))
		hr = fltlib_find_parse(f);
	if (SUCCEEDED(hr))
		hr = fltlib_find_step(f, cls, buffer, size, returned);
	if (FAILED(hr))
		goto out;
	*handle = um_handle_insert(&f->base);
	if (*handle)
		return S_OK;
	*handle = INVALID_HANDLE_VALUE;
	hr = E_OUTOFMEMORY;
out:
	um_object_unref(&f->base);
	return hr;
}

static HRESULT fltlib_find_next(const struct fltlib_kind *k, HANDLE h, int cls, LPVOID buffer,
				DWORD size, LPDWORD returned)
{
	struct um_object *o;
	HRESULT hr;

	if (!fltlib_args_ok(k, cls, buffer, size, returned))
		return E_INVALIDARG;
	o = um_handle_ref(h, k->kind);
	if (!o)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	hr = fltlib_find_step((struct fltlib_find *)o, cls, buffer, size, returned);
	um_object_unref(o);
	return hr;
}

static HRESULT fltlib_find_close(const struct fltlib_kind *k, HANDLE h)
{
	struct um_object *o = um_handle_remove_kind(h, k->kind);

	if (!o)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	um_object_unref(o);
	return S_OK;
}

HRESULT WINAPI FilterFindFirst(FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
			       DWORD dwBufferSize, LPDWORD lpBytesReturned, LPHANDLE lpFilterFind)
{
	return fltlib_find_first(&fltlib_filters, NULL, 0, (int)dwInformationClass, lpBuffer,
				 dwBufferSize, lpBytesReturned, lpFilterFind);
}

HRESULT WINAPI FilterFindNext(HANDLE hFilterFind, FILTER_INFORMATION_CLASS dwInformationClass,
			      LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned)
{
	return fltlib_find_next(&fltlib_filters, hFilterFind, (int)dwInformationClass, lpBuffer,
				dwBufferSize, lpBytesReturned);
}

HRESULT WINAPI FilterFindClose(HANDLE hFilterFind)
{
	return fltlib_find_close(&fltlib_filters, hFilterFind);
}

HRESULT WINAPI FilterVolumeFindFirst(FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
				     LPVOID lpBuffer, DWORD dwBufferSize,
				     LPDWORD lpBytesReturned, PHANDLE lpVolumeFind)
{
	return fltlib_find_first(&fltlib_volumes, NULL, 0, (int)dwInformationClass, lpBuffer,
				 dwBufferSize, lpBytesReturned, lpVolumeFind);
}

HRESULT WINAPI FilterVolumeFindNext(HANDLE hVolumeFind,
				    FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
				    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned)
{
	return fltlib_find_next(&fltlib_volumes, hVolumeFind, (int)dwInformationClass, lpBuffer,
				dwBufferSize, lpBytesReturned);
}

HRESULT WINAPI FilterVolumeFindClose(HANDLE hVolumeFind)
{
	return fltlib_find_close(&fltlib_volumes, hVolumeFind);
}

/* The instances of one filter (volume_side false) or on one volume. */
static HRESULT fltlib_instances_first(const struct fltlib_kind *k, LPCWSTR name, BOOL volume_side,
				      int cls, LPVOID buffer, DWORD size, LPDWORD returned,
				      LPHANDLE handle)
{
	const char *args[2] = { "", "" };
	char *utf8;
	HRESULT hr;

	if (handle)
		*handle = INVALID_HANDLE_VALUE;
	hr = volume_side ? fltlib_volume_arg(name, &utf8) : fltlib_name_arg(name, &utf8);
	if (FAILED(hr))
		return hr;
	args[volume_side ? 1 : 0] = utf8;
	hr = fltlib_find_first(k, args, 2, cls, buffer, size, returned, handle);
	free(utf8);
	return hr;
}

HRESULT WINAPI FilterInstanceFindFirst(LPCWSTR lpFilterName,
				       INSTANCE_INFORMATION_CLASS dwInformationClass,
				       LPVOID lpBuffer, DWORD dwBufferSize,
				       LPDWORD lpBytesReturned, LPHANDLE lpFilterInstanceFind)
{
	return fltlib_instances_first(&fltlib_filter_instances, lpFilterName, FALSE,
				      (int)dwInformationClass, lpBuffer, dwBufferSize,
				      lpBytesReturned, lpFilterInstanceFind);
}

HRESULT WINAPI FilterInstanceFindNext(HANDLE hFilterInstanceFind,
				      INSTANCE_INFORMATION_CLASS dwInformationClass,
				      LPVOID lpBuffer, DWORD dwBufferSize,
				      LPDWORD lpBytesReturned)
{
	return fltlib_find_next(&fltlib_filter_instances, hFilterInstanceFind,
				(int)dwInformationClass, lpBuffer, dwBufferSize, lpBytesReturned);
}

HRESULT WINAPI FilterInstanceFindClose(HANDLE hFilterInstanceFind)
{
	return fltlib_find_close(&fltlib_filter_instances, hFilterInstanceFind);
}

HRESULT WINAPI FilterVolumeInstanceFindFirst(LPCWSTR lpVolumeName,
					     INSTANCE_INFORMATION_CLASS dwInformationClass,
					     LPVOID lpBuffer, DWORD dwBufferSize,
					     LPDWORD lpBytesReturned,
					     LPHANDLE lpVolumeInstanceFind)
{
	return fltlib_instances_first(&fltlib_volume_instances, lpVolumeName, TRUE,
				      (int)dwInformationClass, lpBuffer, dwBufferSize,
				      lpBytesReturned, lpVolumeInstanceFind);
}

HRESULT WINAPI FilterVolumeInstanceFindNext(HANDLE hVolumeInstanceFind,
					    INSTANCE_INFORMATION_CLASS dwInformationClass,
					    LPVOID lpBuffer, DWORD dwBufferSize,
					    LPDWORD lpBytesReturned)
{
	return fltlib_find_next(&fltlib_volume_instances, hVolumeInstanceFind,
				(int)dwInformationClass, lpBuffer, dwBufferSize, lpBytesReturned);
}

HRESULT WINAPI FilterVolumeInstanceFindClose(HANDLE hVolumeInstanceFind)
{
	return fltlib_find_close(&fltlib_volume_instances, hVolumeInstanceFind);
}
