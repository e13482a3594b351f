#define _GNU_SOURCE
#include <unistd.h>

#include "ke_test.h"

struct start_log {
	KIRQL irql;
	HANDLE tid;
	BOOLEAN system;
	PETHREAD self;
	NTSTATUS terminate_status;
	PRKEVENT go;
};

static VOID start_routine(PVOID context)
{
	struct start_log *log = context;

	log->irql = KeGetCurrentIrql();
	log->tid = PsGetCurrentThreadId();
	log->system = PsIsSystemThread(PsGetCurrentThread());
	log->self = PsGetCurrentThread();
	if (log->go != NULL)
		KeWaitForSingleObject(log->go, Executive, KernelMode, FALSE, NULL);
}

static void system_thread_runs_at_passive_and_its_object_is_signalled_at_exit(void **state)
{
	struct start_log log = { 0 };
	OBJECT_ATTRIBUTES oa;
	CLIENT_ID cid;
	HANDLE h;
	PETHREAD thread;
	OBJECT_HANDLE_INFORMATION info;
	KEVENT go;
	LARGE_INTEGER zero = { .QuadPart = 0 };

	(void)state;
	KeInitializeEvent(&go, NotificationEvent, FALSE);
	log.go = &go;
	InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
	assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, &cid, start_routine, &log),
			 STATUS_SUCCESS);
	assert_true((LONG_PTR)h < 0); /* kernel handle */
	assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode,
						   (PVOID *)&thread, &info),
			 STATUS_SUCCESS);
	assert_int_equal(info.GrantedAccess, THREAD_ALL_ACCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_INVALID_HANDLE);
	assert_ptr_equal(cid.UniqueProcess, PsGetCurrentProcessId());
	assert_ptr_equal(cid.UniqueThread, PsGetThreadId(thread));
	assert_int_equal(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
	assert_false(PsIsThreadTerminating(thread));
	assert_int_equal(PsGetThreadExitStatus(thread), STATUS_PENDING);
	KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
	assert_int_equal(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_true(PsIsThreadTerminating(thread));
	assert_int_equal(PsGetThreadExitStatus(thread), STATUS_SUCCESS);
	assert_int_equal(log.irql, PASSIVE_LEVEL);
	assert_true(log.system);
	assert_ptr_equal(log.self, thread);
	assert_ptr_equal(log.tid, cid.UniqueThread);
	assert_ptr_not_equal(log.tid, PsGetCurrentThreadId());
	ObDereferenceObject(thread);
}

static VOID terminating_routine(PVOID context)
{
	KMUTEX *m = context;

	KeWaitForSingleObject(m, Executive, KernelMode, FALSE, NULL);
	PsTerminateSystemThread(STATUS_CANCELLED);
	KeReleaseMutex(m, FALSE); /* never reached */
}

static void terminate_system_thread_ends_it_and_abandons_its_mutex(void **state)
{
	HANDLE h;
	PVOID thread;
	KMUTEX m;

	(void)state;
	KeInitializeMutex(&m, 0);
	assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL,
					      terminating_routine, &m),
			 STATUS_SUCCESS);
	assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, NULL, KernelMode, &thread, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	assert_int_equal(PsGetThreadExitStatus(thread), STATUS_CANCELLED);
	assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL),
			 STATUS_ABANDONED_WAIT_0);
	KeReleaseMutex(&m, FALSE);
	ObDereferenceObject(thread);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	/* Not a PsCreateSystemThread thread: refused. */
	assert_int_equal(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
	assert_false(PsIsSystemThread(PsGetCurrentThread()));
}

