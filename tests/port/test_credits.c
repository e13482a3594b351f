/*
 * GET credits in the shared region (wire.h) against raw clients that write
 * the ring and the records themselves: a posted record is delivered in ring
 * order, a cancelled one never receives a message, a taken message is never
 * lost when the client dies, and a client forging records, generations,
 * sizes or the ring head only ever hurts itself.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <altitude/clock.h>
#include "harness.h"
#include "ke/ke.h"

#define SECOND 10000000LL

struct raw {
	int fd;
	struct port_shm_slot *shm;
	struct port_shm_credits *k;
	uint32_t head, gen;
};

/* Connects and sends CONNECT; raw_connect_finish reads CONNECT_DONE. */
static void raw_connect_start(struct raw *r)
{
	static const WCHAR name[] = PH_PORT_NAME;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct port_wire_header h;

	/* The region needs futex_waitv (Linux 5.16; valgrind does not know it). */
	if (!ke_wait_word_supported())
		skip();
	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(port_wire_socket_path(name, RTL_NUMBER_OF(name) - 1, sa.sun_path,
					       sizeof(sa.sun_path)),
			 STATUS_SUCCESS);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	port_wire_header_init(&h, PORT_WIRE_CONNECT, 0);
	assert_int_equal(port_wire_send(r->fd, &h, NULL, 0, 0), 0);
}

