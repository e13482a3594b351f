/*
 * CancelIo and CancelIoEx of pending gets.  A get posted as a region record
 * is cancelled by the record's compare-and-swap (it completes here with
 * STATUS_CANCELLED, or lost to the host, whose answer is on its way); a
 * GET packet is cancelled with a CANCEL packet, which the host answers.
 */
#include "port/user/client.h"

/*
 * Under p->lock: cancels `r`.  A region record is cancelled here (its
 * completion joins `async`); a GET packet's id goes to `ids` for a CANCEL.
 */
static void um_port_cancel_one(struct um_port *p, struct um_request *r, uint64_t *ids, size_t *n,
			       struct um_request **async)
{
	struct um_request *done;

	r->cancel_sent = TRUE;
	if (!r->has_record) {
		ids[(*n)++] = r->id;
		return;
	}
	if (!um_credits_cancel(p, r))
		return; /* the host took it: its answer is on the way */
	r->status = STATUS_CANCELLED;
	done = um_port_complete(p, r);
	if (done) {
		done->next = *async;
		*async = done;
	}
}

BOOL um_port_cancel(struct um_port *p, LPOVERLAPPED ov, BOOL this_thread_only)
{
	pid_t tid = um_thread_id();
	uint64_t ids[64];
	size_t n;
	BOOL found = FALSE;

	do {
		struct um_request *async = NULL, *next;

		n = 0;
		pthread_mutex_lock(&p->lock);
		for (struct um_request *r = p->list.next; r != &p->list && n < 64; r = next) {
			next = r->next;
			if (r->type != PORT_WIRE_GET || r->cancel_sent)
				continue;
			if ((ov && r->ov != ov) || (this_thread_only && r->tid != tid))
				continue;
			found = TRUE;
			um_port_cancel_one(p, r, ids, &n, &async);
		}
		pthread_mutex_unlock(&p->lock);
		um_port_finish_chain(p, async);
		for (size_t i = 0; i < n; i++) {
			struct port_wire_header h;

			port_wire_header_init(&h, PORT_WIRE_CANCEL, ids[i]);
			um_port_send(p, &h, NULL, 0);
		}
	} while (n == 64);
	if (!found)
		SetLastError(ERROR_NOT_FOUND);
	return found;
}

