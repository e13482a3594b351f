/*
 * FltSendMessage and FltCloseClientPort.
 *
 * A message is delivered at once when the client has a GET outstanding;
 * otherwise it joins the connection's FIFO and the sender waits.  One
 * timeout covers delivery and reply.  On expiry the sender takes its
 * message back under the connection lock: still queued, it is withdrawn
 * (never delivered later); delivered, it leaves the awaiting list, so a
 * later reply finds no waiter (STATUS_FLT_NO_WAITER_FOR_REPLY).
 */
#include <stdlib.h>
#include <string.h>

#include "ke/ke.h"
#include "flt/watch.h"
#include "port/port.h"

/* Reads *ClientPort and references it, atomically with FltCloseClientPort. */
static struct port_conn *port_conn_take(PFLT_PORT *ClientPort)
{
	struct port_conn *c;

	pthread_mutex_lock(&port_registry_lock);
	c = (struct port_conn *)*ClientPort;
	if (c && c->hdr.magic == PORT_MAGIC_CLIENT)
		port_conn_ref(c);
	else
		c = NULL;
	pthread_mutex_unlock(&port_registry_lock);
	return c;
}

static NTSTATUS port_send_check(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer,
				ULONG SenderBufferLength, PVOID ReplyBuffer, PULONG ReplyLength)
{
	if (!Filter || !ClientPort || (!SenderBuffer && SenderBufferLength))
		return STATUS_INVALID_PARAMETER;
	if (SenderBufferLength > PORT_WIRE_MAX_DATA)
		return STATUS_INVALID_PARAMETER;
	if (ReplyBuffer && (!ReplyLength || *ReplyLength > PORT_WIRE_MAX_DATA))
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

/* Under c->lock, after the wait: takes the message back if still pending. */
static NTSTATUS port_send_settle(struct port_msg *m, NTSTATUS waited)
{
	if (m->state == PORT_MSG_DONE)
		return m->status;
	port_msg_list_remove(m);
	m->state = PORT_MSG_DONE;
	return waited;
}

/*
 * The time left of the caller's timeout for each wait of a send (a sender
 * may first watch the ring head, then wait again after a wake).  Relative
 * timeouts count from the interrupt time when the send began.
 */
struct port_deadline {
	const LARGE_INTEGER *timeout;
	ULONGLONG due; /* interrupt time, for a relative timeout */
	LARGE_INTEGER left;
};

static void port_deadline_init(struct port_deadline *d, const LARGE_INTEGER *timeout)
{
	d->timeout = timeout;
	if (timeout && timeout->QuadPart < 0) {
		ULONGLONG span = (ULONGLONG)0 - (ULONGLONG)timeout->QuadPart;
		ULONGLONG now = KeQueryInterruptTime();

		d->due = now + span < now ? ~0ULL : now + span;
	}
}

static const LARGE_INTEGER *port_deadline_left(struct port_deadline *d)
{
	ULONGLONG now;

	if (!d->timeout || d->timeout->QuadPart >= 0)
		return d->timeout;
	now = KeQueryInterruptTime();
	d->left.QuadPart = now >= d->due ? 0 : -(LONGLONG)((d->due - now) > (ULONGLONG)MAXLONGLONG
								    ? (ULONGLONG)MAXLONGLONG
								    : d->due - now);
	return &d->left;
}

/*
 * May a sender first watch the ring head (port_credits_await, which does
 * not look at the clock)?  Only when its deadline is further away than that
 * watch can last, so that a timeout stays exact.
 */
static BOOLEAN port_deadline_allows_await(struct port_deadline *d)
{
	const LONGLONG await = PORT_CREDIT_AWAIT_US * 10LL;
	LARGE_INTEGER now;
	ULONGLONG t;

	if (!d->timeout)
		return TRUE;
	if (d->timeout->QuadPart < 0) {
		t = KeQueryInterruptTime();
		return t < d->due && d->due - t > (ULONGLONG)await;
	}
	KeQuerySystemTime(&now);
	return d->timeout->QuadPart - now.QuadPart > await;
}

/* Under c->lock: waits for a message with a reply slot. */
static NTSTATUS port_send_wait_slot(struct port_conn *c, struct port_msg *m,
				    struct port_deadline *d)
{
	int32_t expected = m->slot_word;
	unsigned flips = 0;
	NTSTATUS status;

	status = port_wait_msg_word(c, m, port_deadline_left(d), &expected);
	for (;;) {
		BOOLEAN give_up = status == STATUS_TIMEOUT || status == STATUS_THREAD_IS_TERMINATING;

		if (m->state == PORT_MSG_DONE)
			return m->status;
		if (m->state == PORT_MSG_QUEUED) {
			if (give_up)
				return port_send_settle(m, status);
			/* Only a client that guessed an undelivered slot moves its word. */
			if (__atomic_load_n(&c->shm[m->slot].word, __ATOMIC_ACQUIRE) != expected)
				return port_shm_violation(c);
		} else {
			status = port_shm_decide(c, m, give_up, status, &expected, &flips);
			if (status != STATUS_PENDING)
				return status;
		}
		status = port_wait_msg_word(c, m, port_deadline_left(d), &expected);
	}
}

static NTSTATUS port_send(struct port_conn *c, struct port_msg *m, const LARGE_INTEGER *timeout)
{
	struct port_deadline d;
	NTSTATUS status;

	port_deadline_init(&d, timeout); /* a relative timeout counts from here */
	pthread_mutex_lock(&c->lock);
	if (c->ended || !c->connected) {
		pthread_mutex_unlock(&c->lock);
		return STATUS_PORT_DISCONNECTED;
	}
	m->id = __atomic_add_fetch(&c->server->next_message, 1, __ATOMIC_RELAXED);
	m->state = PORT_MSG_QUEUED;
	port_shm_attach(c, m);
	port_msg_list_append(&c->queue, m);
	if (!port_conn_deliver_own(c, m))
		port_conn_match_locked(c);
	if (m->state == PORT_MSG_QUEUED && c->shm && port_deadline_allows_await(&d))
		port_credits_await(c);
	if (m->slot >= 0) {
		status = port_send_wait_slot(c, m, &d);
		port_shm_detach(c, m, m->expired_writing);
	} else {
		status = port_wait_msg(c, m, port_deadline_left(&d));
		status = port_send_settle(m, status);
	}
	pthread_mutex_unlock(&c->lock);
	return status;
}

NTSTATUS FLTAPI FltSendMessage(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer,
			       ULONG SenderBufferLength, PVOID ReplyBuffer, PULONG ReplyLength,
			       PLARGE_INTEGER Timeout)
{
	struct flt_watch_send watch;
	struct port_msg m;
	struct port_conn *c;
	NTSTATUS status;

	if (!ke_irql_at_most(APC_LEVEL, "FltSendMessage"))
		return STATUS_UNSUCCESSFUL;
	status = port_send_check(Filter, ClientPort, SenderBuffer, SenderBufferLength,
				 ReplyBuffer, ReplyLength);
	if (!NT_SUCCESS(status))
		return status;
	c = port_conn_take(ClientPort);
	if (!c)
		return STATUS_PORT_DISCONNECTED;
	memset(&m, 0, sizeof(m));
	m.next = m.prev = &m;
	m.data = SenderBuffer;
	m.len = SenderBufferLength;
	m.want_reply = ReplyBuffer != NULL;
	m.reply = ReplyBuffer;
	m.reply_capacity = ReplyBuffer ? *ReplyLength : 0;
	port_msg_event_init(&m);
	flt_watch_send_begin(&watch, Filter);
	status = port_send(c, &m, Timeout);
	flt_watch_send_end(&watch);
	if (ReplyBuffer && (status == STATUS_SUCCESS || status == STATUS_BUFFER_OVERFLOW))
		*ReplyLength = m.reply_len;
	port_conn_unref(c);
	return status;
}

VOID FLTAPI FltCloseClientPort(PFLT_FILTER Filter, PFLT_PORT *ClientPort)
{
	struct port_conn *c;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltCloseClientPort"))
		return;
	if (!Filter || !ClientPort)
		return;
	pthread_mutex_lock(&port_registry_lock);
	c = (struct port_conn *)*ClientPort;
	*ClientPort = NULL;
	pthread_mutex_unlock(&port_registry_lock);
	if (!c || c->hdr.magic != PORT_MAGIC_CLIENT)
		return;
	port_conn_disconnect(c);
	port_conn_unref(c);
}
