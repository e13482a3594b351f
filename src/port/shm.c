/*
 * The per-connection reply region (see wire.h).  The host creates the memfd
 * and seals its size before the client sees it, so a client can neither
 * shrink it under the host's mapping (SIGBUS) nor grow it.  Which slot
 * belongs to which message is host-private (slot_owner); the region only
 * carries the slot words and reply bytes, which the host re-validates.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ke/ke.h"
#include "port/port.h"

int port_shm_create(struct port_conn *c)
{
	void *map;
	int fd;

	if (!ke_wait_word_supported())
		return -1;
	fd = memfd_create("altitude-port", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, PORT_SHM_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	map = mmap(NULL, PORT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	pthread_mutex_lock(&c->lock); /* senders may already be at work */
	c->shm = map;
	/* A message queued before the region existed found no `want` to
	 * publish: the client's first post must KICK for it. */
	port_credits_publish_want(c);
	pthread_mutex_unlock(&c->lock);
	return fd;
fail:
	close(fd);
	return -1;
}

void port_shm_destroy(struct port_conn *c)
{
	if (c->shm)
		munmap(c->shm, PORT_SHM_SIZE);
	c->shm = NULL;
}

/*
 * A slot expired while the client was writing its reply stays out of use
 * until the client, having lost its publish, turns EXPIRED into FREE: a
 * slow writer must not scribble over the slot's next message.
 */
static struct port_msg port_shm_quarantine;

static BOOLEAN port_shm_usable(struct port_conn *c, unsigned i)
{
	if (c->slot_owner[i] != &port_shm_quarantine)
		return c->slot_owner[i] == NULL;
	if ((port_shm_awake(__atomic_load_n(&c->shm[i].word, __ATOMIC_ACQUIRE)) & 0xFF) !=
	    PORT_SHM_FREE)
		return FALSE;
	c->slot_owner[i] = NULL;
	return TRUE;
}

void port_shm_attach(struct port_conn *c, struct port_msg *m)
{
	m->slot = -1;
	if (!c->shm || !m->want_reply)
		return;
	for (unsigned i = 0; i < PORT_SHM_SLOTS; i++) {
		if (!port_shm_usable(c, i))
			continue;
		c->slot_owner[i] = m;
		c->slot_gen = (c->slot_gen + 1) & PORT_SHM_GEN_MASK;
		m->slot = (int)i;
		m->slot_word = port_shm_word(c->slot_gen, PORT_SHM_DELIVERED);
		__atomic_store_n(&c->shm[i].word, m->slot_word, __ATOMIC_RELEASE);
		return;
	}
}

void port_shm_detach(struct port_conn *c, struct port_msg *m, BOOLEAN quarantine)
{
	if (m->slot < 0)
		return;
	if (quarantine && !c->ended) {
		c->slot_owner[m->slot] = &port_shm_quarantine;
		m->slot = -1;
		return;
	}
	if (!c->ended) /* an ended connection's slots stay DEAD */
		__atomic_store_n(&c->shm[m->slot].word, port_shm_word(0, PORT_SHM_FREE),
				 __ATOMIC_RELEASE);
	c->slot_owner[m->slot] = NULL;
	m->slot = -1;
}

void port_shm_kill(struct port_conn *c)
{
	if (!c->shm)
		return;
	for (unsigned i = 0; i < PORT_SHM_SLOTS; i++)
		if (c->slot_owner[i] && c->slot_owner[i] != &port_shm_quarantine)
			__atomic_store_n(&c->shm[i].word, port_shm_word(0, PORT_SHM_DEAD),
					 __ATOMIC_RELEASE);
}

/* How often a client may change its slot word under a deciding host. */
#define PORT_SHM_MAX_FLIPS 16

