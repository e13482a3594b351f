#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include <wdm.h>
#include <altitude/bugcheck.h>

static altitude_bugcheck_report last;

static void record(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	last = *r;
}

static int setup(void **state)
{
	(void)state;
	last.code = 0;
	altitude_bugcheck_reset();
	altitude_bugcheck_set_hook(record, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	KeLowerIrql(PASSIVE_LEVEL);
	altitude_bugcheck_set_hook(NULL, NULL);
	return 0;
}

static void critical_regions_nest(void **state)
{
	(void)state;
	assert_false(KeAreApcsDisabled());
	KeEnterCriticalRegion();
	KeEnterCriticalRegion();
	assert_true(KeAreApcsDisabled());
	assert_false(KeAreAllApcsDisabled());
	KeLeaveCriticalRegion();
	assert_true(KeAreApcsDisabled());
	KeLeaveCriticalRegion();
	assert_false(KeAreApcsDisabled());
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void guarded_regions_disable_all_apcs(void **state)
{
	(void)state;
	KeEnterGuardedRegion();
	assert_true(KeAreApcsDisabled());
	assert_true(KeAreAllApcsDisabled());
	KeEnterCriticalRegion();
	KeLeaveGuardedRegion();
	assert_true(KeAreApcsDisabled());
	assert_false(KeAreAllApcsDisabled());
	KeLeaveCriticalRegion();
	assert_false(KeAreApcsDisabled());
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void apc_level_disables_all_apcs(void **state)
{
	KIRQL old;

	(void)state;
	KeRaiseIrql(APC_LEVEL, &old);
	assert_true(KeAreAllApcsDisabled());
	assert_false(KeAreApcsDisabled());
	KeLowerIrql(old);
	assert_false(KeAreAllApcsDisabled());
}

static void leaving_unentered_region_bugchecks(void **state)
{
	(void)state;
	KeEnterGuardedRegion();
	KeLeaveCriticalRegion();
	assert_int_equal(last.code, APC_INDEX_MISMATCH);
	assert_int_equal(last.parameters[2], 1 << 16);
	assert_true(KeAreAllApcsDisabled());
	KeLeaveGuardedRegion();
	last.code = 0;
	KeLeaveGuardedRegion();
	assert_int_equal(last.code, APC_INDEX_MISMATCH);
	assert_int_equal(last.parameters[2], 0);
	assert_false(KeAreApcsDisabled());
	assert_int_equal(altitude_bugcheck_count(), 2);
}

static void regions_above_apc_level_bugcheck(void **state)
{
	KIRQL old;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeEnterGuardedRegion();
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	last.code = 0;
	KeEnterCriticalRegion();
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	KeLowerIrql(old);
	assert_false(KeAreApcsDisabled());
}

static void *thread_state(void *arg)
{
	(void)arg;
	return (void *)(ULONG_PTR)KeAreApcsDisabled();
}

static void regions_are_per_thread(void **state)
{
	pthread_t t;
	void *other;

	(void)state;
	KeEnterCriticalRegion();
	assert_int_equal(pthread_create(&t, NULL, thread_state, NULL), 0);
	pthread_join(t, &other);
	assert_null(other);
	assert_true(KeAreApcsDisabled());
	KeLeaveCriticalRegion();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(critical_regions_nest, setup, teardown),
		cmocka_unit_test_setup_teardown(guarded_regions_disable_all_apcs, setup, teardown),
		cmocka_unit_test_setup_teardown(apc_level_disables_all_apcs, setup, teardown),
		cmocka_unit_test_setup_teardown(leaving_unentered_region_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(regions_above_apc_level_bugcheck, setup, teardown),
		cmocka_unit_test_setup_teardown(regions_are_per_thread, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
