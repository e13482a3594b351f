/* The control protocol's encoding and decoding (control.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "control.h"

int ctl_socket_path(const char *runtime_dir, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", runtime_dir, CTL_SOCKET_NAME);

	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

int ctl_default_runtime_dir(char *buf, size_t size)
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
		return ENOENT;
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static int ctl_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_send(int fd, uint16_t type, int32_t status, const char *const *strings, size_t count)
{
	size_t length = 2 + (type == CTL_REPLY ? 4 : 0), off = 12;
	uint8_t *buf;
	int rc;

	if (count > CTL_MAX_STRINGS)
		return E2BIG;
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(strings[i]);

		if (n > UINT16_MAX)
			return E2BIG;
		length += 2 + n;
	}
	if (length > CTL_MAX_PAYLOAD)
		return E2BIG;
	buf = malloc(12 + length);
	if (!buf)
		return ENOMEM;
	put32(buf, CTL_MAGIC);
	put16(buf + 4, CTL_VERSION);
	put16(buf + 6, type);
	put32(buf + 8, (uint32_t)length);
	if (type == CTL_REPLY) {
		put32(buf + off, (uint32_t)status);
		off += 4;
	}
	put16(buf + off, (uint16_t)count);
	off += 2;
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(strings[i]);

		put16(buf + off, (uint16_t)n);
		memcpy(buf + off + 2, strings[i], n);
		off += 2 + n;
	}
	rc = ctl_write_all(fd, buf, off);
	free(buf);
	return rc;
}

/* 0, ENODATA at EOF before the first byte, EPROTO at EOF after it. */
static int ctl_read_all(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = recv(fd, p + done, n - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return done ? EPROTO : ENODATA;
		done += (size_t)r;
	}
	return 0;
}

/* Text without NUL and without control characters other than tab and the field separator. */
static int ctl_string_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != (uint8_t)CTL_FIELD_SEP) || s[i] == 0x7f)
			return 0;
	return 1;
}

static int ctl_decode(struct ctl_msg *msg, const uint8_t *p, size_t length)
{
	size_t off = 0, count;

	if (msg->type == CTL_REPLY) {
		if (length < 4)
			return EBADMSG;
		msg->status = (int32_t)get32(p);
		off = 4;
	}
	if (length - off < 2)
		return EBADMSG;
	count = get16(p + off);
	off += 2;
	if (count > CTL_MAX_STRINGS)
		return EBADMSG;
	msg->strings = calloc(count + 1, sizeof(char *));
	if (!msg->strings)
		return ENOMEM;
	for (size_t i = 0; i < count; i++) {
		size_t n;

		if (length - off < 2)
			return EBADMSG;
		n = get16(p + off);
		off += 2;
		if (length - off < n || !ctl_string_valid(p + off, n))
			return EBADMSG;
		msg->strings[i] = strndup((const char *)p + off, n);
		if (!msg->strings[i])
			return ENOMEM;
		msg->count = i + 1;
		off += n;
	}
	return off == length ? 0 : EBADMSG;
}

int ctl_recv(int fd, struct ctl_msg *msg)
{
	uint8_t header[12], *payload;
	uint32_t length;
	int rc;

	memset(msg, 0, sizeof(*msg));
	rc = ctl_read_all(fd, header, sizeof(header));
	if (rc)
		return rc;
	length = get32(header + 8);
	msg->type = get16(header + 6);
	if (get32(header) != CTL_MAGIC || get16(header + 4) != CTL_VERSION ||
	    length > CTL_MAX_PAYLOAD)
		return EPROTO;
	payload = malloc(length ? length : 1);
	if (!payload)
		return ENOMEM;
	rc = ctl_read_all(fd, payload, length);
	if (rc == ENODATA)
		rc = EPROTO;
	if (!rc)
		rc = ctl_decode(msg, payload, length);
	free(payload);
	if (rc)
		ctl_msg_clear(msg);
	return rc;
}

void ctl_msg_clear(struct ctl_msg *msg)
{
	for (size_t i = 0; msg->strings && i < msg->count; i++)
		free(msg->strings[i]);
	free(msg->strings);
	msg->strings = NULL;
	msg->count = 0;
}

size_t ctl_split(char *record, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *sep = strchr(record, CTL_FIELD_SEP);

		fields[n++] = record;
		if (!sep)
			break;
		*sep = '\0';
		record = sep + 1;
	}
	return n;
}
