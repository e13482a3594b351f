/*
 * Cancel-safe callback data queues: insert and remove (by context, next
 * match), cancellation of queued operations (CompleteCanceledIo exactly
 * once), disable/enable, insert of an already cancelled operation, the
 * InsertIo callback's status, and cancel racing removal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"

/* x64 layouts of the documented structures. */
_Static_assert(sizeof(IO_CSQ) == 64, "IO_CSQ");
_Static_assert(offsetof(FLT_CALLBACK_DATA_QUEUE, Flags) == 64, "Flags");
_Static_assert(offsetof(FLT_CALLBACK_DATA_QUEUE, Instance) == 72, "Instance");
_Static_assert(sizeof(FLT_CALLBACK_DATA_QUEUE) == 128, "FLT_CALLBACK_DATA_QUEUE");
_Static_assert(sizeof(FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT) == 24, "IO context");

static altitude_memvol *vol;
static altitude_file *file;

#define SLOTS 8

static struct {
	FLT_CALLBACK_DATA_QUEUE q;
	KSPIN_LOCK lock;
	LIST_ENTRY items;
	ULONG queued;
	FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT ctx[SLOTS];
	PFLT_CALLBACK_DATA data[SLOTS];
	NTSTATUS insert_status[SLOTS];
	int next_slot;
	atomic_int canceled_calls;
	NTSTATUS insert_result; /* what InsertIo returns */
	BOOLEAN cancel_before_insert;
	KIRQL lock_irql_seen;
	NTSTATUS fast_io_insert;
} t;

static NTSTATUS FLTAPI q_insert(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID ictx)
{
	(void)q;
	(void)ictx;
	if (!NT_SUCCESS(t.insert_result))
		return t.insert_result;
	InsertTailList(&t.items, &d->QueueLinks);
	t.queued++;
	return t.insert_result;
}

static VOID FLTAPI q_remove(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
	(void)q;
	RemoveEntryList(&d->QueueLinks);
	t.queued--;
}

static PFLT_CALLBACK_DATA FLTAPI q_peek(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID peek)
{
	PLIST_ENTRY e = d ? d->QueueLinks.Flink : t.items.Flink;

	(void)q;
	for (; e != &t.items; e = e->Flink) {
		PFLT_CALLBACK_DATA cand = CONTAINING_RECORD(e, FLT_CALLBACK_DATA, QueueLinks);

		if (!peek || cand->Iopb->Parameters.Read.Length == *(ULONG *)peek)
			return cand;
	}
	return NULL;
}

static VOID FLTAPI q_acquire(PFLT_CALLBACK_DATA_QUEUE q, PKIRQL irql)
{
	(void)q;
	KeAcquireSpinLock(&t.lock, irql);
	t.lock_irql_seen = KeGetCurrentIrql();
}

static VOID FLTAPI q_release(PFLT_CALLBACK_DATA_QUEUE q, KIRQL irql)
{
	(void)q;
	KeReleaseSpinLock(&t.lock, irql);
}

static VOID FLTAPI q_complete_canceled(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
	(void)q;
	atomic_fetch_add(&t.canceled_calls, 1);
	d->IoStatus.Status = STATUS_CANCELLED;
	d->IoStatus.Information = 0;
	FltCompletePendedPreOperation(d, FLT_PREOP_COMPLETE, NULL);
}

static FLT_PREOP_CALLBACK_STATUS queue_hook(struct probe *p, PFLT_CALLBACK_DATA data,
					    PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	int i;

	(void)p;
	(void)objs;
	(void)ctx;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	if (FLT_IS_FASTIO_OPERATION(data)) {
		t.fast_io_insert = FltCbdqInsertIo(&t.q, data, NULL, NULL);
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	}
	i = t.next_slot++ % SLOTS;
	t.data[i] = data;
	if (t.cancel_before_insert)
		FltCancelIo(data);
	t.insert_status[i] = FltCbdqInsertIo(&t.q, data, &t.ctx[i], NULL);
	return NT_SUCCESS(t.insert_status[i]) ? FLT_PREOP_PENDING : FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;
	PFLT_INSTANCE inst;
	ULONG n = 0;

	(void)state;
	probe_reset();
	memset(&t, 0, sizeof(t));
	KeInitializeSpinLock(&t.lock);
	InitializeListHead(&t.items);
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\a.txt", "0123456789", 10);
	if (probe_load(0, L"alpha", L"300000"))
		return -1;
	if (FltEnumerateInstances(altitude_memvol_volume(vol), probes[0].filter, &inst, 1, &n) ||
	    n != 1)
		return -1;
	FltObjectDereference(inst);
	if (FltCbdqInitialize(inst, &t.q, q_insert, q_remove, q_peek, q_acquire, q_release,
			      q_complete_canceled))
		return -1;
	if (altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb))
		return -1;
	probes[0].pre_hook = queue_hook;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_memvol_destroy(vol);
	return altitude_flt_live_objects() == 0 ? 0 : -1;
}

