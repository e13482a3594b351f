/*
 * Client ports: one per connection.  The connection thread performs the
 * handshake (credentials, MaxConnections, ConnectNotify), then handles the
 * client's packets until the socket ends, then releases every waiter and
 * calls DisconnectNotify exactly once.
 *
 * Delivery rule: a message is delivered only against a GET credit the
 * client sent earlier, in FIFO order of messages.  A credit whose buffer is
 * too small for the head message is answered with STATUS_BUFFER_TOO_SMALL
 * and the message stays queued.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ke/ke.h"
#include "flt/callback.h"
#include "flt/port_rundown.h"
#include "port/port.h"

void port_msg_list_init(struct port_msg *head)
{
	head->next = head->prev = head;
}

void port_msg_list_append(struct port_msg *head, struct port_msg *m)
{
	m->next = head;
	m->prev = head->prev;
	head->prev->next = m;
	head->prev = m;
}

void port_msg_list_remove(struct port_msg *m)
{
	m->prev->next = m->next;
	m->next->prev = m->prev;
	m->next = m->prev = m;
}

void port_conn_ref(struct port_conn *c)
{
	__atomic_add_fetch(&c->hdr.refs, 1, __ATOMIC_RELAXED);
}

void port_conn_unref(struct port_conn *c)
{
	if (__atomic_sub_fetch(&c->hdr.refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	c->hdr.magic = 0;
	close(c->fd);
	port_shm_destroy(c);
	pthread_cond_destroy(&c->credit_cv);
	pthread_mutex_destroy(&c->lock);
	port_server_unref(c->server);
	free(c);
}

struct port_conn *port_conn_create(struct port_server *s, int fd)
{
	struct port_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->hdr.magic = PORT_MAGIC_CLIENT;
	c->hdr.refs = 1;
	c->server = s;
	__atomic_add_fetch(&s->hdr.refs, 1, __ATOMIC_RELAXED);
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->credit_cv, NULL);
	port_msg_list_init(&c->queue);
	port_msg_list_init(&c->awaiting);
	return c;
}

/* Waits (bounded) until the socket can take a packet again. */
static BOOLEAN port_conn_wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n;

	do {
		n = poll(&p, 1, PORT_SEND_STALL_MS);
	} while (n < 0 && errno == EINTR);
	return n == 1 && (p.revents & POLLOUT);
}

/* Under c->lock: ends the connection (the socket is shut down by the caller). */
static void port_conn_end_locked(struct port_conn *c)
{
	c->ended = TRUE;
	while (c->queue.next != &c->queue) {
		struct port_msg *m = c->queue.next;

		port_msg_list_remove(m);
		port_msg_finish(m, STATUS_PORT_DISCONNECTED);
	}
	while (c->awaiting.next != &c->awaiting) {
		struct port_msg *m = c->awaiting.next;

		port_msg_list_remove(m);
		/* A reply published before the end still counts. */
		port_msg_finish(m, port_shm_end_msg(c, m));
	}
	port_shm_kill(c);
	port_credits_wake(c);
	c->credit_count = 0;
	pthread_cond_broadcast(&c->credit_cv);
}

/* Sends one packet; 0 or an errno. */
static int port_conn_send_packet(struct port_conn *c, const struct port_wire_header *h,
				 const void *data, size_t len)
{
	int err = port_wire_send(c->fd, h, data, len, MSG_DONTWAIT);

	while (err == EAGAIN && port_conn_wait_writable(c->fd))
		err = port_wire_send(c->fd, h, data, len, MSG_DONTWAIT);
	return err;
}

/* Under c->lock: a send failed, the client died or stopped reading its socket. */
static void port_conn_fail_locked(struct port_conn *c)
{
	if (!c->ended)
		port_conn_end_locked(c);
	shutdown(c->fd, SHUT_RDWR);
}

