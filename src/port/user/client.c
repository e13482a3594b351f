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
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
	if (p->shm)
		munmap(p->shm, PORT_SHM_SIZE);
	free(p->rbuf);
	free(p->ra_buf);
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
 * caller is woken; an asynchronous one is returned (a chain of one) for
 * um_port_finish_async, which signals outside the lock.
 */
struct um_request *um_port_complete(struct um_port *p, struct um_request *r)
{
	um_list_remove(r);
	r->done = TRUE;
	if (r->type == PORT_WIRE_GET) {
		p->gets--;
		p->reader_needs -= r->needs_reader;
		um_credits_release(p, r);
	}
	if (r->ov) {
		r->ov->InternalHigh = r->bytes;
		__atomic_store_n(&r->ov->Internal, (ULONG_PTR)(ULONG)r->status, __ATOMIC_RELEASE);
	}
	if (r->sleeping) {
		/* Under p->lock, so the sleeper's `r` is still there. */
		__atomic_store_n(&r->wake, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &r->wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	pthread_cond_broadcast(&p->cv);
	r->next = NULL;
	return r->ov ? r : NULL;
}

struct um_request *um_port_chain(struct um_request *first, struct um_request *then)
{
	struct um_request *tail = first;

	if (!first)
		return then;
	while (tail->next)
		tail = tail->next;
	tail->next = then;
	return first;
}

static void um_port_finish_async(struct um_port *p, struct um_request *r)
{
	if (r->event)
		um_event_set(r->event);
	if (r->post && p->iocp)
		um_iocp_post(p->iocp, r->bytes, p->key, r->ov, r->status);
	free(r);
}

/* Under p->lock: remembers the reply slot a DELIVER names. */
void um_port_note_slot(struct um_port *p, const struct port_wire_header *h)
{
	uint32_t slot = (h->status & 0xFF) - 1;

	if (!p->shm || (h->status & 0xFF) == 0 || slot >= PORT_SHM_SLOTS ||
	    h->value < PORT_WIRE_REPLY_HEADER_SIZE)
		return;
	p->slots[slot] = (struct um_slot){
		.message = h->message,
		.word = port_shm_word(h->status >> 8, PORT_SHM_DELIVERED),
		.capacity = h->value - PORT_WIRE_REPLY_HEADER_SIZE,
		.used = TRUE,
	};
}

void um_port_fill_get(struct um_request *r, const struct port_wire_header *h, const uint8_t *data,
		      size_t len)
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
struct um_request *um_port_apply(struct um_port *p, const struct port_wire_header *h,
				 const uint8_t *data, size_t len)
{
	struct um_request *r;

	if (h->type == PORT_WIRE_RING)
		return NULL; /* the caller collects answered records */
	if (h->id == UM_READAHEAD_ID)
		return um_ra_apply(p, h, data, len);
	r = um_list_find(p, h->id);
	if (!r)
		return NULL;
	switch (h->type) {
	case PORT_WIRE_DELIVER:
		if (r->type != PORT_WIRE_GET)
			return NULL;
		um_port_fill_get(r, h, data, len);
		if (r->status == STATUS_SUCCESS)
			um_port_note_slot(p, h);
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
	p->ra_state = UM_RA_NONE;
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
void um_port_finish_chain(struct um_port *p, struct um_request *async)
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

/*
 * Receives a packet; returns UM_WOKEN once wake_fd (if >= 0) is readable
 * or `ms` have passed.  A waiter that would poll first tries a recv that
 * does not block: under load the next packet is usually there already,
 * and the poll would be a system call for nothing.
 */
static ssize_t um_port_recv(struct um_port *p, int wake_fd, DWORD ms)
{
	struct pollfd f[2] = { { .fd = p->fd, .events = POLLIN },
			       { .fd = wake_fd, .events = POLLIN } };
	int timeout = ms == INFINITE || ms > INT_MAX ? -1 : (int)ms;
	ssize_t n;
	int r;

	if (wake_fd >= 0 || ms != INFINITE) {
		do {
			n = recv(p->fd, p->rbuf, PORT_WIRE_MAX_PACKET, MSG_TRUNC | MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		do {
			r = poll(f, 2, timeout); /* poll ignores wake_fd < 0 */
		} while (r < 0 && errno == EINTR);
		if (r == 0 || (r > 0 && !(f[0].revents & (POLLIN | POLLHUP | POLLERR))))
			return UM_WOKEN;
	}
	do {
		n = recv(p->fd, p->rbuf, PORT_WIRE_MAX_PACKET, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Under p->lock, after reading: the reader thread takes over only for
 * overlapped gets or a close, so it is not woken (a thread switch per
 * packet) for a synchronous caller's packets.
 */
void um_port_wake_reader(struct um_port *p)
{
	if (p->closing || p->reader_needs || p->sync_waiters)
		pthread_cond_signal(&p->reader_cv);
}

/* Under p->lock: finishes `async` with the lock dropped. */
static void um_port_finish_unlocked(struct um_port *p, struct um_request *async)
{
	pthread_mutex_unlock(&p->lock);
	um_port_finish_chain(p, async);
	pthread_mutex_lock(&p->lock);
}

/*
 * Under p->lock, before a reader sleeps in recv: answered records are
 * collected instead (TRUE: the caller looks again).  With overlapped gets
 * pending, the reader counts itself in the region's bell, so the host
 * sends a RING for a record it answers meanwhile.
 */
static BOOL um_port_collect_first(struct um_port *p)
{
	struct um_request *async = um_port_collect(p);

	if (!async && p->credits && __atomic_load_n(&p->async_pending, __ATOMIC_RELAXED)) {
		/* Count then look: pairs with the host's publish then load. */
		__atomic_add_fetch(&p->credits->bell, 1, __ATOMIC_SEQ_CST);
		p->read_belled = TRUE;
		async = um_port_collect(p);
		if (async) {
			__atomic_sub_fetch(&p->credits->bell, 1, __ATOMIC_RELAXED);
			p->read_belled = FALSE;
		}
	}
	if (async)
		um_port_finish_unlocked(p, async);
	return async != NULL;
}

/* One packet (see um_port_read_one); TRUE when it was a RING that completed nothing. */
static BOOL um_port_read_packet(struct um_port *p, int wake_fd, DWORD ms)
{
	struct um_request *async = NULL;
	struct port_wire_header h;
	BOOL idle_ring = FALSE;
	ssize_t n;

	if (um_port_collect_first(p))
		return FALSE;
	p->reading = TRUE;
	pthread_mutex_unlock(&p->lock);
	n = um_port_recv(p, wake_fd, ms);
	pthread_mutex_lock(&p->lock);
	p->reading = FALSE;
	if (p->read_belled) {
		__atomic_sub_fetch(&p->credits->bell, 1, __ATOMIC_RELAXED);
		p->read_belled = FALSE;
	}
	if (n == UM_WOKEN) {
		um_port_wake_reader(p);
		return FALSE;
	}
	if (n <= 0 || (size_t)n > PORT_WIRE_MAX_PACKET) {
		async = um_port_fail_all_locked(p);
	} else if (port_wire_parse(p->rbuf, (size_t)n, FALSE, &h)) {
		async = um_port_apply(p, &h, p->rbuf + sizeof(h), (size_t)n - sizeof(h));
		async = um_port_chain(async, um_port_collect(p));
		idle_ring = h.type == PORT_WIRE_RING && !async;
	}
	pthread_cond_broadcast(&p->cv);
	um_port_wake_reader(p);
	if (async)
		um_port_finish_unlocked(p, async);
	return idle_ring;
}

/*
 * A RING whose record was already collected (its reader found the answer
 * on its second look) says nothing: the packet behind it is read at once,
 * without waiting, so a reader with no time left does not stop at it.
 */
static void um_port_read_one(struct um_port *p, int wake_fd, DWORD ms)
{
	while (um_port_read_packet(p, wake_fd, ms))
		ms = 0;
}

BOOL um_port_lead(struct um_port *p, int wake_fd, DWORD ms)
{
	BOOL led = FALSE;

	pthread_mutex_lock(&p->lock);
	if (!p->broken && !p->reading &&
	    __atomic_load_n(&p->async_pending, __ATOMIC_RELAXED) != 0) {
		um_port_read_one(p, wake_fd, ms);
		led = TRUE;
	}
	pthread_mutex_unlock(&p->lock);
	return led;
}

/*
 * Reads for overlapped gets no completion-port waiter reads for (an event,
 * no completion packet, no completion port, another connection led, or a
 * completion port whose fd was handed out) while no one else reads, and
 * sees the end after CloseHandle.
 */
static void *um_port_reader(void *arg)
{
	struct um_port *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->broken) {
		if (p->reading || (!p->closing && !p->reader_needs && !p->sync_waiters))
			pthread_cond_wait(&p->reader_cv, &p->lock);
		else
			um_port_read_one(p, -1, INFINITE);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* The calling thread's id, for CancelIo (cached: a system call per get otherwise). */
static __thread pid_t um_tid;
static pthread_once_t um_tid_once = PTHREAD_ONCE_INIT;

/* A forked child's only thread must not keep its parent thread's id. */
static void um_tid_forget(void)
{
	um_tid = 0;
}

static void um_tid_init(void)
{
	pthread_atfork(NULL, NULL, um_tid_forget);
}

pid_t um_thread_id(void)
{
	if (!um_tid) {
		pthread_once(&um_tid_once, um_tid_init);
		um_tid = (pid_t)syscall(SYS_gettid);
	}
	return um_tid;
}

/* Under p->lock: gives `r` an id and makes it pending. */
static void um_port_enlist(struct um_port *p, struct um_request *r, struct port_wire_header *h)
{
	r->id = h->id = ++p->next_id;
	r->type = h->type;
	r->tid = um_thread_id();
	um_list_insert(p, r);
}

void um_port_send(struct um_port *p, const struct port_wire_header *h, const void *data,
			 size_t len)
{
	if (port_wire_send(p->fd, h, data, len, 0) != 0) {
		/* The reader fails pending requests when it sees the end. */
		shutdown(p->fd, SHUT_RDWR);
	}
}

/* Waits for `r`, reading the socket while no one else does. */
static NTSTATUS um_port_wait(struct um_port *p, struct um_request *r)
{
	pthread_mutex_lock(&p->lock);
	while (!r->done) {
		if (!p->reading)
			um_port_read_one(p, -1, INFINITE);
		else
			pthread_cond_wait(&p->cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return r->status;
}

static NTSTATUS um_port_gone(struct um_port *p)
{
	return p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
}

NTSTATUS um_port_transact(struct um_port *p, struct um_request *r, struct port_wire_header *h,
			  const void *data, size_t len)
{
	pthread_mutex_lock(&p->lock);
	if (p->broken) {
		pthread_mutex_unlock(&p->lock);
		return um_port_gone(p);
	}
	um_port_enlist(p, r, h);
	pthread_mutex_unlock(&p->lock);
	um_port_send(p, h, data, len);
	return um_port_wait(p, r);
}

/*
 * Under p->lock, port not broken: makes GET `r` (buffer set) pending, as a
 * region record when one is free, else as a GET packet.  `h` is what to
 * send: the GET, a KICK, or nothing (type 0); `*wake`: wake the senders
 * sleeping on the ring head.  A message read ahead may complete `r` at
 * once (*served: r if it is overlapped, for um_port_finish_chain).  FALSE
 * when the connection already has PORT_SHM_RECORDS gets outstanding (the
 * host's own limit on GET packets is the same).
 */
static BOOL um_port_start_get(struct um_port *p, struct um_request *r, struct port_wire_header *h,
			      BOOL *wake, struct um_request **served)
{
	int want;

	*wake = FALSE;
	if (p->gets >= PORT_SHM_RECORDS)
		return FALSE;
	port_wire_header_init(h, PORT_WIRE_GET, 0);
	h->value = r->size;
	um_port_enlist(p, r, h);
	p->gets++;
	if (um_ra_serve(p, r, served)) {
		h->type = 0;
		return TRUE;
	}
	want = um_credits_post(p, r);
	if (want < 0)
		return TRUE;
	*wake = (want & PORT_SHM_WANT_WAKE) != 0;
	if (want & PORT_SHM_WANT_KICK)
		port_wire_header_init(h, PORT_WIRE_KICK, 0);
	else
		h->type = 0;
	return TRUE;
}

/* Outside p->lock: tells the host about a GET um_port_start_get made pending. */
static void um_port_announce_get(struct um_port *p, const struct port_wire_header *h, BOOL wake)
{
	if (wake)
		um_credits_wake(p);
	if (h->type)
		um_port_send(p, h, NULL, 0);
}

NTSTATUS um_port_get(struct um_port *p, struct um_request *r)
{
	struct um_request *served;
	struct port_wire_header h;
	BOOL wake, record;

	pthread_mutex_lock(&p->lock);
	if (p->broken || !um_port_start_get(p, r, &h, &wake, &served)) {
		NTSTATUS status = p->broken ? um_port_gone(p) : STATUS_INSUFFICIENT_RESOURCES;

		pthread_mutex_unlock(&p->lock);
		return status;
	}
	record = r->has_record;
	pthread_mutex_unlock(&p->lock);
	um_port_announce_get(p, &h, wake);
	return record ? um_port_wait_get(p, r) : um_port_wait(p, r);
}

/* Under p->lock: takes the slot of `message`, or -1. */
static int um_port_take_slot(struct um_port *p, uint64_t message, struct um_slot *out)
{
	for (unsigned i = 0; i < PORT_SHM_SLOTS; i++) {
		if (!p->slots[i].used || p->slots[i].message != message)
			continue;
		*out = p->slots[i];
		p->slots[i].used = FALSE;
		return (int)i;
	}
	return -1;
}

/* What a reply that lost its compare-and-swap to word `w` means. */
static NTSTATUS um_port_reply_lost(struct um_port *p, int32_t w)
{
	if ((port_shm_awake(w) & 0xFF) == PORT_SHM_DEAD)
		return p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
	return STATUS_FLT_NO_WAITER_FOR_REPLY;
}

/*
 * Moves the slot word from `from` to `to`, keeping the sender's sleeping
 * bit (which the sender may set at any moment).  FALSE when the word holds
 * something else; `*w` is the word replaced (or found).
 */
static BOOL um_port_slot_move(struct port_shm_slot *slot, int32_t from, int32_t to, int32_t *w)
{
	*w = __atomic_load_n(&slot->word, __ATOMIC_ACQUIRE);
	do {
		if (port_shm_awake(*w) != from)
			return FALSE;
	} while (!__atomic_compare_exchange_n(&slot->word, w, to | (*w & PORT_SHM_SLEEPING), FALSE,
					      __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
	return TRUE;
}

NTSTATUS um_port_reply_shm(struct um_port *p, uint64_t message, const void *data, DWORD len)
{
	struct port_shm_slot *slot;
	struct um_slot s;
	int32_t w;
	int i, want = -1;

	pthread_mutex_lock(&p->lock);
	if (p->broken) {
		pthread_mutex_unlock(&p->lock);
		return p->closing ? STATUS_CANCELLED : STATUS_PORT_DISCONNECTED;
	}
	i = len <= PORT_SHM_INLINE ? um_port_take_slot(p, message, &s) : -1;
	/* Before the sender can run again: its next message finds a credit. */
	if (i >= 0)
		want = um_ra_post(p);
	pthread_mutex_unlock(&p->lock);
	if (i < 0)
		return STATUS_NOT_FOUND;
	if (want > 0 && (want & PORT_SHM_WANT_WAKE))
		um_credits_wake(p);
	slot = &p->shm[i];
	if (!um_port_slot_move(slot, s.word, (s.word & ~0xFF) | PORT_SHM_WRITING, &w))
		return um_port_reply_lost(p, w);
	__atomic_store_n(&slot->reply_len, len, __ATOMIC_RELAXED);
	if (len)
		memcpy(slot->data, data, len);
	if (!um_port_slot_move(slot, (s.word & ~0xFF) | PORT_SHM_WRITING,
			       (s.word & ~0xFF) | PORT_SHM_REPLIED, &w)) {
		/* Expired while we wrote: hand the slot back to the host. */
		int32_t expired = (s.word & ~0xFF) | PORT_SHM_EXPIRED;

		__atomic_compare_exchange_n(&slot->word, &expired,
					    (s.word & ~0xFF) | PORT_SHM_FREE, FALSE,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		return um_port_reply_lost(p, w);
	}
	/* A sender that has not marked the word asleep sees it changed. */
	if (w & PORT_SHM_SLEEPING)
		syscall(SYS_futex, &slot->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return len > s.capacity ? STATUS_BUFFER_TOO_SMALL : STATUS_SUCCESS;
}

NTSTATUS um_port_get_async(struct um_port *p, void *buf, DWORD size, LPOVERLAPPED ov)
{
	struct um_request *r = calloc(1, sizeof(*r));
	struct um_request *served, *collected;
	struct port_wire_header h;
	NTSTATUS status = STATUS_PENDING;
	BOOL wake;

	if (!r)
		return STATUS_INSUFFICIENT_RESOURCES;
	r->buf = buf;
	r->size = size;
	r->ov = ov;
	r->event = (HANDLE)((uintptr_t)ov->hEvent & ~(uintptr_t)1);
	r->post = ((uintptr_t)ov->hEvent & 1) == 0;
	if (r->event)
		um_event_reset(r->event);
	ov->InternalHigh = 0;
	__atomic_store_n(&ov->Internal, (ULONG_PTR)STATUS_PENDING, __ATOMIC_RELEASE);

	pthread_mutex_lock(&p->lock);
	if (p->broken) {
		status = um_port_gone(p);
		__atomic_store_n(&ov->Internal, (ULONG_PTR)(ULONG)status, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&p->lock);
		free(r);
		return status;
	}
	/* A completion port's waiters read for gets they will dequeue. */
	r->needs_reader = r->event || !r->post || !p->iocp || !um_iocp_leads(p->iocp, p);
	if (!um_port_start_get(p, r, &h, &wake, &served)) {
		/* Too many gets: this one completes at once, with the error. */
		r->status = STATUS_INSUFFICIENT_RESOURCES;
		ov->InternalHigh = 0;
		__atomic_store_n(&ov->Internal, (ULONG_PTR)(ULONG)r->status, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->lock);
		um_port_finish_async(p, r);
		return status;
	}
	__atomic_add_fetch(&p->async_pending, 1, __ATOMIC_RELAXED);
	p->reader_needs += r->needs_reader;
	um_port_wake_reader(p);
	/* A thread in recv for synchronous gets is not counted in the bell:
	 * it is now, and a record answered before that is collected here. */
	if (p->reading && !p->read_belled && p->credits) {
		__atomic_add_fetch(&p->credits->bell, 1, __ATOMIC_SEQ_CST);
		p->read_belled = TRUE;
	}
	collected = um_port_collect(p);
	pthread_mutex_unlock(&p->lock);
	if (served) {
		served->next = NULL;
		um_port_finish_chain(p, served);
	}
	um_port_finish_chain(p, collected);
	um_port_announce_get(p, &h, wake);
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

BOOL um_port_overlapped_result(struct um_port *p, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait)
{
	NTSTATUS st;

	/* No reader thread may read for this get (a completion port's waiters
	 * do): a caller that polls reads what is there, one that waits leads. */
	pthread_mutex_lock(&p->lock);
	if (!wait && __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING &&
	    !p->reading && !p->broken)
		um_port_read_one(p, -1, 0);
	while (wait && __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING) {
		if (!p->reading && !p->broken)
			um_port_read_one(p, -1, INFINITE);
		else
			pthread_cond_wait(&p->cv, &p->lock);
	}
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

NTSTATUS um_port_connect(const char *path, DWORD options, const void *context, WORD size,
			 struct um_port **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct port_shm_slot *shm = NULL;
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
	status = um_port_handshake(fd, options, context, size, &shm);
	if (!NT_SUCCESS(status))
		goto out;
	p = calloc(1, sizeof(*p));
	if (!p) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	um_object_init(&p->obj, UM_KIND_PORT, um_port_destroy);
	p->fd = fd;
	p->shm = shm;
	um_credits_init(p);
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
	shm = NULL;
	*out = p;
out:
	if (fd >= 0)
		close(fd);
	if (shm)
		munmap(shm, PORT_SHM_SIZE);
	return status;
}
