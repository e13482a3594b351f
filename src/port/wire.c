/*
 * Wire protocol helpers shared by the host and the client library: packet
 * validation and sending, runtime directory and socket names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <altitude/ntstatus_defs.h>
#include "port/wire.h"

void port_wire_header_init(struct port_wire_header *h, uint16_t type, uint64_t id)
{
	memset(h, 0, sizeof(*h));
	h->magic = PORT_WIRE_MAGIC;
	h->version = PORT_WIRE_VERSION;
	h->type = type;
	h->id = id;
}

static BOOLEAN port_wire_type_from_client(uint16_t type)
{
	return type == PORT_WIRE_CONNECT || type == PORT_WIRE_GET || type == PORT_WIRE_CANCEL ||
	       type == PORT_WIRE_REPLY || type == PORT_WIRE_SEND || type == PORT_WIRE_KICK;
}

BOOLEAN port_wire_parse(const void *buf, size_t len, BOOLEAN from_client,
			struct port_wire_header *h)
{
	if (len < sizeof(*h) || len > PORT_WIRE_MAX_PACKET)
		return FALSE;
	memcpy(h, buf, sizeof(*h));
	if (h->magic != PORT_WIRE_MAGIC || h->version != PORT_WIRE_VERSION)
		return FALSE;
	if (h->type == 0 || h->type >= PORT_WIRE_TYPE_LIMIT)
		return FALSE;
	return port_wire_type_from_client(h->type) == from_client;
}

int port_wire_send(int fd, const struct port_wire_header *h, const void *data, size_t len,
		   int flags)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	do {
		n = sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	return (size_t)n == sizeof(*h) + len ? 0 : EPROTO;
}

static size_t port_wire_runtime_dir(char *buf, size_t size)
{
	const char *env = getenv("ALTITUDE_RUNTIME_DIR");
	int n;

	if (env && env[0])
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/altitude");
	else if ((env = getenv("XDG_RUNTIME_DIR")) && env[0])
		n = snprintf(buf, size, "%s/altitude", env);
	else
		return 0;
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

ULONG altitude_port_runtime_dir(char *buf, ULONG size)
{
	return (ULONG)port_wire_runtime_dir(buf, size);
}

size_t port_wire_ports_dir(char *buf, size_t size)
{
	size_t n = port_wire_runtime_dir(buf, size);
	int m;

	if (!n)
		return 0;
	m = snprintf(buf + n, size - n, "/ports");
	if (m < 0 || (size_t)m >= size - n)
		return 0;
	return n + (size_t)m;
}

/* Appends the UTF-8 form of code point `cp`; returns bytes written or 0. */
static size_t port_wire_put_utf8(char *out, size_t room, uint32_t cp)
{
	if (cp < 0x80 && room >= 1) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800 && room >= 2) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000 && room >= 3) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp >= 0x10000 && room >= 4) {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F));
		return 4;
	}
	return 0;
}

/* Decodes the code point at name[*i], advancing *i; 0 on bad UTF-16. */
static uint32_t port_wire_next_cp(const WCHAR *name, size_t count, size_t *i)
{
	uint32_t c = name[(*i)++];

	if (c >= 0xDC00 && c <= 0xDFFF)
		return 0;
	if (c < 0xD800 || c > 0xDBFF)
		return c;
	if (*i >= count || name[*i] < 0xDC00 || name[*i] > 0xDFFF)
		return 0;
	return 0x10000 + ((c - 0xD800) << 10) + (name[(*i)++] - 0xDC00);
}

NTSTATUS port_wire_socket_path(const WCHAR *name, size_t count, char *path, size_t size)
{
	struct sockaddr_un sa;
	size_t n, start, i;

	if (size > sizeof(sa.sun_path))
		size = sizeof(sa.sun_path);
	n = port_wire_ports_dir(path, size);
	if (!n)
		return STATUS_OBJECT_PATH_NOT_FOUND;
	start = count && name[0] == L'\\' ? 1 : 0;
	if (start >= count)
		return STATUS_OBJECT_NAME_INVALID;
	if (n + 2 >= size)
		return STATUS_OBJECT_PATH_INVALID;
	path[n++] = '/';
	for (i = start; i < count;) {
		uint32_t cp = port_wire_next_cp(name, count, &i);
		size_t w;

		if (cp < 0x20 || cp == '/' || cp == 0x7F)
			return STATUS_OBJECT_NAME_INVALID;
		if (n + 1 >= size)
			return STATUS_OBJECT_PATH_INVALID;
		w = port_wire_put_utf8(path + n, size - 1 - n, cp);
		if (!w)
			return STATUS_OBJECT_PATH_INVALID;
		n += w;
	}
	path[n] = '\0';
	if (!strcmp(strrchr(path, '/'), "/.") || !strcmp(strrchr(path, '/'), "/.."))
		return STATUS_OBJECT_NAME_INVALID;
	return STATUS_SUCCESS;
}