BOOLEAN port_shm_take(struct port_conn *c, struct port_msg *m)
{
	int32_t w;

	if (m->slot < 0)
		return TRUE;
	w = __atomic_load_n(&c->shm[m->slot].word, __ATOMIC_ACQUIRE);
	/* The sender may set its sleeping bit meanwhile: try again then. */
	for (unsigned flips = 0; flips <= PORT_SHM_MAX_FLIPS; flips++) {
		if (port_shm_awake(w) != m->slot_word)
			return FALSE;
		if (__atomic_compare_exchange_n(&c->shm[m->slot].word, &w,
						(m->slot_word & ~0xFF) | PORT_SHM_TAKEN, FALSE,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return TRUE;
	}
	return FALSE;
}

/*
 * Under c->lock: copies the reply the client published in m's slot (its
 * length read once and bounded).  STATUS_INVALID_PARAMETER when the length
 * is a lie.
 */
static NTSTATUS port_shm_copy_reply(struct port_conn *c, struct port_msg *m)
{
	struct port_shm_slot *slot = &c->shm[m->slot];
	uint32_t len = __atomic_load_n(&slot->reply_len, __ATOMIC_RELAXED);

	if (len > PORT_SHM_INLINE)
		return STATUS_INVALID_PARAMETER;
	m->reply_len = len > m->reply_capacity ? m->reply_capacity : len;
	if (m->reply_len)
		memcpy(m->reply, slot->data, m->reply_len);
	return len > m->reply_capacity ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* Under c->lock: a published reply becomes m's result. */
static NTSTATUS port_shm_take_reply(struct port_conn *c, struct port_msg *m)
{
	NTSTATUS status = port_shm_copy_reply(c, m);

	if (status == STATUS_INVALID_PARAMETER)
		return status;
	port_msg_list_remove(m);
	m->state = PORT_MSG_DONE;
	return status;
}

NTSTATUS port_shm_end_msg(struct port_conn *c, struct port_msg *m)
{
	int32_t gen = m->slot_word & ~0xFF, old;
	NTSTATUS status;

	if (m->slot < 0)
		return STATUS_PORT_DISCONNECTED;
	old = __atomic_exchange_n(&c->shm[m->slot].word, port_shm_word(0, PORT_SHM_DEAD),
				  __ATOMIC_ACQ_REL);
	if (port_shm_awake(old) != (gen | PORT_SHM_REPLIED))
		return STATUS_PORT_DISCONNECTED;
	status = port_shm_copy_reply(c, m);
	return status == STATUS_INVALID_PARAMETER ? STATUS_PORT_DISCONNECTED : status;
}

NTSTATUS port_shm_violation(struct port_conn *c)
{
	port_conn_disconnect_locked(c);
	return STATUS_PORT_DISCONNECTED;
}

NTSTATUS port_shm_decide(struct port_conn *c, struct port_msg *m, BOOLEAN give_up,
				    NTSTATUS waited, int32_t *expected, unsigned *flips)
{
	int32_t gen = m->slot_word & ~0xFF;
	int32_t w = __atomic_load_n(&c->shm[m->slot].word, __ATOMIC_ACQUIRE);
	int32_t state = port_shm_awake(w);
	NTSTATUS status;

	if (state == (gen | PORT_SHM_REPLIED)) {
		status = port_shm_take_reply(c, m);
		return status == STATUS_INVALID_PARAMETER ? port_shm_violation(c) : status;
	}
	if (state != m->slot_word && state != (gen | PORT_SHM_WRITING))
		return port_shm_violation(c);
	if (!give_up) {
		*expected = w;
		return STATUS_PENDING;
	}
	if (!__atomic_compare_exchange_n(&c->shm[m->slot].word, &w, gen | PORT_SHM_EXPIRED, FALSE,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Changed under us: decide again, but a client that keeps
		 * flipping the word only gets itself disconnected. */
		if (++*flips > PORT_SHM_MAX_FLIPS)
			return port_shm_violation(c);
		return port_shm_decide(c, m, give_up, waited, expected, flips);
	}
	m->expired_writing = state == (gen | PORT_SHM_WRITING);
	port_msg_list_remove(m);
	m->state = PORT_MSG_DONE;
	return waited;
}
