/*
 * GET credits as records in the shared region (see wire.h): posting one
 * costs no system call unless the host waits for it (a FUTEX_WAKE of the
 * senders sleeping on the ring head, or one KICK packet, as `want` says);
 * cancelling one is a compare-and-swap that either wins (the get never
 * receives a message) or loses to the host, whose DELIVER or GET_DONE is
 * then on its way.  Everything here runs under
 * p->lock; which record belongs to which request is client-private.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "port/user/client.h"

void um_credits_init(struct um_port *p)
{
	if (!p->shm)
		return;
	p->credits = port_shm_credits(p->shm);
	for (unsigned i = 0; i < PORT_SHM_RECORDS; i++)
		p->free_records[i] = (uint8_t)(PORT_SHM_RECORDS - 1 - i);
	p->free_count = PORT_SHM_RECORDS;
}

int um_credits_post(struct um_port *p, struct um_request *r)
{
	struct port_shm_credits *k = p->credits;
	struct port_shm_get *g;
	uint32_t tail, rec;

	if (!k || !p->free_count)
		return -1;
	/* A ring full of cancelled entries the host has not consumed yet. */
	tail = __atomic_load_n(&k->tail, __ATOMIC_ACQUIRE);
	if (p->ring_head - tail >= PORT_SHM_RING)
		return -1;
	rec = p->free_records[--p->free_count];
	p->gen = (p->gen + 1) & PORT_SHM_GEN_MASK;
	g = &k->records[rec];
	__atomic_store_n(&g->size, r->size, __ATOMIC_RELAXED);
	__atomic_store_n(&g->id, r->id, __ATOMIC_RELAXED);
	__atomic_store_n(&g->word, port_shm_word(p->gen, (enum port_shm_state)PORT_GET_POSTED),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&k->ring[p->ring_head % PORT_SHM_RING], port_shm_ring_entry(p->gen, rec),
			 __ATOMIC_RELAXED);
	p->ring_head++;
	r->has_record = TRUE;
	r->record = rec;
	r->record_gen = port_shm_word(p->gen, (enum port_shm_state)0);
	/* Store then load (want): pairs with the host's store then load (head). */
	__atomic_store_n(&k->head, p->ring_head, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (int)(__atomic_load_n(&k->want, __ATOMIC_RELAXED) &
		     (PORT_SHM_WANT_WAKE | PORT_SHM_WANT_KICK));
}

void um_credits_wake(struct um_port *p)
{
	syscall(SYS_futex, &p->credits->head, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

BOOL um_credits_cancel(struct um_port *p, struct um_request *r)
{
	int32_t *word = &p->credits->records[r->record].word;
	int32_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE);

	/* A thread of ours may be asleep on the word: the change wakes none,
	 * but that thread also waits for its request's own completion. */
	do {
		if (port_shm_awake(w) != (r->record_gen | PORT_GET_POSTED))
			return FALSE;
	} while (!__atomic_compare_exchange_n(word, &w, r->record_gen | PORT_GET_CANCELLED, FALSE,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return TRUE;
}

BOOL um_credits_answered(struct um_port *p, const struct um_request *r,
			 struct port_wire_header *h, const uint8_t **data, size_t *len)
{
	const struct port_shm_delivery *d = &p->credits->deliveries[r->record];
	uint32_t status;

	/* Sequentially consistent: after counting itself in the bell, a reader
	 * looks here; the host publishes DONE and then reads the bell. */
	if (port_shm_awake(__atomic_load_n(&p->credits->records[r->record].word,
					   __ATOMIC_SEQ_CST)) != (r->record_gen | PORT_GET_DONE))
		return FALSE;
	status = __atomic_load_n(&d->status, __ATOMIC_RELAXED);
	port_wire_header_init(h, status ? PORT_WIRE_GET_DONE : PORT_WIRE_DELIVER, r->id);
	*data = d->data;
	*len = 0;
	if (status) {
		h->status = status;
		return TRUE;
	}
	h->message = __atomic_load_n(&d->message, __ATOMIC_RELAXED);
	h->value = __atomic_load_n(&d->reply_length, __ATOMIC_RELAXED);
	h->status = __atomic_load_n(&d->slot, __ATOMIC_RELAXED);
	*len = __atomic_load_n(&d->len, __ATOMIC_RELAXED);
	if (*len > PORT_SHM_DELIVERY_INLINE)
		*len = PORT_SHM_DELIVERY_INLINE;
	return TRUE;
}

int um_credits_sleep_mark(struct um_port *p, const struct um_request *r, int32_t *expected)
{
	int32_t *word = &p->credits->records[r->record].word;
	int32_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	int32_t state = port_shm_awake(w);

	if (state == (r->record_gen | PORT_GET_DONE))
		return 0;
	if (state != (r->record_gen | PORT_GET_POSTED) && state != (r->record_gen | PORT_GET_TAKEN))
		return -1;
	if (!(w & PORT_SHM_SLEEPING) &&
	    !__atomic_compare_exchange_n(word, &w, w | PORT_SHM_SLEEPING, FALSE, __ATOMIC_SEQ_CST,
					 __ATOMIC_ACQUIRE))
		return 0;
	*expected = w | PORT_SHM_SLEEPING;
	return 1;
}

void um_credits_release(struct um_port *p, struct um_request *r)
{
	if (!r->has_record)
		return;
	r->has_record = FALSE;
	p->free_records[p->free_count++] = (uint8_t)r->record;
}
