/*
 * Cancellation of I/O operations and cancellable waits (named apart from
 * the runtime's internal src/flt/cancel.h, which shadows <flt/cancel.h> inside
 * the build).
 *
 * A minifilter that holds an IRP-based operation (pended in its pre
 * callback, posted to a work queue) sets a cancel routine with
 * FltSetCancelCompletion; when the requester (or a filter with FltCancelIo)
 * cancels the operation, the routine runs exactly once, unless
 * FltClearCancelCompletion took it back first.  The usual pattern:
 *
 *     pre:     FltSetCancelCompletion(Data, Canceled);  // STATUS_CANCELLED: complete it now
 *              queue the work; return FLT_PREOP_PENDING;
 *     worker:  if (FltClearCancelCompletion(Data) == STATUS_CANCELLED)
 *                      return;                           // Canceled completes it
 *              ... FltCompletePendedPreOperation(Data, ...);
 *     Canceled: Data->IoStatus.Status = STATUS_CANCELLED;
 *              FltCompletePendedPreOperation(Data, FLT_PREOP_COMPLETE, NULL);
 */
#ifndef ALTITUDE_FLT_CANCELLATION_H
#define ALTITUDE_FLT_CANCELLATION_H

#include <flt/types.h>
#include <flt/callback_data.h>

typedef VOID(FLTAPI *PFLT_COMPLETE_CANCELED_CALLBACK)(PFLT_CALLBACK_DATA CallbackData);

/*
 * Sets the operation's cancel bit and runs its cancel routine (then
 * cleared).  TRUE when the routine ran; FALSE when the operation is not
 * IRP-based, is already cancelled or completed, or has no routine (the
 * cancel bit is set anyway).  IRQL <= DISPATCH_LEVEL.
 */
BOOLEAN FLTAPI FltCancelIo(PFLT_CALLBACK_DATA CallbackData);
/*
 * STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL argument, an
 * operation that is not IRP-based, or paging I/O; STATUS_CANCELLED when the
 * operation is already cancelled or has completed (the routine is not set:
 * the caller completes a cancelled operation itself).  Completion drops a
 * routine still set.  IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS FLTAPI FltSetCancelCompletion(PFLT_CALLBACK_DATA CallbackData,
				       PFLT_COMPLETE_CANCELED_CALLBACK CanceledCallback);
/* STATUS_SUCCESS, or STATUS_CANCELLED when no routine is set or it is running or ran. */
NTSTATUS FLTAPI FltClearCancelCompletion(PFLT_CALLBACK_DATA CallbackData);
/* TRUE when the IRP-based operation was cancelled; FALSE otherwise (and for non-IRP operations). */
BOOLEAN FLTAPI FltIsIoCanceled(PFLT_CALLBACK_DATA CallbackData);

/*
 * Waits like KeWaitForSingleObject/KeWaitForMultipleObjects (same objects,
 * timeouts, STATUS_WAIT_n, STATUS_TIMEOUT, STATUS_ABANDONED_WAIT_n), and
 * also ends:
 *  - with STATUS_CANCELLED when CallbackData is an IRP-based operation that
 *    is cancelled before or while waiting (no object is consumed);
 *  - with STATUS_THREAD_IS_TERMINATING when the waiting thread is being
 *    terminated (altitude_thread_terminate, host shutdown).
 * The wait never cancels the operation itself.  IRQL: PASSIVE_LEVEL with an
 * IRP-based CallbackData, else <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltCancellableWaitForSingleObject(PVOID Object, PLARGE_INTEGER Timeout,
						  PFLT_CALLBACK_DATA CallbackData);
NTSTATUS FLTAPI FltCancellableWaitForMultipleObjects(ULONG Count, PVOID ObjectArray[],
						     WAIT_TYPE WaitType, PLARGE_INTEGER Timeout,
						     PKWAIT_BLOCK WaitBlockArray,
						     PFLT_CALLBACK_DATA CallbackData);

/*
 * The same for code that holds an IRP.  The runtime's IRPs are those of its
 * IRP-based operations; cancelling the operation cancels the IRP
 * (Irp->Cancel is set).  For an IRP the runtime did not issue, only a
 * Cancel flag already set is seen.  IRQL: PASSIVE_LEVEL with an Irp, else
 * <= APC_LEVEL.
 */
NTSTATUS NTAPI FsRtlCancellableWaitForSingleObject(PVOID Object, PLARGE_INTEGER Timeout,
						   PIRP Irp);
NTSTATUS NTAPI FsRtlCancellableWaitForMultipleObjects(ULONG Count, PVOID ObjectArray[],
						      WAIT_TYPE WaitType, PLARGE_INTEGER Timeout,
						      PKWAIT_BLOCK WaitBlockArray, PIRP Irp);

#endif /* ALTITUDE_FLT_CANCELLATION_H */
