/*
 * libfltlib's requests to fltmgrd: one connection per request to the
 * control socket (host/control/control.h) in the runtime directory
 * ($ALTITUDE_RUNTIME_DIR, /run/altitude for root,
 * $XDG_RUNTIME_DIR/altitude), and the UTF-16/UTF-8 conversions of names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "host/control/fltlib.h"
#include "port/user/um.h"

/* UTF-16 (n units) to UTF-8; NULL for ill-formed text (errno EINVAL) or no memory. */
static char *fltlib_utf8(LPCWSTR s, size_t n)
{
	size_t o = 0;
	char *out = malloc(n * 3 + 1);

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

/* One code point from UTF-8 at *p (advanced); -1 when ill-formed. */
static long fltlib_decode(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c = s[0];
	int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
	static const unsigned long min[] = { 0, 0x80, 0x800, 0x10000 };

	if (extra < 0)
		return -1;
	c &= extra ? 0x3Fu >> extra : 0x7Fu;
	for (int k = 1; k <= extra; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return -1;
		c = c << 6 | (s[k] & 0x3F);
	}
	if (c < min[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*p = s + extra + 1;
	return (long)c;
}

WCHAR *fltlib_utf16(const char *utf8, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t n = 0;
	WCHAR *out = malloc((strlen(utf8) + 1) * sizeof(WCHAR));

	if (!out)
		return NULL;
	while (*p) {
		long c = fltlib_decode(&p);

		if (c < 0) {
			free(out);
			return NULL;
		}
		if (c >= 0x10000) {
			out[n++] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
			out[n++] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
		} else {
			out[n++] = (WCHAR)c;
		}
	}
	*chars = n;
	return out;
}

static HRESULT fltlib_arg(LPCWSTR name, BOOL volume, char **utf8)
{
	size_t n = 0;

	*utf8 = NULL;
	if (!name)
		return E_INVALIDARG;
	while (name[n])
		n++;
	/* "D:\" and "\Device\X\" name the volume as "D:" and "\Device\X" do. */
	if (volume && n > 1 && (name[n - 1] == L'\\' || name[n - 1] == L'/'))
		n--;
	if (!n)
		return E_INVALIDARG;
	*utf8 = fltlib_utf8(name, n);
	if (*utf8)
		return S_OK;
	return errno == EINVAL ? E_INVALIDARG : E_OUTOFMEMORY;
}

HRESULT fltlib_name_arg(LPCWSTR name, char **utf8)
{
	return fltlib_arg(name, FALSE, utf8);
}

HRESULT fltlib_volume_arg(LPCWSTR name, char **utf8)
{
	return fltlib_arg(name, TRUE, utf8);
}

/* A connected socket, or the HRESULT of why not. */
static HRESULT fltlib_connect(int *fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)];
	int err;

	if (ctl_default_runtime_dir(dir, sizeof(dir)) ||
	    ctl_socket_path(dir, addr.sun_path, sizeof(addr.sun_path)))
		return HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return errno == ENOMEM || errno == ENOBUFS ? E_OUTOFMEMORY
							   : HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
	if (connect(*fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return S_OK;
	err = errno;
	close(*fd);
	/* The socket's mode (0660, admin group) refuses a non-admin caller. */
	return err == EACCES || err == EPERM ? E_ACCESSDENIED
					     : HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
}

HRESULT fltlib_request(uint16_t type, const char *const *args, size_t count,
		       struct ctl_msg *reply)
{
	struct ctl_msg msg;
	HRESULT hr;
	int fd, rc;

	hr = fltlib_connect(&fd);
	if (FAILED(hr))
		return hr;
	rc = ctl_send(fd, type, 0, args, count);
	/* A refused caller's connection is answered and closed before the
	 * request is read: the send fails, the answer is still there. */
	if (!rc || rc == EPIPE || rc == ECONNRESET)
		rc = ctl_recv(fd, &msg);
	close(fd);
	if (rc)
		return rc == ENOMEM ? E_OUTOFMEMORY : HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
	if (msg.type != CTL_REPLY || msg.count < 1)
		hr = HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE);
	else
		hr = um_status_to_hresult(msg.status);
	if (SUCCEEDED(hr) && reply)
		*reply = msg;
	else
		ctl_msg_clear(&msg);
	return hr;
}