BOOLEAN port_conn_send_locked(struct port_conn *c, const struct port_wire_header *h,
			      const void *data, size_t len)
{
	int err;

	if (c->ended)
		return FALSE;
	err = port_conn_send_packet(c, h, data, len);
	if (!err)
		return TRUE;
	port_conn_fail_locked(c);
	return FALSE;
}

static void port_conn_answer_get(struct port_conn *c, uint64_t id, NTSTATUS status)
{
	struct port_wire_header h;

	port_wire_header_init(&h, PORT_WIRE_GET_DONE, id);
	h.status = (uint32_t)status;
	port_conn_send_locked(c, &h, NULL, 0);
}

/* Under c->lock: a credit that cannot take the head message is answered. */
static void port_conn_refuse(struct port_conn *c, const struct port_credit *k, NTSTATUS status)
{
	if (port_credits_answers_inline(k, NULL))
		port_credits_answer(c, k, NULL, status);
	else
		port_conn_answer_get(c, k->id, status);
}

static void port_conn_deliver_header(const struct port_msg *m, uint64_t get_id,
				     struct port_wire_header *h)
{
	port_wire_header_init(h, PORT_WIRE_DELIVER, get_id);
	h->message = m->id;
	h->value = m->want_reply ? m->reply_capacity + PORT_WIRE_REPLY_HEADER_SIZE : 0;
	if (m->slot >= 0)
		h->status = (uint32_t)(m->slot + 1) | ((uint32_t)m->slot_word & ~0xFFu);
}

static void port_conn_deliver(struct port_conn *c, struct port_msg *m, const struct port_credit *k)
{
	struct port_wire_header h;

	port_msg_list_remove(m);
	if (port_credits_answers_inline(k, m)) {
		port_credits_answer(c, k, m, STATUS_SUCCESS);
	} else {
		port_conn_deliver_header(m, k->id, &h);
		if (!port_conn_send_locked(c, &h, m->data, m->len)) {
			port_msg_finish(m, STATUS_PORT_DISCONNECTED);
			return;
		}
	}
	if (!m->want_reply) {
		port_msg_finish(m, STATUS_SUCCESS);
		return;
	}
	m->state = PORT_MSG_AWAITING_REPLY;
	port_msg_list_append(&c->awaiting, m);
}

/* Why a credit cannot take message `m`, or STATUS_SUCCESS. */
static NTSTATUS port_conn_credit_refuses(const struct port_credit *k, const struct port_msg *m)
{
	if (k->readahead && m->slot < 0)
		return STATUS_CANCELLED;
	if (PORT_WIRE_MESSAGE_HEADER_SIZE + m->len > k->size)
		return STATUS_BUFFER_TOO_SMALL;
	return STATUS_SUCCESS;
}

BOOLEAN port_conn_deliver_own(struct port_conn *c, struct port_msg *m)
{
	struct port_wire_header h;
	struct port_credit k;
	NTSTATUS refused;
	int err;

	if (c->ended || c->queue.next != m || m->next != &c->queue || !port_credits_take(c, &k))
		return FALSE;
	refused = port_conn_credit_refuses(&k, m);
	if (refused != STATUS_SUCCESS) {
		port_conn_refuse(c, &k, refused);
		return FALSE;
	}
	port_msg_list_remove(m);
	port_conn_deliver_header(m, k.id, &h);
	/* Awaiting its reply before the client can see it; the end of the
	 * connection meanwhile finishes it as any delivered message. */
	if (m->want_reply) {
		m->state = PORT_MSG_AWAITING_REPLY;
		port_msg_list_append(&c->awaiting, m);
	}
	port_credits_publish_want(c);
	pthread_mutex_unlock(&c->lock);
	err = 0;
	if (port_credits_answers_inline(&k, m))
		port_credits_answer(c, &k, m, STATUS_SUCCESS);
	else
		err = port_conn_send_packet(c, &h, m->data, m->len);
	pthread_mutex_lock(&c->lock);
	if (err)
		port_conn_fail_locked(c);
	if (!m->want_reply)
		port_msg_finish(m, err ? STATUS_PORT_DISCONNECTED : STATUS_SUCCESS);
	return TRUE;
}