static void handles_are_checked(void **state)
{
	PVOID object = (PVOID)1;
	HANDLE h;
	OBJECT_ATTRIBUTES oa;
	struct start_log log = { 0 };

	(void)state;
	assert_int_equal(ObReferenceObjectByHandle((HANDLE)0x1234, 0, NULL, KernelMode, &object, NULL),
			 STATUS_INVALID_HANDLE);
	assert_null(object);
	assert_int_equal(ObReferenceObjectByHandle(NULL, 0, NULL, KernelMode, &object, NULL),
			 STATUS_INVALID_HANDLE);
	assert_int_equal(ZwClose((HANDLE)0x7), STATUS_INVALID_HANDLE);
	assert_int_equal(ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsProcessType, KernelMode,
						   &object, NULL),
			 STATUS_OBJECT_TYPE_MISMATCH);
	assert_int_equal(ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsThreadType, KernelMode,
						   &object, NULL),
			 STATUS_SUCCESS);
	assert_ptr_equal(object, KeGetCurrentThread());
	ObDereferenceObject(object);
	assert_int_equal(ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode,
						   &object, NULL),
			 STATUS_SUCCESS);
	assert_ptr_equal(object, PsGetCurrentProcess());
	assert_ptr_equal(PsGetProcessId(object), (HANDLE)(ULONG_PTR)getpid());
	ObDereferenceObject(object);

	/* A handle without OBJ_KERNEL_HANDLE, opened for SYNCHRONIZE only. */
	InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
	assert_int_equal(PsCreateSystemThread(&h, SYNCHRONIZE, &oa, NULL, NULL, start_routine, &log),
			 STATUS_SUCCESS);
	assert_true((LONG_PTR)h > 0);
	assert_int_equal(ObReferenceObjectByHandle(h, THREAD_TERMINATE, *PsThreadType, UserMode,
						   &object, NULL),
			 STATUS_ACCESS_DENIED);
	assert_int_equal(ObReferenceObjectByHandle(h, THREAD_TERMINATE, *PsProcessType, KernelMode,
						   &object, NULL),
			 STATUS_OBJECT_TYPE_MISMATCH);
	assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, UserMode, &object,
						   NULL),
			 STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	ObDereferenceObject(object);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, (HANDLE)0x44, NULL,
					      start_routine, &log),
			 STATUS_INVALID_HANDLE);
	assert_int_equal(PsCreateSystemThread(NULL, THREAD_ALL_ACCESS, NULL, NULL, NULL, start_routine,
					      &log),
			 STATUS_INVALID_PARAMETER);
}

static void kernel_handles_are_invalid_from_user_mode(void **state)
{
	OBJECT_ATTRIBUTES oa;
	struct start_log log = { 0 };
	PVOID object;
	HANDLE h;

	(void)state;
	InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
	assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, start_routine, &log),
			 STATUS_SUCCESS);
	assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, UserMode, &object, NULL),
			 STATUS_INVALID_HANDLE);
	assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &object,
						   NULL),
			 STATUS_SUCCESS);
	assert_int_equal(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	ObDereferenceObject(object);
	ZwClose(h);
}

static void over_dereference_bugchecks(void **state)
{
	PVOID process = PsGetCurrentProcess();
	LONG_PTR refs;

	(void)state;
	refs = ObReferenceObject(process);
	assert_int_equal(ObDereferenceObject(process), refs - 1);
	for (LONG_PTR i = 0; i < refs - 1; i++)
		ObDereferenceObject(process);
	/* The process object is permanent: at zero it still exists. */
	assert_int_equal(test_last_bugcheck.code, 0);
	assert_int_equal(ObDereferenceObject(process), 0);
	assert_int_equal(test_last_bugcheck.code, 0x18);
	assert_string_equal(test_last_bugcheck.routine, "ObDereferenceObject");
	for (LONG_PTR i = 0; i < refs - 1; i++)
		ObReferenceObject(process);
}

static void *current_thread_main(void *arg)
{
	PETHREAD *out = arg;

	out[0] = PsGetCurrentThread();
	out[1] = (PETHREAD)KeGetCurrentThread();
	ObReferenceObject(out[0]);
	return NULL;
}

static void any_thread_gets_a_thread_object_that_outlives_it(void **state)
{
	PETHREAD seen[2];
	pthread_t t;

	(void)state;
	assert_ptr_equal(PsGetCurrentThread(), (PETHREAD)KeGetCurrentThread());
	assert_ptr_equal(PsGetCurrentThreadId(), (HANDLE)(ULONG_PTR)gettid());
	assert_int_equal(pthread_create(&t, NULL, current_thread_main, seen), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_ptr_equal(seen[0], seen[1]);
	assert_ptr_not_equal(seen[0], PsGetCurrentThread());
	assert_true(PsIsThreadTerminating(seen[0]));
	assert_int_equal(KeWaitForSingleObject(seen[0], Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	ObDereferenceObject(seen[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(system_thread_runs_at_passive_and_its_object_is_signalled_at_exit, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(terminate_system_thread_ends_it_and_abandons_its_mutex, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(handles_are_checked, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(kernel_handles_are_invalid_from_user_mode, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(over_dereference_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(any_thread_gets_a_thread_object_that_outlives_it, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
