/*
 * Work items: deferred I/O work items (pending an operation from a post
 * callback), generic work items, and FltDoCompletionProcessingWhenSafe.
 * Routines run at PASSIVE_LEVEL on a system worker thread.
 */
#ifndef ALTITUDE_FLT_WORKITEM_H
#define ALTITUDE_FLT_WORKITEM_H

#include <flt/types.h>
#include <flt/callback_data.h>
#include <flt/registration.h>
#include <nt/work.h>


typedef VOID(FLTAPI *PFLT_DEFERRED_IO_WORKITEM_ROUTINE)(PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
							 PFLT_CALLBACK_DATA CallbackData,
							 PVOID Context);
typedef VOID(FLTAPI *PFLT_GENERIC_WORKITEM_ROUTINE)(PFLT_GENERIC_WORKITEM FltWorkItem,
						     PVOID FltObject, PVOID Context);

PFLT_DEFERRED_IO_WORKITEM FLTAPI FltAllocateDeferredIoWorkItem(VOID);
VOID FLTAPI FltFreeDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem);
/*
 * Fails with STATUS_FLT_NOT_SAFE_TO_POST_OPERATION for non-IRP operations,
 * paging I/O and a thread with a top-level IRP, and with
 * STATUS_FLT_DELETING_OBJECT when the instance is being torn down.
 */
NTSTATUS FLTAPI FltQueueDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
					   PFLT_CALLBACK_DATA Data,
					   PFLT_DEFERRED_IO_WORKITEM_ROUTINE WorkerRoutine,
					   WORK_QUEUE_TYPE QueueType, PVOID Context);

PFLT_GENERIC_WORKITEM FLTAPI FltAllocateGenericWorkItem(VOID);
VOID FLTAPI FltFreeGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem);
/* FltObject is a filter or an instance; it is referenced until the routine returns. */
NTSTATUS FLTAPI FltQueueGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem, PVOID FltObject,
					PFLT_GENERIC_WORKITEM_ROUTINE WorkerRoutine,
					WORK_QUEUE_TYPE QueueType, PVOID Context);

BOOLEAN FLTAPI FltDoCompletionProcessingWhenSafe(PFLT_CALLBACK_DATA Data,
						 PCFLT_RELATED_OBJECTS FltObjects,
						 PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags,
						 PFLT_POST_OPERATION_CALLBACK SafePostCallback,
						 PFLT_POSTOP_CALLBACK_STATUS RetPostOperationStatus);

#endif /* ALTITUDE_FLT_WORKITEM_H */
