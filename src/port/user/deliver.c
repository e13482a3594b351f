/*
 * Deliveries in the region (wire.h, version 3): the host answers a get's
 * record in its delivery page and moves the word to DONE, with no packet
 * unless a thread of ours waits in poll (the region's `bell`).  Whoever
 * holds p->lock next collects answered records as if their DELIVER or
 * GET_DONE packets had arrived.  A synchronous get sleeps on its own
 * record's word (and on the read-ahead credit's, whose message it may
 * take), and on a private word another thread sets when it completes the
 * request: a packet the reader thread read (a message too large for the
 * page, the end of the connection) or a record it collected.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "port/user/client.h"

struct um_request *um_port_collect(struct um_port *p)
{
	struct um_request *async = NULL, *next;
	struct port_wire_header h;
	const uint8_t *data;
	size_t len;

	if (!p->credits || p->broken)
		return NULL;
	/* The read-ahead credit first: handing its message over completes
	 * gets of the list, which the walk below must not be standing on. */
	if (p->ra_state == UM_RA_POSTED && um_credits_answered(p, &p->ra, &h, &data, &len)) {
		async = um_port_apply(p, &h, data, len);
	}
	for (struct um_request *r = p->list.next; r != &p->list; r = next) {
		next = r->next;
		if (r->type != PORT_WIRE_GET || !r->has_record ||
		    !um_credits_answered(p, r, &h, &data, &len))
			continue;
		async = um_port_chain(um_port_apply(p, &h, data, len), async);
	}
	return async;
}

/* Adds a record word to sleep on; FALSE when it moved (look again). */
static BOOL um_port_sleep_on_record(struct um_port *p, const struct um_request *r,
				    struct futex_waitv *w, unsigned *n)
{
	int32_t expected;
	int mark = um_credits_sleep_mark(p, r, &expected);

	if (mark == 0)
		return FALSE;
	if (mark > 0)
		w[(*n)++] = (struct futex_waitv){ .val = (uint32_t)expected,
						  .uaddr = (uintptr_t)&p->credits->records[r->record].word,
						  .flags = FUTEX_32 };
	return TRUE;
}

/* Under p->lock (dropped meanwhile): sleeps until r's record or the
 * read-ahead credit's moves, or another thread completes r. */
static void um_port_sleep_get(struct um_port *p, struct um_request *r)
{
	struct futex_waitv w[3];
	unsigned n = 0;

	if (!um_port_sleep_on_record(p, r, w, &n))
		return;
	if (p->ra_state == UM_RA_POSTED && !um_port_sleep_on_record(p, &p->ra, w, &n))
		return;
	r->wake = 0;
	r->sleeping = TRUE;
	w[n++] = (struct futex_waitv){ .val = 0, .uaddr = (uintptr_t)&r->wake,
				       .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG };
	/* The reader thread reads meanwhile: large messages and the end. */
	p->sync_waiters++;
	um_port_wake_reader(p);
	pthread_mutex_unlock(&p->lock);
	syscall(SYS_futex_waitv, w, n, 0, NULL, 0);
	pthread_mutex_lock(&p->lock);
	p->sync_waiters--;
	r->sleeping = FALSE;
}

NTSTATUS um_port_wait_get(struct um_port *p, struct um_request *r)
{
	struct um_request *async;

	pthread_mutex_lock(&p->lock);
	while (!r->done) {
		async = um_port_collect(p);
		if (async) {
			pthread_mutex_unlock(&p->lock);
			um_port_finish_chain(p, async);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (!r->done)
			um_port_sleep_get(p, r);
	}
	pthread_mutex_unlock(&p->lock);
	return r->status;
}
