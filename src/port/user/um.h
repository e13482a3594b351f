/*
 * Internal interface of libfltlib: handles, synchronization objects,
 * completion ports and port connections.
 */
#ifndef ALTITUDE_SRC_PORT_USER_UM_H
#define ALTITUDE_SRC_PORT_USER_UM_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <windows.h>
#include <fltUser.h>

enum um_kind {
	UM_KIND_PORT = 1,
	UM_KIND_EVENT,
	UM_KIND_IOCP,
	/* The management API (host/control/fltlib_*.c): */
	UM_KIND_FILTER_FIND,
	UM_KIND_VOLUME_FIND,
	UM_KIND_FILTER_INSTANCE_FIND,
	UM_KIND_VOLUME_INSTANCE_FIND,
	UM_KIND_FILTER,
	UM_KIND_INSTANCE,
};

/* Every object behind a handle starts with this; references are counted. */
struct um_object {
	enum um_kind kind;
	int refs;
	void (*destroy)(struct um_object *o);
};

void um_object_init(struct um_object *o, enum um_kind kind, void (*destroy)(struct um_object *));
void um_object_ref(struct um_object *o);
void um_object_unref(struct um_object *o);

/* Inserts `o` (taking over one reference); returns NULL when out of memory. */
HANDLE um_handle_insert(struct um_object *o);
/* Returns a new reference to the object of `kind` behind `h`, or NULL. */
struct um_object *um_handle_ref(HANDLE h, enum um_kind kind);
/* Removes `h` from the table; returns the table's reference, or NULL. */
struct um_object *um_handle_remove(HANDLE h);
/* Removes `h` if its object is of `kind`; returns the table's reference, or NULL. */
struct um_object *um_handle_remove_kind(HANDLE h, enum um_kind kind);

/* Win32 error and HRESULT for an NTSTATUS the host sent. */
DWORD um_status_to_win32(NTSTATUS status);
HRESULT um_status_to_hresult(NTSTATUS status);

/* Absolute CLOCK_MONOTONIC deadline `ms` from now (INFINITE: none). */
void um_deadline(struct timespec *ts, DWORD ms);
/* Milliseconds left until `deadline` (INFINITE stays INFINITE). */
DWORD um_ms_left(const struct timespec *deadline, DWORD ms);
/* pthread_cond_wait, or timed wait on a CLOCK_MONOTONIC cv; returns ETIMEDOUT. */
int um_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m, const struct timespec *deadline,
		 DWORD ms);
void um_cond_init(pthread_cond_t *cv);

/* Events (sync.c). */
BOOL um_event_set(HANDLE h);
void um_event_reset(HANDLE h);

struct um_port;

/* Completion ports (iocp.c). */
struct um_iocp;
struct um_iocp *um_iocp_ref(HANDLE h);
void um_iocp_unref(struct um_iocp *p);
/* Queues a packet; FALSE when out of memory or the port is closed. */
BOOL um_iocp_post(struct um_iocp *p, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov,
		  NTSTATUS status);
void um_iocp_close(struct um_iocp *p);
/* The connection is closing: the completion port stops reading it. */
void um_iocp_forget(struct um_iocp *p, struct um_port *port);

/* Port connections (client.c). */
struct um_port;
struct um_port *um_port_ref(HANDLE h);
void um_port_unref(struct um_port *p);
BOOL um_port_associate(struct um_port *p, struct um_iocp *iocp, ULONG_PTR key);
BOOL um_port_cancel(struct um_port *p, LPOVERLAPPED ov, BOOL this_thread_only);
BOOL um_port_overlapped_result(struct um_port *p, LPOVERLAPPED ov, LPDWORD bytes, BOOL wait);
/*
 * Reads and applies one packet if overlapped gets are pending and no one
 * else reads, or returns as soon as wake_fd is readable or `ms` have passed;
 * FALSE (nothing done) if it could not lead.
 */
BOOL um_port_lead(struct um_port *p, int wake_fd, DWORD ms);
/* Does a waiter of `iocp` read `port` itself (it is the port it leads)? */
BOOL um_iocp_leads(struct um_iocp *iocp, struct um_port *port);
/* CloseHandle of a connection: fails its pending I/O, joins its reader. */
void um_port_close(struct um_port *p);

#endif /* ALTITUDE_SRC_PORT_USER_UM_H */
