/*
 * Sender waits: FltSendMessage's timeout convention (100-ns units; NULL
 * forever, 0 no wait, negative relative on the monotonic clock, positive
 * absolute system time since 1601) turned into a deadline for the
 * message's condition variable, which shares the connection's lock.
 */
#include <errno.h>
#include <time.h>

#include "port/port.h"

#define PORT_UNIX_EPOCH_100NS 116444736000000000LL
#define MINLONGLONG_VALUE (-MAXLONGLONG - 1)

static LONGLONG port_now_100ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (LONGLONG)ts.tv_sec * 10000000LL + ts.tv_nsec / 100;
}

/* Monotonic deadline in 100-ns units for a non-zero timeout. */
static LONGLONG port_deadline(LONGLONG timeout)
{
	LONGLONG now = port_now_100ns(CLOCK_MONOTONIC);
	LONGLONG span;

	if (timeout < 0)
		span = timeout == MINLONGLONG_VALUE ? MAXLONGLONG : -timeout;
	else
		span = timeout - (port_now_100ns(CLOCK_REALTIME) + PORT_UNIX_EPOCH_100NS);
	if (span > MAXLONGLONG - now)
		return MAXLONGLONG;
	return now + span;
}

NTSTATUS port_wait_msg(struct port_conn *c, struct port_msg *m, const LARGE_INTEGER *timeout)
{
	LONGLONG deadline;
	struct timespec ts;

	if (!timeout) {
		while (m->state != PORT_MSG_DONE)
			pthread_cond_wait(&m->cv, &c->lock);
		return STATUS_SUCCESS;
	}
	if (timeout->QuadPart == 0)
		return m->state == PORT_MSG_DONE ? STATUS_SUCCESS : STATUS_TIMEOUT;
	deadline = port_deadline(timeout->QuadPart);
	ts.tv_sec = deadline / 10000000LL;
	ts.tv_nsec = (long)(deadline % 10000000LL) * 100;
	while (m->state != PORT_MSG_DONE) {
		if (port_now_100ns(CLOCK_MONOTONIC) >= deadline ||
		    pthread_cond_timedwait(&m->cv, &c->lock, &ts) == ETIMEDOUT)
			return m->state == PORT_MSG_DONE ? STATUS_SUCCESS : STATUS_TIMEOUT;
	}
	return STATUS_SUCCESS;
}
