/*
 * The life of one connection on its host thread: handshake, packets, end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ke/ke.h"
#include "flt/port_rundown.h"
#include "port/port.h"

static void port_conn_set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static ssize_t port_conn_recv(int fd, uint8_t *buf)
{
	ssize_t n;

	do {
		n = recv(fd, buf, PORT_WIRE_MAX_PACKET, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Admission before the minifilter hears of the client. */
static NTSTATUS port_conn_admit(struct port_conn *c, const struct port_wire_header *h)
{
	struct port_server *s = c->server;
	NTSTATUS status = STATUS_SUCCESS;

	if (h->value & ~(uint32_t)1 /* FLT_PORT_FLAG_SYNC_HANDLE */)
		return STATUS_INVALID_PARAMETER;
	if (!port_sd_admits(&s->sd, c->uid, c->gid))
		return STATUS_ACCESS_DENIED;
	pthread_mutex_lock(&port_registry_lock);
	if (!s->accepting)
		status = STATUS_PORT_CONNECTION_REFUSED;
	else if (s->connections >= s->max_connections)
		status = STATUS_CONNECTION_COUNT_LIMIT;
	else
		s->connections++;
	pthread_mutex_unlock(&port_registry_lock);
	return status;
}

static void port_conn_release_slot(struct port_server *s)
{
	pthread_mutex_lock(&port_registry_lock);
	s->connections--;
	pthread_mutex_unlock(&port_registry_lock);
}

static NTSTATUS port_conn_handshake(struct port_conn *c, uint8_t *buf)
{
	struct port_server *s = c->server;
	struct port_wire_header h;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	NTSTATUS status;
	ssize_t n;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		return STATUS_ACCESS_DENIED;
	c->uid = cred.uid;
	c->gid = cred.gid;
	port_conn_set_timeout(c->fd, PORT_HANDSHAKE_MS);
	n = port_conn_recv(c->fd, buf);
	port_conn_set_timeout(c->fd, 0);
	if (n <= 0)
		return STATUS_PORT_DISCONNECTED;
	if (!port_wire_parse(buf, (size_t)n, TRUE, &h) || h.type != PORT_WIRE_CONNECT ||
	    (size_t)n - sizeof(h) > ALTITUDE_PORT_MAX_CONTEXT)
		return STATUS_INVALID_PARAMETER;
	status = port_conn_admit(c, &h);
	if (!NT_SUCCESS(status))
		return status;
	/* The connection's filter reference: released after DisconnectNotify. */
	if (!flt_port_callback_enter(s->filter)) {
		port_conn_release_slot(s);
		return STATUS_FLT_DELETING_OBJECT;
	}
	port_conn_ref(c); /* the minifilter's reference, released by FltCloseClientPort */
	/* Senders may use the port as soon as ConnectNotify has stored it. */
	pthread_mutex_lock(&c->lock);
	c->connected = TRUE;
	pthread_mutex_unlock(&c->lock);
	status = s->connect_notify((PFLT_PORT)c, s->cookie,
				   (size_t)n > sizeof(h) ? buf + sizeof(h) : NULL,
				   (ULONG)((size_t)n - sizeof(h)), &c->cookie);
	if (!NT_SUCCESS(status)) {
		port_conn_unref(c);
		port_conn_release_slot(s);
		flt_port_filter_release(s->filter);
	}
	return status;
}

/* CONNECT_DONE, with the reply region's memfd attached on success. */
static void port_conn_answer_connect(struct port_conn *c, NTSTATUS status)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct port_wire_header h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = NT_SUCCESS(status) ? port_shm_create(c) : -1;
	ssize_t n;

	port_wire_header_init(&h, PORT_WIRE_CONNECT_DONE, 0);
	h.status = (uint32_t)status;
	if (fd < 0) {
		pthread_mutex_lock(&c->lock);
		port_conn_send_locked(c, &h, NULL, 0);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	memset(&control, 0, sizeof(control));
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd, sizeof(int));
	do {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n != (ssize_t)sizeof(h))
		port_conn_disconnect(c);
}

static void port_conn_unregister(struct port_conn *c)
{
	struct port_conn **pp;

	pthread_mutex_lock(&port_registry_lock);
	for (pp = &port_conns; *pp; pp = &(*pp)->next_conn) {
		if (*pp == c) {
			*pp = c->next_conn;
			break;
		}
	}
	pthread_mutex_unlock(&port_registry_lock);
}

void port_conn_run(struct port_conn *c)
{
	uint8_t *buf = malloc(PORT_WIRE_MAX_PACKET);
	NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;

	ke_irql_set(PASSIVE_LEVEL);
	if (buf)
		status = port_conn_handshake(c, buf);
	if (status != STATUS_PORT_DISCONNECTED)
		port_conn_answer_connect(c, status);
	if (NT_SUCCESS(status)) {
		for (;;) {
			ssize_t n = port_conn_recv(c->fd, buf);

			if (n <= 0 || !port_conn_handle_packet(c, buf, (size_t)n))
				break;
		}
	}
	port_conn_disconnect(c);
	if (NT_SUCCESS(status)) {
		/*
		 * The slot is freed only after DisconnectNotify returns: a filter
		 * with MaxConnections 1 that keeps one client port (and closes it in
		 * DisconnectNotify, as the WDK samples do) never sees the next
		 * client's ConnectNotify before the old client's disconnect.
		 */
		c->server->disconnect_notify(c->cookie);
		port_conn_release_slot(c->server);
		flt_port_filter_release(c->server->filter);
	}
	free(buf);
	port_conn_unregister(c);
	port_conn_unref(c);
}
