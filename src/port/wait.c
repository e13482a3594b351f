/*
 * Sender waits, on the ke dispatcher: each message has a notification
 * event that port_msg_finish sets.  The wait follows the kernel timeout
 * convention through the runtime clock (so tests drive it with the virtual
 * clock) and is terminable: a sender thread being terminated (host
 * shutdown, requester killed) returns STATUS_THREAD_IS_TERMINATING.
 */
#include "ke/ke.h"
#include "port/port.h"

void port_msg_event_init(struct port_msg *m)
{
	KeInitializeEvent(&m->done, NotificationEvent, FALSE);
}

void port_msg_finish(struct port_msg *m, NTSTATUS status)
{
	m->state = PORT_MSG_DONE;
	m->status = status;
	KeSetEvent(&m->done, 0, FALSE);
}

NTSTATUS port_wait_msg(struct port_conn *c, struct port_msg *m, const LARGE_INTEGER *timeout)
{
	PVOID objects[1] = { &m->done };
	LARGE_INTEGER t;
	NTSTATUS status;

	if (m->state == PORT_MSG_DONE)
		return STATUS_SUCCESS;
	if (timeout)
		t = *timeout;
	pthread_mutex_unlock(&c->lock);
	status = ke_wait_objects(1, objects, WaitAny, timeout ? &t : NULL, NULL, NULL, TRUE);
	pthread_mutex_lock(&c->lock);
	return status == STATUS_WAIT_0 ? STATUS_SUCCESS : status;
}
