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

static NTSTATUS port_send(struct port_conn *c, struct port_msg *m, const LARGE_INTEGER *timeout)
{
	NTSTATUS status;

	pthread_mutex_lock(&c->lock);
	if (c->ended || !c->connected) {
		pthread_mutex_unlock(&c->lock);
		return STATUS_PORT_DISCONNECTED;
	}
	m->id = __atomic_add_fetch(&c->server->next_message, 1, __ATOMIC_RELAXED);
	m->state = PORT_MSG_QUEUED;
	port_msg_list_append(&c->queue, m);
	port_conn_match_locked(c);
	status = port_wait_msg(c, m, timeout);
	status = port_send_settle(m, status);
	pthread_mutex_unlock(&c->lock);
	return status;
}

NTSTATUS FLTAPI FltSendMessage(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer,
			       ULONG SenderBufferLength, PVOID ReplyBuffer, PULONG ReplyLength,
			       PLARGE_INTEGER Timeout)
{
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
	status = port_send(c, &m, Timeout);
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

void port_test_wait_credits(PFLT_PORT client_port, unsigned count)
{
	struct port_conn *c = (struct port_conn *)client_port;

	pthread_mutex_lock(&c->lock);
	while (!c->ended && c->credit_count < count)
		pthread_cond_wait(&c->credit_cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
}
