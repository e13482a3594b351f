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

/*
 * Sets the sleeping bit on the word the sender is about to wait on, so the
 * client's publish wakes it.  FALSE when the word moved meanwhile: the
 * caller then decides on the new word, as after a wake.
 */
static BOOLEAN port_wait_mark_sleeping(volatile int32_t *word, int32_t *expected)
{
	int32_t w = *expected;

	if (w & PORT_SHM_SLEEPING)
		return TRUE;
	if (!__atomic_compare_exchange_n(word, &w, w | PORT_SHM_SLEEPING, FALSE, __ATOMIC_SEQ_CST,
					 __ATOMIC_ACQUIRE))
		return FALSE;
	*expected = w | PORT_SHM_SLEEPING;
	return TRUE;
}

NTSTATUS port_wait_msg_word(struct port_conn *c, struct port_msg *m,
			    const LARGE_INTEGER *timeout, int32_t *expected)
{
	PVOID objects[1] = { &m->done };
	volatile int32_t *word = &c->shm[m->slot].word;
	LARGE_INTEGER t;
	NTSTATUS status;

	if (m->state == PORT_MSG_DONE)
		return STATUS_SUCCESS;
	if (timeout)
		t = *timeout;
	pthread_mutex_unlock(&c->lock);
	if (!port_wait_mark_sleeping(word, expected))
		status = STATUS_ALERTED;
	else
		status = ke_wait_objects_word(1, objects, timeout ? &t : NULL, TRUE,
					      (volatile LONG *)word, *expected);
	pthread_mutex_lock(&c->lock);
	return status == STATUS_WAIT_0 ? STATUS_SUCCESS : status;
}
