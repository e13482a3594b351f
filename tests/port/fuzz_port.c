/*
 * libFuzzer target for the host side of the port protocol: everything a
 * client can send after the handshake goes through port_conn_handle_packet
 * on a connection that has messages queued for delivery (one expecting a
 * reply, in a slot of the shared reply region).  Input: records of
 * [kind u8][id u64][message u64][value u32][len u8][len bytes]; kind < 0x60
 * builds a well-formed header of wire type (kind % 13, KICK included),
 * kind >= 0x80 sends the bytes raw, and 0x60..0x7f is the client writing
 * the region.  With kind bit 1 clear it writes a reply slot (slot id, word
 * value or, with message bit 0, the reply slot's generation with state
 * value % 8 and, with message bit 1, the sleeping bit; reply_len =
 * message >> 32); after it the host decides the reply
 * slot as a woken sender would (kind bit 0: its time is up).  With kind bit
 * 1 set it writes the GET credit area (id % 5 picks a ring entry, a record's
 * word and size, a record's id, the ring head, or the bell; value picks the
 * entry or record, message is the value); after it the host matches its
 * queue against the credits as a sender would, answering records in their
 * delivery pages.  Build with -DALTITUDE_FUZZ=ON
 * (clang); run with scripts/fuzz-port.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <altitude/harness.h>
#include "port/port.h"

static NTSTATUS fz_connect(PFLT_PORT p, PVOID s, PVOID ctx, ULONG n, PVOID *cookie)
{
	(void)p, (void)s, (void)ctx, (void)n, (void)cookie;
	return STATUS_SUCCESS;
}

static VOID fz_disconnect(PVOID cookie)
{
	(void)cookie;
}

static NTSTATUS fz_notify(PVOID cookie, PVOID in, ULONG in_len, PVOID out, ULONG out_len,
			  PULONG returned)
{
	ULONG n = in_len < out_len ? in_len : out_len;

	(void)cookie;
	if (n)
		memcpy(out, in, n);
	*returned = n;
	return in_len > out_len ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static PFLT_FILTER fz_filter;

static NTSTATUS NTAPI fz_driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	static const FLT_REGISTRATION reg = { .Size = sizeof(FLT_REGISTRATION),
					      .Version = FLT_REGISTRATION_VERSION };

	(void)path;
	return FltRegisterFilter(driver, &reg, &fz_filter);
}

/* A real filter object: MessageNotify runs under its run-down protection. */
static struct port_server *fz_server(void)
{
	static const altitude_instance_config inst = { L"fuzzport", L"370000", 0 };
	static const altitude_filter_config cfg = { L"fuzzport", NULL, 1, &inst };
	static struct port_server *s;

	if (!s) {
		if (!NT_SUCCESS(altitude_filter_load(&cfg, fz_driver_entry, NULL)))
			abort();
		s = calloc(1, sizeof(*s));
		s->filter = fz_filter;
		s->hdr.magic = PORT_MAGIC_SERVER;
		s->hdr.refs = 1;
		s->connect_notify = fz_connect;
		s->disconnect_notify = fz_disconnect;
		s->message_notify = fz_notify;
		s->max_connections = 1;
		s->listen_fd = s->stop_fd = -1;
	}
	return s;
}

