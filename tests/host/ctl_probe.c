/*
 * Sends malformed or unauthorised requests to fltmgrd's control socket and
 * checks the replies: ctl_probe <socket> <case>.  Exit 0 when the daemon
 * answered as specified (host/control/control.h), 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <altitude/ntstatus_defs.h>

#include "host/control/control.h"

static const char *probe_socket;

static int probe_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", probe_socket);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static int expect_reply(int fd, int32_t status)
{
	struct ctl_msg m;
	int rc = ctl_recv(fd, &m);

	if (rc) {
		fprintf(stderr, "no reply: %s\n", strerror(rc));
		return 1;
	}
	if (m.type != CTL_REPLY || m.status != status || m.count < 1) {
		fprintf(stderr, "reply type %u status 0x%08X, expected 0x%08X\n", m.type,
			(unsigned)m.status, (unsigned)status);
		ctl_msg_clear(&m);
		return 1;
	}
	printf("reply 0x%08X: %s\n", (unsigned)m.status, m.strings[0]);
	fflush(stdout);
	ctl_msg_clear(&m);
	return 0;
}

static int expect_eof(int fd)
{
	char c;

	if (read(fd, &c, 1) == 0)
		return 0;
	fprintf(stderr, "connection not closed\n");
	return 1;
}

static int send_raw(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : 1;
}

/* A status request on a new connection succeeds. */
static int daemon_alive(void)
{
	int fd = probe_connect(), rc;

	rc = ctl_send(fd, CTL_STATUS, 0, NULL, 0) || expect_reply(fd, STATUS_SUCCESS);
	close(fd);
	return rc;
}

static int case_bad_magic(int fd)
{
	static const unsigned char h[12] = { 'X', 'X', 'X', 'X', 1, 0, 1, 0, 0, 0, 0, 0 };

	return send_raw(fd, h, sizeof(h)) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       expect_eof(fd);
}

static int case_bad_version(int fd)
{
	static const unsigned char h[12] = { 'A', 'L', 'T', 'C', 9, 0, 1, 0, 2, 0, 0, 0 };

	return send_raw(fd, h, sizeof(h)) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       expect_eof(fd);
}

static int case_too_long(int fd)
{
	static const unsigned char h[12] = { 'A', 'L', 'T', 'C', 1, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f };

	return send_raw(fd, h, sizeof(h)) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       expect_eof(fd);
}

/* A payload whose string list overruns it; the connection stays usable. */
static int case_bad_payload(int fd)
{
	static const unsigned char m[16] = { 'A', 'L', 'T', 'C', 1, 0, 2, 0, 4, 0, 0, 0,
					     5, 0, 200, 0 };

	return send_raw(fd, m, sizeof(m)) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       ctl_send(fd, CTL_STATUS, 0, NULL, 0) || expect_reply(fd, STATUS_SUCCESS);
}

/* A string with a control character. */
static int case_bad_string(int fd)
{
	static const unsigned char m[19] = { 'A', 'L', 'T', 'C', 1, 0, 2, 0, 7, 0, 0, 0,
					     1, 0, 3, 0, 'a', '\n', 'b' };

	return send_raw(fd, m, sizeof(m)) || expect_reply(fd, STATUS_INVALID_PARAMETER);
}

static int case_bad_type(int fd)
{
	return ctl_send(fd, 77, 0, NULL, 0) || expect_reply(fd, STATUS_INVALID_PARAMETER);
}

static int case_bad_args(int fd)
{
	const char *args[] = { "alpha", "maybe" };
	const char *mount[] = { "", "/nonexistent", "shared" };

	return ctl_send(fd, CTL_UNLOAD, 0, args, 2) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       ctl_send(fd, CTL_LOAD, 0, NULL, 0) || expect_reply(fd, STATUS_INVALID_PARAMETER) ||
	       ctl_send(fd, CTL_MOUNT, 0, mount, 3) || expect_reply(fd, STATUS_INVALID_PARAMETER);
}

/* Half a message, then the client goes away. */
static int case_truncated(int fd)
{
	static const unsigned char m[14] = { 'A', 'L', 'T', 'C', 1, 0, 2, 0, 100, 0, 0, 0, 1, 0 };

	if (send_raw(fd, m, sizeof(m)))
		return 1;
	close(fd);
	return daemon_alive();
}

/* A client that connects and says nothing does not block another one. */
static int case_silent(int fd)
{
	int rc = daemon_alive();

	close(fd);
	return rc;
}

/* In a child running as nobody: 0 when connect fails with EACCES (mode
 * true) or the daemon answers STATUS_ACCESS_DENIED and closes (mode false). */
static int nobody_child(int by_mode)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 2;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", probe_socket);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return by_mode && errno == EACCES ? 0 : 1;
	if (by_mode)
		return 1;
	return expect_reply(fd, STATUS_ACCESS_DENIED) || expect_eof(fd);
}

static int run_nobody(int by_mode)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(nobody_child(by_mode));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

/* A client running as nobody is refused: by the socket's mode (0660), and
 * by the peer credential check when the mode would let it in. */
static int case_nobody(int fd)
{
	int rc;

	close(fd);
	rc = run_nobody(1);
	if (rc == 2) {
		printf("skipped: cannot become nobody\n");
		return 0;
	}
	if (rc || chmod(probe_socket, 0666) != 0)
		return 1;
	rc = run_nobody(0);
	if (chmod(probe_socket, 0660) != 0)
		return 1;
	return rc;
}

struct probe_case {
	const char *name;
	int (*run)(int fd);
};

static const struct probe_case probe_cases[] = {
	{ "bad_magic", case_bad_magic },     { "bad_version", case_bad_version },
	{ "too_long", case_too_long },       { "bad_payload", case_bad_payload },
	{ "bad_string", case_bad_string },   { "bad_type", case_bad_type },
	{ "bad_args", case_bad_args },       { "truncated", case_truncated },
	{ "silent", case_silent },           { "nobody", case_nobody },
};

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	probe_socket = argv[1];
	for (size_t i = 0; i < sizeof(probe_cases) / sizeof(probe_cases[0]); i++) {
		if (strcmp(argv[2], probe_cases[i].name) == 0) {
			int rc = probe_cases[i].run(probe_connect());

			return rc || daemon_alive();
		}
	}
	fprintf(stderr, "unknown case %s\n", argv[2]);
	return 2;
}
