/*
 * System worker threads: executive work items (ExQueueWorkItem) and I/O
 * work items (IoAllocateWorkItem, IoQueueWorkItem(Ex)).
 *
 * Work routines run at PASSIVE_LEVEL on a pool of worker threads created
 * when needed: up to 8 for CriticalWorkQueue (also HyperCritical,
 * SuperCritical and RealTime) and up to 8 for DelayedWorkQueue (also
 * Normal and Background).  A routine that returns at another IRQL
 * bugchecks WORKER_THREAD_RETURNED_AT_BAD_IRQL (routine, IRQL, parameter,
 * item).  Queueing an item that is already queued or has no routine, an
 * unknown queue type, or freeing a queued I/O work item bugchecks
 * WORKER_INVALID (item, queue type or 0, 0, 0).  An I/O work item does not
 * hold a reference on its device object here.  altitude_ke_shutdown waits
 * for running work routines: one that never returns keeps it waiting.
 */
#ifndef ALTITUDE_NT_WORK_H
#define ALTITUDE_NT_WORK_H

#include <ntdef.h>
#include <nt/ke.h>

typedef enum _WORK_QUEUE_TYPE {
	CriticalWorkQueue,
	DelayedWorkQueue,
	HyperCriticalWorkQueue,
	NormalWorkQueue,
	BackgroundWorkQueue,
	RealTimeWorkQueue,
	SuperCriticalWorkQueue,
	MaximumWorkQueue,
	CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

typedef VOID WORKER_THREAD_ROUTINE(PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;

typedef struct _WORK_QUEUE_ITEM {
	LIST_ENTRY List; /* List.Flink is NULL while the item is not queued */
	PWORKER_THREAD_ROUTINE WorkerRoutine;
	volatile PVOID Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;
_Static_assert(sizeof(WORK_QUEUE_ITEM) == 32, "WORK_QUEUE_ITEM is 32 bytes");

#define ExInitializeWorkItem(Item, Routine, Context)      \
	do {                                               \
		(Item)->WorkerRoutine = (Routine);         \
		(Item)->Parameter = (Context);             \
		(Item)->List.Flink = NULL;                 \
	} while (0)

NTKERNELAPI VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType);

typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;

typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
typedef VOID IO_WORKITEM_ROUTINE_EX(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem);
typedef IO_WORKITEM_ROUTINE_EX *PIO_WORKITEM_ROUTINE_EX;

/* NULL when out of memory. */
NTKERNELAPI PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
				       WORK_QUEUE_TYPE QueueType, PVOID Context);
NTKERNELAPI VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem,
					 PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
					 WORK_QUEUE_TYPE QueueType, PVOID Context);
NTKERNELAPI ULONG NTAPI IoSizeofWorkItem(VOID);
NTKERNELAPI VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem);

#endif /* ALTITUDE_NT_WORK_H */
