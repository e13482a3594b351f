/* Port connections of libfltlib: requests in flight and the reader thread. */
#ifndef ALTITUDE_SRC_PORT_USER_CLIENT_H
#define ALTITUDE_SRC_PORT_USER_CLIENT_H

#include <sys/types.h>
#include "port/user/um.h"
#include "port/wire.h"

/* One request awaiting the host's answer (GET, REPLY or SEND). */
struct um_request {
	struct um_request *next, *prev;
	uint64_t id;
	uint16_t type;
	pid_t tid;          /* issuing thread, for CancelIo */
	void *buf;          /* GET: message buffer; SEND: output buffer */
	DWORD size;
	LPOVERLAPPED ov;    /* asynchronous GET; NULL for a synchronous call */
	HANDLE event;       /* ov->hEvent without its low bit */
	BOOL post;          /* queue a completion packet (low bit of hEvent clear) */
	BOOL done;
	BOOL cancel_sent;
	NTSTATUS status;
	DWORD bytes;
};

struct um_port {
	struct um_object obj;
	int fd;
	DWORD options;
	pthread_mutex_t lock;
	pthread_cond_t cv;   /* a request completed */
	BOOL broken;         /* the connection ended */
	BOOL closing;        /* CloseHandle was called */
	uint64_t next_id;
	struct um_request list;
	BOOL reading;            /* a thread is in recv (the leader) */
	unsigned async_pending;  /* overlapped gets in flight (atomic) */
	pthread_cond_t reader_cv;
	uint8_t *rbuf;           /* the leader's receive buffer */
	pthread_t reader;
	struct um_iocp *iocp;
	ULONG_PTR key;
};

/* Connects (handshake included); returns an NTSTATUS the host or the
 * socket layer gave, and a port object on success. */
NTSTATUS um_port_connect(const char *path, DWORD options, const void *context, WORD size,
			 struct um_port **out);

/*
 * Sends a request and waits for its answer.  `r` is the caller's; returns
 * the final status (STATUS_PORT_DISCONNECTED once the connection ended,
 * STATUS_CANCELLED after CloseHandle or CancelIoEx).
 */
NTSTATUS um_port_transact(struct um_port *p, struct um_request *r, struct port_wire_header *h,
			  const void *data, size_t len);

/* Starts an asynchronous GET; FALSE (with the status) if the port is gone. */
NTSTATUS um_port_get_async(struct um_port *p, void *buf, DWORD size, LPOVERLAPPED ov);

#endif /* ALTITUDE_SRC_PORT_USER_CLIENT_H */
