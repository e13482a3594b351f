/*
 * Shared by the port benchmarks: the host side (km headers, bench_host.c)
 * and the client side run in a forked process (um headers,
 * bench_client.c).  Plain C types only.
 */
#ifndef ALTITUDE_BENCH_PORT_H
#define ALTITUDE_BENCH_PORT_H

#include <stdint.h>
#include <sys/types.h>

#define BENCH_PORT_NAME L"\\AltitudeBenchPort"

/* Client bodies: each writes one byte to `ready` once it is set up. */
int bench_client_sync(int ready);    /* get + reply(1 byte) in a loop */
int bench_client_scanner(int ready); /* 4 threads x 2 overlapped gets, IOCP */
int bench_client_idle(int ready);    /* connect, then wait to be killed */
int bench_client_overlapped(int ready); /* 1 thread x 2 overlapped gets, IOCP */

/* Host side. */
void bench_runtime_init(void);
/* Forks a client running fn; it starts when bench_host_go is called. */
pid_t bench_spawn(int (*fn)(int ready), int *go_fd, int *ready_fd);
void bench_host_go(int go_fd, int ready_fd);
/* Creates the port; returns 0 on success. */
int bench_host_create(void);
/* Waits until a client is connected; returns its port (PFLT_PORT). */
void *bench_host_client(void);
void bench_host_close(void);
/* FltSendMessage of `len` bytes expecting a 1-byte reply; returns NTSTATUS. */
int32_t bench_host_send(void *client_port, const void *msg, uint32_t len);
double bench_now_ns(void);

#endif /* ALTITUDE_BENCH_PORT_H */
