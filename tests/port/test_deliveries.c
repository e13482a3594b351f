/*
 * Deliveries in the region seen through libfltlib (docs/ports.md,
 * "Read-ahead" and "Deliveries in the region"), between this host process
 * and a forked client process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/clock.h>
#include <altitude/winerror_defs.h>
#include "harness.h"

static int setup(void **state)
{
	(void)state;
	ph_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ph_teardown();
	return 0;
}

/* A sender of a message larger than a delivery page (a DELIVER packet). */
struct big_sender {
	pthread_t thread;
	UCHAR msg[5000];
	UCHAR reply[8];
	ULONG reply_len;
	NTSTATUS status;
};

static void *big_sender_main(void *arg)
{
	struct big_sender *s = arg;

	s->reply_len = sizeof(s->reply);
	s->status = FltSendMessage(PH_FILTER, &ph.client, s->msg, sizeof(s->msg), s->reply,
				   &s->reply_len, NULL);
	return NULL;
}

/*
 * The read-ahead credit holds a message (its DELIVER not read yet) while the
 * service posts a get too small for it and then a large one: the small get
 * fails with ERROR_INSUFFICIENT_BUFFER, as the host refuses a credit too
 * small for its head message, and the large get receives the message, as
 * the host's next credit would.  The message must not wait in the library
 * for a third get while a large enough one is pending.
 */
static void readahead_message_goes_to_a_pending_get_it_fits(void **state)
{
	static struct big_sender a; /* static: a failed assertion leaves the senders running */
	static struct ph_sender s;
	struct ph_child child;

	(void)state;
	ph_spawn(&child, client_readahead_sizes, 0);
	assert_int_equal(ph_create_port(1, NULL), STATUS_SUCCESS);
	ph_go(&child);
	assert_int_equal(ph_read(&child), 'c');
	ph_wait_connects(1);
	memset(&s, 0, sizeof(s));
	memset(s.msg, 'f', sizeof(s.msg));
	s.msg_len = 16;
	s.want_reply = TRUE;
	ph_sender_start(&s);
	assert_int_equal(ph_read(&child), 'r');
	assert_int_equal(ph_sender_join(&s), STATUS_SUCCESS);
	/* Delivered against the read-ahead credit before it waits. */
	memset(&a, 0, sizeof(a));
	memset(a.msg, 'B', sizeof(a.msg));
	pthread_create(&a.thread, NULL, big_sender_main, &a);
	assert_true(altitude_clock_wait_for_waiters(1));
	ph_signal(&child, 'g');
	assert_int_equal(ph_read(&child), FALSE);
	assert_int_equal(ph_read(&child), ERROR_INSUFFICIENT_BUFFER);
	assert_int_equal(ph_read(&child), 1);
	assert_int_equal(ph_read(&child), 0);
	assert_int_equal(ph_read(&child), TRUE);
	assert_int_equal(ph_read(&child), ERROR_SUCCESS);
	assert_int_equal(ph_read(&child), 2);
	assert_int_equal(ph_read(&child), sizeof(FILTER_MESSAGE_HEADER) + sizeof(a.msg));
	pthread_join(a.thread, NULL);
	assert_int_equal(a.status, STATUS_SUCCESS);
	ph_signal(&child, 'e');
	assert_int_equal(ph_reap(&child), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(readahead_message_goes_to_a_pending_get_it_fits, setup,
						teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
