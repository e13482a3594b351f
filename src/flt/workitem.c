/*
 * Work items and the runtime's worker threads.
 *
 * Deferred I/O work items pend an operation from a post callback (SEMANTICS
 * section 4); FltDoCompletionProcessingWhenSafe (section 5) uses the same
 * rules.  Generic work items reference their filter or instance until the
 * routine returns.  Routines run at PASSIVE_LEVEL on worker threads.
 */
#include <stdlib.h>

#include "flt/flt.h"

#define FLT_WORKERS 2

static pthread_once_t flt_workers_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t flt_work_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flt_work_cv = PTHREAD_COND_INITIALIZER;
static struct flt_work *flt_work_head, *flt_work_tail;

static void *flt_worker_main(void *arg)
{
	(void)arg;
	ke_irql_set(PASSIVE_LEVEL);
	for (;;) {
		struct flt_work *w;

		pthread_mutex_lock(&flt_work_lock);
		while (!flt_work_head)
			pthread_cond_wait(&flt_work_cv, &flt_work_lock);
		w = flt_work_head;
		flt_work_head = w->next;
		if (!flt_work_head)
			flt_work_tail = NULL;
		pthread_mutex_unlock(&flt_work_lock);
		w->fn(w->ctx);
		if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
			ke_bugcheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG_PTR)w->fn,
				    KeGetCurrentIrql(), 0, 0, "FltMgr worker");
			ke_irql_set(PASSIVE_LEVEL);
		}
	}
	return NULL;
}

static void flt_workers_start(void)
{
	for (int i = 0; i < FLT_WORKERS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, flt_worker_main, NULL) == 0)
			pthread_detach(t);
	}
}

void flt_work_queue(struct flt_work *work, flt_work_fn fn, void *ctx)
{
	pthread_once(&flt_workers_once, flt_workers_start);
	work->fn = fn;
	work->ctx = ctx;
	work->next = NULL;
	pthread_mutex_lock(&flt_work_lock);
	if (flt_work_tail)
		flt_work_tail->next = work;
	else
		flt_work_head = work;
	flt_work_tail = work;
	pthread_cond_signal(&flt_work_cv);
	pthread_mutex_unlock(&flt_work_lock);
}

struct _FLT_DEFERRED_IO_WORKITEM {
	struct flt_work work;
	PFLT_CALLBACK_DATA data;
	PFLT_DEFERRED_IO_WORKITEM_ROUTINE routine;
	PVOID context;
	atomic_int queued;
};

struct _FLT_GENERIC_WORKITEM {
	struct flt_work work;
	struct flt_object *object;
	PFLT_GENERIC_WORKITEM_ROUTINE routine;
	PVOID context;
	atomic_int queued;
};

PFLT_DEFERRED_IO_WORKITEM FLTAPI FltAllocateDeferredIoWorkItem(VOID)
{
	PFLT_DEFERRED_IO_WORKITEM item = calloc(1, sizeof(*item));

	if (item)
		flt_live_add(1);
	return item;
}

VOID FLTAPI FltFreeDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem)
{
	if (!FltWorkItem)
		return;
	free(FltWorkItem);
	flt_live_add(-1);
}

/* Why an operation cannot be posted (SEMANTICS section 4), or STATUS_SUCCESS. */
static NTSTATUS flt_post_safety(PFLT_CALLBACK_DATA data, BOOLEAN draining)
{
	if (!FLT_IS_IRP_OPERATION(data))
		return STATUS_FLT_NOT_SAFE_TO_POST_OPERATION;
	if (data->Iopb->IrpFlags & IRP_PAGING_IO)
		return STATUS_FLT_NOT_SAFE_TO_POST_OPERATION;
	if (IoGetTopLevelIrp())
		return STATUS_FLT_NOT_SAFE_TO_POST_OPERATION;
	if (draining)
		return STATUS_FLT_DELETING_OBJECT;
	return STATUS_SUCCESS;
}

/* TRUE when the operation's current post slot belongs to an instance being torn down. */
static BOOLEAN flt_op_draining(PFLT_CALLBACK_DATA data)
{
	PFLT_INSTANCE inst = data->Iopb->TargetInstance;

	return flt_thread_draining() || (inst && atomic_load(&inst->tearing));
}

static void flt_deferred_run(void *ctx)
{
	PFLT_DEFERRED_IO_WORKITEM item = ctx;

	atomic_store(&item->queued, 0);
	item->routine(item, item->data, item->context);
}

