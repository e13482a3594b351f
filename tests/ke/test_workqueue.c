#include "ke_test.h"

struct work_log {
	WORK_QUEUE_ITEM item;
	KEVENT done;
	KIRQL irql;
	BOOLEAN system;
	HANDLE tid;
	PVOID io_object;
	PIO_WORKITEM io_item;
	KIRQL return_irql;
	PRKEVENT gate;
};

static VOID work_routine(PVOID parameter)
{
	struct work_log *log = parameter;
	KIRQL return_irql = log->return_irql;

	log->irql = KeGetCurrentIrql();
	log->system = PsIsSystemThread(PsGetCurrentThread());
	log->tid = PsGetCurrentThreadId();
	if (log->gate != NULL)
		KeWaitForSingleObject(log->gate, Executive, KernelMode, FALSE, NULL);
	/* `log` may be gone once `done` is set. */
	KeSetEvent(&log->done, IO_NO_INCREMENT, FALSE);
	if (return_irql != PASSIVE_LEVEL) {
		KIRQL old;

		KeRaiseIrql(return_irql, &old);
	}
}

static void work_log_init(struct work_log *log)
{
	KeInitializeEvent(&log->done, NotificationEvent, FALSE);
	ExInitializeWorkItem(&log->item, work_routine, log);
}

static void work_items_run_at_passive_on_worker_threads(void **state)
{
	struct work_log log[3] = { 0 };
	WORK_QUEUE_TYPE types[3] = { CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue };
	KIRQL old;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	for (int i = 0; i < 3; i++) {
		work_log_init(&log[i]);
		ExQueueWorkItem(&log[i].item, types[i]);
	}
	KeLowerIrql(old);
	for (int i = 0; i < 3; i++) {
		KeWaitForSingleObject(&log[i].done, Executive, KernelMode, FALSE, NULL);
		assert_int_equal(log[i].irql, PASSIVE_LEVEL);
		assert_true(log[i].system);
		assert_ptr_not_equal(log[i].tid, PsGetCurrentThreadId());
	}
	assert_int_equal(test_last_bugcheck.code, 0);
}

static void blocked_work_items_do_not_starve_later_ones(void **state)
{
	struct work_log a = { 0 }, b = { 0 };
	KEVENT gate;

	(void)state;
	KeInitializeEvent(&gate, NotificationEvent, FALSE);
	work_log_init(&a);
	work_log_init(&b);
	a.gate = &gate;
	ExQueueWorkItem(&a.item, DelayedWorkQueue);
	ExQueueWorkItem(&b.item, DelayedWorkQueue);
	/* b runs on another worker while a waits. */
	KeWaitForSingleObject(&b.done, Executive, KernelMode, FALSE, NULL);
	assert_int_equal(KeReadStateEvent(&a.done), 0);
	KeSetEvent(&gate, IO_NO_INCREMENT, FALSE);
	KeWaitForSingleObject(&a.done, Executive, KernelMode, FALSE, NULL);
	assert_ptr_not_equal(a.tid, b.tid);
}

static void returning_at_raised_irql_bugchecks(void **state)
{
	struct work_log log = { 0 };

	(void)state;
	work_log_init(&log);
	log.return_irql = DISPATCH_LEVEL;
	ExQueueWorkItem(&log.item, CriticalWorkQueue);
	KeWaitForSingleObject(&log.done, Executive, KernelMode, FALSE, NULL);
	altitude_ke_shutdown(); /* the worker has returned from the routine */
	assert_int_equal(test_last_bugcheck.code, WORKER_THREAD_RETURNED_AT_BAD_IRQL);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG_PTR)work_routine);
	assert_int_equal(test_last_bugcheck.parameters[1], DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.parameters[2], (ULONG_PTR)&log);
	assert_int_equal(test_last_bugcheck.parameters[3], (ULONG_PTR)&log.item);
}

