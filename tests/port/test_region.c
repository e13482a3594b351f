/*
 * The shared reply region against a hostile client: a raw client maps the
 * memfd the host passes and writes whatever it likes into it (states,
 * lengths, generations, slots of messages it never got).  The host must
 * only ever hurt that client: its own senders fail or time out, or the
 * connection ends; the host does not crash and other connections go on.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
	int memfd;
	struct port_shm_slot *shm;
};

static void raw_connect(struct raw *r)
{
	static const WCHAR name[] = PH_PORT_NAME;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct port_wire_header h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cm;

	/* The region needs futex_waitv (Linux 5.16; valgrind does not know it). */
	if (!ke_wait_word_supported())
		skip();
	r->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(port_wire_socket_path(name, RTL_NUMBER_OF(name) - 1, sa.sun_path,
					       sizeof(sa.sun_path)),
			 STATUS_SUCCESS);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	port_wire_header_init(&h, PORT_WIRE_CONNECT, 0);
	assert_int_equal(port_wire_send(r->fd, &h, NULL, 0, 0), 0);
	assert_int_equal(recvmsg(r->fd, &msg, MSG_CMSG_CLOEXEC), sizeof(h));
	assert_int_equal(h.type, PORT_WIRE_CONNECT_DONE);
	assert_int_equal(h.status, STATUS_SUCCESS);
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&r->memfd, CMSG_DATA(cm), sizeof(int));
	r->shm = mmap(NULL, PORT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	assert_true(r->shm != MAP_FAILED);
}

static void raw_close(struct raw *r)
{
	munmap(r->shm, PORT_SHM_SIZE);
	close(r->memfd);
	close(r->fd);
}

static void raw_get(struct raw *r, uint64_t id)
{
	struct port_wire_header h;

	port_wire_header_init(&h, PORT_WIRE_GET, id);
	h.value = 512;
	assert_int_equal(port_wire_send(r->fd, &h, NULL, 0, 0), 0);
}

/* Receives one packet's header; type 0 at end of stream. */
static struct port_wire_header raw_recv(struct raw *r)
{
	static uint8_t buf[PORT_WIRE_MAX_PACKET];
	struct port_wire_header h = { 0 };
	ssize_t n = recv(r->fd, buf, sizeof(buf), 0);

	if (n > 0)
		assert_true(port_wire_parse(buf, (size_t)n, FALSE, &h));
	return h;
}

