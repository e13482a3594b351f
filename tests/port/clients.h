/*
 * Client-side code, run in forked client processes (user-mode headers).
 * Shared with the host tests (km headers), so plain C types only.
 *
 * client_remote is a remote-controlled client: the host test writes
 * commands to `in` and reads the client's observations (32-bit values) from
 * `out`, so every assertion stays in the host test.  Commands:
 *   'k' ctxlen        connect (context PH_CONTEXT cut to ctxlen; 0 = none) -> hr
 *   'g' size          FilterGetMessage, synchronous -> hr [, ReplyLength,
 *                     MessageId low, MessageId high, the buffer's last byte,
 *                     the payload's first byte]
 *   'a' size          FilterGetMessage with an OVERLAPPED and an event -> hr
 *   'w'               wait for the event, GetOverlappedResult -> ok, error,
 *                     bytes, first payload byte
 *   'c'               CancelIoEx(handle, that OVERLAPPED) -> ok, error
 *   'i'               that OVERLAPPED's Internal, WaitForSingleObject(event, 0)
 *   'r' len status    FilterReplyMessage to the last message, len payload bytes
 *                     of 'R' -> hr
 *   's' len out       FilterSendMessage of len bytes of "hello"/"fail" with an
 *                     output buffer of `out` bytes -> hr, bytes, first byte
 *   'x'               CloseHandle -> ok
 *   'e'               exit(0)
 * The process's exit status is 0 unless a command could not be read.
 */
#ifndef ALTITUDE_TESTS_PORT_CLIENTS_H
#define ALTITUDE_TESTS_PORT_CLIENTS_H

#include <stdint.h>

#define PH_PORT_NAME L"\\AltitudeTestPort"
#define PH_CONTEXT "altitude-context"

typedef int (*client_fn)(int in, int out, long arg);

int client_remote(int in, int out, long arg);

/*
 * Asynchronous gets completed through a completion port whose
 * altitude_completion_port_fd is polled: replies to `arg` messages (reply
 * payload: the message's first byte), reports the count, then closes.
 */
int client_iocp_poll(int in, int out, long arg);

/*
 * The scanner: 4 threads, each keeping 2 overlapped gets outstanding on one
 * completion port; each message (8-byte sequence number + padding) is
 * answered with its sequence number.  Reports 'r' once connected and runs
 * until killed or disconnected.
 */
int client_scanner(int in, int out, long arg);

/*
 * A completion-port waiter (which may be reading the connection for a
 * pending overlapped get) must return a packet another thread posts:
 * reports 'r', waits for one 32-bit value from the host, posts key 99,
 * reports the key the waiter got.
 */
int client_iocp_post(int in, int out, long arg);

/*
 * A message read ahead against gets of two sizes: connects with a completion
 * port (reports 'c': the reply region exists), takes one message and answers it through the region (no get is left,
 * so the library posts its read-ahead credit), reports 'r'; after the host's
 * go (one byte: the host's next message is then read ahead) posts a small get
 * (FILTER_MESSAGE_HEADER + 100 bytes) and a large one, and reports two
 * completions, the first waited for, the second dequeued with a zero
 * timeout (the hand-over that completes the first completes it too), each
 * as ok, error, which get (1 small, 2 large, 0xFF none), bytes.  Replies to the large get's message,
 * then waits for one byte and closes.
 */
int client_readahead_sizes(int in, int out, long arg);

/* Drops to uid (low 32 bits of arg) / gid (high 32 bits), connects, reports hr. */
int client_as_user(int in, int out, long arg);

#endif /* ALTITUDE_TESTS_PORT_CLIENTS_H */
