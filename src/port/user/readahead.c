/*
 * The read-ahead credit (PORT_GET_READAHEAD in wire.h).  A synchronous
 * service replies, which wakes the sender, and only then asks for the next
 * message; a sender that shares its CPU runs first and finds no credit.
 * So when a reply through the region leaves no credit with the host (no get
 * outstanding, or only gets whose records the host took), the library posts
 * one credit of its own before it wakes the sender; the next message
 * is then delivered at once and waits in the library for the next
 * FilterGetMessage.  That get takes it only while its sender still waits
 * (its reply slot still holds the word DELIVER named): a sender that timed
 * out in the meantime has freed the slot, and its message is dropped, never
 * returned.  The host delivers only messages with a reply slot against a
 * read-ahead credit.  Everything here runs under p->lock.
 */
#include <stdlib.h>
#include <string.h>

#include "port/user/client.h"

#define UM_RA_SIZE (PORT_WIRE_MESSAGE_HEADER_SIZE + PORT_WIRE_MAX_DATA)

/*
 * Does a get of ours still offer the host a credit?  A GET packet may; a
 * record does while the host has not taken it.  Gets whose messages are
 * already on their way (records taken) leave the next sender without one,
 * as no get at all does.
 */
static BOOL um_ra_credit_left(struct um_port *p)
{
	for (struct um_request *r = p->list.next; r != &p->list; r = r->next) {
		if (r->type != PORT_WIRE_GET)
			continue;
		if (!r->has_record ||
		    port_shm_awake(__atomic_load_n(&p->credits->records[r->record].word,
						   __ATOMIC_ACQUIRE)) ==
			    (r->record_gen | PORT_GET_POSTED))
			return TRUE;
	}
	return FALSE;
}

int um_ra_post(struct um_port *p)
{
	int want;

	if (!p->credits || p->broken || p->ra_state != UM_RA_NONE || um_ra_credit_left(p))
		return -1;
	if (!p->ra_buf && !(p->ra_buf = malloc(UM_RA_SIZE)))
		return -1;
	memset(&p->ra, 0, sizeof(p->ra));
	p->ra.id = UM_READAHEAD_ID;
	p->ra.type = PORT_WIRE_GET;
	p->ra.size = PORT_GET_READAHEAD | UM_RA_SIZE;
	want = um_credits_post(p, &p->ra);
	if (want >= 0)
		p->ra_state = UM_RA_POSTED;
	return want;
}

/* The buffered message, if its sender still waits for the reply. */
static BOOL um_ra_valid(struct um_port *p)
{
	return port_shm_awake(__atomic_load_n(&p->shm[p->ra_slot].word, __ATOMIC_ACQUIRE)) ==
	       p->ra_word;
}

/* Completes GET `r` from the buffer (the message stays if r's buffer is too small). */
static struct um_request *um_ra_give(struct um_port *p, struct um_request *r)
{
	if (r->size < p->ra_len) {
		r->status = STATUS_BUFFER_TOO_SMALL;
	} else {
		memcpy(r->buf, p->ra_buf, p->ra_len);
		r->bytes = p->ra_len;
		r->status = STATUS_SUCCESS;
		p->ra_state = UM_RA_NONE;
	}
	return um_port_complete(p, r);
}

BOOL um_ra_serve(struct um_port *p, struct um_request *r, struct um_request **async)
{
	*async = NULL;
	if (p->ra_state == UM_RA_POSTED && um_credits_cancel(p, &p->ra)) {
		um_credits_release(p, &p->ra);
		p->ra_state = UM_RA_NONE;
	}
	if (p->ra_state != UM_RA_FULL)
		return FALSE;
	if (!um_ra_valid(p)) {
		p->ra_state = UM_RA_NONE;
		return FALSE;
	}
	*async = um_ra_give(p, r);
	return TRUE;
}

/*
 * Pending gets whose own records can still be withdrawn take the message,
 * if its sender still waits: each one too small for it fails and the next
 * is offered it, as the host refuses a credit too small for its head
 * message and delivers it against the next.  Returns the overlapped gets
 * completed, in order.
 */
static struct um_request *um_ra_hand_over(struct um_port *p)
{
	struct um_request *async = NULL, *next;

	if (!um_ra_valid(p)) {
		p->ra_state = UM_RA_NONE;
		return NULL;
	}
	for (struct um_request *r = p->list.next; r != &p->list && p->ra_state == UM_RA_FULL;
	     r = next) {
		next = r->next;
		if (r->type != PORT_WIRE_GET || !r->has_record || !um_credits_cancel(p, r))
			continue;
		async = um_port_chain(async, um_ra_give(p, r));
	}
	return async;
}

struct um_request *um_ra_apply(struct um_port *p, const struct port_wire_header *h,
			       const uint8_t *data, size_t len)
{
	struct um_request fill = { .buf = p->ra_buf, .size = UM_RA_SIZE };
	uint32_t slot = (h->status & 0xFF) - 1;

	if (p->ra_state != UM_RA_POSTED)
		return NULL;
	um_credits_release(p, &p->ra);
	p->ra_state = UM_RA_NONE;
	if (h->type != PORT_WIRE_DELIVER || slot >= PORT_SHM_SLOTS)
		return NULL;
	um_port_fill_get(&fill, h, data, len);
	if (fill.status != STATUS_SUCCESS)
		return NULL;
	um_port_note_slot(p, h);
	p->ra_len = fill.bytes;
	p->ra_slot = slot;
	p->ra_word = port_shm_word(h->status >> 8, PORT_SHM_DELIVERED);
	p->ra_state = UM_RA_FULL;
	return um_ra_hand_over(p);
}
