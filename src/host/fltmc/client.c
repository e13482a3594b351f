/* fltmc's side of the control socket. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fltmc.h"

static int fc_connect(char *path, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	if (!fc_options.runtime_dir[0] &&
	    ctl_default_runtime_dir(fc_options.runtime_dir, sizeof(fc_options.runtime_dir))) {
		snprintf(path, size, "(no runtime directory)");
		errno = ENOENT;
		return -1;
	}
	if (ctl_socket_path(fc_options.runtime_dir, addr.sun_path, sizeof(addr.sun_path))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(path, size, "%s", addr.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}

int fc_request(uint16_t type, const char *const *args, size_t count, struct ctl_msg *reply)
{
	char path[600];
	int fd, rc;

	fd = fc_connect(path, sizeof(path));
	if (fd < 0) {
		fprintf(stderr, "fltmc: cannot reach fltmgrd at %s: %s; is fltmgrd running? "
			"(--runtime-dir or $ALTITUDE_RUNTIME_DIR select another one)\n", path,
			strerror(errno));
		return FC_NO_DAEMON;
	}
	rc = ctl_send(fd, type, 0, args, count);
	if (!rc)
		rc = ctl_recv(fd, reply);
	close(fd);
	if (!rc && reply->type == CTL_REPLY && reply->count >= 1)
		return FC_OK;
	if (!rc)
		ctl_msg_clear(reply);
	fprintf(stderr, "fltmc: no valid reply from fltmgrd at %s: %s\n", path,
		rc ? strerror(rc) : "malformed reply");
	return FC_NO_DAEMON;
}
