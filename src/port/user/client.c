/*
 * A port connection on the client side.  Every request gets an id and waits
 * in the connection's list.  Whichever thread waits receives the host's
 * packets (leader/follower): a synchronous caller reads the socket itself
 * while no one else does, so its answer usually costs no thread switch; the
 * connection's reader thread reads while overlapped gets are pending and no
 * caller is reading.  A packet completes the matching request: it wakes a
 * synchronous caller, or finishes an OVERLAPPED (status, bytes, event,
 * completion packet).  When the connection ends, every pending request fails:
 * STATUS_PORT_DISCONNECTED (ERROR_INVALID_HANDLE) if the host ended it,
 * STATUS_CANCELLED (ERROR_OPERATION_ABORTED) after CloseHandle.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "port/user/client.h"

static void um_port_destroy(struct um_object *o)
{
	struct um_port *p = (struct um_port *)o;

	if (p->iocp)
		um_iocp_unref(p->iocp);
	close(p->fd);
	free(p->rbuf);
	pthread_cond_destroy(&p->reader_cv);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct um_port *um_port_ref(HANDLE h)
{
	return (struct um_port *)um_handle_ref(h, UM_KIND_PORT);
}

void um_port_unref(struct um_port *p)
{
	um_object_unref(&p->obj);
}

static void um_list_insert(struct um_port *p, struct um_request *r)
{
	r->next = &p->list;
	r->prev = p->list.prev;
	p->list.prev->next = r;
	p->list.prev = r;
}

static void um_list_remove(struct um_request *r)
{
	r->prev->next = r->next;
	r->next->prev = r->prev;
	r->next = r->prev = r;
}

static struct um_request *um_list_find(struct um_port *p, uint64_t id)
{
	for (struct um_request *r = p->list.next; r != &p->list; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/*
 * Under p->lock: finishes `r` with its status.  A synchronous request's
 * caller is woken; an asynchronous one is returned for um_port_finish_async,
 * which signals outside the lock.
 */
static struct um_request *um_port_complete(struct um_port *p, struct um_request *r)
{
	um_list_remove(r);
	r->done = TRUE;
	if (r->ov) {
		r->ov->InternalHigh = r->bytes;
		__atomic_store_n(&r->ov->Internal, (ULONG_PTR)(ULONG)r->status, __ATOMIC_RELEASE);
	}
	pthread_cond_broadcast(&p->cv);
	return r->ov ? r : NULL;
}

static void um_port_finish_async(struct um_port *p, struct um_request *r)
{
	if (r->event)
		um_event_set(r->event);
	if (r->post && p->iocp)
		um_iocp_post(p->iocp, r->bytes, p->key, r->ov, r->status);
	free(r);
}

static void um_port_fill_get(struct um_request *r, const struct port_wire_header *h,
			     const uint8_t *data, size_t len)
{
	FILTER_MESSAGE_HEADER mh = { .ReplyLength = h->value, .MessageId = h->message };

	if (sizeof(mh) + len > r->size) {
		r->status = STATUS_BUFFER_TOO_SMALL;
		return;
	}
	memcpy(r->buf, &mh, sizeof(mh));
	memcpy((uint8_t *)r->buf + sizeof(mh), data, len);
	r->bytes = (DWORD)(sizeof(mh) + len);
	r->status = STATUS_SUCCESS;
}

/* Under p->lock: applies one host packet to its request; NULL if none. */
static struct um_request *um_port_apply(struct um_port *p, const struct port_wire_header *h,
					const uint8_t *data, size_t len)
{
	struct um_request *r = um_list_find(p, h->id);

	if (!r)
		return NULL;
	switch (h->type) {
	case PORT_WIRE_DELIVER:
		if (r->type != PORT_WIRE_GET)
			return NULL;
		um_port_fill_get(r, h, data, len);
		break;
	case PORT_WIRE_GET_DONE:
		if (r->type != PORT_WIRE_GET || NT_SUCCESS((NTSTATUS)h->status))
			return NULL;
		r->status = (NTSTATUS)h->status;
		break;
	case PORT_WIRE_REPLY_DONE:
		if (r->type != PORT_WIRE_REPLY)
			return NULL;
		r->status = (NTSTATUS)h->status;
		break;
	case PORT_WIRE_SEND_DONE:
		if (r->type != PORT_WIRE_SEND)
			return NULL;
		r->bytes = (DWORD)(len < r->size ? len : r->size);
		if (r->bytes)
			memcpy(r->buf, data, r->bytes);
		r->status = (NTSTATUS)h->status;
		break;
	default:
		return NULL;
	}
	return um_port_complete(p, r);
}

