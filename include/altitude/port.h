/*
 * Communication ports: the project's own API around FltCreateCommunicationPort
 * (kernel side, libfltmgr) and fltUser.h (user side, libfltlib).
 *
 * Ports are Unix SOCK_SEQPACKET sockets named <runtime dir>/ports/<name>, the
 * name being the port name without its leading backslash (L"\\ScannerPort"
 * -> "ScannerPort").  The runtime directory is $ALTITUDE_RUNTIME_DIR if set,
 * else /run/altitude for root, else $XDG_RUNTIME_DIR/altitude.  The host
 * creates <runtime dir>/ports with mode 0755 and refuses to use it when it is
 * not owned by the host's user or is writable by group or others.
 *
 * Security: the connecting process's uid and gid (SO_PEERCRED, primary gid)
 * are checked against the port's security descriptor before ConnectNotify
 * runs; a refused client gets E_ACCESSDENIED and the minifilter never hears
 * of it.  FltBuildDefaultSecurityDescriptor admits root and the host's user.
 */
#ifndef ALTITUDE_PORT_H
#define ALTITUDE_PORT_H

#include <sys/types.h>
#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest payload of one message, reply, or FilterSendMessage buffer. */
#define ALTITUDE_PORT_MAX_MESSAGE 65536u
/* Largest connection context (the whole WORD range of wSizeOfContext). */
#define ALTITUDE_PORT_MAX_CONTEXT 65535u

/*
 * Builds a security descriptor admitting exactly the given users and groups
 * (either list may be empty; root is not implied).  Free it with
 * FltFreeSecurityDescriptor.  Returns STATUS_SUCCESS,
 * STATUS_INVALID_PARAMETER (NULL output, or a NULL list with a non-zero
 * count, or more than 1024 entries), or STATUS_INSUFFICIENT_RESOURCES.
 */
NTSTATUS altitude_port_build_security_descriptor(void **security_descriptor,
						 const uid_t *uids, ULONG uid_count,
						 const gid_t *gids, ULONG gid_count);

/*
 * Writes the runtime directory (NUL-terminated) into buf; returns its length,
 * or 0 when it cannot be determined (no $XDG_RUNTIME_DIR for a non-root
 * user) or does not fit.
 */
ULONG altitude_port_runtime_dir(char *buf, ULONG size);

/*
 * Host shutdown: disconnects every client connection of every port (waiting
 * senders return STATUS_PORT_DISCONNECTED, waiting FilterGetMessage calls
 * fail with ERROR_INVALID_HANDLE, DisconnectNotify runs for each), stops
 * accepting on every server port, and waits until the port threads have
 * finished.  Server and client port objects stay valid until the minifilter
 * closes them.
 */
void altitude_port_shutdown(void);

/*
 * User side (libfltlib): a file descriptor that is readable while the I/O
 * completion port has completion packets queued, for epoll/poll loops:
 * when it polls readable, GetQueuedCompletionStatus(port, ..., 0) returns a
 * packet (unless another thread took it first).  The descriptor belongs to
 * the completion port and is closed by CloseHandle.  Returns -1 with
 * GetLastError() == ERROR_INVALID_HANDLE for anything but a completion port.
 */
int altitude_completion_port_fd(HANDLE completion_port);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_PORT_H */
