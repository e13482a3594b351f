/*
 * Server ports: FltCreateCommunicationPort binds a SOCK_SEQPACKET socket in
 * the runtime's ports directory and starts an accept thread; each accepted
 * socket gets its own connection thread (session.c), so a slow or hostile
 * client only ever occupies its own thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ke/ke.h"
#include "flt/port_rundown.h"
#include "port/port.h"

pthread_mutex_t port_registry_lock = PTHREAD_MUTEX_INITIALIZER;
struct port_server *port_servers;
struct port_conn *port_conns;

/*
 * Connection threads are joinable: a finished one parks its record on
 * port_threads_done, and whoever comes next (a new connection, or
 * shutdown) joins it, so after altitude_port_shutdown no port thread is
 * left, not even one on its way out.
 */
struct port_thread {
	pthread_t thread;
	struct port_conn *conn;
	struct port_thread *next;
};

static pthread_cond_t port_threads_cv = PTHREAD_COND_INITIALIZER;
static unsigned port_threads_live;
static struct port_thread *port_threads_done;

/* Joins the finished connection threads. */
static void port_threads_reap(void)
{
	struct port_thread *done;

	pthread_mutex_lock(&port_registry_lock);
	done = port_threads_done;
	port_threads_done = NULL;
	pthread_mutex_unlock(&port_registry_lock);
	while (done) {
		struct port_thread *t = done;

		done = t->next;
		pthread_join(t->thread, NULL);
		free(t);
	}
}

void port_server_unref(struct port_server *s)
{
	if (__atomic_sub_fetch(&s->hdr.refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	s->hdr.magic = 0;
	port_sd_release(&s->sd);
	close(s->stop_fd);
	free(s);
}

static void *port_conn_thread(void *arg)
{
	struct port_thread *t = arg;

	port_conn_run(t->conn);
	pthread_mutex_lock(&port_registry_lock);
	t->next = port_threads_done;
	port_threads_done = t;
	if (--port_threads_live == 0)
		pthread_cond_broadcast(&port_threads_cv);
	pthread_mutex_unlock(&port_registry_lock);
	return NULL;
}

static void port_server_spawn(struct port_server *s, int fd)
{
	struct port_thread *t = malloc(sizeof(*t));
	struct port_conn *c = t ? port_conn_create(s, fd) : NULL;

	port_threads_reap();
	if (!c) {
		free(t);
		close(fd);
		return;
	}
	t->conn = c;
	pthread_mutex_lock(&port_registry_lock);
	c->next_conn = port_conns;
	port_conns = c;
	port_threads_live++;
	pthread_mutex_unlock(&port_registry_lock);
	if (pthread_create(&t->thread, NULL, port_conn_thread, t) == 0)
		return;
	port_conn_disconnect(c);
	pthread_mutex_lock(&port_registry_lock);
	for (struct port_conn **pp = &port_conns; *pp; pp = &(*pp)->next_conn) {
		if (*pp == c) {
			*pp = c->next_conn;
			break;
		}
	}
	if (--port_threads_live == 0)
		pthread_cond_broadcast(&port_threads_cv);
	pthread_mutex_unlock(&port_registry_lock);
	free(t);
	port_conn_unref(c);
}

static void *port_accept_thread(void *arg)
{
	struct port_server *s = arg;
	struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
			       { .fd = s->stop_fd, .events = POLLIN } };

	ke_irql_set(PASSIVE_LEVEL);
	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			port_server_spawn(s, fd);
	}
	return NULL;
}

/* The ports directory must exist and be the host's alone. */
static NTSTATUS port_server_prepare_dir(void)
{
	char dir[108];
	struct stat st;
	size_t n = port_wire_ports_dir(dir, sizeof(dir));

	if (!n)
		return STATUS_OBJECT_PATH_NOT_FOUND;
	*strrchr(dir, '/') = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return STATUS_OBJECT_PATH_NOT_FOUND;
	dir[strlen(dir)] = '/';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return STATUS_OBJECT_PATH_NOT_FOUND;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return STATUS_OBJECT_PATH_NOT_FOUND;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return STATUS_ACCESS_DENIED;
	return STATUS_SUCCESS;
}

