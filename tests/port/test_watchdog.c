/*
 * The watchdog sees a FltSendMessage that waits (virtual clock): the
 * sending filter, no operation outside a callback, the age, and the
 * filter's pending count; once delivered, nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/clock.h>
#include <altitude/harness.h>
#include <altitude/host.h>
#include <altitude/winerror_defs.h>
#include "harness.h"

#define SECOND 10000000LL

static struct ph_child child;
static int setup(void **state)
{
	(void)state;
	ph_reset();
	ph_open_remote(&child, 4);
	altitude_clock_use_virtual_at(ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME, 1000 * SECOND);
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

struct sender {
	pthread_t thread;
	NTSTATUS status;
};

static void *send_main(void *arg)
{
	struct sender *s = arg;
	UCHAR msg[8];

	memset(msg, 'W', sizeof(msg));
	s->status = FltSendMessage(PH_FILTER, &ph.client, msg, sizeof(msg), NULL, NULL, NULL);
	return NULL;
}

static void collect(const altitude_watch_item *item, void *ctx)
{
	*(altitude_watch_item *)ctx = *item;
}

static void waiting_send_is_reported_until_delivered(void **state)
{
	altitude_host_filter_info info;
	altitude_watch_item item;
	struct sender s;

	(void)state;
	pthread_create(&s.thread, NULL, send_main, &s);
	assert_true(altitude_clock_wait_for_waiters(1));
	assert_true(altitude_clock_advance(7 * SECOND));
	memset(&item, 0, sizeof(item));
	assert_int_equal(altitude_watchdog_scan(8000, collect, &item), 0);
	assert_int_equal(altitude_watchdog_scan(5000, collect, &item), 1);
	assert_int_equal(item.kind, ALTITUDE_WATCH_MESSAGE);
	assert_string_equal(item.filter, "porttest");
	assert_string_equal(item.operation, "");
	assert_string_equal(item.instance, "");
	assert_int_equal(item.requestor_pid, 0);
	assert_int_equal(item.age_ms, 7000);
	assert_int_equal(altitude_host_filters(&info, 1), 1);
	assert_string_equal(info.name, "porttest");
	assert_int_equal(info.pending, 1);
	assert_int_equal(info.oldest_ms, 7000);

	ph_cmd(&child, 'g', 1, 512u);
	assert_int_equal(ph_read(&child), S_OK);
	for (int i = 0; i < 5; i++)
		ph_read(&child);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.status, STATUS_SUCCESS);
	assert_int_equal(altitude_watchdog_scan(0, NULL, NULL), 0);
	assert_int_equal(altitude_host_filters(&info, 1), 1);
	assert_int_equal(info.pending, 0);
	assert_int_equal(info.oldest_ms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(waiting_send_is_reported_until_delivered, setup, teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
