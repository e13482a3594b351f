/*
 * port.roundtrip: FltSendMessage (64-byte message) -> FilterGetMessage ->
 * FilterReplyMessage (1-byte reply) -> FltSendMessage returns, host and
 * client in two processes, against a raw AF_UNIX SOCK_SEQPACKET ping-pong
 * (64 bytes out, 1 byte back) between two processes.
 * port.roundtrip_overlapped: the same with a client thread that keeps two
 * overlapped gets outstanding on a completion port (a service's usual
 * shape: the next get is already there when a message comes).
 * port.vs_fanotify: the same round trip against a fanotify FAN_OPEN_PERM
 * permission round trip (open+close of a watched file answered FAN_ALLOW by
 * a listener process, minus an unwatched open+close); needs root.
 * Nanoseconds per round trip, best of 3 runs (lower is better).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/bench_port.h"

#define ROUNDS 20000
#define RUNS 3

static double best(double a, double b)
{
	return a < b ? a : b;
}

static double seqpacket_run(int fd)
{
	char msg[64] = { 1 }, r;
	double start = bench_now_ns();

	for (int i = 0; i < ROUNDS; i++) {
		if (send(fd, msg, sizeof(msg), 0) != sizeof(msg) || recv(fd, &r, 1, 0) != 1)
			exit(1);
	}
	return (bench_now_ns() - start) / ROUNDS;
}

static double seqpacket_baseline(void)
{
	double result = 1e18;
	int sv[2];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	pid = fork();
	if (pid == 0) {
		char buf[64], r = 1;

		close(sv[0]);
		while (recv(sv[1], buf, sizeof(buf), 0) > 0)
			if (send(sv[1], &r, 1, 0) != 1)
				break;
		_exit(0);
	}
	close(sv[1]);
	for (int run = 0; run < RUNS; run++)
		result = best(result, seqpacket_run(sv[0]));
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return result;
}

static double port_run(void *client)
{
	char msg[64] = { 1 };
	double start = bench_now_ns();

	for (int i = 0; i < ROUNDS; i++)
		if (bench_host_send(client, msg, sizeof(msg)) != 0)
			exit(1);
	return (bench_now_ns() - start) / ROUNDS;
}

static double port_ours(int (*client_fn)(int ready))
{
	double result = 1e18;
	int go, ready;
	pid_t pid = bench_spawn(client_fn, &go, &ready);
	void *client;

	if (bench_host_create() != 0)
		exit(1);
	bench_host_go(go, ready);
	client = bench_host_client();
	for (int run = 0; run < RUNS; run++)
		result = best(result, port_run(client));
	bench_host_close();
	waitpid(pid, NULL, 0);
	close(go);
	close(ready);
	return result;
}

static double open_close(const char *path)
{
	double start = bench_now_ns();

	for (int i = 0; i < ROUNDS; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			exit(1);
		close(fd);
	}
	return (bench_now_ns() - start) / ROUNDS;
}

static void fanotify_listener(int fan, int ready)
{
	struct fanotify_event_metadata ev[16];
	char c = 'r';

	if (write(ready, &c, 1) != 1)
		_exit(1);
	for (;;) {
		ssize_t n = read(fan, ev, sizeof(ev));
		struct fanotify_event_metadata *m = ev;

		if (n <= 0)
			_exit(0);
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_response r = { .fd = m->fd, .response = FAN_ALLOW };

			if (write(fan, &r, sizeof(r)) != sizeof(r))
				_exit(1);
			close(m->fd);
		}
	}
}

/* Returns the per-open permission round trip in ns, or < 0 if unavailable. */
static double fanotify_baseline(void)
{
	char watched[] = "/tmp/altitude-fan-XXXXXX", plain[] = "/tmp/altitude-plain-XXXXXX";
	double with = 1e18, without = 1e18;
	int fan, pipefd[2], wfd = mkstemp(watched), pfd = mkstemp(plain);
	pid_t pid;
	char c;

	close(wfd);
	close(pfd);
	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, watched) < 0 ||
	    pipe(pipefd) < 0) {
		unlink(watched);
		unlink(plain);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		fanotify_listener(fan, pipefd[1]);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1)
		exit(1);
	for (int run = 0; run < RUNS; run++) {
		with = best(with, open_close(watched));
		without = best(without, open_close(plain));
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fan);
	close(pipefd[0]);
	unlink(watched);
	unlink(plain);
	return with - without;
}

int main(void)
{
	double base, fan, ours, overlapped;

	bench_runtime_init();
	base = seqpacket_baseline();
	fan = fanotify_baseline();
	ours = port_ours(bench_client_sync);
	overlapped = port_ours(bench_client_overlapped);
	printf("BENCH port.roundtrip ours=%.0fns baseline=%.0fns ratio=%.2f\n", ours, base,
	       ours / base);
	printf("BENCH port.roundtrip_overlapped ours=%.0fns baseline=%.0fns ratio=%.2f\n",
	       overlapped, base, overlapped / base);
	if (fan > 0)
		printf("BENCH port.vs_fanotify ours=%.0fns baseline=%.0fns ratio=%.2f\n", ours, fan,
		       ours / fan);
	else
		printf("BENCH port.vs_fanotify skipped: fanotify FAN_OPEN_PERM unavailable (%s)\n",
		       strerror((int)-fan));
	return 0;
}
