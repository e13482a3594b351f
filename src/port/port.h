/*
 * Internal interface of the port layer (kernel side).
 *
 * Objects: a server port (listening socket + accept thread) and client
 * ports, one per connection (socket + connection thread).  PFLT_PORT points
 * at either; both begin with struct _FLT_PORT.
 *
 * A connection's state is under its lock: the FIFO of messages waiting for
 * delivery, the client's outstanding GET credits, and the messages delivered
 * and awaiting a reply.  Senders wait on their own message; the connection
 * thread (client packets) and the senders decide delivery under the lock.
 */
#ifndef ALTITUDE_SRC_PORT_PORT_H
#define ALTITUDE_SRC_PORT_PORT_H

#include <pthread.h>
#include <sys/types.h>

#include <fltKernel.h>
#include <altitude/port.h>
#include "port/wire.h"

#define PORT_MAGIC_SERVER 0x53504c41u
#define PORT_MAGIC_CLIENT 0x43504c41u
#define PORT_MAGIC_SD 0x44534c41u

/* Outstanding GETs a client may hold; more are refused. */
#define PORT_MAX_CREDITS 256
/* How long a send to a client that does not read may block (ms). */
#define PORT_SEND_STALL_MS 2000
/* How long a new connection may take to send CONNECT (ms). */
#define PORT_HANDSHAKE_MS 5000

struct _FLT_PORT {
	uint32_t magic;
	int refs;
};

struct port_sd {
	uint32_t magic;
	ACCESS_MASK access;
	ULONG uid_count, gid_count;
	uid_t *uids;
	gid_t *gids;
};

struct port_server {
	struct _FLT_PORT hdr;
	PFLT_FILTER filter;
	PVOID cookie;
	PFLT_CONNECT_NOTIFY connect_notify;
	PFLT_DISCONNECT_NOTIFY disconnect_notify;
	PFLT_MESSAGE_NOTIFY message_notify;
	LONG max_connections;
	LONG connections;      /* under port_registry_lock */
	uint64_t next_message; /* atomic */
	int listen_fd;
	int stop_fd;           /* eventfd that stops the accept thread */
	BOOLEAN accepting;
	pthread_t accept_thread;
	struct port_sd sd;     /* private copy */
	char path[108];
	struct port_server *next_server;
};

enum port_msg_state { PORT_MSG_QUEUED, PORT_MSG_AWAITING_REPLY, PORT_MSG_DONE };

/* A FltSendMessage in progress (on the sender's stack). */
struct port_msg {
	struct port_msg *next, *prev;
	uint64_t id;
	const void *data;
	ULONG len;
	void *reply;
	ULONG reply_capacity; /* ReplyBuffer given: *ReplyLength */
	ULONG reply_len;
	BOOLEAN want_reply;
	enum port_msg_state state;
	NTSTATUS status;
	KEVENT done;          /* set by port_msg_finish */
};

struct port_credit {
	uint64_t id;
	uint32_t size;
};

struct port_conn {
	struct _FLT_PORT hdr;
	struct port_server *server;
	pthread_mutex_t lock;
	int fd;
	BOOLEAN connected;     /* admitted: ConnectNotify runs or has accepted it */
	BOOLEAN ended;         /* disconnected: nothing is delivered any more */
	PVOID cookie;          /* ConnectionPortCookie */
	struct port_msg queue;    /* waiting for delivery, FIFO */
	struct port_msg awaiting; /* delivered, waiting for a reply */
	struct port_credit credits[PORT_MAX_CREDITS];
	unsigned credit_head, credit_count;
	pthread_cond_t credit_cv; /* test hook: a credit arrived */
	uid_t uid;
	gid_t gid;
	BOOLEAN shutting_down; /* under port_registry_lock */
	struct port_conn *next_conn;
};

/* Registry of live servers and connections, for shutdown and *ClientPort. */
extern pthread_mutex_t port_registry_lock;
extern struct port_server *port_servers;
extern struct port_conn *port_conns;

void port_conn_ref(struct port_conn *c);
void port_conn_unref(struct port_conn *c);
void port_server_unref(struct port_server *s);

/* Creates a connection object for an accepted socket (refs: 1). */
struct port_conn *port_conn_create(struct port_server *s, int fd);
/* Runs a connection: handshake, packets, end.  Consumes one reference. */
void port_conn_run(struct port_conn *c);
/*
 * Handles one packet from the client (after the handshake).  Returns FALSE
 * when the client broke the protocol: the caller ends the connection.
 */
BOOLEAN port_conn_handle_packet(struct port_conn *c, const void *buf, size_t len);
/* Ends the connection: releases waiters, shuts the socket down. */
void port_conn_disconnect(struct port_conn *c);
/* Under c->lock: sends a packet to the client; ends the connection on failure. */
BOOLEAN port_conn_send_locked(struct port_conn *c, const struct port_wire_header *h,
			      const void *data, size_t len);
/* Under c->lock: delivers queued messages against credits. */
void port_conn_match_locked(struct port_conn *c);

/* Message lists (circular, with a sentinel). */
void port_msg_list_init(struct port_msg *head);
void port_msg_list_append(struct port_msg *head, struct port_msg *m);
void port_msg_list_remove(struct port_msg *m);
void port_msg_event_init(struct port_msg *m);
/* Under c->lock: finishes `m` with `status` and wakes its sender. */
void port_msg_finish(struct port_msg *m, NTSTATUS status);

/*
 * Waits (c->lock held, dropped during the wait) until `m` is finished or the
 * timeout (kernel convention) expires: STATUS_SUCCESS, STATUS_TIMEOUT, or
 * STATUS_THREAD_IS_TERMINATING.  The caller settles the message after it.
 */
NTSTATUS port_wait_msg(struct port_conn *c, struct port_msg *m, const LARGE_INTEGER *timeout);

/* Security: does `sd` admit uid/gid for FLT_PORT_CONNECT? */
BOOLEAN port_sd_admits(const struct port_sd *sd, uid_t uid, gid_t gid);
/* Copies a caller's descriptor (NULL: the default one) into `out`. */
NTSTATUS port_sd_copy(PSECURITY_DESCRIPTOR in, struct port_sd *out);
void port_sd_release(struct port_sd *sd);

/* Test hook: waits until the connection holds at least `count` GET credits. */
void port_test_wait_credits(PFLT_PORT client_port, unsigned count);
/* Test hook: the number of connections of a server port. */
LONG port_test_connections(PFLT_PORT server_port);

#endif /* ALTITUDE_SRC_PORT_PORT_H */