/* Under c->lock: delivers queued messages against the credits there are. */
static void port_conn_match_once(struct port_conn *c)
{
	struct port_credit k;

	while (!c->ended && c->queue.next != &c->queue && port_credits_take(c, &k)) {
		struct port_msg *m = c->queue.next;
		NTSTATUS refused = port_conn_credit_refuses(&k, m);

		if (refused != STATUS_SUCCESS)
			port_conn_refuse(c, &k, refused);
		else
			port_conn_deliver(c, m, &k);
	}
}

void port_conn_match_locked(struct port_conn *c)
{
	port_conn_match_once(c);
	/*
	 * Messages left without a credit: `want` is published, then the head
	 * read again, so a record posted meanwhile is either seen here or
	 * announced by its client.  (Published only now, a client posting while
	 * the credit it will not need is being taken does not KICK in vain.)
	 */
	if (!c->ended && c->queue.next != &c->queue) {
		port_credits_publish_want(c);
		port_conn_match_once(c);
	}
	port_credits_publish_want(c);
}

static BOOLEAN port_conn_on_get(struct port_conn *c, const struct port_wire_header *h)
{
	unsigned slot;

	if (c->credit_count == PORT_MAX_CREDITS) {
		port_conn_answer_get(c, h->id, STATUS_INSUFFICIENT_RESOURCES);
		return TRUE;
	}
	slot = (c->credit_head + c->credit_count) % PORT_MAX_CREDITS;
	c->credits[slot] = (struct port_credit){ .id = h->id, .size = h->value };
	c->credit_count++;
	pthread_cond_broadcast(&c->credit_cv);
	port_conn_match_locked(c);
	return TRUE;
}

static BOOLEAN port_conn_on_cancel(struct port_conn *c, const struct port_wire_header *h)
{
	for (unsigned i = 0; i < c->credit_count; i++) {
		unsigned slot = (c->credit_head + i) % PORT_MAX_CREDITS;

		if (c->credits[slot].id != h->id)
			continue;
		/* Close the gap, keeping the order of the other credits. */
		for (unsigned j = i; j + 1 < c->credit_count; j++)
			c->credits[(c->credit_head + j) % PORT_MAX_CREDITS] =
				c->credits[(c->credit_head + j + 1) % PORT_MAX_CREDITS];
		c->credit_count--;
		port_conn_answer_get(c, h->id, STATUS_CANCELLED);
		return TRUE;
	}
	return TRUE; /* already delivered or answered: the client gets that */
}

/* Records were posted while the host wanted them. */
static BOOLEAN port_conn_on_kick(struct port_conn *c)
{
	pthread_cond_broadcast(&c->credit_cv);
	port_conn_match_locked(c);
	return TRUE;
}

static struct port_msg *port_conn_find_awaiting(struct port_conn *c, uint64_t message)
{
	for (struct port_msg *m = c->awaiting.next; m != &c->awaiting; m = m->next)
		if (m->id == message)
			return m;
	return NULL;
}

/*
 * The client learns the outcome first (REPLY_DONE), then the sender is
 * woken: the client's next GET is then on its way while the sender resumes.
 */