/* A socket file left by a host that died is replaced; a live one is not. */
static BOOLEAN port_server_is_stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	BOOLEAN stale;

	if (fd < 0)
		return FALSE;
	stale = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static NTSTATUS port_server_bind(struct port_server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return STATUS_INSUFFICIENT_RESOURCES;
	memcpy(sa.sun_path, s->path, sizeof(sa.sun_path));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE || !port_server_is_stale(&sa) || unlink(s->path) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			return errno == EADDRINUSE ? STATUS_OBJECT_NAME_COLLISION
						   : STATUS_ACCESS_DENIED;
		}
	}
	/* Anyone may reach the socket; the security descriptor decides. */
	if (chmod(s->path, 0666) < 0 || listen(fd, 128) < 0) {
		unlink(s->path);
		close(fd);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	s->listen_fd = fd;
	return STATUS_SUCCESS;
}

/*
 * FltUnregisterFilter's port step: ends the filter's connections (each
 * connection thread then calls DisconnectNotify once and drops its filter
 * reference) and counts the filter's server ports still open.
 */
static ULONG port_filter_stop(PFLT_FILTER filter)
{
	ULONG open = 0;

	pthread_mutex_lock(&port_registry_lock);
	for (struct port_conn *c = port_conns; c; c = c->next_conn) {
		if (c->server->filter == filter)
			port_conn_disconnect(c);
	}
	for (struct port_server *s = port_servers; s; s = s->next_server)
		open += s->filter == filter;
	pthread_mutex_unlock(&port_registry_lock);
	return open;
}

