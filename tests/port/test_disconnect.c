/*
 * Every way a connection ends releases every waiting sender with
 * STATUS_PORT_DISCONNECTED and every waiting receiver with an error, and
 * DisconnectNotify runs exactly once: client closes, client is SIGKILLed,
 * FltCloseClientPort, host shutdown.  FltCloseCommunicationPort keeps
 * existing connections (as on Windows) and refuses new ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/winerror_defs.h>
#include "harness.h"

#define HR(x) ((uint32_t)(x))
#define WAIT_OBJECT_0_VALUE 0u

static struct ph_child child;

static int setup(void **state)
{
	(void)state;
	ph_reset();
	ph_open_remote(&child, 4);
	return 0;
}

static void sender_init(struct ph_sender *s, UCHAR b, BOOLEAN want_reply)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, b, sizeof(s->msg));
	s->msg_len = sizeof(s->msg);
	s->want_reply = want_reply;
}

/* One sender delivered and awaiting its reply, one queued behind it. */
static void start_two_senders(struct ph_sender *a, struct ph_sender *b)
{
	sender_init(a, 'A', TRUE);
	ph_sender_start(a);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(ph_read(&child), S_OK);
	for (int i = 0; i < 5; i++)
		ph_read(&child);
	sender_init(b, 'B', FALSE);
	ph_sender_start(b);
}

static void client_close_releases_senders(void **state)
{
	struct ph_sender a, b;

	(void)state;
	start_two_senders(&a, &b);
	ph_cmd(&child, 'x', 0);
	assert_int_equal(ph_read(&child), TRUE);
	assert_int_equal(ph_sender_join(&a), STATUS_PORT_DISCONNECTED);
	assert_int_equal(ph_sender_join(&b), STATUS_PORT_DISCONNECTED);
	ph_wait_disconnects(1);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void client_killed_releases_senders(void **state)
{
	struct ph_sender a, b;

	(void)state;
	start_two_senders(&a, &b);
	ph_kill(&child);
	assert_int_equal(ph_sender_join(&a), STATUS_PORT_DISCONNECTED);
	assert_int_equal(ph_sender_join(&b), STATUS_PORT_DISCONNECTED);
	ph_wait_disconnects(1);
	assert_int_not_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

/* A sender awaiting its reply and a pending overlapped get, both waiting. */
static void start_reply_waiter_and_pending_get(struct ph_sender *a)
{
	sender_init(a, 'A', TRUE);
	ph_sender_start(a);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(ph_read(&child), S_OK);
	for (int i = 0; i < 5; i++)
		ph_read(&child);
	ph_cmd(&child, 'a', 1, 512u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_IO_PENDING)));
	port_test_wait_credits(ph.client, 1);
}

static void expect_get_failed_invalid_handle(void)
{
	ph_cmd(&child, 'w', 0);
	assert_int_equal(ph_read(&child), FALSE);
	assert_int_equal(ph_read(&child), ERROR_INVALID_HANDLE);
	ph_read(&child);
	ph_read(&child);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)));
}

static void close_client_port_releases_both_sides(void **state)
{
	struct ph_sender a;

	(void)state;
	start_reply_waiter_and_pending_get(&a);
	ph_close_port(&ph.client);
	assert_null(ph.client);
	assert_int_equal(ph_sender_join(&a), STATUS_PORT_DISCONNECTED);
	expect_get_failed_invalid_handle();
	ph_wait_disconnects(1);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, "x", 1, NULL, NULL, NULL),
			 STATUS_PORT_DISCONNECTED);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