NTSTATUS FLTAPI FltQueueDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
					   PFLT_CALLBACK_DATA Data,
					   PFLT_DEFERRED_IO_WORKITEM_ROUTINE WorkerRoutine,
					   WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	NTSTATUS status;

	if (!FltWorkItem || !Data || !WorkerRoutine || QueueType >= MaximumWorkQueue)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltQueueDeferredIoWorkItem"))
		return STATUS_UNSUCCESSFUL;
	status = flt_post_safety(Data, flt_op_draining(Data));
	if (!NT_SUCCESS(status))
		return status;
	if (atomic_exchange(&FltWorkItem->queued, 1)) {
		ke_bugcheck(INVALID_WORK_QUEUE_ITEM, (ULONG_PTR)FltWorkItem, 0, 0, 0,
			    "FltQueueDeferredIoWorkItem");
		return STATUS_INVALID_PARAMETER;
	}
	FltWorkItem->data = Data;
	FltWorkItem->routine = WorkerRoutine;
	FltWorkItem->context = Context;
	flt_work_queue(&FltWorkItem->work, flt_deferred_run, FltWorkItem);
	return STATUS_SUCCESS;
}

PFLT_GENERIC_WORKITEM FLTAPI FltAllocateGenericWorkItem(VOID)
{
	PFLT_GENERIC_WORKITEM item = calloc(1, sizeof(*item));

	if (item)
		flt_live_add(1);
	return item;
}

VOID FLTAPI FltFreeGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem)
{
	if (!FltWorkItem)
		return;
	free(FltWorkItem);
	flt_live_add(-1);
}

static void flt_generic_run(void *ctx)
{
	PFLT_GENERIC_WORKITEM item = ctx;
	struct flt_object *object = item->object;

	atomic_store(&item->queued, 0);
	item->routine(item, object, item->context);
	flt_object_release(object);
}

NTSTATUS FLTAPI FltQueueGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem, PVOID FltObject,
					PFLT_GENERIC_WORKITEM_ROUTINE WorkerRoutine,
					WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	struct flt_object *obj = FltObject;

	if (!FltWorkItem || !obj || !WorkerRoutine || QueueType >= MaximumWorkQueue ||
	    (obj->kind != FLT_KIND_FILTER && obj->kind != FLT_KIND_INSTANCE))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltQueueGenericWorkItem"))
		return STATUS_UNSUCCESSFUL;
	if (!flt_object_acquire(obj))
		return STATUS_FLT_DELETING_OBJECT;
	if (atomic_exchange(&FltWorkItem->queued, 1)) {
		flt_object_release(obj);
		ke_bugcheck(INVALID_WORK_QUEUE_ITEM, (ULONG_PTR)FltWorkItem, 0, 0, 0,
			    "FltQueueGenericWorkItem");
		return STATUS_INVALID_PARAMETER;
	}
	FltWorkItem->object = obj;
	FltWorkItem->routine = WorkerRoutine;
	FltWorkItem->context = Context;
	flt_work_queue(&FltWorkItem->work, flt_generic_run, FltWorkItem);
	return STATUS_SUCCESS;
}

struct flt_when_safe {
	struct flt_work work;
	PFLT_CALLBACK_DATA data;
	FLT_RELATED_OBJECTS objects;
	PVOID context;
	FLT_POST_OPERATION_FLAGS flags;
	PFLT_POST_OPERATION_CALLBACK callback;
};

static void flt_when_safe_run(void *ctx)
{
	struct flt_when_safe *w = ctx, copy = *w;
	FLT_POSTOP_CALLBACK_STATUS st;

	free(w);
	flt_live_add(-1);
	st = copy.callback(copy.data, &copy.objects, copy.context, copy.flags);
	if (st != FLT_POSTOP_MORE_PROCESSING_REQUIRED)
		FltCompletePendedPostOperation(copy.data);
}

BOOLEAN FLTAPI FltDoCompletionProcessingWhenSafe(PFLT_CALLBACK_DATA Data,
						 PCFLT_RELATED_OBJECTS FltObjects,
						 PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags,
						 PFLT_POST_OPERATION_CALLBACK SafePostCallback,
						 PFLT_POSTOP_CALLBACK_STATUS RetPostOperationStatus)
{
	struct flt_when_safe *w;

	if (!Data || !FltObjects || !SafePostCallback || !RetPostOperationStatus)
		return FALSE;
	if (KeGetCurrentIrql() < DISPATCH_LEVEL) {
		*RetPostOperationStatus = SafePostCallback(Data, FltObjects, CompletionContext, Flags);
		return TRUE;
	}
	*RetPostOperationStatus = FLT_POSTOP_FINISHED_PROCESSING;
	if (!NT_SUCCESS(flt_post_safety(Data, (Flags & FLTFL_POST_OPERATION_DRAINING) ||
						      flt_op_draining(Data))))
		return FALSE;
	w = malloc(sizeof(*w));
	if (!w)
		return FALSE;
	flt_live_add(1);
	w->data = Data;
	memcpy(&w->objects, FltObjects, sizeof(w->objects));
	w->context = CompletionContext;
	w->flags = Flags;
	w->callback = SafePostCallback;
	*RetPostOperationStatus = FLT_POSTOP_MORE_PROCESSING_REQUIRED;
	flt_work_queue(&w->work, flt_when_safe_run, w);
	return TRUE;
}