static NTSTATUS port_server_check(PFLT_FILTER Filter, PFLT_PORT *ServerPort,
				  POBJECT_ATTRIBUTES oa, PFLT_CONNECT_NOTIFY connect,
				  PFLT_DISCONNECT_NOTIFY disconnect, LONG max)
{
	if (!Filter || !ServerPort || !oa || !oa->ObjectName || !connect || !disconnect ||
	    max <= 0)
		return STATUS_INVALID_PARAMETER;
	if (!(oa->Attributes & OBJ_KERNEL_HANDLE))
		return STATUS_INVALID_PARAMETER;
	if (!oa->ObjectName->Buffer || oa->ObjectName->Length % sizeof(WCHAR) ||
	    oa->ObjectName->Length > oa->ObjectName->MaximumLength)
		return STATUS_OBJECT_NAME_INVALID;
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltCreateCommunicationPort(PFLT_FILTER Filter, PFLT_PORT *ServerPort,
					   POBJECT_ATTRIBUTES ObjectAttributes,
					   PVOID ServerPortCookie,
					   PFLT_CONNECT_NOTIFY ConnectNotifyCallback,
					   PFLT_DISCONNECT_NOTIFY DisconnectNotifyCallback,
					   PFLT_MESSAGE_NOTIFY MessageNotifyCallback,
					   LONG MaxConnections)
{
	struct port_server *s = NULL;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltCreateCommunicationPort"))
		return STATUS_UNSUCCESSFUL;
	status = port_server_check(Filter, ServerPort, ObjectAttributes, ConnectNotifyCallback,
				   DisconnectNotifyCallback, MaxConnections);
	if (!NT_SUCCESS(status))
		return status;
	/* The port's reference on its filter, until FltCloseCommunicationPort. */
	status = flt_port_filter_reference(Filter);
	if (!NT_SUCCESS(status))
		return status;
	flt_port_set_stop(port_filter_stop);
	s = calloc(1, sizeof(*s));
	if (!s) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	s->hdr.magic = PORT_MAGIC_SERVER;
	s->hdr.refs = 1;
	s->filter = Filter;
	s->cookie = ServerPortCookie;
	s->connect_notify = ConnectNotifyCallback;
	s->disconnect_notify = DisconnectNotifyCallback;
	s->message_notify = MessageNotifyCallback;
	s->max_connections = MaxConnections;
	s->listen_fd = s->stop_fd = -1;
	status = port_wire_socket_path(ObjectAttributes->ObjectName->Buffer,
				       ObjectAttributes->ObjectName->Length / sizeof(WCHAR),
				       s->path, sizeof(s->path));
	if (NT_SUCCESS(status))
		status = port_server_prepare_dir();
	if (NT_SUCCESS(status))
		status = port_sd_copy(ObjectAttributes->SecurityDescriptor, &s->sd);
	if (!NT_SUCCESS(status))
		goto out;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	status = port_server_bind(s);
	if (!NT_SUCCESS(status))
		goto out;
	s->accepting = TRUE;
	if (pthread_create(&s->accept_thread, NULL, port_accept_thread, s) != 0) {
		unlink(s->path);
		close(s->listen_fd);
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	pthread_mutex_lock(&port_registry_lock);
	s->next_server = port_servers;
	port_servers = s;
	pthread_mutex_unlock(&port_registry_lock);
	*ServerPort = (PFLT_PORT)s;
	s = NULL;
out:
	if (!NT_SUCCESS(status))
		flt_port_filter_release(Filter);
	if (s) {
		if (s->stop_fd >= 0)
			close(s->stop_fd);
		port_sd_release(&s->sd);
		free(s);
	}
	return status;
}

/* Stops accepting (once): joins the accept thread, removes the socket. */
static void port_server_stop(struct port_server *s)
{
	uint64_t one = 1;
	BOOLEAN was;

	pthread_mutex_lock(&port_registry_lock);
	was = s->accepting;
	s->accepting = FALSE;
	pthread_mutex_unlock(&port_registry_lock);
	if (!was)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_join(s->accept_thread, NULL);
	unlink(s->path);
	close(s->listen_fd);
}

VOID FLTAPI FltCloseCommunicationPort(PFLT_PORT ServerPort)
{
	struct port_server *s = (struct port_server *)ServerPort;
	BOOLEAN open = FALSE;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltCloseCommunicationPort"))
		return;
	if (!s)
		return;
	/* Found by address: a port closed before (or never created) is left alone. */
	pthread_mutex_lock(&port_registry_lock);
	for (struct port_server **pp = &port_servers; *pp; pp = &(*pp)->next_server) {
		if (*pp == s) {
			*pp = s->next_server;
			open = TRUE;
			break;
		}
	}
	pthread_mutex_unlock(&port_registry_lock);
	if (!open)
		return;
	port_server_stop(s);
	flt_port_filter_release(s->filter);
	port_server_unref(s);
}

/* Under port_registry_lock: a referenced server still accepting, or NULL. */
static struct port_server *port_next_accepting(void)
{
	for (struct port_server *s = port_servers; s; s = s->next_server) {
		if (s->accepting) {
			__atomic_add_fetch(&s->hdr.refs, 1, __ATOMIC_RELAXED);
			return s;
		}
	}
	return NULL;
}

/* Under port_registry_lock: a referenced connection not yet shut down. */
static struct port_conn *port_next_live(void)
{
	for (struct port_conn *c = port_conns; c; c = c->next_conn) {
		if (!c->shutting_down) {
			c->shutting_down = TRUE;
			port_conn_ref(c);
			return c;
		}
	}
	return NULL;
}

void altitude_port_shutdown(void)
{
	struct port_server *s;
	struct port_conn *c;

	pthread_mutex_lock(&port_registry_lock);
	while ((s = port_next_accepting())) {
		pthread_mutex_unlock(&port_registry_lock);
		port_server_stop(s);
		port_server_unref(s);
		pthread_mutex_lock(&port_registry_lock);
	}
	while ((c = port_next_live())) {
		pthread_mutex_unlock(&port_registry_lock);
		port_conn_disconnect(c);
		port_conn_unref(c);
		pthread_mutex_lock(&port_registry_lock);
	}
	while (port_threads_live)
		pthread_cond_wait(&port_threads_cv, &port_registry_lock);
	pthread_mutex_unlock(&port_registry_lock);
	port_threads_reap();
}

LONG port_test_connections(PFLT_PORT server_port)
{
	struct port_server *s = (struct port_server *)server_port;
	LONG n;

	pthread_mutex_lock(&port_registry_lock);
	n = s->connections;
	pthread_mutex_unlock(&port_registry_lock);
	return n;
}