static BOOLEAN port_conn_on_reply(struct port_conn *c, const struct port_wire_header *h,
				  const uint8_t *data, size_t len)
{
	struct port_wire_header a;
	struct port_msg *m = port_conn_find_awaiting(c, h->message);
	NTSTATUS answer = STATUS_SUCCESS, result = STATUS_SUCCESS;

	/* A message with a slot is decided on its slot word. */
	if (m && !port_shm_take(c, m))
		m = NULL;

	if (!m) {
		answer = STATUS_FLT_NO_WAITER_FOR_REPLY;
	} else {
		port_msg_list_remove(m);
		m->reply_len = (ULONG)(len > m->reply_capacity ? m->reply_capacity : len);
		if (m->reply_len)
			memcpy(m->reply, data, m->reply_len);
		if (len > m->reply_capacity) {
			result = STATUS_BUFFER_OVERFLOW;
			answer = STATUS_BUFFER_TOO_SMALL;
		}
	}
	port_wire_header_init(&a, PORT_WIRE_REPLY_DONE, h->id);
	a.status = (uint32_t)answer;
	port_conn_send_locked(c, &a, NULL, 0);
	if (m)
		port_msg_finish(m, result);
	return TRUE;
}

/* FilterSendMessage: MessageNotify runs without the lock held, under the filter's run-down. */
static BOOLEAN port_conn_on_send(struct port_conn *c, const struct port_wire_header *h,
				 const uint8_t *data, size_t len)
{
	PFLT_MESSAGE_NOTIFY notify = c->server->message_notify;
	struct flt_callback cb;
	struct port_wire_header a;
	ULONG returned = 0;
	NTSTATUS status;
	uint8_t *out = NULL;
	BOOLEAN ok;

	if (h->value > PORT_WIRE_MAX_DATA)
		return FALSE;
	pthread_mutex_unlock(&c->lock);
	if (!notify) {
		status = STATUS_INVALID_DEVICE_REQUEST;
	} else if (h->value && !(out = malloc(h->value))) {
		status = STATUS_INSUFFICIENT_RESOURCES;
	} else if (!flt_port_callback_enter(c->server->filter)) {
		status = STATUS_FLT_DELETING_OBJECT; /* FltUnregisterFilter has begun */
	} else {
		flt_callback_enter(&cb, c->server->filter, NULL, NULL, NULL, FLT_CALLBACK_PORT_MESSAGE);
		status = notify(c->cookie, len ? (PVOID)data : NULL, (ULONG)len, out, h->value,
				&returned);
		flt_callback_leave(&cb);
		flt_port_filter_release(c->server->filter);
		if (returned > h->value)
			returned = h->value;
	}
	pthread_mutex_lock(&c->lock);
	port_wire_header_init(&a, PORT_WIRE_SEND_DONE, h->id);
	a.status = (uint32_t)status;
	ok = port_conn_send_locked(c, &a, out, NT_SUCCESS(status) ? returned : 0);
	free(out);
	return ok || c->ended;
}

BOOLEAN port_conn_handle_packet(struct port_conn *c, const void *buf, size_t len)
{
	const uint8_t *data = (const uint8_t *)buf + sizeof(struct port_wire_header);
	struct port_wire_header h;
	BOOLEAN ok = FALSE;

	if (!port_wire_parse(buf, len, TRUE, &h))
		return FALSE;
	len -= sizeof(h);
	pthread_mutex_lock(&c->lock);
	if (c->ended)
		goto out;
	switch (h.type) {
	case PORT_WIRE_GET:
		ok = len == 0 && port_conn_on_get(c, &h);
		break;
	case PORT_WIRE_CANCEL:
		ok = len == 0 && port_conn_on_cancel(c, &h);
		break;
	case PORT_WIRE_KICK:
		ok = len == 0 && port_conn_on_kick(c);
		break;
	case PORT_WIRE_REPLY:
		ok = port_conn_on_reply(c, &h, data, len);
		break;
	case PORT_WIRE_SEND:
		ok = port_conn_on_send(c, &h, data, len);
		break;
	default:
		break; /* CONNECT again: protocol violation */
	}
out:
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void port_conn_disconnect_locked(struct port_conn *c)
{
	if (!c->ended)
		port_conn_end_locked(c);
	shutdown(c->fd, SHUT_RDWR);
}

void port_conn_disconnect(struct port_conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->ended)
		port_conn_end_locked(c);
	pthread_mutex_unlock(&c->lock);
	shutdown(c->fd, SHUT_RDWR);
}
