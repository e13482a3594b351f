/*
 * Work items and the runtime's worker threads.
 *
 * Deferred I/O work items pend an operation from a post callback (SEMANTICS
 * section 4); FltDoCompletionProcessingWhenSafe (section 5) uses the same
 * rules.  Every work item holds a rundown reference on its instance (or,
 * for generic items, filter) until the routine returns, so instance
 * teardown and FltUnregisterFilter wait for routines still running: the
 * host may unmap the filter's image once unload returns.  Routines run at PASSIVE_LEVEL on the system worker
 * threads.
 */

#include "flt/flt.h"
#include "flt/callback.h"

static VOID NTAPI flt_work_run(PVOID parameter)
{
	struct flt_work *w = parameter;

	w->fn(w->ctx);
}

void flt_work_queue(struct flt_work *work, flt_work_fn fn, void *ctx, WORK_QUEUE_TYPE queue)
{
	work->fn = fn;
	work->ctx = ctx;
	ExInitializeWorkItem(&work->item, flt_work_run, work);
	ExQueueWorkItem(&work->item, queue);
}

struct _FLT_DEFERRED_IO_WORKITEM {
	struct flt_work work;
	PFLT_CALLBACK_DATA data;
	PFLT_INSTANCE instance;
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
	PFLT_DEFERRED_IO_WORKITEM item = flt_alloc(sizeof(*item), FLT_TAG_WORKITEM);

	if (item)
		flt_live_add(1);
	return item;
}

VOID FLTAPI FltFreeDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem)
{
	if (!FltWorkItem)
		return;
	flt_free(FltWorkItem, FLT_TAG_WORKITEM);
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
	PFLT_INSTANCE inst = item->instance;
	struct flt_callback frame;

	atomic_store(&item->queued, 0);
	flt_callback_enter(&frame, inst->filter, inst, item->data, item->data->Iopb,
			   FLT_CALLBACK_DEFERRED_WORK);
	/* The routine may free the item: only locals after this call. */
	item->routine(item, item->data, item->context);
	flt_callback_leave(&frame);
	flt_object_release(&inst->obj);
}

NTSTATUS FLTAPI FltQueueDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
					   PFLT_CALLBACK_DATA Data,
					   PFLT_DEFERRED_IO_WORKITEM_ROUTINE WorkerRoutine,
					   WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	PFLT_INSTANCE inst;
	NTSTATUS status;

	if (!FltWorkItem || !Data || !WorkerRoutine || (ULONG)QueueType >= (ULONG)MaximumWorkQueue)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltQueueDeferredIoWorkItem"))
		return STATUS_UNSUCCESSFUL;
	status = flt_post_safety(Data, flt_op_draining(Data));
	if (!NT_SUCCESS(status))
		return status;
	inst = Data->Iopb->TargetInstance;
	if (!inst || !flt_object_acquire(&inst->obj))
		return STATUS_FLT_DELETING_OBJECT;
	if (atomic_exchange(&FltWorkItem->queued, 1)) {
		flt_object_release(&inst->obj);
		ke_bugcheck(INVALID_WORK_QUEUE_ITEM, (ULONG_PTR)FltWorkItem, 0, 0, 0,
			    "FltQueueDeferredIoWorkItem");
		return STATUS_INVALID_PARAMETER;
	}
	FltWorkItem->data = Data;
	FltWorkItem->instance = inst;
	FltWorkItem->routine = WorkerRoutine;
	FltWorkItem->context = Context;
	flt_work_queue(&FltWorkItem->work, flt_deferred_run, FltWorkItem, QueueType);
	return STATUS_SUCCESS;
}

PFLT_GENERIC_WORKITEM FLTAPI FltAllocateGenericWorkItem(VOID)
{
	PFLT_GENERIC_WORKITEM item = flt_alloc(sizeof(*item), FLT_TAG_WORKITEM);

	if (item)
		flt_live_add(1);
	return item;
}

VOID FLTAPI FltFreeGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem)
{
	if (!FltWorkItem)
		return;
	flt_free(FltWorkItem, FLT_TAG_WORKITEM);
	flt_live_add(-1);
}

static void flt_generic_run(void *ctx)
{
	PFLT_GENERIC_WORKITEM item = ctx;
	struct flt_object *object = item->object;
	PFLT_INSTANCE inst = object->kind == FLT_KIND_INSTANCE
				     ? CONTAINING_RECORD(object, struct _FLT_INSTANCE, obj)
				     : NULL;
	PFLT_FILTER filter = inst ? inst->filter : CONTAINING_RECORD(object, struct _FLT_FILTER, obj);
	struct flt_callback frame;

	atomic_store(&item->queued, 0);
	flt_callback_enter(&frame, filter, inst, NULL, NULL, FLT_CALLBACK_GENERIC_WORK);
	item->routine(item, object, item->context);
	flt_callback_leave(&frame);
	flt_object_release(object);
}

NTSTATUS FLTAPI FltQueueGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem, PVOID FltObject,
					PFLT_GENERIC_WORKITEM_ROUTINE WorkerRoutine,
					WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	struct flt_object *obj = FltObject;

	if (!FltWorkItem || !obj || !WorkerRoutine || (ULONG)QueueType >= (ULONG)MaximumWorkQueue ||
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
	flt_work_queue(&FltWorkItem->work, flt_generic_run, FltWorkItem, QueueType);
	return STATUS_SUCCESS;
}

struct flt_when_safe {
	struct flt_work work;
	PFLT_CALLBACK_DATA data;
	FLT_RELATED_OBJECTS objects;
	PVOID context;
	FLT_POST_OPERATION_FLAGS flags;
	PFLT_POST_OPERATION_CALLBACK callback;
	PFLT_INSTANCE instance;
};

static void flt_when_safe_run(void *ctx)
{
	struct flt_when_safe *w = ctx, copy = *w;
	FLT_POSTOP_CALLBACK_STATUS st;
	struct flt_callback frame;

	flt_free(w, FLT_TAG_WORKITEM);
	flt_live_add(-1);
	flt_callback_enter(&frame, copy.instance->filter, copy.instance, copy.data, copy.data->Iopb,
			   FLT_CALLBACK_WHEN_SAFE);
	st = copy.callback(copy.data, &copy.objects, copy.context, copy.flags);
	flt_callback_leave(&frame);
	if (st != FLT_POSTOP_MORE_PROCESSING_REQUIRED)
		FltCompletePendedPostOperation(copy.data);
	flt_object_release(&copy.instance->obj);
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
	if (!FltObjects->Instance || !flt_object_acquire(&FltObjects->Instance->obj))
		return FALSE;
	w = flt_alloc(sizeof(*w), FLT_TAG_WORKITEM);
	if (!w) {
		flt_object_release(&FltObjects->Instance->obj);
		return FALSE;
	}
	flt_live_add(1);
	w->instance = FltObjects->Instance;
	w->data = Data;
	memcpy(&w->objects, FltObjects, sizeof(w->objects));
	w->context = CompletionContext;
	w->flags = Flags;
	w->callback = SafePostCallback;
	*RetPostOperationStatus = FLT_POSTOP_MORE_PROCESSING_REQUIRED;
	flt_work_queue(&w->work, flt_when_safe_run, w, DelayedWorkQueue);
	return TRUE;
}