static void wake(struct port_shm_slot *slot)
{
	syscall(SYS_futex, &slot->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Moves the slot word from `from` to `to` as libfltlib does, keeping the
 * sender's sleeping bit; sets *was to the word replaced.
 */
static BOOLEAN raw_move(struct port_shm_slot *slot, int32_t from, int32_t to, int32_t *was)
{
	int32_t w = __atomic_load_n(&slot->word, __ATOMIC_ACQUIRE);

	do {
		if (port_shm_awake(w) != from)
			return FALSE;
	} while (!__atomic_compare_exchange_n(&slot->word, &w, to | (w & PORT_SHM_SLEEPING), FALSE,
					      __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
	*was = w;
	return TRUE;
}

/* Replies as libfltlib does: wakes the word only when the sender sleeps. */
static BOOLEAN raw_reply(struct port_shm_slot *slot, int32_t delivered, const void *data,
			 uint32_t len)
{
	int32_t w;

	if (!raw_move(slot, delivered, (delivered & ~0xFF) | PORT_SHM_WRITING, &w))
		return FALSE;
	slot->reply_len = len;
	memcpy(slot->data, data, len);
	if (!raw_move(slot, (delivered & ~0xFF) | PORT_SHM_WRITING,
		      (delivered & ~0xFF) | PORT_SHM_REPLIED, &w))
		return FALSE;
	if (w & PORT_SHM_SLEEPING)
		wake(slot);
	return TRUE;
}

static void w_publish_without_wake(struct port_shm_slot *slot, int32_t word)
{
	int32_t w;

	slot->reply_len = 2;
	memcpy(slot->data, "ok", 2);
	assert_true(raw_move(slot, word, (word & ~0xFF) | PORT_SHM_REPLIED, &w));
}

static void start_sender(struct ph_sender *s, BOOLEAN has_timeout, LONGLONG timeout)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, 'M', sizeof(s->msg));
	s->msg_len = 16;
	s->want_reply = TRUE;
	s->reply_capacity = 8;
	s->has_timeout = has_timeout;
	s->timeout.QuadPart = timeout;
	ph_sender_start(s);
}

/* A GET, then a delivered message; returns its slot and sets *word. */
static struct port_shm_slot *deliver(struct raw *r, struct ph_sender *s, int32_t *word)
{
	struct port_wire_header h;
	uint32_t slot;

	raw_get(r, 1);
	port_test_wait_credits(ph.client, 1);
	start_sender(s, FALSE, 0);
	h = raw_recv(r);
	assert_int_equal(h.type, PORT_WIRE_DELIVER);
	slot = (h.status & 0xFF) - 1;
	assert_true(slot < PORT_SHM_SLOTS);
	*word = port_shm_word(h.status >> 8, PORT_SHM_DELIVERED);
	assert_int_equal(port_shm_awake(__atomic_load_n(&r->shm[slot].word, __ATOMIC_ACQUIRE)),
			 *word);
	return &r->shm[slot];
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

static void region_is_sealed(void **state)
{
	struct raw r;
	struct stat st;

	(void)state;
	raw_connect(&r);
	assert_int_equal(fstat(r.memfd, &st), 0);
	assert_int_equal(st.st_size, PORT_SHM_SIZE);
	assert_int_equal(ftruncate(r.memfd, 0), -1);
	assert_int_equal(ftruncate(r.memfd, 2 * PORT_SHM_SIZE), -1);
	assert_int_equal(fcntl(r.memfd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void reply_through_the_region(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	assert_true(raw_reply(slot, word, "abc", 3));
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 3);
	assert_memory_equal(s.reply, "abc", 3);
	/* The slot is free again: a second reply finds no waiter. */
	assert_false(raw_reply(slot, word, "x", 1));
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void reply_over_capacity_overflows(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	assert_true(raw_reply(slot, word, "0123456789", 10));
	assert_int_equal(ph_sender_join(&s), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(s.reply_len, 8);
	assert_memory_equal(s.reply, "01234567", 8);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A reply over the socket (too big for a slot) is decided on the slot word too. */
static void socket_reply_takes_the_slot(void **state)
{
	struct port_wire_header h;
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	port_wire_header_init(&h, PORT_WIRE_REPLY, 9);
	h.message = 1;
	assert_int_equal(port_wire_send(r.fd, &h, "sock", 4, 0), 0);
	h = raw_recv(&r);
	assert_int_equal(h.type, PORT_WIRE_REPLY_DONE);
	assert_int_equal(h.id, 9);
	assert_int_equal(h.status, STATUS_SUCCESS);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 4);
	assert_memory_equal(s.reply, "sock", 4);
	assert_false(raw_reply(slot, word, "x", 1));
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* The region first, then the socket: the second reply finds no waiter. */
static void socket_reply_after_region_reply_finds_no_waiter(void **state)
{
	struct port_wire_header h;
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	w_publish_without_wake(slot, word);
	port_wire_header_init(&h, PORT_WIRE_REPLY, 9);
	h.message = 1;
	assert_int_equal(port_wire_send(r.fd, &h, "sock", 4, 0), 0);
	h = raw_recv(&r);
	assert_int_equal(h.type, PORT_WIRE_REPLY_DONE);
	assert_int_equal(h.status, (uint32_t)STATUS_FLT_NO_WAITER_FOR_REPLY);
	wake(slot);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 2);
	assert_memory_equal(s.reply, "ok", 2);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void lying_length_ends_the_connection(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	slot->reply_len = 0xFFFFFFFFu;
	__atomic_store_n(&slot->word, (word & ~0xFF) | PORT_SHM_REPLIED, __ATOMIC_RELEASE);
	wake(slot);
	assert_int_equal(ph_sender_join(&s), STATUS_PORT_DISCONNECTED);
	assert_int_equal(raw_recv(&r).type, 0);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void reply_to_an_undelivered_message_ends_the_connection(void **state)
{
	struct ph_sender s;
	struct raw r;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	start_sender(&s, FALSE, 0);
	assert_true(altitude_clock_wait_for_waiters(1));
	/* Guess every slot and generation state: the queued message's word moves. */
	for (unsigned i = 0; i < PORT_SHM_SLOTS; i++) {
		int32_t w = __atomic_load_n(&r.shm[i].word, __ATOMIC_ACQUIRE);

		r.shm[i].reply_len = 1;
		__atomic_store_n(&r.shm[i].word, (w & ~0xFF) | PORT_SHM_REPLIED, __ATOMIC_RELEASE);
		wake(&r.shm[i]);
	}
	assert_int_equal(ph_sender_join(&s), STATUS_PORT_DISCONNECTED);
	assert_int_equal(raw_recv(&r).type, 0);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void expiry_wins_over_a_late_publish(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct port_wire_header h;
	struct raw r;
	int32_t word, w;

	(void)state;
	altitude_clock_use_virtual(0);
	raw_connect(&r);
	ph_wait_connects(1);
	raw_get(&r, 1);
	port_test_wait_credits(ph.client, 1);
	start_sender(&s, TRUE, -5 * SECOND);
	h = raw_recv(&r);
	assert_int_equal(h.type, PORT_WIRE_DELIVER);
	slot = &r.shm[(h.status & 0xFF) - 1];
	word = port_shm_word(h.status >> 8, PORT_SHM_DELIVERED);
	/* Claimed but not published when the time runs out. */
	assert_true(raw_move(slot, word, (word & ~0xFF) | PORT_SHM_WRITING, &w));
	assert_true(altitude_clock_wait_for_waiters(1));
	altitude_clock_advance(6 * SECOND);
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	w = (word & ~0xFF) | PORT_SHM_WRITING;
	assert_false(__atomic_compare_exchange_n(&slot->word, &w, (word & ~0xFF) | PORT_SHM_REPLIED,
						 FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	assert_int_equal(w, (word & ~0xFF) | PORT_SHM_EXPIRED);
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* Published, then the client leaves before the sender ran: the reply counts. */
static void reply_published_before_the_end_counts(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	assert_true(altitude_clock_wait_for_waiters(1));
	w_publish_without_wake(slot, word);
	raw_close(&r); /* no wake: the end of the connection finds the reply */
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 2);
	assert_memory_equal(s.reply, "ok", 2);
	ph_wait_disconnects(1);
}

static void dead_connection_marks_its_slots(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver(&r, &s, &word);
	ph_close_port(&ph.client);
	assert_int_equal(ph_sender_join(&s), STATUS_PORT_DISCONNECTED);
	assert_int_equal(__atomic_load_n(&slot->word, __ATOMIC_ACQUIRE) & 0xFF, PORT_SHM_DEAD);
	assert_false(raw_reply(slot, word, "x", 1));
	raw_close(&r);
	ph_wait_disconnects(1);
}

struct scribbler {
	pthread_t thread;
	struct port_shm_slot *shm;
	int stop;
};

static void *scribble(void *arg)
{
	struct scribbler *sc = arg;
	unsigned seed = 1;

	while (!__atomic_load_n(&sc->stop, __ATOMIC_ACQUIRE)) {
		struct port_shm_slot *slot = &sc->shm[rand_r(&seed) % PORT_SHM_SLOTS];
		int32_t w = __atomic_load_n(&slot->word, __ATOMIC_RELAXED);

		if (rand_r(&seed) % 2)
			w = (w & ~0xFF) | (int32_t)(rand_r(&seed) % 8);
		else
			w = (int32_t)rand_r(&seed);
		__atomic_store_n(&slot->reply_len, (uint32_t)rand_r(&seed) % (PORT_SHM_INLINE + 64),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&slot->word, w, __ATOMIC_RELEASE);
		wake(slot);
		sched_yield();
	}
	return NULL;
}

/* Random states, lengths and generations under live senders. */
static void scribbling_hurts_only_that_client(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		struct scribbler sc = { 0 };
		struct ph_sender s;
		struct raw r;
		NTSTATUS st;

		raw_connect(&r);
		ph_wait_connects(round + 1);
		sc.shm = r.shm;
		pthread_create(&sc.thread, NULL, scribble, &sc);
		raw_get(&r, 1);
		start_sender(&s, FALSE, 0);
		if (raw_recv(&r).type == PORT_WIRE_DELIVER)
			shutdown(r.fd, SHUT_RDWR); /* the end releases a sender still waiting */
		st = ph_sender_join(&s);
		assert_true(st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW ||
			    st == STATUS_PORT_DISCONNECTED);
		if (st != STATUS_PORT_DISCONNECTED)
			assert_true(s.reply_len <= 8);
		__atomic_store_n(&sc.stop, 1, __ATOMIC_RELEASE);
		pthread_join(sc.thread, NULL);
		raw_close(&r);
		ph_wait_disconnects(round + 1);
		ph_close_port(&ph.client);
	}
}

static void a_good_client_is_unaffected(void **state)
{
	struct ph_sender s, t;
	struct port_shm_slot *slot;
	struct raw bad, good;
	PFLT_PORT bad_port;
	int32_t word;

	(void)state;
	raw_connect(&bad);
	ph_wait_connects(1);
	bad_port = ph.client;
	raw_connect(&good);
	ph_wait_connects(2);
	/* The bad client lies about a reply; only its sender suffers. */
	ph.client = bad_port;
	slot = deliver(&bad, &s, &word);
	slot->reply_len = PORT_SHM_INLINE + 1;
	__atomic_store_n(&slot->word, (word & ~0xFF) | PORT_SHM_REPLIED, __ATOMIC_RELEASE);
	wake(slot);
	assert_int_equal(ph_sender_join(&s), STATUS_PORT_DISCONNECTED);
	ph.client = ph.ports[1];
	slot = deliver(&good, &t, &word);
	assert_true(raw_reply(slot, word, "ok", 2));
	assert_int_equal(ph_sender_join(&t), STATUS_SUCCESS);
	assert_memory_equal(t.reply, "ok", 2);
	raw_close(&bad);
	raw_close(&good);
	ph_wait_disconnects(2);
}

/* A GET, then a message sent with a timeout (virtual clock) whose sender now sleeps. */
static struct port_shm_slot *deliver_to_sleeper(struct raw *r, struct ph_sender *s, int32_t *word)
{
	struct port_wire_header h;
	struct port_shm_slot *slot;

	raw_get(r, 1);
	port_test_wait_credits(ph.client, 1);
	start_sender(s, TRUE, -5 * SECOND);
	h = raw_recv(r);
	assert_int_equal(h.type, PORT_WIRE_DELIVER);
	slot = &r->shm[(h.status & 0xFF) - 1];
	*word = port_shm_word(h.status >> 8, PORT_SHM_DELIVERED);
	assert_true(altitude_clock_wait_for_waiters(1));
	/* The sender marked its word before it went to sleep on it. */
	assert_int_equal(__atomic_load_n(&slot->word, __ATOMIC_ACQUIRE), *word | PORT_SHM_SLEEPING);
	return slot;
}

static void sleeping_sender_is_woken_by_the_publish(void **state)
{
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	altitude_clock_use_virtual(0);
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver_to_sleeper(&r, &s, &word);
	assert_true(raw_reply(slot, word, "abc", 3));
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 3);
	assert_memory_equal(s.reply, "abc", 3);
	raw_close(&r);
	ph_wait_disconnects(1);
}

static void socket_reply_to_a_sleeping_sender(void **state)
{
	struct port_wire_header h;
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	altitude_clock_use_virtual(0);
	raw_connect(&r);
	ph_wait_connects(1);
	slot = deliver_to_sleeper(&r, &s, &word);
	port_wire_header_init(&h, PORT_WIRE_REPLY, 9);
	h.message = 1;
	assert_int_equal(port_wire_send(r.fd, &h, "sock", 4, 0), 0);
	h = raw_recv(&r);
	assert_int_equal(h.type, PORT_WIRE_REPLY_DONE);
	assert_int_equal(h.status, STATUS_SUCCESS);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 4);
	assert_memory_equal(s.reply, "sock", 4);
	assert_false(raw_reply(slot, word, "x", 1));
	raw_close(&r);
	ph_wait_disconnects(1);
}

/* A forged sleeping bit anywhere only costs the client wakeups. */
static void forged_sleeping_bit_is_ignored(void **state)
{
	struct port_wire_header h;
	struct ph_sender s;
	struct port_shm_slot *slot;
	struct raw r;
	int32_t word;

	(void)state;
	raw_connect(&r);
	ph_wait_connects(1);
	for (unsigned i = 0; i < PORT_SHM_SLOTS; i++)
		__atomic_or_fetch(&r.shm[i].word, PORT_SHM_SLEEPING, __ATOMIC_SEQ_CST);
	/* On a delivered word, then a reply through the region. */
	slot = deliver(&r, &s, &word);
	__atomic_or_fetch(&slot->word, PORT_SHM_SLEEPING, __ATOMIC_SEQ_CST);
	assert_true(raw_reply(slot, word, "ab", 2));
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_memory_equal(s.reply, "ab", 2);
	/* On a delivered word, then a reply over the socket. */
	slot = deliver(&r, &s, &word);
	__atomic_or_fetch(&slot->word, PORT_SHM_SLEEPING, __ATOMIC_SEQ_CST);
	port_wire_header_init(&h, PORT_WIRE_REPLY, 9);
	h.message = 2;
	assert_int_equal(port_wire_send(r.fd, &h, "sock", 4, 0), 0);
	h = raw_recv(&r);
	assert_int_equal(h.type, PORT_WIRE_REPLY_DONE);
	assert_int_equal(h.status, STATUS_SUCCESS);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_memory_equal(s.reply, "sock", 4);
	/* On a published word. */
	slot = deliver(&r, &s, &word);
	slot->reply_len = 2;
	memcpy(slot->data, "cd", 2);
	__atomic_store_n(&slot->word, (word & ~0xFF) | PORT_SHM_REPLIED | PORT_SHM_SLEEPING,
			 __ATOMIC_RELEASE);
	wake(slot);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_memory_equal(s.reply, "cd", 2);
	raw_close(&r);
	ph_wait_disconnects(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(region_is_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_through_the_region, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_over_capacity_overflows, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_reply_takes_the_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_reply_after_region_reply_finds_no_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(lying_length_ends_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_to_an_undelivered_message_ends_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_wins_over_a_late_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_published_before_the_end_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_connection_marks_its_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(scribbling_hurts_only_that_client, setup, teardown),
		cmocka_unit_test_setup_teardown(a_good_client_is_unaffected, setup, teardown),
		cmocka_unit_test_setup_teardown(sleeping_sender_is_woken_by_the_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_reply_to_a_sleeping_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(forged_sleeping_bit_is_ignored, setup, teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
