/*
 * The control socket: <runtime dir>/fltmgrd.sock, mode 0660, group the
 * admin group.  A connection is admitted when its peer (SO_PEERCRED, read
 * before anything else) is root, the daemon's own user, or a member of the
 * admin group; anyone else gets one STATUS_ACCESS_DENIED reply and is
 * closed.  Each admitted client has its own thread, so a slow or silent
 * client blocks nobody else.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <altitude/ntstatus_defs.h>

#include "fltmgrd.h"

#define FM_MAX_CLIENTS 64

struct fm_client {
	int fd;
	bool used;
};

static int fm_listen_fd = -1;
static pthread_t fm_accept_thread;
static pthread_mutex_t fm_clients_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fm_clients_gone = PTHREAD_COND_INITIALIZER;
static struct fm_client fm_clients[FM_MAX_CLIENTS];
static unsigned fm_client_count;
static bool fm_stopping;
static gid_t fm_admin_gid;
static bool fm_have_admin_gid;

static bool fm_user_in_admin_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	if (!fm_have_admin_gid)
		return false;
	if (gid == fm_admin_gid)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == fm_admin_gid)
			return true;
	return false;
}

static bool fm_peer_admitted(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0)
		return false;
	return cred->uid == 0 || cred->uid == geteuid() ||
	       fm_user_in_admin_group(cred->uid, cred->gid);
}

static void fm_reply_error(int fd, int32_t status, const char *message)
{
	const char *strings[] = { message };

	ctl_send(fd, CTL_REPLY, status, strings, 1);
}

static void fm_client_serve(int fd)
{
	struct ctl_msg req;
	int rc;

	for (;;) {
		rc = ctl_recv(fd, &req);
		if (rc == EBADMSG) {
			fm_reply_error(fd, STATUS_INVALID_PARAMETER, "malformed request");
			continue;
		}
		if (rc == EPROTO) {
			fm_log(FM_WARNING, "control: malformed message header; connection closed");
			fm_reply_error(fd, STATUS_INVALID_PARAMETER,
				       "malformed message header (protocol version 1 expected)");
			return;
		}
		if (rc)
			return;
		if (!fm_request_handle(fd, &req)) {
			ctl_msg_clear(&req);
			return;
		}
		ctl_msg_clear(&req);
	}
}

static void *fm_client_main(void *arg)
{
	struct fm_client *c = arg;

	fm_client_serve(c->fd);
	pthread_mutex_lock(&fm_clients_lock);
	close(c->fd);
	c->used = false;
	if (--fm_client_count == 0)
		pthread_cond_broadcast(&fm_clients_gone);
	pthread_mutex_unlock(&fm_clients_lock);
	return NULL;
}

/* Takes a client slot and starts its thread; closes fd when it cannot. */
static void fm_client_start(int fd)
{
	struct fm_client *c = NULL;
	pthread_attr_t attr;
	pthread_t thread;

	pthread_mutex_lock(&fm_clients_lock);
	for (unsigned i = 0; !fm_stopping && i < FM_MAX_CLIENTS && !c; i++)
		if (!fm_clients[i].used)
			c = &fm_clients[i];
	if (c) {
		c->used = true;
		c->fd = fd;
		fm_client_count++;
	}
	pthread_mutex_unlock(&fm_clients_lock);
	if (!c) {
		fm_reply_error(fd, STATUS_INSUFFICIENT_RESOURCES, "too many control clients");
		close(fd);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, fm_client_main, c) != 0)
		fm_client_main(c);
	pthread_attr_destroy(&attr);
}

static void *fm_accept_main(void *arg)
{
	struct ucred cred;

	(void)arg;
	for (;;) {
		int fd = accept4(fm_listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return NULL;
		if (!fm_peer_admitted(fd, &cred)) {
			fm_log(FM_WARNING, "control: refused uid %u pid %d (not root nor in group %s)",
			       (unsigned)cred.uid, (int)cred.pid,
			       fm_options.admin_group[0] ? fm_options.admin_group : "-");
			fm_reply_error(fd, STATUS_ACCESS_DENIED,
				       "access denied: the control socket admits root and the admin group");
			close(fd);
			continue;
		}
		fm_client_start(fd);
	}
}

static void fm_admin_group_lookup(void)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (!fm_options.admin_group[0])
		return;
	if (getgrnam_r(fm_options.admin_group, &gr, buf, sizeof(buf), &res) == 0 && res) {
		fm_admin_gid = gr.gr_gid;
		fm_have_admin_gid = true;
		return;
	}
	fm_log(FM_WARNING, "admin group %s does not exist: the control socket admits root only",
	       fm_options.admin_group);
}

int fm_server_start(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int rc;

	fm_admin_group_lookup();
	if (ctl_socket_path(fm_options.runtime_dir, addr.sun_path, sizeof(addr.sun_path)))
		return ENAMETOOLONG;
	fm_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fm_listen_fd < 0)
		return errno;
	unlink(addr.sun_path);
	if (bind(fm_listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(addr.sun_path, 0660) != 0 ||
	    (fm_have_admin_gid && chown(addr.sun_path, geteuid(), fm_admin_gid) != 0) ||
	    listen(fm_listen_fd, 16) != 0)
		goto fail;
	rc = pthread_create(&fm_accept_thread, NULL, fm_accept_main, NULL);
	if (rc == 0)
		return 0;
	errno = rc;
fail:
	rc = errno;
	close(fm_listen_fd);
	fm_listen_fd = -1;
	return rc;
}

void fm_server_stop(void)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (fm_listen_fd < 0)
		return;
	shutdown(fm_listen_fd, SHUT_RDWR);
	pthread_join(fm_accept_thread, NULL);
	close(fm_listen_fd);
	fm_listen_fd = -1;
	if (ctl_socket_path(fm_options.runtime_dir, path, sizeof(path)) == 0)
		unlink(path);
	pthread_mutex_lock(&fm_clients_lock);
	fm_stopping = true;
	for (unsigned i = 0; i < FM_MAX_CLIENTS; i++)
		if (fm_clients[i].used)
			shutdown(fm_clients[i].fd, SHUT_RDWR);
	while (fm_client_count)
		pthread_cond_wait(&fm_clients_gone, &fm_clients_lock);
	pthread_mutex_unlock(&fm_clients_lock);
}
