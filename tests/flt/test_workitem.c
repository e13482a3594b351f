/* Deferred I/O work items, generic work items, FltDoCompletionProcessingWhenSafe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <altitude/pool.h>

#include "flt/flt.h"
#include "probe.h"

static altitude_memvol *vol;
static altitude_file *file;

struct scenario {
	NTSTATUS queue_status;       /* what FltQueueDeferredIoWorkItem returned */
	BOOLEAN safe_returned;       /* FltDoCompletionProcessingWhenSafe */
	FLT_POSTOP_CALLBACK_STATUS safe_status;
	KIRQL worker_irql;
	long worker_instance_refs;   /* rundown references on the instance in the routine */
	pthread_t worker_thread;
	atomic_int safe_calls;
	BOOLEAN use_when_safe;
	BOOLEAN safe_pends;          /* the safe callback itself returns MORE_PROCESSING_REQUIRED */
	PFLT_CALLBACK_DATA safe_data;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	BOOLEAN worker_done;
	BOOLEAN hook_done;
};

static struct scenario sc;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	memset(&sc, 0, sizeof(sc));
	pthread_mutex_init(&sc.lock, NULL);
	pthread_cond_init(&sc.cv, NULL);
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\a.txt", "0123456789", 10);
	if (probe_load(0, L"alpha", L"300000") || probe_load(1, L"beta", L"200000"))
		return -1;
	if (altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb))
		return -1;
	probe_trace[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_filter_unload(L"beta", TRUE);
	altitude_memvol_destroy(vol);
	pthread_mutex_destroy(&sc.lock);
	pthread_cond_destroy(&sc.cv);
	altitude_bugcheck_set_hook(NULL, NULL);
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

static void worker_signal(void)
{
	pthread_mutex_lock(&sc.lock);
	sc.worker_done = TRUE;
	pthread_cond_broadcast(&sc.cv);
	pthread_mutex_unlock(&sc.lock);
}

static void worker_wait(void)
{
	pthread_mutex_lock(&sc.lock);
	while (!sc.worker_done)
		pthread_cond_wait(&sc.cv, &sc.lock);
	pthread_mutex_unlock(&sc.lock);
}

static void hook_signal(void)
{
	pthread_mutex_lock(&sc.lock);
	sc.hook_done = TRUE;
	pthread_cond_broadcast(&sc.cv);
	pthread_mutex_unlock(&sc.lock);
}

/* Rundown references held on the operation's instance (the routine's, with the fix). */
static long instance_refs(PFLT_INSTANCE inst)
{
	return atomic_load(&inst->obj.rundown) & ~FLT_RUNDOWN_DELETING;
}

/* Waits until the post hook has stored its observations. */
static void hook_wait(void)
{
	pthread_mutex_lock(&sc.lock);
	while (!sc.hook_done)
		pthread_cond_wait(&sc.cv, &sc.lock);
	pthread_mutex_unlock(&sc.lock);
}

static VOID FLTAPI deferred_routine(PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, PVOID ctx)
{
	(void)ctx;
	sc.worker_irql = KeGetCurrentIrql();
	sc.worker_thread = pthread_self();
	sc.worker_instance_refs = instance_refs(data->Iopb->TargetInstance);
	FltFreeDeferredIoWorkItem(item);
	FltCompletePendedPostOperation(data);
	worker_signal();
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI safe_post(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs,
						   PVOID ctx, FLT_POST_OPERATION_FLAGS flags)
{
	(void)ctx;
	(void)flags;
	atomic_fetch_add(&sc.safe_calls, 1);
	sc.worker_instance_refs = instance_refs(objs->Instance);
	sc.worker_irql = KeGetCurrentIrql();
	sc.worker_thread = pthread_self();
	if (sc.safe_pends) {
		sc.safe_data = data;
		worker_signal();
		return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
	}
	worker_signal();
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_POSTOP_CALLBACK_STATUS posting_post(struct probe *p, PFLT_CALLBACK_DATA data,
					       PCFLT_RELATED_OBJECTS objs, PVOID ctx,
					       FLT_POST_OPERATION_FLAGS flags)
{
	PFLT_DEFERRED_IO_WORKITEM item;

	(void)p;
	if (sc.use_when_safe) {
		FLT_POSTOP_CALLBACK_STATUS st = FLT_POSTOP_FINISHED_PROCESSING;

		BOOLEAN r = FltDoCompletionProcessingWhenSafe(data, objs, ctx, flags, safe_post, &st);

		pthread_mutex_lock(&sc.lock);
		sc.safe_returned = r;
		sc.safe_status = st;
		pthread_mutex_unlock(&sc.lock);
		hook_signal();
		return st;
	}
	item = FltAllocateDeferredIoWorkItem();
	assert_non_null(item);
	{
		NTSTATUS s = FltQueueDeferredIoWorkItem(item, data, deferred_routine, DelayedWorkQueue, NULL);

		pthread_mutex_lock(&sc.lock);
		sc.queue_status = s;
		pthread_mutex_unlock(&sc.lock);
		hook_signal();
		if (NT_SUCCESS(s))
			return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
	}
	FltFreeDeferredIoWorkItem(item);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static NTSTATUS read_with(ULONG flags)
{
	altitude_op_options o = { 0 };
	char buf[4];

	o.flags = flags;
	return altitude_read(file, 0, buf, 4, &o, NULL);
}

static void deferred_item_pends_post_until_passive(void **state)
{
	(void)state;
	probes[1].post_hook = posting_post;
	assert_int_equal(read_with(ALTITUDE_OP_ASYNC_COMPLETION), STATUS_SUCCESS);
	worker_wait();
	hook_wait();
	assert_int_equal(sc.queue_status, STATUS_SUCCESS);
	assert_int_equal(sc.worker_irql, PASSIVE_LEVEL);
	/* the item keeps its instance from being run down until the routine returns */
	assert_int_equal(sc.worker_instance_refs, 1);
	assert_false(pthread_equal(sc.worker_thread, pthread_self()));
	/* alpha (above) got its post only after the worker completed the operation */
	assert_string_equal(probe_trace, "A<B<B>A>");
	assert_true(pthread_equal(probes[0].post_thread, sc.worker_thread));
}

static void deferred_item_refusals(void **state)
{
	(void)state;
	probes[1].post_hook = posting_post;
	assert_int_equal(read_with(ALTITUDE_OP_FAST_IO), STATUS_SUCCESS);
	assert_int_equal(sc.queue_status, STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
	assert_int_equal(read_with(ALTITUDE_OP_PAGING_IO | ALTITUDE_OP_ASYNC_COMPLETION), STATUS_SUCCESS);
	assert_int_equal(sc.queue_status, STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
	assert_int_equal(read_with(ALTITUDE_OP_TOP_LEVEL_IRP), STATUS_SUCCESS);
	assert_int_equal(sc.queue_status, STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
	assert_int_equal(FltQueueDeferredIoWorkItem(NULL, NULL, deferred_routine, DelayedWorkQueue, NULL),
			 STATUS_INVALID_PARAMETER);
}

static void deferred_item_refused_while_draining(void **state)
{
	altitude_op_options o = { 0 };
	altitude_op *op;
	char buf[4];

	(void)state;
	probes[1].post_hook = posting_post;
	o.flags = ALTITUDE_OP_HOLD;
	o.async_out = &op;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	assert_int_equal(FltDetachVolume(probes[1].filter, altitude_memvol_volume(vol), NULL),
			 STATUS_SUCCESS);
	assert_int_equal(probes[1].drained, 1);
	assert_int_equal(sc.queue_status, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(altitude_memvol_release_held(vol), 1);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
	assert_string_equal(probe_trace, "A<B<BSB!BCA>");
	assert_int_equal(probes[1].post, 1); /* the setup create only */
}

static void when_safe_runs_inline_below_dispatch(void **state)
{
	(void)state;
	sc.use_when_safe = TRUE;
	probes[1].post_hook = posting_post;
	assert_int_equal(read_with(0), STATUS_SUCCESS);
	assert_true(sc.safe_returned);
	assert_int_equal(sc.safe_status, FLT_POSTOP_FINISHED_PROCESSING);
	assert_true(pthread_equal(sc.worker_thread, pthread_self()));
	assert_int_equal(sc.worker_irql, PASSIVE_LEVEL);
}

static void when_safe_posts_at_dispatch(void **state)
{
	(void)state;
	sc.use_when_safe = TRUE;
	probes[1].post_hook = posting_post;
	assert_int_equal(read_with(ALTITUDE_OP_ASYNC_COMPLETION), STATUS_SUCCESS);
	worker_wait();
	hook_wait();
	assert_true(sc.safe_returned);
	assert_int_equal(sc.safe_status, FLT_POSTOP_MORE_PROCESSING_REQUIRED);
	assert_int_equal(sc.worker_irql, PASSIVE_LEVEL);
	assert_int_equal(sc.worker_instance_refs, 1);
	assert_string_equal(probe_trace, "A<B<B>A>");
}

static void when_safe_callback_may_pend_itself(void **state)
{
	altitude_op_options o = { 0 };
	altitude_op *op;
	char buf[4];

	(void)state;
	sc.use_when_safe = TRUE;
	sc.safe_pends = TRUE;
	probes[1].post_hook = posting_post;
	o.flags = ALTITUDE_OP_ASYNC_COMPLETION;
	o.async_out = &op;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	worker_wait();
	assert_false(altitude_op_done(op));
	FltCompletePendedPostOperation(sc.safe_data);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
}

static void when_safe_refuses_unsafe_operations(void **state)
{
	(void)state;
	sc.use_when_safe = TRUE;
	probes[1].post_hook = posting_post;
	assert_int_equal(read_with(ALTITUDE_OP_PAGING_IO | ALTITUDE_OP_ASYNC_COMPLETION), STATUS_SUCCESS);
	assert_false(sc.safe_returned);
	assert_int_equal(sc.safe_status, FLT_POSTOP_FINISHED_PROCESSING);
	assert_int_equal(atomic_load(&sc.safe_calls), 0);
	assert_int_equal(read_with(ALTITUDE_OP_FAST_IO | ALTITUDE_OP_ASYNC_COMPLETION), STATUS_SUCCESS);
	assert_false(sc.safe_returned);
	assert_int_equal(atomic_load(&sc.safe_calls), 0);
}

static PVOID generic_object;
static KIRQL generic_irql;

static VOID FLTAPI generic_routine(PFLT_GENERIC_WORKITEM item, PVOID object, PVOID ctx)
{
	(void)ctx;
	generic_object = object;
	generic_irql = KeGetCurrentIrql();
	FltFreeGenericWorkItem(item);
	worker_signal();
}

static void generic_items_reference_their_object(void **state)
{
	PFLT_GENERIC_WORKITEM item = FltAllocateGenericWorkItem();
	PFLT_INSTANCE inst;

	(void)state;
	assert_non_null(item);
	assert_int_equal(FltQueueGenericWorkItem(item, probes[0].filter, generic_routine,
						 DelayedWorkQueue, NULL),
			 STATUS_SUCCESS);
	worker_wait();
	assert_ptr_equal(generic_object, probes[0].filter);
	assert_int_equal(generic_irql, PASSIVE_LEVEL);

	sc.worker_done = FALSE;
	item = FltAllocateGenericWorkItem();
	assert_int_equal(FltGetTopInstance(altitude_memvol_volume(vol), &inst), STATUS_SUCCESS);
	assert_int_equal(FltQueueGenericWorkItem(item, inst, generic_routine, DelayedWorkQueue, NULL),
			 STATUS_SUCCESS);
	worker_wait();
	assert_ptr_equal(generic_object, inst);
	FltObjectDereference(inst);
	item = FltAllocateGenericWorkItem();
	assert_int_equal(FltQueueGenericWorkItem(item, altitude_memvol_volume(vol), generic_routine,
						 DelayedWorkQueue, NULL),
			 STATUS_INVALID_PARAMETER);
	FltFreeGenericWorkItem(item);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(deferred_item_pends_post_until_passive, setup, teardown),
		cmocka_unit_test_setup_teardown(deferred_item_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(deferred_item_refused_while_draining, setup, teardown),
		cmocka_unit_test_setup_teardown(when_safe_runs_inline_below_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(when_safe_posts_at_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(when_safe_callback_may_pend_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(when_safe_refuses_unsafe_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(generic_items_reference_their_object, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
