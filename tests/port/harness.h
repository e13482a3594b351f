/*
 * Host-side test harness for ports: a runtime directory per test process,
 * a server port with recording callbacks, and client processes forked while
 * the test process is single-threaded (so TSan and glibc are happy), each
 * running a function from the client side (clients.c, user-mode headers).
 */
#ifndef ALTITUDE_TESTS_PORT_HARNESS_H
#define ALTITUDE_TESTS_PORT_HARNESS_H

#include <pthread.h>
#include <sys/types.h>

#include <fltKernel.h>
#include <altitude/port.h>
#include "port/port.h"
#include "clients.h"

extern struct ph_state {
	PFLT_PORT server;
	PFLT_PORT client;          /* the last connection ConnectNotify saw (alias) */
	PFLT_PORT ports[32];       /* every accepted connection (owning) */
	int port_count;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int connects, disconnects;
	PVOID last_cookie_disconnected;
	UCHAR context[256];
	ULONG context_len;
	NTSTATUS connect_status;  /* what ConnectNotify returns */
	int message_notifies;
	BOOLEAN hold_notify;      /* MessageNotify waits while set (a gate) */
	BOOLEAN hold_connect;     /* ConnectNotify waits while set, after recording */
	int notifies_held;        /* MessageNotify calls that reached the gate */
	int notifies_returned;    /* MessageNotify calls about to return */
} ph;

/* The test filter ("porttest", registered on first use, unloaded by ph_teardown). */
PFLT_FILTER ph_filter(void);
#define PH_FILTER (ph_filter())
/* Mandatory unload of the test filter (its connections end first); no-op if not loaded. */
NTSTATUS ph_unload_filter(void);
/* Forgets the test filter after a test unloaded it itself. */
void ph_filter_unloaded(void);
/* Opens or closes MessageNotify's gate. */
void ph_hold_notify(BOOLEAN hold);
/* Opens or closes ConnectNotify's gate (the connection is recorded first). */
void ph_hold_connect(BOOLEAN hold);

/* Per process: a fresh runtime directory (mode 0755) in $ALTITUDE_RUNTIME_DIR. */
void ph_runtime_init(void);
/* Resets the recorded state. */
void ph_reset(void);
/* Creates the test port (PH_PORT_NAME) with the recording callbacks. */
NTSTATUS ph_create_port(LONG max_connections, PSECURITY_DESCRIPTOR sd);
void ph_wait_connects(int n);
/* Reads a counter of ph under its lock. */
int ph_get(const int *field);
void ph_wait_disconnects(int n);
/* Waits until the server port counts n connections (slots are freed after DisconnectNotify). */
void ph_wait_connections(LONG n);
/* FltCloseClientPort of the connection *alias names; sets *alias to NULL. */
void ph_close_port(PFLT_PORT *alias);
/* Closes every client port and the server port, unloads the filter, and shuts down. */
void ph_teardown(void);

/* A client process: it waits for ph_go before running fn. */
struct ph_child {
	pid_t pid;
	int to_child;    /* host writes */
	int from_child;  /* host reads */
};

void ph_spawn(struct ph_child *c, client_fn fn, long arg);
void ph_go(struct ph_child *c);
void ph_signal(struct ph_child *c, char step);
char ph_wait(struct ph_child *c);
/* Waits for the child and returns its exit status (0 = all checks passed). */
int ph_reap(struct ph_child *c);
void ph_kill(struct ph_child *c);
/* Sends a client_remote command with `nargs` 32-bit arguments. */
void ph_cmd(struct ph_child *c, char cmd, int nargs, ...);
/* Reads one 32-bit observation from the child (0xDEADDEAD if it is gone). */
uint32_t ph_read(struct ph_child *c);
/* Spawns client_remote, creates the port, connects it (asserting S_OK). */
void ph_open_remote(struct ph_child *c, LONG max_connections);

/* Sends from a thread, recording the status (for senders that block). */
struct ph_sender {
	pthread_t thread;
	UCHAR msg[64];
	ULONG msg_len;
	UCHAR reply[64];
	ULONG reply_capacity; /* 0: sizeof(reply) */
	ULONG reply_len;
	BOOLEAN want_reply;
	LARGE_INTEGER timeout;
	BOOLEAN has_timeout;
	NTSTATUS status;
	PETHREAD ethread;     /* the sending thread (atomic) */
};

void ph_sender_start(struct ph_sender *s);
NTSTATUS ph_sender_join(struct ph_sender *s);

#endif /* ALTITUDE_TESTS_PORT_HARNESS_H */
