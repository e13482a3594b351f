/*
 * I/O completion ports: a FIFO of completion packets, filled by completed
 * overlapped port I/O and PostQueuedCompletionStatus, drained by
 * GetQueuedCompletionStatus.  An eventfd in semaphore mode counts the queued
 * packets once the port's fd was handed out, so the port can sit in an epoll
 * set (altitude_completion_port_fd); before that it only wakes a waiter that
 * reads a connection (leader) when another thread queues a packet, and costs
 * no system call otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <altitude/port.h>
#include "port/user/um.h"

struct um_packet {
	struct um_packet *next;
	DWORD bytes;
	ULONG_PTR key;
	LPOVERLAPPED ov;
	NTSTATUS status;
};

struct um_iocp {
	struct um_object obj;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct um_packet *head, *tail;
	BOOL closed;
	int efd;
	struct um_port *port;   /* the first associated connection (weak) */
	BOOL leading;           /* a waiter reads that connection's socket */
	BOOL polled;            /* its fd was handed out: waiters may not come */
	unsigned efd_units;     /* written to efd and not read back yet */
	unsigned queued;        /* packets in the queue */
	pthread_t leader;
};

static void um_iocp_destroy(struct um_object *o)
{
	struct um_iocp *p = (struct um_iocp *)o;

	while (p->head) {
		struct um_packet *k = p->head;

		p->head = k->next;
		free(k);
	}
	close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct um_iocp *um_iocp_ref(HANDLE h)
{
	return (struct um_iocp *)um_handle_ref(h, UM_KIND_IOCP);
}

void um_iocp_unref(struct um_iocp *p)
{
	um_object_unref(&p->obj);
}

/* Called by CloseHandle: waiters return ERROR_ABANDONED_WAIT_0. */
void um_iocp_close(struct um_iocp *p)
{
	pthread_mutex_lock(&p->lock);
	p->closed = TRUE;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
}

/* Under p->lock: adds `n` units to the eventfd. */
static void um_iocp_efd_add(struct um_iocp *p, unsigned n)
{
	uint64_t v = n;

	if (n && write(p->efd, &v, sizeof(v)) == sizeof(v))
		p->efd_units += n;
}

/* Under p->lock: a packet was queued. */
static void um_iocp_count_up(struct um_iocp *p)
{
	p->queued++;
	if (p->polled || (p->leading && !pthread_equal(p->leader, pthread_self())))
		um_iocp_efd_add(p, 1);
}

/* Under p->lock: a packet was dequeued (semaphore mode: one unit per read). */
static void um_iocp_count_down(struct um_iocp *p)
{
	uint64_t v;

	p->queued--;
	if (p->efd_units > p->queued && read(p->efd, &v, sizeof(v)) == sizeof(v))
		p->efd_units--;
}

void um_iocp_forget(struct um_iocp *p, struct um_port *port)
{
	pthread_mutex_lock(&p->lock);
	if (p->port == port)
		p->port = NULL;
	pthread_mutex_unlock(&p->lock);
}

BOOL um_iocp_leads(struct um_iocp *iocp, struct um_port *port)
{
	BOOL leads;

	pthread_mutex_lock(&iocp->lock);
	leads = iocp->port == port && !iocp->closed && !iocp->polled;
	pthread_mutex_unlock(&iocp->lock);
	return leads;
}

/*
 * Under p->lock, queue empty: a waiter reads the associated connection
 * itself (for at most `ms`) when no one else does (leader/follower), so a
 * completion reaches it without a thread switch, and the connection's
 * reader thread stays asleep.  FALSE if it cannot lead.
 */
static BOOL um_iocp_lead(struct um_iocp *p, DWORD ms)
{
	struct um_port *port = p->port;
	BOOL led;

	if (!port || p->leading)
		return FALSE;
	um_object_ref((struct um_object *)port);
	p->leading = TRUE;
	p->leader = pthread_self();
	pthread_mutex_unlock(&p->lock);
	led = um_port_lead(port, p->efd, ms);
	pthread_mutex_lock(&p->lock);
	p->leading = FALSE;
	pthread_mutex_unlock(&p->lock);
	um_port_unref(port);
	pthread_mutex_lock(&p->lock);
	return led;
}

BOOL um_iocp_post(struct um_iocp *p, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov,
		  NTSTATUS status)
{
	struct um_packet *k = malloc(sizeof(*k));
	BOOL ok = FALSE;

	if (!k)
		return FALSE;
	*k = (struct um_packet){ NULL, bytes, key, ov, status };
	pthread_mutex_lock(&p->lock);
	if (p->closed)
		goto out;
	if (p->tail)
		p->tail->next = k;
	else
		p->head = k;
	p->tail = k;
	k = NULL;
	ok = TRUE;
	um_iocp_count_up(p);
	/* The leading waiter takes what it posts itself, without a wake-up. */
	if (!p->leading || !pthread_equal(p->leader, pthread_self()))
		pthread_cond_signal(&p->cv);
out:
	pthread_mutex_unlock(&p->lock);
	free(k);
	return ok;
}

static struct um_iocp *um_iocp_create(void)
{
	struct um_iocp *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	if (p->efd < 0) {
		free(p);
		return NULL;
	}
	um_object_init(&p->obj, UM_KIND_IOCP, um_iocp_destroy);
	pthread_mutex_init(&p->lock, NULL);
	um_cond_init(&p->cv);
	return p;
}

/* Associates FileHandle (a port connection) with the completion port. */
static BOOL um_iocp_associate(HANDLE file, struct um_iocp *p, ULONG_PTR key)
{
	struct um_port *port = um_port_ref(file);
	BOOL ok;

	if (!port) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	ok = um_port_associate(port, p, key);
	if (ok) {
		pthread_mutex_lock(&p->lock);
		if (!p->port)
			p->port = port;
		pthread_mutex_unlock(&p->lock);
	}
	um_port_unref(port);
	return ok;
}

HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
				     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads)
{
	struct um_iocp *p;
	HANDLE h = NULL;

	(void)NumberOfConcurrentThreads;
	if (ExistingCompletionPort) {
		if (FileHandle == INVALID_HANDLE_VALUE) {
			SetLastError(ERROR_INVALID_PARAMETER);
			return NULL;
		}
		p = um_iocp_ref(ExistingCompletionPort);
		if (!p) {
			SetLastError(ERROR_INVALID_HANDLE);
			return NULL;
		}
		if (um_iocp_associate(FileHandle, p, CompletionKey))
			h = ExistingCompletionPort;
		um_iocp_unref(p);
		return h;
	}
	p = um_iocp_create();
	if (!p) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	if (FileHandle != INVALID_HANDLE_VALUE && !um_iocp_associate(FileHandle, p, CompletionKey))
		goto fail;
	h = um_handle_insert(&p->obj);
	if (!h) {
		SetLastError(ERROR_NO_SYSTEM_RESOURCES);
		goto fail;
	}
	return h;
fail:
	um_iocp_unref(p);
	return NULL;
}

BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
				      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
				      DWORD dwMilliseconds)
{
	struct um_iocp *p;
	struct um_packet *k = NULL;
	struct timespec deadline;
	BOOL ok;

	if (!lpNumberOfBytesTransferred || !lpCompletionKey || !lpOverlapped) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	*lpOverlapped = NULL;
	p = um_iocp_ref(CompletionPort);
	if (!p) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	um_deadline(&deadline, dwMilliseconds);
	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->closed) {
		DWORD left = um_ms_left(&deadline, dwMilliseconds);

		/* Leading drops the lock: look at the queue again before sleeping;
		 * with no time left, one read that does not block. */
		if (um_iocp_lead(p, left)) {
			if (left == 0 && !p->head)
				break;
			continue;
		}
		if (left == 0 || um_cond_wait(&p->cv, &p->lock, &deadline, dwMilliseconds) == ETIMEDOUT)
			break;
	}
	if (p->head) {
		k = p->head;
		p->head = k->next;
		if (!p->head)
			p->tail = NULL;
		else
			pthread_cond_signal(&p->cv);
		um_iocp_count_down(p);
	} else {
		SetLastError(p->closed ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT);
	}
	pthread_mutex_unlock(&p->lock);
	um_iocp_unref(p);
	if (!k)
		return FALSE;
	*lpNumberOfBytesTransferred = k->bytes;
	*lpCompletionKey = k->key;
	*lpOverlapped = k->ov;
	/* A failed I/O still dequeues its packet, with the error as last error. */
	ok = NT_SUCCESS(k->status);
	if (!ok)
		SetLastError(um_status_to_win32(k->status));
	free(k);
	return ok;
}

BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
				       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped)
{
	struct um_iocp *p = um_iocp_ref(CompletionPort);
	BOOL ok;

	if (!p) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	ok = um_iocp_post(p, dwNumberOfBytesTransferred, dwCompletionKey, lpOverlapped,
			  STATUS_SUCCESS);
	um_iocp_unref(p);
	if (!ok)
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
	return ok;
}

int altitude_completion_port_fd(HANDLE completion_port)
{
	struct um_iocp *p = um_iocp_ref(completion_port);
	int fd;

	if (!p) {
		SetLastError(ERROR_INVALID_HANDLE);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	/* An epoll loop waits on the fd, not in GetQueuedCompletionStatus:
	 * connections' reader threads read for it from now on, and the fd
	 * counts every queued packet. */
	if (!p->polled && p->queued > p->efd_units)
		um_iocp_efd_add(p, p->queued - p->efd_units);
	p->polled = TRUE;
	fd = p->efd;
	pthread_mutex_unlock(&p->lock);
	um_iocp_unref(p);
	return fd;
}