/* Under p->lock: the connection ended; fails everything still pending. */
static struct um_request *um_port_fail_all_locked(struct um_port *p)
{
	struct um_request *async = NULL;

	p->broken = TRUE;
	while (p->list.next != &p->list) {
		struct um_request *r = p->list.next;

		r->status = p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
		if (um_port_complete(p, r)) {
			r->next = async;
			async = r;
		}
	}
	return async;
}

/* Finishes a chain of asynchronous requests (outside p->lock). */
static void um_port_finish_chain(struct um_port *p, struct um_request *async)
{
	while (async) {
		struct um_request *r = async;

		async = r->next;
		if (r->ov)
			__atomic_sub_fetch(&p->async_pending, 1, __ATOMIC_RELAXED);
		um_port_finish_async(p, r);
	}
}

/*
 * Under p->lock, with no other reader: receives one packet and applies it
 * (leader/follower: whichever thread waits reads, so a synchronous caller
 * usually gets its own answer without a thread switch).  Drops the lock
 * around recv and around finishing asynchronous completions.  With
 * wake_fd >= 0 (a completion port's packet count) it gives up reading as
 * soon as that becomes readable, so a completion-port waiter never sleeps
 * in recv while a packet is queued for it.
 */
#define UM_WOKEN (-2)

/* Receives a packet; with wake_fd >= 0, returns UM_WOKEN once it is readable. */
static ssize_t um_port_recv(struct um_port *p, int wake_fd)
{
	struct pollfd f[2] = { { .fd = p->fd, .events = POLLIN },
			       { .fd = wake_fd, .events = POLLIN } };
	ssize_t n;
	int r;

	if (wake_fd >= 0) {
		do {
			r = poll(f, 2, -1);
		} while (r < 0 && errno == EINTR);
		if (r > 0 && !(f[0].revents & (POLLIN | POLLHUP | POLLERR)))
			return UM_WOKEN;
	}
	do {
		n = recv(p->fd, p->rbuf, PORT_WIRE_MAX_PACKET, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	return n;
}

static void um_port_read_one(struct um_port *p, int wake_fd)
{
	struct um_request *async = NULL;
	struct port_wire_header h;
	ssize_t n;

	p->reading = TRUE;
	pthread_mutex_unlock(&p->lock);
	n = um_port_recv(p, wake_fd);
	pthread_mutex_lock(&p->lock);
	p->reading = FALSE;
	if (n == UM_WOKEN) {
		pthread_cond_signal(&p->reader_cv);
		return;
	}
	if (n <= 0 || (size_t)n > PORT_WIRE_MAX_PACKET) {
		async = um_port_fail_all_locked(p);
	} else if (port_wire_parse(p->rbuf, (size_t)n, FALSE, &h)) {
		async = um_port_apply(p, &h, p->rbuf + sizeof(h), (size_t)n - sizeof(h));
		if (async)
			async->next = NULL;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_cond_signal(&p->reader_cv);
	if (async) {
		pthread_mutex_unlock(&p->lock);
		um_port_finish_chain(p, async);
		pthread_mutex_lock(&p->lock);
	}
}

BOOL um_port_lead(struct um_port *p, int wake_fd)
{
	BOOL led = FALSE;

	pthread_mutex_lock(&p->lock);
	if (!p->broken && !p->reading &&
	    __atomic_load_n(&p->async_pending, __ATOMIC_RELAXED) != 0) {
		um_port_read_one(p, wake_fd);
		led = TRUE;
	}
	pthread_mutex_unlock(&p->lock);
	return led;
}

/* Reads for asynchronous requests while no synchronous caller does. */
static void *um_port_reader(void *arg)
{
	struct um_port *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->broken) {
		if (p->reading ||
		    (!p->closing && __atomic_load_n(&p->async_pending, __ATOMIC_RELAXED) == 0))
			pthread_cond_wait(&p->reader_cv, &p->lock);
		else
			um_port_read_one(p, -1);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

NTSTATUS um_port_transact(struct um_port *p, struct um_request *r, struct port_wire_header *h,
			  const void *data, size_t len)
{
	pthread_mutex_lock(&p->lock);
	if (p->broken) {
		pthread_mutex_unlock(&p->lock);
		return p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
	}
	r->id = h->id = ++p->next_id;
	r->type = h->type;
	r->tid = (pid_t)syscall(SYS_gettid);
	um_list_insert(p, r);
	pthread_mutex_unlock(&p->lock);

	if (port_wire_send(p->fd, h, data, len, 0) != 0) {
		/* The reader fails the request when it sees the end. */
		shutdown(p->fd, SHUT_RDWR);
	}
	pthread_mutex_lock(&p->lock);
	while (!r->done) {
		if (!p->reading)
			um_port_read_one(p, -1);
		else
			pthread_cond_wait(&p->cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return r->status;
}

NTSTATUS um_port_get_async(struct um_port *p, void *buf, DWORD size, LPOVERLAPPED ov)
{
	struct um_request *r = calloc(1, sizeof(*r));
	struct port_wire_header h;
	NTSTATUS status = STATUS_PENDING;

	if (!r)
		return STATUS_INSUFFICIENT_RESOURCES;
	r->buf = buf;
	r->size = size;
	r->ov = ov;
	r->event = (HANDLE)((uintptr_t)ov->hEvent & ~(uintptr_t)1);
	r->post = ((uintptr_t)ov->hEvent & 1) == 0;
	r->type = PORT_WIRE_GET;
	r->tid = (pid_t)syscall(SYS_gettid);
	if (r->event)
		um_event_reset(r->event);
	ov->InternalHigh = 0;
	__atomic_store_n(&ov->Internal, (ULONG_PTR)STATUS_PENDING, __ATOMIC_RELEASE);

	pthread_mutex_lock(&p->lock);
	if (p->broken) {
		status = p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
		__atomic_store_n(&ov->Internal, (ULONG_PTR)(ULONG)status, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&p->lock);
		free(r);
		return status;
	}
	port_wire_header_init(&h, PORT_WIRE_GET, ++p->next_id);
	r->id = h.id;
	h.value = size;
	um_list_insert(p, r);
	__atomic_add_fetch(&p->async_pending, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&p->reader_cv);
	pthread_mutex_unlock(&p->lock);

	if (port_wire_send(p->fd, &h, NULL, 0, 0) != 0)
		shutdown(p->fd, SHUT_RDWR);
	return status;
}

BOOL um_port_associate(struct um_port *p, struct um_iocp *iocp, ULONG_PTR key)
{
	BOOL ok = FALSE;

	pthread_mutex_lock(&p->lock);
	if (p->options & FLT_PORT_FLAG_SYNC_HANDLE) {
		SetLastError(ERROR_INVALID_PARAMETER);
		goto out;
	}
	if (p->iocp) {
		SetLastError(ERROR_INVALID_PARAMETER);
		goto out;
	}
	um_object_ref((struct um_object *)iocp);
	p->iocp = iocp;
	p->key = key;
	ok = TRUE;
out:
	pthread_mutex_unlock(&p->lock);
	return ok;
}

BOOL um_port_cancel(struct um_port *p, LPOVERLAPPED ov, BOOL this_thread_only)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	uint64_t ids[64];
	size_t n;
	BOOL found = FALSE;

	do {
		n = 0;
		pthread_mutex_lock(&p->lock);
		for (struct um_request *r = p->list.next; r != &p->list && n < 64; r = r->next) {
			if (r->type != PORT_WIRE_GET || r->cancel_sent)
				continue;
			if ((ov && r->ov != ov) || (this_thread_only && r->tid != tid))
				continue;
			r->cancel_sent = TRUE;
			ids[n++] = r->id;
		}
		pthread_mutex_unlock(&p->lock);
		for (size_t i = 0; i < n; i++) {
			struct port_wire_header h;

			port_wire_header_init(&h, PORT_WIRE_CANCEL, ids[i]);
			if (port_wire_send(p->fd, &h, NULL, 0, 0) != 0)
				shutdown(p->fd, SHUT_RDWR);
		}
		found |= n > 0;
	} while (n == 64);
	if (!found)
		SetLastError(ERROR_NOT_FOUND);
	return found;
}

BOOL um_port_overlapped_result(struct um_port *p, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait)
{
	NTSTATUS st;

	pthread_mutex_lock(&p->lock);
	while (wait && __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING)
		pthread_cond_wait(&p->cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
	st = (NTSTATUS)__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
	if (st == STATUS_PENDING) {
		SetLastError(ERROR_IO_INCOMPLETE);
		return FALSE;
	}
	*bytes = (DWORD)ov->InternalHigh;
	if (!NT_SUCCESS(st)) {
		SetLastError(um_status_to_win32(st));
		return FALSE;
	}
	return TRUE;
}

void um_port_close(struct um_port *p)
{
	if (p->iocp)
		um_iocp_forget(p->iocp, p);
	pthread_mutex_lock(&p->lock);
	p->closing = TRUE;
	pthread_cond_signal(&p->reader_cv);
	pthread_mutex_unlock(&p->lock);
	shutdown(p->fd, SHUT_RDWR);
	pthread_join(p->reader, NULL);
}

static NTSTATUS um_port_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
	case ENOTDIR:
		return STATUS_OBJECT_NAME_NOT_FOUND;
	case EACCES:
	case EPERM:
		return STATUS_ACCESS_DENIED;
	case ENOMEM:
	case ENOBUFS:
	case EMFILE:
	case ENFILE:
		return STATUS_INSUFFICIENT_RESOURCES;
	default:
		return STATUS_PORT_DISCONNECTED;
	}
}

/* Sends CONNECT and reads CONNECT_DONE on a fresh socket. */
static NTSTATUS um_port_handshake(int fd, DWORD options, const void *context, WORD size)
{
	struct port_wire_header h;
	uint8_t answer[sizeof(h) + 1];
	ssize_t n;
	int err;

	port_wire_header_init(&h, PORT_WIRE_CONNECT, 0);
	h.value = options;
	err = port_wire_send(fd, &h, context, size, 0);
	if (err)
		return um_port_errno_status(err);
	do {
		n = recv(fd, answer, sizeof(answer), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return um_port_errno_status(errno);
	if (!port_wire_parse(answer, (size_t)n, FALSE, &h) || h.type != PORT_WIRE_CONNECT_DONE)
		return STATUS_PORT_DISCONNECTED;
	return (NTSTATUS)h.status;
}

NTSTATUS um_port_connect(const char *path, DWORD options, const void *context, WORD size,
			 struct um_port **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct um_port *p = NULL;
	NTSTATUS status;
	int fd;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return STATUS_INSUFFICIENT_RESOURCES;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		status = um_port_errno_status(errno);
		goto out;
	}
	status = um_port_handshake(fd, options, context, size);
	if (!NT_SUCCESS(status))
		goto out;
	p = calloc(1, sizeof(*p));
	if (!p) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	um_object_init(&p->obj, UM_KIND_PORT, um_port_destroy);
	p->fd = fd;
	p->options = options;
	p->list.next = p->list.prev = &p->list;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->reader_cv, NULL);
	p->rbuf = malloc(PORT_WIRE_MAX_PACKET);
	if (!p->rbuf || pthread_create(&p->reader, NULL, um_port_reader, p) != 0) {
		free(p->rbuf);
		pthread_cond_destroy(&p->reader_cv);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->lock);
		free(p);
		p = NULL;
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	fd = -1;
	*out = p;
out:
	if (fd >= 0)
		close(fd);
	return status;
}
