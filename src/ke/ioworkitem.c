/*
 * I/O work items: an executive work item plus the I/O object (usually a
 * device object) and the routine to call with it.  IoAllocateWorkItem
 * allocates one; IoInitializeWorkItem prepares caller memory of
 * IoSizeofWorkItem() bytes.
 */
#include <stdlib.h>

#include "ke/dispatcher.h"

struct _IO_WORKITEM {
	WORK_QUEUE_ITEM Item;
	PVOID IoObject;
	PIO_WORKITEM_ROUTINE Routine;
	PIO_WORKITEM_ROUTINE_EX RoutineEx;
	PVOID Context;
};

static VOID ke_io_work_run(PVOID parameter)
{
	PIO_WORKITEM item = parameter;
	PIO_WORKITEM_ROUTINE routine = item->Routine;
	PIO_WORKITEM_ROUTINE_EX routine_ex = item->RoutineEx;
	PVOID io_object = item->IoObject;
	PVOID context = item->Context;

	/* The routine may free the item: nothing reads it afterwards. */
	if (routine_ex != NULL)
		routine_ex(io_object, context, item);
	else
		routine(io_object, context);
}

ULONG NTAPI IoSizeofWorkItem(VOID)
{
	return sizeof(IO_WORKITEM);
}

VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)
{
	IoWorkItem->IoObject = IoObject;
	IoWorkItem->Routine = NULL;
	IoWorkItem->RoutineEx = NULL;
	IoWorkItem->Context = NULL;
	ExInitializeWorkItem(&IoWorkItem->Item, ke_io_work_run, IoWorkItem);
}

static BOOLEAN ke_io_work_idle(PIO_WORKITEM IoWorkItem, const char *routine)
{
	if (IoWorkItem->Item.List.Flink == NULL)
		return TRUE;
	ke_bugcheck(WORKER_INVALID, (ULONG_PTR)IoWorkItem, 0, 0, 0, routine);
	return FALSE;
}

VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)
{
	if (ke_io_work_idle(IoWorkItem, "IoUninitializeWorkItem"))
		IoWorkItem->IoObject = NULL;
}

PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
	PIO_WORKITEM item;

	if (!ke_irql_at_most(DISPATCH_LEVEL, "IoAllocateWorkItem"))
		return NULL;
	item = malloc(sizeof(*item));
	if (item != NULL)
		IoInitializeWorkItem(DeviceObject, item);
	return item;
}

VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
	if (ke_io_work_idle(IoWorkItem, "IoFreeWorkItem"))
		free(IoWorkItem);
}

static void ke_io_work_queue(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE routine,
			     PIO_WORKITEM_ROUTINE_EX routine_ex, WORK_QUEUE_TYPE QueueType,
			     PVOID Context, const char *name)
{
	if (!ke_irql_at_most(DISPATCH_LEVEL, name) || !ke_io_work_idle(IoWorkItem, name))
		return;
	IoWorkItem->Routine = routine;
	IoWorkItem->RoutineEx = routine_ex;
	IoWorkItem->Context = Context;
	ExQueueWorkItem(&IoWorkItem->Item, QueueType);
}

VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
			   WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	ke_io_work_queue(IoWorkItem, WorkerRoutine, NULL, QueueType, Context, "IoQueueWorkItem");
}

VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
			     WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	ke_io_work_queue(IoWorkItem, NULL, WorkerRoutine, QueueType, Context, "IoQueueWorkItemEx");
}