static void raw_connect_finish(struct raw *r)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct port_wire_header h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	int memfd;

	assert_int_equal(recvmsg(r->fd, &msg, MSG_CMSG_CLOEXEC), sizeof(h));
	assert_int_equal(h.type, PORT_WIRE_CONNECT_DONE);
	assert_int_equal(h.status, STATUS_SUCCESS);
	assert_non_null(CMSG_FIRSTHDR(&msg));
	memcpy(&memfd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	r->shm = mmap(NULL, PORT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	assert_true(r->shm != MAP_FAILED);
	r->k = port_shm_credits(r->shm);
}

static void raw_connect(struct raw *r)
{
	raw_connect_start(r);
	raw_connect_finish(r);
}

static void raw_close(struct raw *r)
{
	munmap(r->shm, PORT_SHM_SIZE);
	close(r->fd);
}

/* Tells the host about a post as libfltlib does (want: WAKE and/or KICK). */
static void raw_announce(struct raw *r)
{
	uint32_t want;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	want = __atomic_load_n(&r->k->want, __ATOMIC_RELAXED);
	if (want & PORT_SHM_WANT_WAKE)
		syscall(SYS_futex, &r->k->head, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	if (want & PORT_SHM_WANT_KICK) {
		struct port_wire_header h;

		port_wire_header_init(&h, PORT_WIRE_KICK, 0);
		assert_int_equal(port_wire_send(r->fd, &h, NULL, 0, 0), 0);
	}
}

/* Appends a raw ring entry (whatever it names) and moves the head. */
static void raw_ring(struct raw *r, uint32_t entry)
{
	__atomic_store_n(&r->k->ring[r->head % PORT_SHM_RING], entry, __ATOMIC_RELAXED);
	r->head++;
	__atomic_store_n(&r->k->head, r->head, __ATOMIC_SEQ_CST);
	raw_announce(r);
}

/* Posts record `rec` (buffer `size`, request `id`); returns its word's generation bits. */
static int32_t raw_post(struct raw *r, uint32_t rec, uint32_t size, uint64_t id)
{
	struct port_shm_get *g = &r->k->records[rec];

	r->gen++;
	g->size = size;
	g->id = id;
	__atomic_store_n(&g->word, port_shm_word(r->gen, (enum port_shm_state)PORT_GET_POSTED),
			 __ATOMIC_RELEASE);
	raw_ring(r, port_shm_ring_entry(r->gen, rec));
	return port_shm_word(r->gen, (enum port_shm_state)0);
}

static BOOLEAN raw_cancel(struct raw *r, uint32_t rec, int32_t gen)
{
	int32_t posted = gen | PORT_GET_POSTED;

	return __atomic_compare_exchange_n(&r->k->records[rec].word, &posted,
					   gen | PORT_GET_CANCELLED, FALSE, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* Receives one packet's header; type 0 at end of stream. */
static struct port_wire_header raw_recv(struct raw *r, uint8_t *data)
{
	static uint8_t buf[PORT_WIRE_MAX_PACKET];
	struct port_wire_header h = { 0 };
	ssize_t n = recv(r->fd, buf, sizeof(buf), 0);

	if (n > 0) {
		assert_true(port_wire_parse(buf, (size_t)n, FALSE, &h));
		if (data)
			memcpy(data, buf + sizeof(h), (size_t)n - sizeof(h));
	}
	return h;
}

/*
 * Waits for the host's answer in record `rec` (DONE), sleeping on its word
 * as libfltlib does, and returns it as the packet it stands for.
 */
static struct port_wire_header raw_answer(struct raw *r, uint32_t rec, uint8_t *data)
{
	struct port_shm_get *g = &r->k->records[rec];
	struct port_shm_delivery *dv = &r->k->deliveries[rec];
	struct port_wire_header h;
	int32_t w = __atomic_load_n(&g->word, __ATOMIC_ACQUIRE);

	while ((w & 0x7F) != PORT_GET_DONE) {
		if ((w & PORT_SHM_SLEEPING) ||
		    __atomic_compare_exchange_n(&g->word, &w, w | PORT_SHM_SLEEPING, FALSE,
						__ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &g->word, FUTEX_WAIT, w | PORT_SHM_SLEEPING, NULL, NULL, 0);
		w = __atomic_load_n(&g->word, __ATOMIC_ACQUIRE);
	}
	port_wire_header_init(&h, dv->status ? PORT_WIRE_GET_DONE : PORT_WIRE_DELIVER, g->id);
	if (dv->status) {
		h.status = dv->status;
		return h;
	}
	h.message = dv->message;
	h.value = dv->reply_length;
	h.status = dv->slot;
	assert_true(dv->len <= PORT_SHM_DELIVERY_INLINE);
	if (data)
		memcpy(data, dv->data, dv->len);
	return h;
}

static BOOLEAN raw_nothing_pending(struct raw *r)
{
	uint8_t b[64];

	return recv(r->fd, b, sizeof(b), MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
}

/* Moves a slot word as libfltlib does, keeping the sender's sleeping bit. */
static void raw_move(struct port_shm_slot *slot, int32_t from, int32_t to)
{
	int32_t w = __atomic_load_n(&slot->word, __ATOMIC_ACQUIRE);

	do
		assert_int_equal(port_shm_awake(w), from);
	while (!__atomic_compare_exchange_n(&slot->word, &w, to | (w & PORT_SHM_SLEEPING), FALSE,
					    __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
}

/* Replies through the slot a DELIVER names, as libfltlib does (always waking). */
static void raw_reply(struct raw *r, const struct port_wire_header *d, const char *text)
{
	struct port_shm_slot *slot = &r->shm[(d->status & 0xFF) - 1];
	int32_t w = port_shm_word(d->status >> 8, PORT_SHM_DELIVERED);

	raw_move(slot, w, (w & ~0xFF) | PORT_SHM_WRITING);
	slot->reply_len = (uint32_t)strlen(text);
	memcpy(slot->data, text, strlen(text));
	raw_move(slot, (w & ~0xFF) | PORT_SHM_WRITING, (w & ~0xFF) | PORT_SHM_REPLIED);
	syscall(SYS_futex, &slot->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void start_sender(struct ph_sender *s, char fill, BOOLEAN has_timeout, LONGLONG timeout)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, fill, sizeof(s->msg));
	s->msg_len = 16;
	s->want_reply = TRUE;
	s->reply_capacity = 8;
	s->has_timeout = has_timeout;
	s->timeout.QuadPart = timeout;
	ph_sender_start(s);
}

static int setup(void **state)
{
	(void)state;
	ph_reset();
	assert_int_equal(ph_create_port(16, NULL), STATUS_SUCCESS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_clock_use_real();
	ph_teardown();
	return 0;
}

static void posted_records_are_delivered_in_ring_order(void **state)
{
	struct port_wire_header d1, d2;
	struct ph_sender s, t;
	uint8_t data[64];
	struct raw r;
	int32_t gen;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	gen = raw_post(&r, 5, 512, 71);
	raw_post(&r, 2, 512, 72);
	port_test_wait_credits(ph.client, 2);
	start_sender(&s, 'a', FALSE, 0);
	d1 = raw_answer(&r, 5, data);
	assert_int_equal(d1.type, PORT_WIRE_DELIVER);
	assert_int_equal(d1.id, 71);
	assert_int_equal(data[0], 'a');
	assert_int_equal(port_shm_awake(__atomic_load_n(&r.k->records[5].word, __ATOMIC_ACQUIRE)),
			 gen | PORT_GET_DONE);
	start_sender(&t, 'b', FALSE, 0);
	d2 = raw_answer(&r, 2, data);
	assert_int_equal(d2.id, 72);
	assert_int_equal(data[0], 'b');
	raw_reply(&r, &d1, "one");
	raw_reply(&r, &d2, "two");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_memory_equal(s.reply, "one", 3);
	assert_int_equal(ph_sender_join(&t), STATUS_SUCCESS);
	assert_memory_equal(t.reply, "two", 3);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A queued sender is woken by a post (the client's FUTEX_WAKE or KICK). */
static void a_post_reaches_a_queued_sender(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	start_sender(&s, 'q', FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(raw_nothing_pending(&r));
	raw_post(&r, 0, 512, 9);
	d = raw_answer(&r, 0, NULL);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 9);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	/* Posted while the sender may still watch the head itself. */
	for (uint32_t i = 1; i < 20; i++) {
		start_sender(&s, 'q', FALSE, 0);
		raw_post(&r, i, 512, 9 + i);
		d = raw_answer(&r, i, NULL);
		assert_int_equal(d.id, 9 + i);
		raw_reply(&r, &d, "ok");
		assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	}
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void cancelled_record_never_receives_a_message(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;
	int32_t gen;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	gen = raw_post(&r, 3, 512, 30);
	assert_true(raw_cancel(&r, 3, gen));
	start_sender(&s, 'c', FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(raw_nothing_pending(&r));
	assert_int_equal(__atomic_load_n(&r.k->records[3].word, __ATOMIC_ACQUIRE),
			 gen | PORT_GET_CANCELLED);
	/* The same record posted again (a new generation) is a new credit. */
	raw_post(&r, 3, 512, 31);
	d = raw_answer(&r, 3, NULL);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 31);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* The host took the record first: the cancel loses and the message arrives. */
static void cancel_after_take_loses(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;
	int32_t gen;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	gen = raw_post(&r, 0, 512, 40);
	port_test_wait_credits(ph.client, 1);
	start_sender(&s, 'd', FALSE, 0);
	d = raw_answer(&r, 0, NULL);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_false(raw_cancel(&r, 0, gen));
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A sender that timed out behind a cancelled record: never delivered later. */
static void timed_out_sender_is_not_delivered_to_a_later_record(void **state)
{
	struct port_wire_header d;
	struct ph_sender s, t;
	uint8_t data[64];
	struct raw r;

	(void)state;
	altitude_clock_use_virtual(0);
	raw_connect(&r);
	ph_wait_connects(1);
	assert_true(raw_cancel(&r, 1, raw_post(&r, 1, 512, 50)));
	start_sender(&s, 'x', TRUE, -5 * SECOND);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(altitude_clock_advance(5 * SECOND));
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	raw_post(&r, 1, 512, 51);
	start_sender(&t, 'y', FALSE, 0);
	d = raw_answer(&r, 1, data);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 51);
	assert_int_equal(data[0], 'y'); /* the next message, not the expired one */
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&t), STATUS_SUCCESS);
	assert_true(raw_nothing_pending(&r));
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A record too small for the head message: GET_DONE, the message stays queued. */
static void small_record_is_answered_and_loses_nothing(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	start_sender(&s, 's', FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	raw_post(&r, 7, PORT_WIRE_MESSAGE_HEADER_SIZE + 15, 60);
	d = raw_answer(&r, 7, NULL);
	assert_int_equal(d.type, PORT_WIRE_GET_DONE);
	assert_int_equal(d.id, 60);
	assert_int_equal(d.status, (uint32_t)STATUS_BUFFER_TOO_SMALL);
	raw_post(&r, 7, PORT_WIRE_MESSAGE_HEADER_SIZE + 16, 61);
	d = raw_answer(&r, 7, NULL);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 61);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* The client dies with records posted and taken: every sender is released. */
static void taken_messages_are_never_lost(void **state)
{
	struct ph_sender s[4];
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	for (uint32_t i = 0; i < 5; i++)
		raw_post(&r, i, 512, 100 + i);
	port_test_wait_credits(ph.client, 5);
	for (int i = 0; i < 3; i++) {
		start_sender(&s[i], (char)('0' + i), FALSE, 0);
		assert_int_equal(raw_answer(&r, (uint32_t)i, NULL).type, PORT_WIRE_DELIVER);
	}
	close(r.fd); /* as a SIGKILL would: two credits still posted */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ph_sender_join(&s[i]), STATUS_PORT_DISCONNECTED);
	ph_wait_disconnects(1);
	start_sender(&s[3], '3', FALSE, 0);
	assert_int_equal(ph_sender_join(&s[3]), STATUS_PORT_DISCONNECTED);
	munmap(r.shm, PORT_SHM_SIZE);
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

/* Entries naming records that are not posted, or with another generation. */
static void forged_entries_are_skipped(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;
	int32_t gen;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	gen = raw_post(&r, 4, 512, 80);
	raw_ring(&r, port_shm_ring_entry(r.gen + 7, 4));   /* wrong generation */
	raw_ring(&r, port_shm_ring_entry(r.gen, 9));       /* a record never posted */
	raw_ring(&r, 0xFFFFFFFFu);                         /* garbage */
	raw_ring(&r, port_shm_ring_entry(r.gen, 4));       /* the same record twice */
	r.k->records[6].word = port_shm_word(3, (enum port_shm_state)PORT_GET_TAKEN);
	raw_ring(&r, port_shm_ring_entry(3, 6));           /* a forged state */
	start_sender(&s, 'f', FALSE, 0);
	d = raw_answer(&r, 4, NULL);
	assert_int_equal(d.id, 80);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(port_shm_awake(__atomic_load_n(&r.k->records[4].word, __ATOMIC_ACQUIRE)),
			 gen | PORT_GET_DONE);
	/* Every forged entry was consumed: a queued sender meets none of them. */
	start_sender(&s, 'g', FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(raw_nothing_pending(&r));
	raw_post(&r, 4, 512, 81);
	d = raw_answer(&r, 4, NULL);
	assert_int_equal(d.id, 81);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* With a reader counted in the bell, an answer also sends one RING. */
static void bell_asks_for_a_ring(void **state)
{
	struct port_wire_header d;
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	raw_post(&r, 0, 512, 90);
	port_test_wait_credits(ph.client, 1);
	start_sender(&s, 'n', FALSE, 0);
	d = raw_answer(&r, 0, NULL);
	assert_true(raw_nothing_pending(&r)); /* no reader in poll: no packet */
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	__atomic_store_n(&r.k->bell, 1, __ATOMIC_SEQ_CST);
	raw_post(&r, 1, 512, 91);
	port_test_wait_credits(ph.client, 1);
	start_sender(&s, 'r', FALSE, 0);
	assert_int_equal(raw_recv(&r, NULL).type, PORT_WIRE_RING);
	d = raw_answer(&r, 1, NULL);
	assert_int_equal(d.id, 91);
	raw_reply(&r, &d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

struct record_sleeper {
	pthread_t thread;
	struct raw *r;
	uint32_t rec;
	struct port_wire_header d;
};

static void *record_sleeper_main(void *arg)
{
	struct record_sleeper *z = arg;

	z->d = raw_answer(z->r, z->rec, NULL);
	return NULL;
}

/* The host's take keeps a sleeper's bit, and the answer wakes it. */
static void sleeper_on_a_record_is_woken(void **state)
{
	struct record_sleeper z = { .rec = 6 };
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	z.r = &r;
	raw_post(&r, 6, 512, 95);
	port_test_wait_credits(ph.client, 1);
	pthread_create(&z.thread, NULL, record_sleeper_main, &z);
	while (!(__atomic_load_n(&r.k->records[6].word, __ATOMIC_ACQUIRE) & PORT_SHM_SLEEPING))
		sched_yield();
	start_sender(&s, 'z', FALSE, 0);
	pthread_join(z.thread, NULL);
	assert_int_equal(z.d.type, PORT_WIRE_DELIVER);
	assert_int_equal(z.d.id, 95);
	raw_reply(&r, &z.d, "ok");
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A message larger than a delivery page: a DELIVER packet, the record stays TAKEN. */
static void large_message_against_a_record_is_a_packet(void **state)
{
	static UCHAR big[PORT_SHM_DELIVERY_INLINE + 1];
	static uint8_t data[sizeof(big)];
	LARGE_INTEGER zero = { .QuadPart = 0 };
	struct port_wire_header d;
	struct raw r;
	int32_t gen;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	memset(big, 'L', sizeof(big));
	gen = raw_post(&r, 8, PORT_WIRE_MESSAGE_HEADER_SIZE + sizeof(big), 97);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, big, sizeof(big), NULL, NULL, &zero),
			 STATUS_SUCCESS);
	d = raw_recv(&r, data);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 97);
	assert_int_equal(data[sizeof(big) - 1], 'L');
	assert_int_equal(port_shm_awake(__atomic_load_n(&r.k->records[8].word, __ATOMIC_ACQUIRE)),
			 gen | PORT_GET_TAKEN);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/*
 * A sender may use a connection as soon as ConnectNotify has stored it,
 * before the region exists: its message, queued then, is announced in the
 * new region's `want`, so the client's first post KICKs and the message is
 * delivered against that record.
 */
static void message_queued_before_the_region_is_delivered(void **state)
{
	static struct ph_sender s; /* static: a failed assertion leaves it sending */
	struct port_wire_header d;
	uint8_t data[64];
	struct raw r;

	(void)state;
	ph_hold_connect(TRUE);
	raw_connect_start(&r);
	ph_wait_connects(1);
	memset(&s, 0, sizeof(s));
	memset(s.msg, 'e', sizeof(s.msg));
	s.msg_len = 16;
	ph_sender_start(&s);
	assert_true(altitude_clock_wait_for_waiters(1));
	ph_hold_connect(FALSE);
	raw_connect_finish(&r);
	assert_int_equal(__atomic_load_n(&r.k->want, __ATOMIC_SEQ_CST) & PORT_SHM_WANT_KICK,
			 PORT_SHM_WANT_KICK);
	raw_post(&r, 3, 512, 33);
	d = raw_answer(&r, 3, data);
	assert_int_equal(d.type, PORT_WIRE_DELIVER);
	assert_int_equal(d.id, 33);
	assert_int_equal(data[0], 'e');
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void ring_head_lie_ends_the_connection(void **state)
{
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	start_sender(&s, 'h', FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	r.head += PORT_SHM_RING + 1;
	__atomic_store_n(&r.k->head, r.head, __ATOMIC_SEQ_CST);
	raw_announce(&r);
	assert_int_equal(ph_sender_join(&s), STATUS_PORT_DISCONNECTED);
	assert_int_equal(raw_recv(&r, NULL).type, 0);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A sender on a given connection (ph_sender uses ph.client). */
struct to_sender {
	pthread_t thread;
	PFLT_PORT *port;
	NTSTATUS status;
};

static void *to_sender_main(void *arg)
{
	struct to_sender *s = arg;
	UCHAR msg[16] = { 'b' }, reply[8];
	ULONG len = sizeof(reply);

	s->status = FltSendMessage(PH_FILTER, s->port, msg, sizeof(msg), reply, &len, NULL);
	return NULL;
}

struct scribbler {
	pthread_t thread;
	struct raw *r;
	int stop;
};

/* Random ring entries, record words, sizes, ids and heads, with wakes and kicks. */
static void *scribble(void *arg)
{
	struct scribbler *sc = arg;
	struct port_shm_credits *k = sc->r->k;
	struct port_wire_header h;
	unsigned seed = 7;

	port_wire_header_init(&h, PORT_WIRE_KICK, 0);
	while (!__atomic_load_n(&sc->stop, __ATOMIC_ACQUIRE)) {
		uint32_t rec = (uint32_t)rand_r(&seed) % PORT_SHM_RECORDS;

		__atomic_store_n(&k->ring[(uint32_t)rand_r(&seed) % PORT_SHM_RING],
				 rand_r(&seed) % 2 ? (uint32_t)rand_r(&seed)
						   : port_shm_ring_entry(0, rec),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&k->records[rec].word,
				 rand_r(&seed) % 2 ? (int32_t)rand_r(&seed) : PORT_GET_POSTED,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&k->records[rec].size, (uint32_t)rand_r(&seed), __ATOMIC_RELAXED);
		__atomic_store_n(&k->records[rec].id, (uint64_t)rand_r(&seed), __ATOMIC_RELAXED);
		if (rand_r(&seed) % 64 == 0)
			__atomic_store_n(&k->head, (uint32_t)rand_r(&seed), __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&k->head, rand_r(&seed) % 3, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, &k->head, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
		if (rand_r(&seed) % 8 == 0 && port_wire_send(sc->r->fd, &h, NULL, 0, MSG_DONTWAIT))
			break;
		sched_yield();
	}
	return NULL;
}

/*
 * A client scribbling on its records under live senders: those senders
 * end (delivered then released by the end, or disconnected), the host
 * neither crashes nor hangs, and a good client's round trips go on.
 */
static void scribbling_on_records_hurts_only_that_client(void **state)
{
	struct raw bad, good;
	PFLT_PORT good_port;

	(void)state;
	raw_connect(&good);
	ph_wait_connects(1);
	good_port = ph.client;
	for (int round = 0; round < 10; round++) {
		struct scribbler sc = { .r = &bad };
		struct port_wire_header d;
		struct to_sender s[3];
		struct ph_sender g;
		PFLT_PORT bad_port;

		raw_connect(&bad);
		ph_wait_connects(round + 2);
		bad_port = ph.client;
		pthread_create(&sc.thread, NULL, scribble, &sc);
		for (int i = 0; i < 3; i++) {
			s[i].port = &bad_port;
			pthread_create(&s[i].thread, NULL, to_sender_main, &s[i]);
		}
		/* Meanwhile the good client is served as usual. */
		ph.client = good_port;
		raw_post(&good, (uint32_t)round, 512, 1000 + (uint64_t)round);
		start_sender(&g, 'g', FALSE, 0);
		d = raw_answer(&good, (uint32_t)round, NULL);
		assert_int_equal(d.type, PORT_WIRE_DELIVER);
		assert_int_equal(d.id, 1000 + (uint64_t)round);
		raw_reply(&good, &d, "good");
		assert_int_equal(ph_sender_join(&g), STATUS_SUCCESS);
		assert_memory_equal(g.reply, "good", 4);
		/* The bad client ends; nobody replied to its messages. */
		__atomic_store_n(&sc.stop, 1, __ATOMIC_RELEASE);
		pthread_join(sc.thread, NULL);
		shutdown(bad.fd, SHUT_RDWR);
		for (int i = 0; i < 3; i++) {
			pthread_join(s[i].thread, NULL);
			assert_int_equal(s[i].status, STATUS_PORT_DISCONNECTED);
		}
		raw_close(&bad);
		ph_wait_disconnects(round + 1);
		ph_close_port(&bad_port);
	}
	ph.client = good_port;
	raw_close(&good);
	ph_wait_disconnects(11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(posted_records_are_delivered_in_ring_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_post_reaches_a_queued_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelled_record_never_receives_a_message, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cancel_after_take_loses, setup, teardown),
		cmocka_unit_test_setup_teardown(timed_out_sender_is_not_delivered_to_a_later_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(small_record_is_answered_and_loses_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(taken_messages_are_never_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(forged_entries_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(bell_asks_for_a_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(sleeper_on_a_record_is_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(large_message_against_a_record_is_a_packet, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ring_head_lie_ends_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(message_queued_before_the_region_is_delivered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(scribbling_on_records_hurts_only_that_client, setup,
						teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
