/*
 * FilterLoad and FilterUnload (fltUser.h), in libfltlib: one request each
 * to fltmgrd (fltlib_request.c).  FilterUnload is not mandatory: a filter
 * may refuse (HRESULT of STATUS_FLT_DO_NOT_DETACH or of its unload
 * callback's status).  Results: S_OK; E_INVALIDARG for a NULL or ill-formed
 * name; HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when fltmgrd cannot be
 * reached; E_ACCESSDENIED for a caller fltmgrd does not admit;
 * E_OUTOFMEMORY; otherwise the HRESULT of the daemon's status (an unknown
 * service: HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)).
 */
#include <stdlib.h>

#include "host/control/fltlib.h"

static HRESULT fltlib_named(LPCWSTR name, uint16_t type, const char *flag)
{
	const char *args[2];
	char *utf8;
	HRESULT hr = fltlib_name_arg(name, &utf8);

	if (FAILED(hr))
		return hr;
	args[0] = utf8;
	args[1] = flag;
	hr = fltlib_request(type, args, flag ? 2 : 1, NULL);
	free(utf8);
	return hr;
}

HRESULT WINAPI FilterLoad(LPCWSTR lpFilterName)
{
	return fltlib_named(lpFilterName, CTL_LOAD, NULL);
}

HRESULT WINAPI FilterUnload(LPCWSTR lpFilterName)
{
	return fltlib_named(lpFilterName, CTL_UNLOAD, "0");
}