static void fz_drain(int fd)
{
	static uint8_t buf[PORT_WIRE_MAX_PACKET];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void fz_queue(struct port_conn *c, struct port_msg *m, uint64_t id, BOOLEAN reply,
		     void *reply_buf)
{
	static const char text[] = "a message from the minifilter";

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->data = text;
	m->len = sizeof(text);
	m->want_reply = reply;
	m->reply = reply_buf;
	m->reply_capacity = reply ? 8 : 0;
	m->state = PORT_MSG_QUEUED;
	port_msg_event_init(m);
	port_shm_attach(c, m);
	port_msg_list_append(&c->queue, m);
}

/* Builds the next packet from the input; returns its length, 0 at the end. */
static size_t fz_next(const uint8_t **data, size_t *size, uint8_t *pkt, uint8_t *kind_out)
{
	struct port_wire_header h;
	uint8_t kind, len;
	uint64_t id, message;
	uint32_t value;
	const size_t fixed = 1 + 8 + 8 + 4 + 1;

	if (*size < fixed)
		return 0;
	kind = (*data)[0];
	*kind_out = kind;
	memcpy(&id, *data + 1, 8);
	memcpy(&message, *data + 9, 8);
	memcpy(&value, *data + 17, 4);
	len = (*data)[21];
	*data += fixed;
	*size -= fixed;
	if (len > *size)
		len = (uint8_t)*size;
	if (kind >= 0x80) {
		memcpy(pkt, *data, len);
	} else {
		port_wire_header_init(&h, (uint16_t)(kind % 13), id);
		h.message = message;
		h.value = value;
		h.status = value;
		memcpy(pkt, &h, sizeof(h));
		memcpy(pkt + sizeof(h), *data, len);
	}
	*data += len;
	*size -= len;
	return kind >= 0x80 ? len : sizeof(h) + len;
}

/* A region record: the client scribbles, then the host decides m's slot. */
static void fz_region(struct port_conn *c, struct port_msg *m, const uint8_t *pkt, uint8_t kind)
{
	struct port_wire_header h;
	struct port_shm_slot *slot;
	int32_t expected;
	unsigned flips = 0;

	memcpy(&h, pkt, sizeof(h));
	slot = &c->shm[h.id % PORT_SHM_SLOTS];
	__atomic_store_n(&slot->reply_len, (uint32_t)(h.message >> 32), __ATOMIC_RELAXED);
	if (h.message & 1)
		__atomic_store_n(&slot->word,
				 (m->slot_word & ~0xFF) | (int32_t)(h.value % 8) |
					 (h.message & 2 ? PORT_SHM_SLEEPING : 0),
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n(&slot->word, (int32_t)h.value, __ATOMIC_RELEASE);
	if (m->slot < 0 || m->state != PORT_MSG_AWAITING_REPLY)
		return;
	expected = m->slot_word;
	if (port_shm_decide(c, m, (BOOLEAN)(kind & 1), STATUS_TIMEOUT, &expected, &flips) !=
	    STATUS_PENDING)
		port_shm_detach(c, m, m->expired_writing);
}

/* The client writes its credit area, then the host matches as a sender would. */
static void fz_credits(struct port_conn *c, const uint8_t *pkt)
{
	struct port_shm_credits *k = port_shm_credits(c->shm);
	struct port_wire_header h;
	uint32_t rec;

	memcpy(&h, pkt, sizeof(h));
	rec = h.value % PORT_SHM_RECORDS;
	switch (h.id % 5) {
	case 0:
		__atomic_store_n(&k->ring[h.value % PORT_SHM_RING], (uint32_t)h.message,
				 __ATOMIC_RELAXED);
		break;
	case 1:
		__atomic_store_n(&k->records[rec].size, (uint32_t)(h.message >> 32), __ATOMIC_RELAXED);
		__atomic_store_n(&k->records[rec].word, (int32_t)h.message, __ATOMIC_RELEASE);
		break;
	case 2:
		__atomic_store_n(&k->records[rec].id, h.message, __ATOMIC_RELAXED);
		break;
	case 3:
		__atomic_store_n(&k->head, h.value, __ATOMIC_SEQ_CST);
		break;
	default:
		__atomic_store_n(&k->bell, (uint32_t)h.message, __ATOMIC_SEQ_CST);
		break;
	}
	port_conn_match_locked(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[sizeof(struct port_wire_header) + 256];
	uint8_t reply[8];
	struct port_msg m[2];
	struct port_conn *c;
	uint8_t kind;
	size_t n;
	int sv[2], region;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	c = port_conn_create(fz_server(), sv[0]);
	if (!c) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	c->connected = TRUE;
	region = port_shm_create(c);
	if (region >= 0)
		close(region);
	fz_queue(c, &m[0], 1, TRUE, reply);
	fz_queue(c, &m[1], 2, FALSE, NULL);
	while ((n = fz_next(&data, &size, pkt, &kind)) != 0) {
		BOOLEAN ok = TRUE;

		if (kind >= 0x60 && kind < 0x80) {
			pthread_mutex_lock(&c->lock);
			if (c->shm && !c->ended && (kind & 2))
				fz_credits(c, pkt);
			else if (c->shm && !c->ended)
				fz_region(c, &m[0], pkt, kind);
			pthread_mutex_unlock(&c->lock);
		} else {
			ok = port_conn_handle_packet(c, pkt, n);
		}

		fz_drain(sv[1]);
		if (!ok)
			break;
	}
	port_conn_disconnect(c);
	close(sv[1]);
	port_conn_unref(c);
	return 0;
}
