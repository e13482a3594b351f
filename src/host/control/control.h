/*
 * The control protocol between fltmc (or libfltlib) and fltmgrd, over the
 * Unix stream socket <runtime dir>/fltmgrd.sock.  A volume argument is a
 * mount point or a volume name (\Device\AltitudeVolumeN).
 *
 * Every message is a header (magic "ALTC", version, type, payload length,
 * all little-endian) and a payload of at most CTL_MAX_PAYLOAD bytes.  A
 * request's payload is a list of strings: a 16-bit count, then per string
 * a 16-bit length and that many bytes of UTF-8 without NUL or control
 * characters except tab.  A reply (type CTL_REPLY) starts with a 32-bit
 * NTSTATUS, then the same list: the first string a human-readable message
 * ("" on success), every following one a record whose fields are
 * separated by CTL_FIELD_SEP.
 *
 * A message that breaks any of these rules is answered with
 * STATUS_INVALID_PARAMETER (bad header: the connection is closed after the
 * reply).  One request, one reply; a client may send several in turn.
 */
#ifndef ALTITUDE_SRC_HOST_CONTROL_H
#define ALTITUDE_SRC_HOST_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x43544c41u /* "ALTC" */
#define CTL_VERSION 1
#define CTL_MAX_PAYLOAD (1024u * 1024u)
#define CTL_MAX_STRINGS 256u
#define CTL_SOCKET_NAME "fltmgrd.sock"
#define CTL_FIELD_SEP '\x1f'

enum ctl_type {
	CTL_STATUS = 1,    /* () -> records key<SEP>value */
	CTL_LOAD = 2,      /* (name) */
	CTL_UNLOAD = 3,    /* (name, "0"|"1" mandatory) */
	CTL_INSTALL = 4,   /* (name, module, altitude, start, K=V...) */
	CTL_UNINSTALL = 5, /* (name) */
	CTL_FILTERS = 6,   /* () -> name, instances, altitude, frame, module, pending, oldest age ms */
	CTL_MOUNT = 7,     /* (source or "", mountpoint[, "private" or ""]) -> one record: mountpoint */
	CTL_UNMOUNT = 8,   /* (mountpoint) */
	CTL_VOLUMES = 9,   /* () -> mountpoint, volume name, filesystem, source */
	CTL_INSTANCES = 10, /* (filter or "", volume or "") -> filter, volume, altitude, instance, frame,
			     * dos name, pending, oldest age ms */
	CTL_ATTACH = 11,   /* (filter, volume, altitude or "", instance or "") */
	CTL_DETACH = 12,   /* (filter, volume, instance or "") */
	/* libfltlib's management API (fltlib_*.c): */
	CTL_MGMT_INSTANCES = 13, /* (filter or "", volume or "") -> filter, volume name, altitude,
				  * instance, frame; STATUS_FLT_FILTER_NOT_FOUND or
				  * STATUS_FLT_VOLUME_NOT_FOUND for a name that is not there */
	CTL_ATTACH_NAMED = 14, /* CTL_ATTACH's arguments -> one record: the new instance's name */
	CTL_TYPE_MAX = 14,
	CTL_REPLY = 0x8000,
};

struct ctl_header {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
};

/* A decoded message: strings are NUL-terminated copies (ctl_msg_clear frees them). */
struct ctl_msg {
	uint16_t type;
	int32_t status; /* replies only */
	size_t count;
	char **strings;
};

/* The socket path for a runtime directory; 0 or ENAMETOOLONG. */
int ctl_socket_path(const char *runtime_dir, char *buf, size_t size);
/* The default runtime directory ($ALTITUDE_RUNTIME_DIR, /run/altitude for
 * root, $XDG_RUNTIME_DIR/altitude); 0 or ENOENT when none applies. */
int ctl_default_runtime_dir(char *buf, size_t size);

/* Sends a message (status is ignored unless type is CTL_REPLY); 0 or errno. */
int ctl_send(int fd, uint16_t type, int32_t status, const char *const *strings, size_t count);
/*
 * Receives one message.  0; EOF at a message boundary is ENODATA; a
 * malformed header EPROTO (the stream cannot be trusted any more); a
 * malformed payload EBADMSG (the stream is still in step); other errno
 * values from the socket.
 */
int ctl_recv(int fd, struct ctl_msg *msg);
void ctl_msg_clear(struct ctl_msg *msg);

/* Splits a record into at most max fields (in place); returns the count. */
size_t ctl_split(char *record, char **fields, size_t max);

#endif /* ALTITUDE_SRC_HOST_CONTROL_H */
