#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Reads the child's stderr to the end, keeping what fits in `out`. */
static void read_all(int fd, char *out, size_t size)
{
	char scratch[512];
	size_t used = 0;
	ssize_t n;

	for (;;) {
		BOOLEAN room = used < size - 1;

		n = read(fd, room ? out + used : scratch, room ? size - 1 - used : sizeof(scratch));
		if (n <= 0)
			break;
		if (room)
			used += (size_t)n;
	}
	out[used] = '\0';
}

/* Without a hook a bugcheck prints its report (SEMANTICS.md section 7) and stops the process. */
static void bugcheck_without_hook_prints_a_report_and_aborts(void **state)
{
	char out[16384];
	int fds[2], status;
	pid_t child;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		signal(SIGABRT, SIG_DFL); /* not cmocka's handler */
		altitude_bugcheck_set_hook(NULL, NULL);
		KeLowerIrql(DISPATCH_LEVEL);
		_exit(0); /* not reached */
	}
	close(fds[1]);
	read_all(fds[0], out, sizeof(out));
	close(fds[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "*** BUGCHECK IRQL_NOT_LESS_OR_EQUAL (0xA) in KeLowerIrql\n"));
	assert_non_null(strstr(out, "*** parameters: 0x0000000000000000 0x0000000000000002 "
				    "0x0000000000000000 0x0000000000000000\n"));
	assert_non_null(strstr(out, "*** backtrace:\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First, while the process has a single thread (it forks). */
		cmocka_unit_test_setup_teardown(bugcheck_without_hook_prints_a_report_and_aborts,
						test_setup_no_clock, test_teardown_no_clock),
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
