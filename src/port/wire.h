/*
 * The port wire protocol between the host (libfltmgr) and clients (libfltlib)
 * over one SOCK_SEQPACKET connection.  Every packet is one fixed header
 * followed by up to PORT_WIRE_MAX_DATA bytes of data; a packet is a whole
 * datagram, so no framing is needed.  Integers are in host byte order: both
 * ends are on the same machine.
 *
 * Client -> host                         Host -> client
 *   CONNECT (value=options, data=ctx)      CONNECT_DONE (status)
 *   GET     (id, value=buffer size)        DELIVER  (id of the GET, message,
 *                                                    value=ReplyLength, data)
 *                                          GET_DONE (id of the GET, status)
 *   CANCEL  (id of a GET)                  GET_DONE (status=STATUS_CANCELLED)
 *                                          if the GET was still outstanding
 *   REPLY   (id, message, status, data)    REPLY_DONE (id, status)
 *   SEND    (id, value=output capacity,    SEND_DONE (id, status, data)
 *            data)
 *
 * A GET is a credit: the host delivers a message only against a GET the
 * client has already sent, so it alone decides which messages were
 * delivered.  Anything malformed, out of state, or over the limits ends the
 * connection.
 */
#ifndef ALTITUDE_SRC_PORT_WIRE_H
#define ALTITUDE_SRC_PORT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <altitude/wintypes.h>
#include <altitude/port.h>

#define PORT_WIRE_MAGIC 0x504c5441u /* "ATLP" */
#define PORT_WIRE_VERSION 1u
#define PORT_WIRE_MAX_DATA ALTITUDE_PORT_MAX_MESSAGE
/* sizeof(FILTER_MESSAGE_HEADER) and sizeof(FILTER_REPLY_HEADER) (fltUser.h). */
#define PORT_WIRE_MESSAGE_HEADER_SIZE 16u
#define PORT_WIRE_REPLY_HEADER_SIZE 16u

enum port_wire_type {
	PORT_WIRE_CONNECT = 1,
	PORT_WIRE_CONNECT_DONE,
	PORT_WIRE_GET,
	PORT_WIRE_CANCEL,
	PORT_WIRE_DELIVER,
	PORT_WIRE_GET_DONE,
	PORT_WIRE_REPLY,
	PORT_WIRE_REPLY_DONE,
	PORT_WIRE_SEND,
	PORT_WIRE_SEND_DONE,
	PORT_WIRE_TYPE_LIMIT
};

struct port_wire_header {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint64_t id;
	uint64_t message;
	uint32_t status;
	uint32_t value;
};

_Static_assert(sizeof(struct port_wire_header) == 32, "wire header is 32 bytes");

#define PORT_WIRE_MAX_PACKET (sizeof(struct port_wire_header) + PORT_WIRE_MAX_DATA)

/* Fills a header for `type`. */
void port_wire_header_init(struct port_wire_header *h, uint16_t type, uint64_t id);

/*
 * Validates a received packet of `len` bytes: magic, version, size, and that
 * `type` is one the receiver accepts (host: client types; client: host
 * types).  Copies the header out (buf may be unaligned) and returns TRUE.
 */
BOOLEAN port_wire_parse(const void *buf, size_t len, BOOLEAN from_client,
			struct port_wire_header *h);

/*
 * Sends one packet: header + data, as one datagram.  Returns 0 or an errno.
 * `flags` are send flags (MSG_DONTWAIT for the host).
 */
int port_wire_send(int fd, const struct port_wire_header *h, const void *data, size_t len,
		   int flags);

/*
 * Maps a port name (UTF-16, optional leading backslash) to the socket path
 * <runtime>/ports/<name>.  Returns STATUS_SUCCESS, STATUS_OBJECT_NAME_INVALID
 * (empty, '/', control characters, bad UTF-16, "." or ".."),
 * STATUS_OBJECT_PATH_INVALID when the path does not fit a socket address, or
 * STATUS_OBJECT_PATH_NOT_FOUND when there is no runtime directory.  `count`
 * is in WCHARs.
 */
NTSTATUS port_wire_socket_path(const WCHAR *name, size_t count, char *path, size_t size);

/* The runtime's ports directory (<runtime>/ports); 0 if unknown. */
size_t port_wire_ports_dir(char *buf, size_t size);

#endif /* ALTITUDE_SRC_PORT_WIRE_H */
