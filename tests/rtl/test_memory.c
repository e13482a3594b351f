#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

static void compare_memory_counts_matching_prefix(void **state)
{
	(void)state;
	assert_int_equal(RtlCompareMemory("abcd", "abXd", 4), 2);
	assert_int_equal(RtlCompareMemory("abcd", "abcd", 4), 4);
	assert_int_equal(RtlCompareMemory("abcd", "Xbcd", 4), 0);
	assert_int_equal(RtlCompareMemory("", "", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compare_memory_counts_matching_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
