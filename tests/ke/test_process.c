/* Process objects: the host's own, and other processes' by id. */
#include "ke_test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that waits until its pipe closes. */
static pid_t spawn_waiting_child(int *wfd)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void reap(pid_t pid, int wfd)
{
	close(wfd);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void own_process_is_the_current_process(void **state)
{
	PEPROCESS p = NULL;

	(void)state;
	assert_int_equal(PsLookupProcessByProcessId(PsGetCurrentProcessId(), &p), STATUS_SUCCESS);
	assert_ptr_equal(p, PsGetCurrentProcess());
	assert_ptr_equal(PsGetProcessId(p), (HANDLE)(ULONG_PTR)getpid());
	ObDereferenceObject(p);
}

static void another_process_shares_one_object_while_referenced(void **state)
{
	PEPROCESS a = NULL, b = NULL, c = NULL;
	int wfd;
	pid_t child = spawn_waiting_child(&wfd);

	(void)state;
	assert_int_equal(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)child, &a), STATUS_SUCCESS);
	assert_int_equal(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)child, &b), STATUS_SUCCESS);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, PsGetCurrentProcess());
	assert_ptr_equal(PsGetProcessId(a), (HANDLE)(ULONG_PTR)child);
	ObDereferenceObject(a);
	ObDereferenceObject(b);
	/* Once every reference is gone, a new lookup makes a new object. */
	assert_int_equal(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)child, &c), STATUS_SUCCESS);
	assert_ptr_equal(PsGetProcessId(c), (HANDLE)(ULONG_PTR)child);
	ObDereferenceObject(c);
	reap(child, wfd);
}

static void unknown_ids_are_invalid(void **state)
{
	PEPROCESS p = (PEPROCESS)1;
	int wfd;
	pid_t child = spawn_waiting_child(&wfd);

	(void)state;
	reap(child, wfd);
	assert_int_equal(PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)child, &p), STATUS_INVALID_PARAMETER);
	assert_null(p);
	assert_int_equal(PsLookupProcessByProcessId(NULL, &p), STATUS_INVALID_PARAMETER);
	assert_int_equal(PsLookupProcessByProcessId(PsGetCurrentProcessId(), NULL), STATUS_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(own_process_is_the_current_process, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(another_process_shares_one_object_while_referenced,
						test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(unknown_ids_are_invalid, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
