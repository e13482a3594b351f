/*
 * Internal interface of libfltlib's management API (fltUser.h: FilterLoad,
 * FilterFindFirst, FilterAttach, ...): requests to fltmgrd's control
 * socket, text conversion, and the packing of the documented structures.
 */
#ifndef ALTITUDE_SRC_HOST_CONTROL_FLTLIB_H
#define ALTITUDE_SRC_HOST_CONTROL_FLTLIB_H

#include <stddef.h>

#include <windows.h>
#include <fltUser.h>

#include "host/control/control.h"

#define FLTLIB_ERROR_SERVICE_NOT_ACTIVE 1062

/* ---- fltlib_request.c ---- */
/*
 * Sends one request and receives its reply.  S_OK with *reply filled (the
 * caller clears it) when the daemon answered with a success status, else
 * the status's HRESULT (reply cleared), E_ACCESSDENIED when the socket
 * refuses us, HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when fltmgrd
 * cannot be reached.  reply may be NULL when only the status matters.
 */
HRESULT fltlib_request(uint16_t type, const char *const *args, size_t count,
		       struct ctl_msg *reply);
/*
 * A caller's name as UTF-8 (free it): E_INVALIDARG for NULL, empty or
 * ill-formed UTF-16 (or, for volume names, after dropping one trailing
 * backslash or slash), E_OUTOFMEMORY.
 */
HRESULT fltlib_name_arg(LPCWSTR name, char **utf8);
HRESULT fltlib_volume_arg(LPCWSTR name, char **utf8);
/* UTF-8 to UTF-16 without NUL (malloc'd, *chars of it); NULL when ill-formed or out of memory. */
WCHAR *fltlib_utf16(const char *utf8, size_t *chars);

/* ---- fltlib_records.c: the daemon's records, split in place ---- */
struct fltlib_filter {
	const char *name;
	const char *altitude;
	ULONG frame;
	ULONG instances;
};

struct fltlib_volume {
	const char *name;
	const char *dos_name; /* the mount point */
	ULONG frame;
};

struct fltlib_instance {
	const char *filter;
	const char *volume;
	const char *altitude;
	const char *instance;
	ULONG frame;
};

/* A CTL_FILTERS, CTL_VOLUMES or CTL_MGMT_INSTANCES record; false when malformed. */
BOOL fltlib_parse_filter(char *record, struct fltlib_filter *out);
BOOL fltlib_parse_volume(char *record, struct fltlib_volume *out);
BOOL fltlib_parse_instance(char *record, struct fltlib_instance *out);

/* ---- fltlib_pack.c ---- */
/*
 * Writes one entry of the information class into buffer: S_OK;
 * HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) when it needs more than
 * size bytes (nothing written); E_INVALIDARG for an unknown class;
 * HRESULT_FROM_WIN32(ERROR_INVALID_DATA) for names the structure cannot
 * carry; E_OUTOFMEMORY.  *returned is the size the entry needs (0 for
 * E_INVALIDARG).
 */
HRESULT fltlib_pack_filter(FILTER_INFORMATION_CLASS cls, const struct fltlib_filter *f,
			   void *buffer, DWORD size, DWORD *returned);
HRESULT fltlib_pack_volume(FILTER_VOLUME_INFORMATION_CLASS cls, const struct fltlib_volume *v,
			   void *buffer, DWORD size, DWORD *returned);
HRESULT fltlib_pack_instance(INSTANCE_INFORMATION_CLASS cls, const struct fltlib_instance *i,
			     void *buffer, DWORD size, DWORD *returned);

#endif /* ALTITUDE_SRC_HOST_CONTROL_FLTLIB_H */
