/*
 * FilterLoad and FilterUnload (fltUser.h), in libfltlib: one request each
 * to fltmgrd's control socket (host/control/control.h) in the runtime
 * directory ($ALTITUDE_RUNTIME_DIR, /run/altitude for root,
 * $XDG_RUNTIME_DIR/altitude).  FilterUnload is not mandatory: a filter may
 * refuse (HRESULT of STATUS_FLT_DO_NOT_DETACH or of its unload callback's
 * status).  Results: S_OK; E_INVALIDARG for a NULL or ill-formed name;
 * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when fltmgrd cannot be
 * reached; E_OUTOFMEMORY; otherwise the HRESULT of the daemon's status
 * (an unknown service: HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fltUser.h>

#include "host/control/control.h"
#include "port/user/um.h"

#define FLTLIB_ERROR_SERVICE_NOT_ACTIVE 1062

/* UTF-16 (NUL-terminated) to UTF-8; NULL for ill-formed text or no memory (errno). */
static char *fltlib_utf8(LPCWSTR s)
{
	size_t n = 0, o = 0;
	char *out;

	while (s[n])
		n++;
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned long c = s[i];

		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF)
			c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
		else if (c >= 0xD800 && c <= 0xDFFF)
			goto bad;
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xC0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xE0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	errno = EINVAL;
	return NULL;
}

static HRESULT fltlib_request(uint16_t type, const char *const *args, size_t count)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)];
	struct ctl_msg reply;
	HRESULT hr = HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
	int fd, rc;

	if (ctl_default_runtime_dir(dir, sizeof(dir)) ||
	    ctl_socket_path(dir, addr.sun_path, sizeof(addr.sun_path)))
		return hr;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hr;
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	if (!rc)
		rc = ctl_send(fd, type, 0, args, count);
	if (!rc)
		rc = ctl_recv(fd, &reply);
	close(fd);
	if (rc)
		return hr;
	hr = reply.type == CTL_REPLY ? um_status_to_hresult(reply.status) : hr;
	ctl_msg_clear(&reply);
	return hr;
}

static HRESULT fltlib_named(LPCWSTR name, uint16_t type, const char *flag)
{
	const char *args[2];
	char *utf8;
	HRESULT hr;

	if (!name || !name[0])
		return E_INVALIDARG;
	utf8 = fltlib_utf8(name);
	if (!utf8)
		return errno == EINVAL ? E_INVALIDARG : E_OUTOFMEMORY;
	args[0] = utf8;
	args[1] = flag;
	hr = fltlib_request(type, args, flag ? 2 : 1);
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
