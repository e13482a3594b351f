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
 *   KICK    (credits were posted in the region while the host wanted them)
 *                                          RING (a delivery was published in
 *                                                the region, see `bell`)
 *
 * A GET is a credit: the host delivers a message only against a GET the
 * client has already posted (a GET packet, or a credit record in the shared
 * region, see below), so it alone decides which messages were delivered.
 * Anything malformed, out of state, or over the limits ends the connection.
 */
#ifndef ALTITUDE_SRC_PORT_WIRE_H
#define ALTITUDE_SRC_PORT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <altitude/wintypes.h>
#include <altitude/port.h>

#define PORT_WIRE_MAGIC 0x504c5441u /* "ATLP" */
#define PORT_WIRE_VERSION 3u /* 2: the slot word's sleeping bit; 3: deliveries in the region */
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
	PORT_WIRE_KICK,
	PORT_WIRE_RING,
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

/*
 * The reply region: a memfd the host creates per connection and passes with
 * CONNECT_DONE (SCM_RIGHTS), mapped by both ends.  Each slot carries one
 * delivered message's reply.  The slot word is (generation << 8) | state;
 * the host sets DELIVERED before DELIVER names the slot (DELIVER's status =
 * slot + 1 | generation << 8; 0: no slot, reply over the socket).  The
 * client claims DELIVERED -> WRITING, writes the reply, then publishes
 * WRITING -> REPLIED and wakes the word; the sender's timeout turns
 * DELIVERED or WRITING into EXPIRED.  Whichever compare-and-swap wins
 * decides, so both ends know the outcome without a round trip.  The host
 * trusts nothing in the region: it reads the length once, bounds it, and
 * takes a word it did not expect as a protocol violation.
 */
#define PORT_SHM_SLOTS 64u
#define PORT_SHM_SLOT_SIZE 4096u
#define PORT_SHM_INLINE (PORT_SHM_SLOT_SIZE - 8u)
#define PORT_SHM_SLOTS_SIZE (PORT_SHM_SLOTS * PORT_SHM_SLOT_SIZE)
#define PORT_SHM_GEN_MASK 0xFFFFFFu

enum port_shm_state {
	PORT_SHM_FREE = 0,
	PORT_SHM_DELIVERED,
	PORT_SHM_WRITING,
	PORT_SHM_REPLIED,
	PORT_SHM_EXPIRED,  /* the sender gave up: no waiter */
	PORT_SHM_TAKEN,    /* the reply came over the socket */
	PORT_SHM_DEAD,     /* the connection ended */
};

struct port_shm_slot {
	int32_t word;
	uint32_t reply_len;
	uint8_t data[PORT_SHM_INLINE];
};

_Static_assert(sizeof(struct port_shm_slot) == PORT_SHM_SLOT_SIZE, "slot size");

static inline int32_t port_shm_word(uint32_t gen, enum port_shm_state state)
{
	return (int32_t)(((gen & PORT_SHM_GEN_MASK) << 8) | (uint32_t)state);
}

/*
 * The sleeping bit: the sender sets it (compare-and-swap from the word it
 * is about to wait on) before it sleeps on the word, and every client move
 * of the word keeps it; the client's publish issues its FUTEX_WAKE only
 * when the word it replaced had it.  A sender that sees the reply before it
 * sleeps costs the client no system call.  The host ignores the bit in
 * every decision; a client that forges or clears it only costs itself
 * wakeups (its sender then waits for its timeout, as for any client that
 * does not reply).
 */
#define PORT_SHM_SLEEPING 0x80

static inline int32_t port_shm_awake(int32_t w)
{
	return w & ~PORT_SHM_SLEEPING;
}

