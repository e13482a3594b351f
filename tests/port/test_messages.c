/*
 * FltSendMessage / FilterGetMessage / FilterReplyMessage rules (SEMANTICS.md
 * section 6) between this host process and a forked client process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/winerror_defs.h>
#include "harness.h"

#define HR(x) ((uint32_t)(x))

static struct ph_child child;

static int setup(void **state)
{
	(void)state;
	ph_reset();
	ph_open_remote(&child, 4);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	return 0;
}

static NTSTATUS send_byte(UCHAR b, LONGLONG *timeout)
{
	UCHAR msg[64];
	LARGE_INTEGER t;

	memset(msg, b, sizeof(msg));
	if (timeout)
		t.QuadPart = *timeout;
	return FltSendMessage(PH_FILTER, &ph.client, msg, sizeof(msg), NULL, NULL,
			      timeout ? &t : NULL);
}

/* Reads a 'g' report: returns the first payload byte, checks ReplyLength. */
static uint32_t read_get(uint32_t expect_reply_length, ULONGLONG *id)
{
	uint32_t lo, hi;

	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_read(&child), expect_reply_length);
	lo = ph_read(&child);
	hi = ph_read(&child);
	if (id)
		*id = (ULONGLONG)hi << 32 | lo;
	ph_read(&child);
	return ph_read(&child);
}

static void sender_init(struct ph_sender *s, UCHAR b, BOOLEAN want_reply, ULONG capacity)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, b, sizeof(s->msg));
	s->msg_len = sizeof(s->msg);
	s->want_reply = want_reply;
	s->reply_capacity = capacity;
}

static void connect_passes_context_and_disconnect_notifies_once(void **state)
{
	(void)state;
	assert_int_equal(ph.connects, 1);
	assert_int_equal(ph.context_len, sizeof(PH_CONTEXT) - 1);
	assert_memory_equal(ph.context, PH_CONTEXT, sizeof(PH_CONTEXT) - 1);
	ph_cmd(&child, 'x', 0);
	assert_int_equal(ph_read(&child), TRUE);
	ph_wait_disconnects(1);
	assert_ptr_equal(ph.last_cookie_disconnected, (PVOID)1);
	ph_close_port(&ph.client);
	assert_null(ph.client);
	assert_int_equal(send_byte('A', NULL), STATUS_PORT_DISCONNECTED);
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void waiting_receiver_gets_message_at_once(void **state)
{
	LONGLONG zero = 0;

	(void)state;
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('A', &zero), STATUS_SUCCESS);
	assert_int_equal(read_get(0, NULL), 'A');
}

static void sender_waits_until_the_client_gets(void **state)
{
	struct ph_sender s;

	(void)state;
	sender_init(&s, 'B', FALSE, 0);
	ph_sender_start(&s);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(0, NULL), 'B');
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
}

static void zero_timeout_without_receiver_is_never_delivered(void **state)
{
	LONGLONG zero = 0;

	(void)state;
	assert_int_equal(send_byte('A', &zero), STATUS_TIMEOUT);
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('B', &zero), STATUS_SUCCESS);
	assert_int_equal(read_get(0, NULL), 'B');
}

static void relative_timeout_withdraws_undelivered_message(void **state)
{
	LONGLONG tiny = -1, zero = 0;

	(void)state;
	assert_int_equal(send_byte('A', &tiny), STATUS_TIMEOUT);
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('B', &zero), STATUS_SUCCESS);
	assert_int_equal(read_get(0, NULL), 'B');
}

static void absolute_timeout_in_the_past_times_out(void **state)
{
	LONGLONG past = 116444736000000000LL; /* 1970 */

	(void)state;
	assert_int_equal(send_byte('A', &past), STATUS_TIMEOUT);
}

static void reply_length_excludes_header(void **state)
{
	struct ph_sender s;

	(void)state;
	sender_init(&s, 'C', TRUE, 8);
	ph_sender_start(&s);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(8 + PORT_WIRE_REPLY_HEADER_SIZE, NULL), 'C');
	ph_cmd(&child, 'r', 2, 5u, 0u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 5);
	assert_memory_equal(s.reply, "RRRRR", 5);
}

static void reply_overflow(void **state)
{
	struct ph_sender s;

	(void)state;
	sender_init(&s, 'D', TRUE, 1);
	ph_sender_start(&s);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(1 + PORT_WIRE_REPLY_HEADER_SIZE, NULL), 'D');
	ph_cmd(&child, 'r', 2, 8u, 0u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)));
	assert_int_equal(ph_sender_join(&s), STATUS_BUFFER_OVERFLOW);
	assert_int_equal(s.reply_len, 1);
	assert_int_equal(s.reply[0], 'R');
}

static void late_reply_finds_no_waiter(void **state)
{
	struct ph_sender s;

	(void)state;
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	sender_init(&s, 'E', TRUE, 8);
	s.has_timeout = TRUE;
	s.timeout.QuadPart = -1;
	ph_sender_start(&s);
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	assert_int_equal(read_get(8 + PORT_WIRE_REPLY_HEADER_SIZE, NULL), 'E');
	ph_cmd(&child, 'r', 2, 4u, 0u);
	assert_int_equal(ph_read(&child), HR(ERROR_FLT_NO_WAITER_FOR_REPLY));
}

