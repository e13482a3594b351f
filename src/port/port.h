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
	int slot;             /* reply slot in the shared region, or -1 */
	int32_t slot_word;    /* the slot word while DELIVERED */
	BOOLEAN expired_writing; /* the sender expired the slot while the client wrote */
	NTSTATUS status;
	KEVENT done;          /* set by port_msg_finish */
};

struct port_credit {
	uint64_t id;
	uint32_t size;
	BOOLEAN readahead; /* PORT_GET_READAHEAD */
	int record;        /* a region record (answered there), or -1: a GET packet */
	int32_t record_gen; /* the record's generation bits (gen << 8) */
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
	struct port_credit credits[PORT_MAX_CREDITS]; /* GET packets */
	unsigned credit_head, credit_count;
	uint32_t ring_tail;       /* region credits consumed (host-private) */
	uint32_t ring_head_seen;  /* the ring head the last match read */
	unsigned credit_sleepers; /* senders in port_credits_await */
	unsigned credit_watchers; /* test hook: threads waiting for credits */
	pthread_cond_t credit_cv; /* test hook: a credit arrived */
	struct port_shm_slot *shm;  /* the reply region (PORT_SHM_SIZE), or NULL */
	struct port_msg *slot_owner[PORT_SHM_SLOTS]; /* host-private: who uses a slot */
	uint32_t slot_gen;
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
/* The same under c->lock. */
void port_conn_disconnect_locked(struct port_conn *c);
/* Under c->lock: sends a packet to the client; ends the connection on failure. */
BOOLEAN port_conn_send_locked(struct port_conn *c, const struct port_wire_header *h,
			      const void *data, size_t len);
/* Under c->lock: delivers queued messages against credits. */
void port_conn_match_locked(struct port_conn *c);
/*
 * Under c->lock, for a sender whose own message `m` is alone in the queue:
 * delivers it against the oldest credit, sending the packet with c->lock
 * dropped (the sender keeps `m` alive).  FALSE when it did not deliver:
 * the caller then matches as usual.  Concurrent senders' DELIVER packets
 * may reach the client in either order, as concurrent FltSendMessage
 * calls complete their gets on Windows; one sender's messages stay in
 * order, since each send returns only after its packet was queued.
 */
BOOLEAN port_conn_deliver_own(struct port_conn *c, struct port_msg *m);

/*
 * The shared reply region (shm.c).  port_shm_create makes and seals the
 * memfd and maps it; returns the fd to pass to the client, or -1 (the
 * connection then replies over the socket only).
 */
int port_shm_create(struct port_conn *c);
void port_shm_destroy(struct port_conn *c);
/* Under c->lock: gives `m` a free slot (DELIVERED) if there is one. */
void port_shm_attach(struct port_conn *c, struct port_msg *m);
/* Under c->lock: frees m's slot; `quarantine`: it expired while the client
 * wrote, and is reused only once the client has released it. */
void port_shm_detach(struct port_conn *c, struct port_msg *m, BOOLEAN quarantine);
/*
 * Under c->lock, as the connection ends, for a delivered message: marks its
 * slot DEAD; a reply the client had published first is still m's result
 * (copied), else STATUS_PORT_DISCONNECTED.
 */
NTSTATUS port_shm_end_msg(struct port_conn *c, struct port_msg *m);
/* Under c->lock: marks every slot in use DEAD (the connection ended). */
void port_shm_kill(struct port_conn *c);
/* Under c->lock: the client broke the region's rules; it only hurts itself
 * (the connection ends).  Returns STATUS_PORT_DISCONNECTED. */
NTSTATUS port_shm_violation(struct port_conn *c);
/*
 * Under c->lock, for a delivered message whose slot word changed, or whose
 * time is up (`give_up`, `waited` is then the result): decides by
 * compare-and-swap.  Returns STATUS_PENDING to wait again for `*expected`;
 * `*flips` counts the client's changes under the decision.
 */
NTSTATUS port_shm_decide(struct port_conn *c, struct port_msg *m, BOOLEAN give_up,
			 NTSTATUS waited, int32_t *expected, unsigned *flips);
/* Under c->lock: the conn thread takes m's slot for a socket reply. */
BOOLEAN port_shm_take(struct port_conn *c, struct port_msg *m);

/*
 * GET credits (credits.c), under c->lock.  port_credits_take hands out the
 * oldest credit (GET packets first, then region records in ring order);
 * FALSE when there is none, or the client broke the ring (the connection
 * then ends).  port_credits_publish_want tells the client whether to KICK
 * after posting a record (messages queued, or a test hook watching).
 */
BOOLEAN port_credits_take(struct port_conn *c, struct port_credit *out);
void port_credits_publish_want(struct port_conn *c);
/*
 * Under c->lock (dropped meanwhile), for a sender whose message found no
 * credit: sleeps on the ring head for at most PORT_CREDIT_AWAIT_US, woken
 * by the client's post (FUTEX_WAKE, no packet), then matches again.  A
 * client that just replied usually posts its next get within microseconds;
 * without this the sender would sleep until a KICK reached the connection
 * thread.  Nothing is decided here: the sender's own wait follows.
 */
#define PORT_CREDIT_AWAIT_US 500
void port_credits_await(struct port_conn *c);
/* Under c->lock, as the connection ends: wakes senders in port_credits_await. */
void port_credits_wake(struct port_conn *c);
/*
 * May credit `k` be answered in its delivery page: the message `m` (it
 * fits inline), or a refusal (m NULL)?
 */
BOOLEAN port_credits_answers_inline(const struct port_credit *k, const struct port_msg *m);
/*
 * Answers record credit `k` in its delivery page: message `m`, or `status`
 * when m is NULL; then publishes DONE and wakes whoever waits for it (a
 * FUTEX_WAKE for a thread on the record, a RING packet for threads in
 * poll).  c->lock may be held or not: the sender keeps `m` alive and holds
 * a reference on `c`; nothing here blocks.
 */
void port_credits_answer(struct port_conn *c, const struct port_credit *k,
			 const struct port_msg *m, NTSTATUS status);

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
/*
 * The same wait for a message with a reply slot: it also ends with
 * STATUS_ALERTED once the slot word differs from `*expected`.  It sets the
 * word's sleeping bit first (and in `*expected`).
 */
NTSTATUS port_wait_msg_word(struct port_conn *c, struct port_msg *m,
			    const LARGE_INTEGER *timeout, int32_t *expected);

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
