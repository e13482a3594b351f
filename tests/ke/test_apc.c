#include "ke_test.h"

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
	assert_int_equal(test_last_bugcheck.code, APC_INDEX_MISMATCH);
	assert_int_equal(test_last_bugcheck.parameters[2], 1 << 16);
	assert_true(KeAreAllApcsDisabled());
	KeLeaveGuardedRegion();
	test_last_bugcheck.code = 0;
	KeLeaveGuardedRegion();
	assert_int_equal(test_last_bugcheck.code, APC_INDEX_MISMATCH);
	assert_int_equal(test_last_bugcheck.parameters[2], 0);
	assert_false(KeAreApcsDisabled());
	assert_int_equal(altitude_bugcheck_count(), 2);
}

static void regions_above_apc_level_bugcheck(void **state)
{
	KIRQL old;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeEnterGuardedRegion();
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	test_last_bugcheck.code = 0;
	KeEnterCriticalRegion();
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
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
		cmocka_unit_test_setup_teardown(critical_regions_nest,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(guarded_regions_disable_all_apcs,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(apc_level_disables_all_apcs,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(leaving_unentered_region_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(regions_above_apc_level_bugcheck,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(regions_are_per_thread,
						test_setup_no_clock, test_teardown_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
