/*
 * FltSendMessage's one total timeout, driven by the virtual clock: relative
 * and absolute deadlines, expiry before and after delivery, system time
 * changes, and the terminable wait.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/clock.h>
#include <altitude/thread.h>
#include <altitude/winerror_defs.h>
#include "harness.h"

#define HR(x) ((uint32_t)(x))
#define SECOND 10000000LL
#define START_TIME (ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME + 1700000000LL * SECOND)

static struct ph_child child;

static int setup(void **state)
{
	(void)state;
	ph_reset();
	ph_open_remote(&child, 4);
	altitude_clock_use_virtual_at(START_TIME, 1000 * SECOND);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_clock_use_real();
	ph_cmd(&child, 'e', 0);
	assert_int_equal(ph_reap(&child), 0);
	ph_teardown();
	return 0;
}

static void start(struct ph_sender *s, UCHAR b, BOOLEAN want_reply, LONGLONG timeout)
{
	memset(s, 0, sizeof(*s));
	memset(s->msg, b, sizeof(s->msg));
	s->msg_len = sizeof(s->msg);
	s->want_reply = want_reply;
	s->has_timeout = TRUE;
	s->timeout.QuadPart = timeout;
	ph_sender_start(s);
	assert_true(altitude_clock_wait_for_waiters(1));
}

static uint32_t read_get(void)
{
	assert_int_equal(ph_read(&child), S_OK);
	for (int i = 0; i < 4; i++)
		ph_read(&child);
	return ph_read(&child);
}

static void expect_next_delivery_is(UCHAR b)
{
	LARGE_INTEGER zero = { .QuadPart = 0 };
	UCHAR msg[8];

	memset(msg, b, sizeof(msg));
	ph_cmd(&child, 'g', 1, 512u);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, msg, sizeof(msg), NULL, NULL, &zero),
			 STATUS_SUCCESS);
	assert_int_equal(read_get(), b);
}

static void relative_timeout_expires_before_delivery(void **state)
{
	struct ph_sender s;

	(void)state;
	start(&s, 'A', FALSE, -10 * SECOND);
	assert_true(altitude_clock_advance(9 * SECOND));
	assert_true(altitude_clock_advance(1 * SECOND));
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	expect_next_delivery_is('B');
}

static void one_timeout_covers_delivery_and_reply(void **state)
{
	struct ph_sender s;

	(void)state;
	start(&s, 'C', TRUE, -10 * SECOND);
	assert_true(altitude_clock_advance(6 * SECOND));
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(), 'C');
	assert_true(altitude_clock_advance(4 * SECOND));
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	ph_cmd(&child, 'r', 2, 1u, 0u);
	assert_int_equal(ph_read(&child), HR(ERROR_FLT_NO_WAITER_FOR_REPLY));
}

static void reply_before_the_deadline_succeeds(void **state)
{
	struct ph_sender s;

	(void)state;
	start(&s, 'D', TRUE, -10 * SECOND);
	assert_true(altitude_clock_advance(9 * SECOND));
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(), 'D');
	ph_cmd(&child, 'r', 2, 3u, 0u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 3);
}

static void absolute_deadline_follows_system_time(void **state)
{
	struct ph_sender s;

	(void)state;
	start(&s, 'E', FALSE, START_TIME + 3600 * SECOND);
	altitude_clock_set_system_time(START_TIME + 3600 * SECOND);
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	expect_next_delivery_is('F');
}

static void relative_deadline_ignores_system_time(void **state)
{
	struct ph_sender s;

	(void)state;
	start(&s, 'G', FALSE, -10 * SECOND);
	altitude_clock_set_system_time(START_TIME + 3600 * SECOND);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(), 'G');
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
}

static void terminated_sender_returns_thread_is_terminating(void **state)
{
	struct ph_sender s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.msg_len = 8;
	ph_sender_start(&s);
	assert_true(altitude_clock_wait_for_waiters(1));
	altitude_thread_terminate(__atomic_load_n(&s.ethread, __ATOMIC_ACQUIRE));
	assert_int_equal(ph_sender_join(&s), STATUS_THREAD_IS_TERMINATING);
	expect_next_delivery_is('H');
}

/* A reply that leaves no get outstanding posts the library's read-ahead credit. */
static void reply_with_no_get_left(UCHAR b)
{
	struct ph_sender s;

	start(&s, b, TRUE, -100 * SECOND);
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(), b);
	ph_cmd(&child, 'r', 2, 1u, 0u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
}

static void read_ahead_message_of_a_timed_out_sender_is_never_returned(void **state)
{
	struct ph_sender s;

	(void)state;
	reply_with_no_get_left('J');
	/* Delivered at once, to the read-ahead credit; then its time is up. */
	start(&s, 'K', TRUE, -5 * SECOND);
	assert_true(altitude_clock_advance(5 * SECOND));
	assert_int_equal(ph_sender_join(&s), STATUS_TIMEOUT);
	expect_next_delivery_is('L');
}

static void read_ahead_message_waits_for_a_big_enough_get(void **state)
{
	struct ph_sender s;

	(void)state;
	reply_with_no_get_left('M');
	start(&s, 'N', TRUE, -100 * SECOND);
	ph_cmd(&child, 'g', 1, 20u);
	assert_int_equal(ph_read(&child), HR(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)));
	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(read_get(), 'N');
	ph_cmd(&child, 'r', 2, 2u, 0u);
	assert_int_equal(ph_read(&child), S_OK);
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	assert_int_equal(s.reply_len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(relative_timeout_expires_before_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(one_timeout_covers_delivery_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_before_the_deadline_succeeds, setup, teardown),
		cmocka_unit_test_setup_teardown(absolute_deadline_follows_system_time, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_deadline_ignores_system_time, setup, teardown),
		cmocka_unit_test_setup_teardown(terminated_sender_returns_thread_is_terminating, setup, teardown),
		cmocka_unit_test_setup_teardown(read_ahead_message_of_a_timed_out_sender_is_never_returned,
						setup, teardown),
		cmocka_unit_test_setup_teardown(read_ahead_message_waits_for_a_big_enough_get, setup,
						teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