static altitude_op *issue_read(char *buf, ULONG length)
{
	altitude_op *op = NULL;
	altitude_op_options o = { .async_out = &op };

	assert_int_equal(altitude_read(file, 0, buf, length, &o, NULL), STATUS_PENDING);
	return op;
}

static void insert_then_remove_by_context_and_next(void **state)
{
	char b[3][16];
	altitude_op *op[3];
	IO_STATUS_BLOCK iosb;
	ULONG five = 5;

	(void)state;
	op[0] = issue_read(b[0], 4);
	op[1] = issue_read(b[1], 5);
	op[2] = issue_read(b[2], 6);
	assert_int_equal(t.insert_status[0], STATUS_SUCCESS);
	assert_int_equal(t.queued, 3);
	assert_int_equal(t.lock_irql_seen, DISPATCH_LEVEL);
	/* By context. */
	assert_ptr_equal(FltCbdqRemoveIo(&t.q, &t.ctx[2]), t.data[2]);
	assert_null(FltCbdqRemoveIo(&t.q, &t.ctx[2])); /* already removed */
	FltCompletePendedPreOperation(t.data[2], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op[2], &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 6);
	/* Next matching (the peek context selects the length). */
	assert_ptr_equal(FltCbdqRemoveNextIo(&t.q, &five), t.data[1]);
	assert_null(FltCbdqRemoveNextIo(&t.q, &five));
	FltCompletePendedPreOperation(t.data[1], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_ptr_equal(FltCbdqRemoveNextIo(&t.q, NULL), t.data[0]);
	assert_null(FltCbdqRemoveNextIo(&t.q, NULL));
	FltCompletePendedPreOperation(t.data[0], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op[1], NULL), STATUS_SUCCESS);
	assert_int_equal(altitude_op_wait(op[0], NULL), STATUS_SUCCESS);
	assert_int_equal(t.queued, 0);
	assert_int_equal(atomic_load(&t.canceled_calls), 0);
	for (int i = 0; i < 3; i++) {
		altitude_op_cancel(op[i]); /* completed: no effect */
		altitude_op_free(op[i]);
	}
	assert_int_equal(atomic_load(&t.canceled_calls), 0);
}

static void cancelling_a_queued_operation_completes_it_once(void **state)
{
	char b[2][16];
	altitude_op *op[2];

	(void)state;
	op[0] = issue_read(b[0], 4);
	op[1] = issue_read(b[1], 4);
	altitude_op_cancel(op[0]);
	assert_int_equal(atomic_load(&t.canceled_calls), 1);
	assert_int_equal(altitude_op_wait(op[0], NULL), STATUS_CANCELLED);
	assert_int_equal(t.queued, 1);
	assert_null(FltCbdqRemoveIo(&t.q, &t.ctx[0]));
	assert_true(FltCancelIo(t.data[1])); /* the queue's routine runs */
	assert_int_equal(atomic_load(&t.canceled_calls), 2);
	assert_int_equal(altitude_op_wait(op[1], NULL), STATUS_CANCELLED);
	assert_null(FltCbdqRemoveNextIo(&t.q, NULL));
	assert_int_equal(t.queued, 0);
	altitude_op_free(op[0]);
	altitude_op_free(op[1]);
}