static void queueing_twice_or_to_an_unknown_queue_bugchecks(void **state)
{
	struct work_log log = { 0 };

	(void)state;
	work_log_init(&log);
	ExQueueWorkItem(&log.item, MaximumWorkQueue);
	assert_int_equal(test_last_bugcheck.code, WORKER_INVALID);
	assert_null(log.item.List.Flink);
	log.item.List.Flink = &log.item.List; /* looks queued */
	test_last_bugcheck.code = 0;
	ExQueueWorkItem(&log.item, DelayedWorkQueue);
	assert_int_equal(test_last_bugcheck.code, WORKER_INVALID);
	ExInitializeWorkItem(&log.item, NULL, &log);
	test_last_bugcheck.code = 0;
	ExQueueWorkItem(&log.item, DelayedWorkQueue);
	assert_int_equal(test_last_bugcheck.code, WORKER_INVALID);
	assert_int_equal(KeReadStateEvent(&log.done), 0);
}

static VOID io_routine(PDEVICE_OBJECT device, PVOID context)
{
	struct work_log *log = context;

	log->io_object = device;
	log->irql = KeGetCurrentIrql();
	KeSetEvent(&log->done, IO_NO_INCREMENT, FALSE);
}

static VOID io_routine_ex(PVOID io_object, PVOID context, PIO_WORKITEM item)
{
	struct work_log *log = context;

	log->io_object = io_object;
	log->io_item = item;
	log->irql = KeGetCurrentIrql();
	KeSetEvent(&log->done, IO_NO_INCREMENT, FALSE);
}

static void io_work_items_call_their_routine_with_the_io_object(void **state)
{
	struct work_log log = { 0 };
	PDEVICE_OBJECT device = (PDEVICE_OBJECT)&log; /* any address: never dereferenced */
	PIO_WORKITEM item;
	PIO_WORKITEM embedded;

	(void)state;
	KeInitializeEvent(&log.done, NotificationEvent, FALSE);
	item = IoAllocateWorkItem(device);
	assert_non_null(item);
	IoQueueWorkItem(item, io_routine, DelayedWorkQueue, &log);
	KeWaitForSingleObject(&log.done, Executive, KernelMode, FALSE, NULL);
	assert_ptr_equal(log.io_object, device);
	assert_int_equal(log.irql, PASSIVE_LEVEL);
	altitude_ke_shutdown(); /* the item is idle again */
	IoFreeWorkItem(item);

	embedded = malloc(IoSizeofWorkItem());
	IoInitializeWorkItem(&log, embedded);
	KeResetEvent(&log.done);
	IoQueueWorkItemEx(embedded, io_routine_ex, CriticalWorkQueue, &log);
	KeWaitForSingleObject(&log.done, Executive, KernelMode, FALSE, NULL);
	assert_ptr_equal(log.io_object, &log);
	assert_ptr_equal(log.io_item, embedded);
	altitude_ke_shutdown();
	IoUninitializeWorkItem(embedded);
	free(embedded);
	assert_int_equal(test_last_bugcheck.code, 0);
}

static VOID never_called(PDEVICE_OBJECT device, PVOID context)
{
	(void)device;
	(void)context;
	fail();
}

static void freeing_a_queued_io_work_item_bugchecks(void **state)
{
	PIO_WORKITEM item = IoAllocateWorkItem(NULL);
	WORK_QUEUE_ITEM *raw = (WORK_QUEUE_ITEM *)item;

	(void)state;
	/* Make the item look queued without running it. */
	raw->List.Flink = &raw->List;
	IoFreeWorkItem(item);
	assert_int_equal(test_last_bugcheck.code, WORKER_INVALID);
	assert_string_equal(test_last_bugcheck.routine, "IoFreeWorkItem");
	test_last_bugcheck.code = 0;
	IoQueueWorkItem(item, never_called, DelayedWorkQueue, NULL);
	assert_int_equal(test_last_bugcheck.code, WORKER_INVALID);
	raw->List.Flink = NULL;
	IoFreeWorkItem(item);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(work_items_run_at_passive_on_worker_threads, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(blocked_work_items_do_not_starve_later_ones, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(returning_at_raised_irql_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(queueing_twice_or_to_an_unknown_queue_bugchecks, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(io_work_items_call_their_routine_with_the_io_object, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(freeing_a_queued_io_work_item_bugchecks, test_setup, test_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	altitude_ke_shutdown();
	return failed;
}
