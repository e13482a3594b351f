/* Shared helpers for the ke tests: a bugcheck recorder and waiter threads. */
#ifndef ALTITUDE_TESTS_KE_TEST_H
#define ALTITUDE_TESTS_KE_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdlib.h>
#include <cmocka.h>

#include <wdm.h>
#include <altitude/bugcheck.h>
#include <altitude/clock.h>
#include <altitude/thread.h>
#include "ke/ke.h"

/* Virtual clock start: 2024-01-01 00:00:00 UTC. */
#define T0_SYSTEM (ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME + 1704067200LL * 10000000LL)
#define MS(n) ((LONGLONG)(n) * 10000LL)

static altitude_bugcheck_report test_last_bugcheck;

static void test_record_bugcheck(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	test_last_bugcheck = *r;
}

/* Records bugchecks (no clock change): for tests that never wait on time. */
static inline int test_setup_no_clock(void **state)
{
	(void)state;
	test_last_bugcheck.code = 0;
	altitude_bugcheck_reset();
	altitude_bugcheck_set_hook(test_record_bugcheck, NULL);
	return 0;
}

/* Back to PASSIVE_LEVEL (a failed test may leave the IRQL raised), no hook. */
static inline int test_teardown_no_clock(void **state)
{
	(void)state;
	KeLowerIrql(PASSIVE_LEVEL);
	altitude_bugcheck_set_hook(NULL, NULL);
	return 0;
}

/* Records bugchecks and starts the virtual clock at T0_SYSTEM. */
static inline int test_setup(void **state)
{
	test_setup_no_clock(state);
	altitude_clock_use_virtual(T0_SYSTEM);
	return 0;
}

static inline int test_teardown(void **state)
{
	test_teardown_no_clock(state);
	altitude_clock_use_real();
	return 0;
}

/* A thread that waits once, through ke_wait_objects, and records the result. */
struct waiter {
	pthread_t pthread;
	ULONG count;
	PVOID objects[8];
	WAIT_TYPE type;
	BOOLEAN has_timeout;
	LARGE_INTEGER timeout;
	PRKEVENT abort_event;
	BOOLEAN terminable;
	PETHREAD thread;
	NTSTATUS status;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->thread = PsGetCurrentThread();
	w->status = ke_wait_objects(w->count, w->objects, w->type,
				    w->has_timeout ? &w->timeout : NULL, NULL, w->abort_event,
				    w->terminable);
	return NULL;
}

static inline void waiter_start(struct waiter *w)
{
	assert_int_equal(pthread_create(&w->pthread, NULL, waiter_main, w), 0);
}

static inline NTSTATUS waiter_join(struct waiter *w)
{
	assert_int_equal(pthread_join(w->pthread, NULL), 0);
	return w->status;
}

/* Starts a wait-any on one object and returns once it is blocked. */
static inline void waiter_start_single(struct waiter *w, PVOID object, const LONGLONG *timeout,
				       ULONG already_waiting)
{
	w->count = 1;
	w->objects[0] = object;
	w->type = WaitAny;
	w->has_timeout = timeout != NULL;
	if (timeout != NULL)
		w->timeout.QuadPart = *timeout;
	waiter_start(w);
	assert_true(altitude_clock_wait_for_waiters(already_waiting + 1));
}

#endif /* ALTITUDE_TESTS_KE_TEST_H */