/*
 * GET credits in the region, after the reply slots, so a FilterGetMessage
 * costs no packet and no host thread.  The client fills a free record (its
 * buffer size and the request id the host answers with), moves its word
 * (gen << 8 | state, the client's generation) FREE -> POSTED and appends
 * (gen << 8 | record) to the ring.  The host consumes the ring in order
 * under the connection lock and takes a record by compare-and-swap
 * POSTED -> TAKEN, then reads size and id once and answers with a DELIVER
 * or GET_DONE packet as for a GET packet; a cancel is the client's
 * compare-and-swap POSTED -> CANCELLED.  Exactly one of the two wins, so a
 * cancelled get never receives a message and a taken one always gets its
 * packet.  A ring entry whose record is not POSTED with that generation is
 * stale (cancelled) and skipped.  `want` tells a client that just posted
 * whom to tell: WAKE, a sender sleeps on `head` (FUTEX_WAKE it); KICK,
 * messages are queued with no sender watching the head, or a test hook
 * waits for credits (send one KICK packet to the connection thread).
 * The host reads every field once and bounds it: a head more than a ring
 * ahead of the tail ends the connection; a record index is masked.
 *
 * Deliveries (version 3): a message that fits PORT_SHM_DELIVERY_INLINE is
 * answered in the record's delivery page instead of a DELIVER packet, and a
 * refusal (GET_DONE's status) likewise: the host fills the page, then
 * moves the word TAKEN -> DONE by exchange.  A client thread waiting for
 * that one record sets the sleeping bit (PORT_SHM_SLEEPING, which the
 * host's take keeps) and sleeps on the word; the exchange tells the host
 * to FUTEX_WAKE it.  Threads that wait in poll on the socket for any
 * record count themselves in `bell`: while it is not zero the host also
 * sends a RING packet (never blocking: a full socket already wakes its
 * reader).  A busy client thus takes messages from memory with no system
 * call on either side.  The host only writes the page and the word, and
 * reads `bell` once.
 */
#define PORT_SHM_RECORDS 256u
#define PORT_SHM_RING 1024u

#define PORT_SHM_WANT_WAKE 1u
#define PORT_SHM_WANT_KICK 2u

/*
 * A record whose size has this bit is a read-ahead credit: the client
 * library posts it when a reply leaves no get outstanding, so the sender it
 * wakes finds a credit for its next message (the next FilterGetMessage then
 * takes that message, after checking its sender still waits).  The host
 * delivers only messages with a reply slot against it, and answers it
 * GET_DONE (STATUS_CANCELLED) instead of delivering a message without one.
 */
#define PORT_GET_READAHEAD 0x80000000u

enum port_shm_get_state {
	PORT_GET_FREE = 0,
	PORT_GET_POSTED,
	PORT_GET_TAKEN,
	PORT_GET_CANCELLED,
	PORT_GET_DONE,     /* the host answered in the delivery page */
};

struct port_shm_get {
	int32_t word;
	uint32_t size; /* the client's buffer, FILTER_MESSAGE_HEADER included */
	uint64_t id;   /* the request id of the DELIVER or GET_DONE */
};

#define PORT_SHM_DELIVERY_SIZE 4096u
#define PORT_SHM_DELIVERY_INLINE (PORT_SHM_DELIVERY_SIZE - 32u)

struct port_shm_delivery {
	uint64_t message;       /* DELIVER's message id */
	uint32_t reply_length;  /* DELIVER's value (FILTER_MESSAGE_HEADER.ReplyLength) */
	uint32_t slot;          /* DELIVER's status: reply slot + 1 | gen << 8, or 0 */
	uint32_t status;        /* 0: a message; else GET_DONE's status */
	uint32_t len;           /* bytes in data */
	uint8_t pad[8];
	uint8_t data[PORT_SHM_DELIVERY_INLINE];
};

_Static_assert(sizeof(struct port_shm_delivery) == PORT_SHM_DELIVERY_SIZE, "delivery size");

struct port_shm_credits {
	uint32_t head;          /* client: ring entries posted */
	uint32_t bell;          /* client: threads in poll waiting for any record */
	uint8_t pad0[56];
	uint32_t tail;          /* host: ring entries consumed */
	uint32_t want;          /* host: post a KICK after posting */
	uint8_t pad1[4096 - 72];
	uint32_t ring[PORT_SHM_RING];
	struct port_shm_get records[PORT_SHM_RECORDS];
	struct port_shm_delivery deliveries[PORT_SHM_RECORDS];
};

_Static_assert(sizeof(struct port_shm_credits) == (3 + PORT_SHM_RECORDS) * 4096,
	       "credit area size");

#define PORT_SHM_SIZE (PORT_SHM_SLOTS_SIZE + sizeof(struct port_shm_credits))

static inline struct port_shm_credits *port_shm_credits(struct port_shm_slot *shm)
{
	return (struct port_shm_credits *)((uint8_t *)shm + PORT_SHM_SLOTS_SIZE);
}

static inline uint32_t port_shm_ring_entry(uint32_t gen, uint32_t record)
{
	return ((gen & PORT_SHM_GEN_MASK) << 8) | record;
}

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