static void disabled_queue_refuses_inserts(void **state)
{
	char buf[16];
	IO_STATUS_BLOCK iosb;
	altitude_op *op;

	(void)state;
	FltCbdqDisable(&t.q);
	assert_int_equal(altitude_read(file, 0, buf, 10, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(t.insert_status[0], STATUS_FLT_CBDQ_DISABLED);
	assert_int_equal(t.queued, 0);
	FltCbdqEnable(&t.q);
	op = issue_read(buf, 10);
	assert_int_equal(t.insert_status[1], STATUS_SUCCESS);
	assert_ptr_equal(FltCbdqRemoveNextIo(&t.q, NULL), t.data[1]);
	FltCompletePendedPreOperation(t.data[1], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
}

static void inserting_a_cancelled_operation_completes_it_at_once(void **state)
{
	char buf[16];
	altitude_op *op;

	(void)state;
	t.cancel_before_insert = TRUE;
	op = issue_read(buf, 10);
	assert_int_equal(t.insert_status[0], STATUS_SUCCESS);
	assert_int_equal(atomic_load(&t.canceled_calls), 1);
	assert_int_equal(t.queued, 0);
	assert_null(FltCbdqRemoveIo(&t.q, &t.ctx[0]));
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_CANCELLED);
	altitude_op_free(op);
}

static void insert_returns_the_callback_status(void **state)
{
	char buf[16];
	altitude_op *op;
	altitude_op_options fast = { .flags = ALTITUDE_OP_FAST_IO };

	(void)state;
	t.insert_result = STATUS_PENDING;
	op = issue_read(buf, 10);
	assert_int_equal(t.insert_status[0], STATUS_PENDING);
	assert_ptr_equal(FltCbdqRemoveIo(&t.q, &t.ctx[0]), t.data[0]);
	FltCompletePendedPreOperation(t.data[0], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
	t.insert_result = STATUS_INSUFFICIENT_RESOURCES;
	assert_int_equal(altitude_read(file, 0, buf, 10, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(t.insert_status[1], STATUS_INSUFFICIENT_RESOURCES);
	assert_null(FltCbdqRemoveIo(&t.q, &t.ctx[1]));
	t.insert_result = STATUS_SUCCESS;
	assert_int_equal(altitude_read(file, 0, buf, 10, &fast, NULL), STATUS_SUCCESS);
	assert_int_equal(t.fast_io_insert, STATUS_INVALID_PARAMETER);
}

static void invalid_arguments(void **state)
{
	FLT_CALLBACK_DATA_QUEUE q;

	(void)state;
	assert_int_equal(FltCbdqInitialize(t.q.Instance, &q, q_insert, q_remove, q_peek, q_acquire,
					   q_release, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltCbdqInitialize(NULL, &q, q_insert, q_remove, q_peek, q_acquire, q_release,
					   q_complete_canceled),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltCbdqInsertIo(&t.q, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_null(FltCbdqRemoveIo(&t.q, NULL));
	assert_null(FltCbdqRemoveNextIo(NULL, NULL));
}

static void *remove_and_complete(void *arg)
{
	PFLT_CALLBACK_DATA d = FltCbdqRemoveNextIo(&t.q, NULL);

	if (d)
		FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	*(BOOLEAN *)arg = d != NULL;
	return NULL;
}

#define RACE_ITERATIONS 1000

static void cancel_racing_removal_resolves_once(void **state)
{
	ULONG removed = 0;

	(void)state;
	for (int i = 0; i < RACE_ITERATIONS; i++) {
		char buf[16];
		int before = atomic_load(&t.canceled_calls);
		altitude_op *op = issue_read(buf, 10);
		BOOLEAN got = FALSE;
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, remove_and_complete, &got), 0);
		altitude_op_cancel(op);
		pthread_join(th, NULL);
		altitude_op_wait(op, NULL);
		assert_int_equal(atomic_load(&t.canceled_calls) - before, got ? 0 : 1);
		removed += got;
		assert_int_equal(t.queued, 0);
		altitude_op_free(op);
	}
	assert_int_equal(removed + (ULONG)atomic_load(&t.canceled_calls), RACE_ITERATIONS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(insert_then_remove_by_context_and_next, setup, teardown),
		cmocka_unit_test_setup_teardown(cancelling_a_queued_operation_completes_it_once, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_queue_refuses_inserts, setup, teardown),
		cmocka_unit_test_setup_teardown(inserting_a_cancelled_operation_completes_it_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(insert_returns_the_callback_status, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_racing_removal_resolves_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