static void zero_timeout_with_reply_buffer_returns_timeout(void **state)
{
	struct ph_sender s;

	(void)state;
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	sender_init(&s, 'F', TRUE, 8);
	s.has_timeout = TRUE;
	s.timeout.QuadPart = 0;
	ph_sender_start(&s);
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	assert_int_equal(read_get(8 + PORT_WIRE_REPLY_HEADER_SIZE, NULL), 'F');
	ph_cmd(&child, 'r', 2, 4u, 0u);
	assert_int_equal(ph_read(&child), HR(ERROR_FLT_NO_WAITER_FOR_REPLY));
}

static void duplicate_reply_finds_no_waiter(void **state)
{
	struct ph_sender s;

	(void)state;
	sender_init(&s, 'G', TRUE, 8);
	ph_sender_start(&s);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(8 + PORT_WIRE_REPLY_HEADER_SIZE, NULL), 'G');
	ph_cmd(&child, 'r', 2, 2u, 0u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	ph_cmd(&child, 'r', 2, 2u, 0u);
	assert_int_equal(ph_read(&child), HR(ERROR_FLT_NO_WAITER_FOR_REPLY));
}

static void small_buffer_loses_nothing(void **state)
{
	struct ph_sender s;

	(void)state;
	sender_init(&s, 'H', FALSE, 0);
	ph_sender_start(&s);
	ph_cmd(&child, 'g', 1, 20u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)));
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(0, NULL), 'H');
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
}

/* A message too large for a delivery page comes whole, over the socket. */
static void large_message_arrives_whole(void **state)
{
	static UCHAR big[10000];
	LARGE_INTEGER zero = { .QuadPart = 0 };

	(void)state;
	memset(big, 'M', sizeof(big));
	big[sizeof(big) - 1] = 'Z';
	ph_cmd(&child, 'g', 1, (uint32_t)(16 + sizeof(big)));
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, big, sizeof(big), NULL, NULL, &zero),
			 STATUS_SUCCESS);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_read(&child), 0);
	ph_read(&child);
	ph_read(&child);
	assert_int_equal(ph_read(&child), 'Z');
	assert_int_equal(ph_read(&child), 'M');
}

static void message_ids_are_unique(void **state)
{
	ULONGLONG a, b;
	LONGLONG zero = 0;

	(void)state;
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('I', &zero), STATUS_SUCCESS);
	read_get(0, &a);
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('J', &zero), STATUS_SUCCESS);
	read_get(0, &b);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(a, b);
}

static void filter_send_message_reaches_message_notify(void **state)
{
	(void)state;
	ph_cmd(&child, 's', 2, 5u, 64u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_read(&child), 10);
	assert_int_equal(ph_read(&child), ('e' << 8) | 'h');
	ph_cmd(&child, 's', 2, 4u, 64u);
	assert_int_equal(ph_read(&child), HR(E_ACCESSDENIED));
	assert_int_equal(ph_read(&child), 0);
	ph_read(&child);
	ph_cmd(&child, 's', 2, 5u, 3u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)));
	ph_read(&child);
	ph_read(&child);
	assert_int_equal(ph_get(&ph.message_notifies), 3);
}

static void overlapped_get_completes_by_event(void **state)
{
	LONGLONG zero = 0;

	(void)state;
	ph_cmd(&child, 'a', 1, 512u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_IO_PENDING)));
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(send_byte('K', &zero), STATUS_SUCCESS);
	ph_cmd(&child, 'w', 0);
	assert_int_equal(ph_read(&child), TRUE);
	assert_int_equal(ph_read(&child), 0);
	assert_int_equal(ph_read(&child), 16 + 64);
	assert_int_equal(ph_read(&child), 'K');
}

static void cancelled_get_is_aborted_and_gets_nothing(void **state)
{
	LONGLONG zero = 0;

	(void)state;
	ph_cmd(&child, 'a', 1, 512u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_IO_PENDING)));
	port_test_wait_credits(ph.client, 1);
	ph_cmd(&child, 'c', 0);
	assert_int_equal(ph_read(&child), TRUE);
	assert_int_equal(ph_read(&child), 0);
	ph_cmd(&child, 'w', 0);
	assert_int_equal(ph_read(&child), FALSE);
	assert_int_equal(ph_read(&child), ERROR_OPERATION_ABORTED);
	ph_read(&child);
	ph_read(&child);
	assert_int_equal(send_byte('L', &zero), STATUS_TIMEOUT);
	ph_cmd(&child, 'c', 0);
	assert_int_equal(ph_read(&child), FALSE);
	assert_int_equal(ph_read(&child), ERROR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(connect_passes_context_and_disconnect_notifies_once, setup, teardown),
		cmocka_unit_test_setup_teardown(waiting_receiver_gets_message_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(sender_waits_until_the_client_gets, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_timeout_without_receiver_is_never_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_timeout_withdraws_undelivered_message, setup, teardown),
		cmocka_unit_test_setup_teardown(absolute_timeout_in_the_past_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_length_excludes_header, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(late_reply_finds_no_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_timeout_with_reply_buffer_returns_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_reply_finds_no_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(small_buffer_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(large_message_arrives_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(message_ids_are_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_send_message_reaches_message_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(overlapped_get_completes_by_event, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelled_get_is_aborted_and_gets_nothing, setup, teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
