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
	BOOL needs_reader;  /* overlapped: no completion-port waiter reads for it */
	BOOL has_record;    /* a GET posted as a region credit record */
	uint32_t record;    /* its index */
	int32_t record_gen; /* its word's generation bits (gen << 8) */
	BOOL sleeping;      /* a synchronous caller sleeps on `wake` (deliver.c) */
	int32_t wake;       /* set when another thread completes the request */
	NTSTATUS status;
	DWORD bytes;
};

/* A delivered message whose reply goes through the shared region. */
struct um_slot {
	uint64_t message;
	int32_t word;       /* DELIVERED with the host's generation */
	DWORD capacity;     /* the sender's reply capacity */
	BOOL used;
};

struct um_port {
	struct um_object obj;
	int fd;
	struct port_shm_slot *shm;   /* the host's reply region, or NULL */
	struct um_slot slots[PORT_SHM_SLOTS]; /* under lock */
	struct port_shm_credits *credits;    /* GET records in the region, or NULL */
	uint8_t free_records[PORT_SHM_RECORDS]; /* under lock: a stack */
	unsigned free_count;
	unsigned gets;       /* GETs outstanding, either way */
	uint32_t ring_head;  /* ring entries posted */
	uint32_t gen;        /* generation of the last record posted */
	struct um_request ra;   /* the read-ahead credit (readahead.c) */
	enum { UM_RA_NONE, UM_RA_POSTED, UM_RA_FULL } ra_state;
	uint8_t *ra_buf;        /* UM_RA_FULL: the message, as FilterGetMessage returns it */
	DWORD ra_len;
	uint32_t ra_slot;       /* its reply slot and the word DELIVER named */
	int32_t ra_word;
	DWORD options;
	pthread_mutex_t lock;
	pthread_cond_t cv;   /* a request completed */
	BOOL broken;         /* the connection ended */
	BOOL closing;        /* CloseHandle was called */
	uint64_t next_id;
	struct um_request list;
	BOOL reading;            /* a thread is in recv (the leader) */
	unsigned async_pending;  /* overlapped gets in flight (atomic) */
	unsigned reader_needs;   /* of those, the ones the reader thread reads for */
	unsigned sync_waiters;   /* synchronous gets asleep on their records */
	BOOL read_belled;        /* the thread in recv is counted in the region's bell */
	pthread_cond_t reader_cv;
	uint8_t *rbuf;           /* the leader's receive buffer */
	pthread_t reader;
	struct um_iocp *iocp;
	ULONG_PTR key;
};

/* NTSTATUS of a socket errno on connect. */
NTSTATUS um_port_errno_status(int err);
/* Sends CONNECT and reads CONNECT_DONE (and maps the region into *shm). */
NTSTATUS um_port_handshake(int fd, DWORD options, const void *context, WORD size,
			   struct port_shm_slot **shm);

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

/*
 * FilterReplyMessage through the shared region.  STATUS_NOT_FOUND when the
 * message has no slot here (the caller replies over the socket).
 */
NTSTATUS um_port_reply_shm(struct um_port *p, uint64_t message, const void *data, DWORD len);

/* FilterGetMessage without OVERLAPPED: waits for a message (`r` is the caller's). */
NTSTATUS um_port_get(struct um_port *p, struct um_request *r);

/* Starts an asynchronous GET: STATUS_PENDING, or the status if the port is gone. */
NTSTATUS um_port_get_async(struct um_port *p, void *buf, DWORD size, LPOVERLAPPED ov);

/* Region GET records (credits.c), under p->lock. */
void um_credits_init(struct um_port *p);
/*
 * Posts GET `r` (id and size set) as a record: returns the host's `want`
 * (PORT_SHM_WANT_*), or -1 when no record is free (send a GET packet).
 */
int um_credits_post(struct um_port *p, struct um_request *r);
/* Outside p->lock, after a post that returned PORT_SHM_WANT_WAKE. */
void um_credits_wake(struct um_port *p);
/* Cancels r's record; FALSE when the host took it first. */
BOOL um_credits_cancel(struct um_port *p, struct um_request *r);
/* r is finished: its record (if any) may be posted again. */
void um_credits_release(struct um_port *p, struct um_request *r);

/*
 * Under p->lock: has the host answered r's record in its delivery page?
 * Then `h`, `data` and `len` are the DELIVER or GET_DONE packet it stands
 * for (the length bounded), to apply as one.
 */
BOOL um_credits_answered(struct um_port *p, const struct um_request *r,
			 struct port_wire_header *h, const uint8_t **data, size_t *len);
/*
 * Under p->lock, before a synchronous get sleeps on r's record word: sets
 * the word's sleeping bit.  1: sleep on `*expected`; 0: the word moved
 * (look again); -1: the word is not one to sleep on.
 */
int um_credits_sleep_mark(struct um_port *p, const struct um_request *r, int32_t *expected);

/* Deliveries in the region (deliver.c), under p->lock. */
/*
 * Applies every answered record of a pending get (and of the read-ahead
 * credit); returns the overlapped requests completed, for
 * um_port_finish_chain outside the lock.
 */
struct um_request *um_port_collect(struct um_port *p);
/* A synchronous get `r` with a record waits for its answer (takes p->lock). */
NTSTATUS um_port_wait_get(struct um_port *p, struct um_request *r);

/* The calling thread's id (cached), for CancelIo. */
pid_t um_thread_id(void);
/* Sends a packet; a failure shuts the socket down (the reader then ends the connection). */
void um_port_send(struct um_port *p, const struct port_wire_header *h, const void *data,
		  size_t len);

/*
 * Shared by client.c, cancel.c, deliver.c and readahead.c, under p->lock (but
 * finish_chain).  um_port_apply returns the overlapped requests a packet
 * completed, as a chain.
 */
struct um_request *um_port_apply(struct um_port *p, const struct port_wire_header *h,
				 const uint8_t *data, size_t len);
void um_port_finish_chain(struct um_port *p, struct um_request *async);
void um_port_wake_reader(struct um_port *p);
struct um_request *um_port_complete(struct um_port *p, struct um_request *r);
/* Chains of completed overlapped requests (NULL-terminated): `first`, then `then`. */
struct um_request *um_port_chain(struct um_request *first, struct um_request *then);
void um_port_note_slot(struct um_port *p, const struct port_wire_header *h);
void um_port_fill_get(struct um_request *r, const struct port_wire_header *h, const uint8_t *data,
		      size_t len);

/* The read-ahead credit (readahead.c), under p->lock; never a request id. */
#define UM_READAHEAD_ID 0
/* After a reply through the region: posts it if no get is outstanding
 * (returns the host's want as um_credits_post does, or -1). */
int um_ra_post(struct um_port *p);
/*
 * GET `r` starts (enlisted and counted): a buffered message whose sender
 * still waits completes it at once (TRUE; *async: r if it is overlapped).
 * A posted read-ahead credit is withdrawn if it still can be.
 */
BOOL um_ra_serve(struct um_port *p, struct um_request *r, struct um_request **async);
/* The host answered the read-ahead credit; returns the overlapped gets it completed (a chain). */
struct um_request *um_ra_apply(struct um_port *p, const struct port_wire_header *h,
			       const uint8_t *data, size_t len);

#endif /* ALTITUDE_SRC_PORT_USER_CLIENT_H */
