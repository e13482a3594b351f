/*
 * FilterAttach, FilterAttachAtAltitude, FilterDetach and FilterGetDosName:
 * one request each to fltmgrd (CTL_ATTACH_NAMED, CTL_DETACH, CTL_VOLUMES).
 * The statuses are FltAttachVolume(AtAltitude)'s and FltDetachVolume's,
 * mapped as Windows maps them (ERROR_FLT_INSTANCE_ALTITUDE_COLLISION,
 * ERROR_FLT_INSTANCE_NAME_COLLISION, ERROR_FLT_FILTER_NOT_FOUND,
 * ERROR_FLT_VOLUME_NOT_FOUND, ERROR_FLT_INSTANCE_NOT_FOUND...).
 */
#include <stdlib.h>
#include <string.h>

#include <altitude/ntstatus_defs.h>

#include "host/control/fltlib.h"
#include "port/user/um.h"

/* Copies a name into a caller's buffer of `bytes` bytes, NUL-terminated. */
static HRESULT fltlib_copy_out(const char *utf8, LPWSTR out, size_t bytes)
{
	size_t chars;
	WCHAR *wide = fltlib_utf16(utf8, &chars);
	HRESULT hr = S_OK;

	if (!wide)
		return HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
	if ((chars + 1) * sizeof(WCHAR) > bytes) {
		hr = HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
		goto out;
	}
	memcpy(out, wide, chars * sizeof(WCHAR));
	out[chars] = 0;
out:
	free(wide);
	return hr;
}

static HRESULT fltlib_attach(LPCWSTR filter, LPCWSTR volume, LPCWSTR altitude, LPCWSTR instance,
			     DWORD created_bytes, LPWSTR created)
{
	char *a[4] = { NULL, NULL, NULL, NULL };
	struct ctl_msg reply;
	HRESULT hr = fltlib_name_arg(filter, &a[0]);

	if (SUCCEEDED(hr))
		hr = fltlib_volume_arg(volume, &a[1]);
	if (SUCCEEDED(hr))
		hr = altitude ? fltlib_name_arg(altitude, &a[2]) : S_OK;
	if (SUCCEEDED(hr))
		hr = instance ? fltlib_name_arg(instance, &a[3]) : S_OK;
	if (FAILED(hr))
		goto out;
	{
		const char *args[4] = { a[0], a[1], a[2] ? a[2] : "", a[3] ? a[3] : "" };

		hr = fltlib_request(CTL_ATTACH_NAMED, args, 4, &reply);
	}
	if (FAILED(hr))
		goto out;
	if (created)
		hr = reply.count >= 2 ? fltlib_copy_out(reply.strings[1], created, created_bytes)
				      : HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
	ctl_msg_clear(&reply);
out:
	for (int i = 0; i < 4; i++)
		free(a[i]);
	return hr;
}

HRESULT WINAPI FilterAttach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
			    DWORD dwCreatedInstanceNameLength, LPWSTR lpCreatedInstanceName)
{
	return fltlib_attach(lpFilterName, lpVolumeName, NULL, lpInstanceName,
			     dwCreatedInstanceNameLength, lpCreatedInstanceName);
}

HRESULT WINAPI FilterAttachAtAltitude(LPCWSTR lpFilterName, LPCWSTR lpVolumeName,
				      LPCWSTR lpAltitude, LPCWSTR lpInstanceName,
				      DWORD dwCreatedInstanceNameLength,
				      LPWSTR lpCreatedInstanceName)
{
	if (!lpAltitude)
		return E_INVALIDARG;
	return fltlib_attach(lpFilterName, lpVolumeName, lpAltitude, lpInstanceName,
			     dwCreatedInstanceNameLength, lpCreatedInstanceName);
}

HRESULT WINAPI FilterDetach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName)
{
	char *filter = NULL, *volume = NULL, *instance = NULL;
	HRESULT hr = fltlib_name_arg(lpFilterName, &filter);

	if (SUCCEEDED(hr))
		hr = fltlib_volume_arg(lpVolumeName, &volume);
	if (SUCCEEDED(hr) && lpInstanceName)
		hr = fltlib_name_arg(lpInstanceName, &instance);
	if (SUCCEEDED(hr)) {
		const char *args[3] = { filter, volume, instance ? instance : "" };

		hr = fltlib_request(CTL_DETACH, args, 3, NULL);
	}
	free(filter);
	free(volume);
	free(instance);
	return hr;
}

/* The volume whose name or mount point is `name` (reply owns it; clear it). */
static HRESULT fltlib_volume_lookup(const char *name, struct ctl_msg *reply,
				    struct fltlib_volume *out)
{
	HRESULT hr = fltlib_request(CTL_VOLUMES, NULL, 0, reply);

	if (FAILED(hr))
		return hr;
	for (size_t i = 1; i < reply->count; i++) {
		if (!fltlib_parse_volume(reply->strings[i], out)) {
			hr = HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
			goto out;
		}
		if (strcmp(out->name, name) == 0 || strcmp(out->dos_name, name) == 0)
			return S_OK;
	}
	hr = um_status_to_hresult(STATUS_FLT_VOLUME_NOT_FOUND);
out:
	ctl_msg_clear(reply);
	return hr;
}

HRESULT WINAPI FilterGetDosName(LPCWSTR lpVolumeName, LPWSTR lpDosName, DWORD dwDosNameBufferSize)
{
	struct fltlib_volume v;
	struct ctl_msg reply;
	char *name;
	HRESULT hr;

	if (!lpDosName && dwDosNameBufferSize)
		return E_INVALIDARG;
	hr = fltlib_volume_arg(lpVolumeName, &name);
	if (FAILED(hr))
		return hr;
	hr = fltlib_volume_lookup(name, &reply, &v);
	if (SUCCEEDED(hr)) {
		hr = fltlib_copy_out(v.dos_name, lpDosName, (size_t)dwDosNameBufferSize * sizeof(WCHAR));
		ctl_msg_clear(&reply);
	}
	free(name);
	return hr;
}
