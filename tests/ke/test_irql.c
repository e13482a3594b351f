#include "ke_test.h"

static void raise_and_lower_track_the_level(void **state)
{
	KIRQL old;

	(void)state;
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(old, PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
	old = KeRaiseIrqlToDpcLevel();
	assert_int_equal(old, APC_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(PASSIVE_LEVEL);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void raising_below_current_bugchecks(void **state)
{
	KIRQL old;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeRaiseIrql(APC_LEVEL, &old);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_GREATER_OR_EQUAL);
	assert_int_equal(test_last_bugcheck.parameters[0], DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.parameters[1], APC_LEVEL);
	assert_string_equal(test_last_bugcheck.routine, "KeRaiseIrql");
	assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(PASSIVE_LEVEL);
}

static void lowering_above_current_bugchecks(void **state)
{
	(void)state;
	KeLowerIrql(DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(altitude_bugcheck_name(test_last_bugcheck.code), "IRQL_NOT_LESS_OR_EQUAL");
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(altitude_bugcheck_count(), 1);
}

static void *bugcheck_thread(void *arg)
{
	(void)arg;
	KeBugCheckEx(MANUALLY_INITIATED_CRASH, 1, 2, 3, 4);
}

static void kebugcheckex_under_hook_ends_only_the_thread(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, bugcheck_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(test_last_bugcheck.code, MANUALLY_INITIATED_CRASH);
	assert_int_equal(test_last_bugcheck.parameters[3], 4);
	assert_string_equal(altitude_bugcheck_name(0x12345), "UNKNOWN_BUGCHECK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(raise_and_lower_track_the_level,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(raising_below_current_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(lowering_above_current_bugchecks,
						test_setup_no_clock, test_teardown_no_clock),
		cmocka_unit_test_setup_teardown(kebugcheckex_under_hook_ends_only_the_thread,
						test_setup_no_clock, test_teardown_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
