/*
 * GET credits: packets the connection thread queued (credits[]) and records
 * the client posted in the shared region (see wire.h).  The host consumes
 * both under the connection lock; a record is the host's only once its
 * compare-and-swap POSTED -> TAKEN wins, after which its size and id are
 * read once.  Nothing in the region is trusted: a ring head more than a
 * ring ahead ends the connection, a record index is masked, and a stale or
 * forged entry is skipped.
 */
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ke/ke.h"
#include "port/port.h"

_Static_assert(PORT_SHM_RECORDS == 256u, "a ring entry's low byte names the record");

void port_credits_publish_want(struct port_conn *c)
{
	uint32_t want;

	if (!c->shm)
		return;
	/* With a sender asleep on the head a FUTEX_WAKE reaches it; else the
	 * connection thread must hear of the post. */
	want = c->credit_sleepers ? PORT_SHM_WANT_WAKE : 0u;
	if ((c->queue.next != &c->queue && !c->credit_sleepers) || c->credit_watchers)
		want |= PORT_SHM_WANT_KICK;
	/* Store then load (the head): pairs with the client's post then load. */
	__atomic_store_n(&port_shm_credits(c->shm)->want, want, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Under c->lock: the head the client claims, or FALSE when it is a lie. */
static BOOLEAN port_credits_head(struct port_conn *c, uint32_t *head)
{
	*head = __atomic_load_n(&port_shm_credits(c->shm)->head, __ATOMIC_ACQUIRE);
	c->ring_head_seen = *head;
	return *head - c->ring_tail <= PORT_SHM_RING;
}

/* How often a client may flip a record's sleeping bit under the host's take. */
#define PORT_CREDITS_MAX_FLIPS 16

/*
 * Under c->lock: takes record `e` names if it is still posted, keeping the
 * sleeping bit of a client thread waiting on the word.
 */
static BOOLEAN port_credits_take_record(struct port_shm_credits *k, uint32_t e,
					struct port_credit *out)
{
	struct port_shm_get *g = &k->records[e & 0xFFu];
	int32_t gen = (int32_t)(e & ~0xFFu);
	int32_t w = __atomic_load_n(&g->word, __ATOMIC_ACQUIRE);
	unsigned flips = 0;

	do {
		if (port_shm_awake(w) != (gen | PORT_GET_POSTED) || flips++ > PORT_CREDITS_MAX_FLIPS)
			return FALSE;
	} while (!__atomic_compare_exchange_n(&g->word, &w,
					      gen | PORT_GET_TAKEN | (w & PORT_SHM_SLEEPING), FALSE,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	out->record = (int)(e & 0xFFu);
	out->record_gen = gen;
	out->size = __atomic_load_n(&g->size, __ATOMIC_RELAXED);
	out->id = __atomic_load_n(&g->id, __ATOMIC_RELAXED);
	out->readahead = (out->size & PORT_GET_READAHEAD) != 0;
	out->size &= ~PORT_GET_READAHEAD;
	return TRUE;
}

/* Under c->lock: the oldest posted record; stale entries are consumed. */
static BOOLEAN port_credits_take_ring(struct port_conn *c, struct port_credit *out)
{
	struct port_shm_credits *k = port_shm_credits(c->shm);
	BOOLEAN found = FALSE;
	uint32_t head;

	if (!port_credits_head(c, &head)) {
		port_shm_violation(c);
		return FALSE;
	}
	while (!found && c->ring_tail != head) {
		uint32_t e = __atomic_load_n(&k->ring[c->ring_tail % PORT_SHM_RING],
					     __ATOMIC_RELAXED);

		c->ring_tail++;
		found = port_credits_take_record(k, e, out);
	}
	__atomic_store_n(&k->tail, c->ring_tail, __ATOMIC_RELEASE);
	return found;
}

BOOLEAN port_credits_take(struct port_conn *c, struct port_credit *out)
{
	if (c->credit_count) {
		*out = c->credits[c->credit_head];
		out->record = -1;
		c->credit_head = (c->credit_head + 1) % PORT_MAX_CREDITS;
		c->credit_count--;
		return TRUE;
	}
	return c->shm && !c->ended && port_credits_take_ring(c, out);
}

void port_credits_await(struct port_conn *c)
{
	struct port_shm_credits *k = port_shm_credits(c->shm);
	struct timespec ts = { 0, PORT_CREDIT_AWAIT_US * 1000L };
	uint32_t seen = c->ring_head_seen;

	c->credit_sleepers++;
	port_credits_publish_want(c); /* then the head is read again, by the wait */
	pthread_mutex_unlock(&c->lock);
	syscall(SYS_futex, &k->head, FUTEX_WAIT, seen, &ts, NULL, 0);
	pthread_mutex_lock(&c->lock);
	c->credit_sleepers--;
	port_conn_match_locked(c);
}

void port_credits_wake(struct port_conn *c)
{
	if (c->shm && c->credit_sleepers)
		syscall(SYS_futex, &port_shm_credits(c->shm)->head, FUTEX_WAKE, INT_MAX, NULL,
			NULL, 0);
}

BOOLEAN port_credits_answers_inline(const struct port_credit *k, const struct port_msg *m)
{
	return k->record >= 0 && (!m || m->len <= PORT_SHM_DELIVERY_INLINE);
}

/* Fills the delivery page as DELIVER's header and data would read. */
static void port_credits_fill(struct port_shm_delivery *d, const struct port_msg *m,
			      NTSTATUS status)
{
	uint32_t slot = 0;

	if (!m) {
		__atomic_store_n(&d->status, (uint32_t)status, __ATOMIC_RELAXED);
		return;
	}
	if (m->slot >= 0)
		slot = (uint32_t)(m->slot + 1) | ((uint32_t)m->slot_word & ~0xFFu);
	__atomic_store_n(&d->message, m->id, __ATOMIC_RELAXED);
	__atomic_store_n(&d->reply_length,
			 m->want_reply ? m->reply_capacity + PORT_WIRE_REPLY_HEADER_SIZE : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&d->slot, slot, __ATOMIC_RELAXED);
	__atomic_store_n(&d->status, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&d->len, m->len, __ATOMIC_RELAXED);
	if (m->len)
		memcpy(d->data, m->data, m->len);
}

void port_credits_answer(struct port_conn *c, const struct port_credit *k,
			 const struct port_msg *m, NTSTATUS status)
{
	struct port_shm_credits *kr = port_shm_credits(c->shm);
	int32_t *word = &kr->records[k->record].word;
	struct port_wire_header h;
	int32_t old;

	port_credits_fill(&kr->deliveries[k->record], m, status);
	/* Exchange then load (bell): pairs with the client's count then look. */
	old = __atomic_exchange_n(word, k->record_gen | PORT_GET_DONE, __ATOMIC_SEQ_CST);
	if (old & PORT_SHM_SLEEPING)
		syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	if (!__atomic_load_n(&kr->bell, __ATOMIC_SEQ_CST))
		return;
	port_wire_header_init(&h, PORT_WIRE_RING, 0);
	port_wire_send(c->fd, &h, NULL, 0, MSG_DONTWAIT);
}

/* Under c->lock: the client's gets held (test hook): GET packets, and
 * records still posted that are not the library's read-ahead credit. */
static unsigned port_credits_count(struct port_conn *c)
{
	struct port_shm_credits *k;
	unsigned n = c->credit_count;
	uint32_t head;

	if (!c->shm || c->ended || !port_credits_head(c, &head))
		return n;
	k = port_shm_credits(c->shm);
	for (uint32_t t = c->ring_tail; t != head; t++) {
		uint32_t e = __atomic_load_n(&k->ring[t % PORT_SHM_RING], __ATOMIC_RELAXED);
		struct port_shm_get *g = &k->records[e & 0xFFu];
		int32_t w = port_shm_awake(__atomic_load_n(&g->word, __ATOMIC_ACQUIRE));

		n += w == (int32_t)((e & ~0xFFu) | PORT_GET_POSTED) &&
		     !(__atomic_load_n(&g->size, __ATOMIC_RELAXED) & PORT_GET_READAHEAD);
	}
	return n;
}

void port_test_wait_credits(PFLT_PORT client_port, unsigned count)
{
	struct port_conn *c = (struct port_conn *)client_port;

	pthread_mutex_lock(&c->lock);
	/* While someone watches, a client posting a record sends a KICK. */
	c->credit_watchers++;
	port_credits_publish_want(c);
	while (!c->ended && port_credits_count(c) < count)
		pthread_cond_wait(&c->credit_cv, &c->lock);
	c->credit_watchers--;
	port_credits_publish_want(c);
	pthread_mutex_unlock(&c->lock);
}