/* A synchronous FilterGetMessage asleep on its record is released too. */
static void close_client_port_releases_a_blocked_get(void **state)
{
	(void)state;
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	ph_close_port(&ph.client);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)));
	ph_wait_disconnects(1);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void shutdown_releases_everyone(void **state)
{
	struct ph_sender a;

	(void)state;
	start_reply_waiter_and_pending_get(&a);
	altitude_port_shutdown();
	assert_int_equal(ph_sender_join(&a), STATUS_PORT_DISCONNECTED);
	expect_get_failed_invalid_handle();
	assert_int_equal(ph_get(&ph.disconnects), 1);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void closing_server_port_keeps_connections(void **state)
{
	struct ph_child second;
	LONGLONG zero = 0;
	LARGE_INTEGER t = { .QuadPart = zero };

	(void)state;
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	ph_reset();

	ph_spawn(&second, client_remote, 0);
	ph_open_remote(&child, 4);
	ph_go(&second);
	FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	ph_cmd(&second, 'k', 1, 0u);
	assert_int_equal(ph_read(&second), HR(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)));
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, "still", 5, NULL, NULL, &t),
			 STATUS_SUCCESS);
	assert_int_equal(ph_read(&child), S_OK);
	for (int i = 0; i < 5; i++)
		ph_read(&child);
	ph_cmd(&second, 'e', 0);
	assert_int_equal(ph_reap(&second), 0);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
}

static void max_connections_refuses_the_next(void **state)
{
	struct ph_child second;

	(void)state;
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	ph_reset();

	ph_spawn(&second, client_remote, 0);
	ph_open_remote(&child, 1);
	ph_go(&second);
	ph_cmd(&second, 'k', 1, 0u);
	assert_int_equal(ph_read(&second), HR(HRESULT_FROM_WIN32(ERROR_CONNECTION_COUNT_LIMIT)));
	assert_int_equal(ph_get(&ph.connects), 1);
	/* Once the first leaves, the slot is free again. */
	ph_cmd(&child, 'x', 0);
	assert_int_equal(ph_read(&child), TRUE);
	ph_wait_disconnects(1);
	ph_close_port(&ph.client);
	ph_wait_connections(0);
	ph_cmd(&second, 'k', 1, 0u);
	assert_int_equal(ph_read(&second), S_OK);
	ph_wait_connects(2);
	ph_cmd(&second, 'e', 0);
	assert_int_equal(ph_reap(&second), 0);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
}

static void connect_notify_failure_reaches_the_client(void **state)
{
	struct ph_child second;

	(void)state;
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	ph_reset();

	ph_spawn(&second, client_remote, 0);
	assert_int_equal(ph_create_port(4, NULL), STATUS_SUCCESS);
	pthread_mutex_lock(&ph.lock);
	ph.connect_status = STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_unlock(&ph.lock);
	ph_go(&second);
	ph_cmd(&second, 'k', 1, 0u);
	assert_int_equal(ph_read(&second), HR(HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)));
	ph_cmd(&second, 'e', 0);
	assert_int_equal(ph_reap(&second), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.connects), 0);
	assert_int_equal(ph_get(&ph.disconnects), 0);
}

static void closing_the_handle_aborts_pending_gets(void **state)
{
	(void)state;
	ph_cmd(&child, 'a', 1, 512u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_IO_PENDING)));
	port_test_wait_credits(ph.client, 1);
	ph_cmd(&child, 'x', 0);
	assert_int_equal(ph_read(&child), TRUE);
	ph_cmd(&child, 'i', 0);
	assert_int_equal(ph_read(&child), (uint32_t)STATUS_CANCELLED);
	assert_int_equal(ph_read(&child), WAIT_OBJECT_0_VALUE);
	ph_wait_disconnects(1);
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(client_close_releases_senders, setup),
		cmocka_unit_test_setup(closing_the_handle_aborts_pending_gets, setup),
		cmocka_unit_test_setup(client_killed_releases_senders, setup),
		cmocka_unit_test_setup(close_client_port_releases_both_sides, setup),
		cmocka_unit_test_setup(close_client_port_releases_a_blocked_get, setup),
		cmocka_unit_test_setup(shutdown_releases_everyone, setup),
		cmocka_unit_test_setup(closing_server_port_keeps_connections, setup),
		cmocka_unit_test_setup(max_connections_refuses_the_next, setup),
		cmocka_unit_test_setup(connect_notify_failure_reaches_the_client, setup),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
