/*
 * port.throughput: 8 host threads each sending 64-byte messages and waiting
 * for a 1-byte reply, a client process with 4 threads keeping 2 overlapped
 * gets each on a completion port (8 messages in flight), against a raw
 * baseline with the same 8 in flight: 8 SOCK_SEQPACKET pairs, 8 host
 * threads, a client process whose 4 threads serve 2 sockets each.
 * Messages per second, best of 3 (higher is better; ratio = ours/baseline).
 * ALTITUDE_BENCH_PORT_OURS_ONLY=1 runs only our side, for profiling.
 * port.release_latency: 8 senders blocked on a client that is SIGKILLed;
 * time from the kill until every sender has returned
 * STATUS_PORT_DISCONNECTED, against 8 threads blocked in recv() on sockets
 * to a process that is SIGKILLed (lower is better).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <altitude/clock.h>
#include "support/bench_port.h"

#define THREADS 8
#define MESSAGES 40000
#define RUNS 3

struct worker {
	pthread_t t;
	void *client;
	int fd;
	int32_t status;
};

static void *port_worker(void *arg)
{
	struct worker *w = arg;
	char msg[64] = { 1 };

	for (int i = 0; i < MESSAGES / THREADS; i++)
		if ((w->status = bench_host_send(w->client, msg, sizeof(msg))) != 0)
			break;
	return NULL;
}

static void *raw_worker(void *arg)
{
	struct worker *w = arg;
	char msg[64] = { 1 }, r;

	for (int i = 0; i < MESSAGES / THREADS; i++)
		if (send(w->fd, msg, sizeof(msg), 0) != sizeof(msg) || recv(w->fd, &r, 1, 0) != 1)
			break;
	return NULL;
}

static double run_workers(struct worker *w, void *(*fn)(void *))
{
	double start = bench_now_ns();

	for (int i = 0; i < THREADS; i++)
		pthread_create(&w[i].t, NULL, fn, &w[i]);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	return MESSAGES / ((bench_now_ns() - start) / 1e9);
}

static void *raw_server(void *arg)
{
	int *fds = arg;
	struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
	char buf[64], r = 1;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			return NULL;
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			if (recv(p[i].fd, buf, sizeof(buf), 0) <= 0 || send(p[i].fd, &r, 1, 0) != 1)
				return NULL;
		}
	}
}

static double raw_baseline(void)
{
	struct worker w[THREADS];
	int sv[THREADS][2], server[THREADS];
	double best = 0;
	pid_t pid;

	for (int i = 0; i < THREADS; i++) {
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]);
		w[i].fd = sv[i][0];
		server[i] = sv[i][1];
	}
	pid = fork();
	if (pid == 0) {
		pthread_t t[4];

		for (int i = 0; i < THREADS; i++)
			close(w[i].fd);
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, raw_server, &server[2 * i]);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	for (int i = 0; i < THREADS; i++)
		close(server[i]);
	for (int run = 0; run < RUNS; run++) {
		double v = run_workers(w, raw_worker);

		best = v > best ? v : best;
	}
	for (int i = 0; i < THREADS; i++)
		close(w[i].fd);
	waitpid(pid, NULL, 0);
	return best;
}

static double port_ours(void)
{
	struct worker w[THREADS];
	double best = 0;
	int go, ready;
	pid_t pid = bench_spawn(bench_client_scanner, &go, &ready);

	if (bench_host_create() != 0)
		exit(1);
	bench_host_go(go, ready);
	for (int i = 0; i < THREADS; i++)
		w[i].client = bench_host_client();
	for (int run = 0; run < RUNS; run++) {
		double v = run_workers(w, port_worker);

		best = v > best ? v : best;
	}
	bench_host_close();
	waitpid(pid, NULL, 0);
	close(go);
	close(ready);
	return best;
}

static void *blocked_sender(void *arg)
{
	struct worker *w = arg;
	char msg[64] = { 1 };

	w->status = bench_host_send(w->client, msg, sizeof(msg));
	return NULL;
}

static double port_release(void)
{
	struct worker w[THREADS];
	int go, ready;
	pid_t pid = bench_spawn(bench_client_idle, &go, &ready);
	double start;

	if (bench_host_create() != 0)
		exit(1);
	bench_host_go(go, ready);
	for (int i = 0; i < THREADS; i++) {
		w[i].client = bench_host_client();
		pthread_create(&w[i].t, NULL, blocked_sender, &w[i]);
	}
	if (!altitude_clock_wait_for_waiters(THREADS))
		exit(1);
	start = bench_now_ns();
	kill(pid, SIGKILL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	start = bench_now_ns() - start;
	waitpid(pid, NULL, 0);
	bench_host_close();
	close(go);
	close(ready);
	return start;
}

static void *blocked_reader(void *arg)
{
	struct worker *w = arg;
	char c;

	w->status = (int32_t)recv(w->fd, &c, 1, 0);
	return NULL;
}

static double raw_release(void)
{
	struct worker w[THREADS];
	int sv[THREADS][2];
	double start;
	pid_t pid;

	for (int i = 0; i < THREADS; i++) {
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]);
		w[i].fd = sv[i][0];
	}
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < THREADS; i++)
			close(sv[i][0]);
		for (;;)
			pause();
	}
	for (int i = 0; i < THREADS; i++) {
		close(sv[i][1]);
		pthread_create(&w[i].t, NULL, blocked_reader, &w[i]);
	}
	usleep(100000); /* let the readers block: a benchmark, not a test */
	start = bench_now_ns();
	kill(pid, SIGKILL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	start = bench_now_ns() - start;
	waitpid(pid, NULL, 0);
	for (int i = 0; i < THREADS; i++)
		close(w[i].fd);
	return start;
}

int main(void)
{
	double base, ours, rbase, rours;

	bench_runtime_init();
	/* For profiling (perf stat, perf record): our side alone. */
	if (getenv("ALTITUDE_BENCH_PORT_OURS_ONLY")) {
		printf("BENCH port.throughput ours=%.0fmsg/s\n", port_ours());
		return 0;
	}
	base = raw_baseline();
	rbase = raw_release();
	ours = port_ours();
	rours = port_release();
	printf("BENCH port.throughput ours=%.0fmsg/s baseline=%.0fmsg/s ratio=%.2f\n", ours, base,
	       ours / base);
	printf("BENCH port.release_latency ours=%.0fus baseline=%.0fus ratio=%.2f\n", rours / 1e3,
	       rbase / 1e3, rours / rbase);
	return 0;
}
