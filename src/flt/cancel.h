/*
 * Cancellation state of an operation (internal).
 *
 * One atomic word decides every race: the cancel request sets CANCELLED
 * and takes the routine in the same compare-and-swap; FltClearCancelCompletion
 * takes the routine back only if it is still there; completion sets
 * COMPLETED and drops the routine.  So a routine runs at most once, and
 * never after FltClearCancelCompletion succeeded or the operation completed.
 *
 * The abort event is signalled when the operation is cancelled; cancellable
 * waits on the operation end with STATUS_CANCELLED through it.
 */
#ifndef ALTITUDE_SRC_FLT_CANCEL_H
#define ALTITUDE_SRC_FLT_CANCEL_H

#include <stdatomic.h>

#include <fltKernel.h>

#define FLT_CANCEL_CANCELLED 0x1
#define FLT_CANCEL_ROUTINE 0x2
#define FLT_CANCEL_COMPLETED 0x4

struct flt_cancel {
	atomic_int state;
	_Atomic(PFLT_COMPLETE_CANCELED_CALLBACK) routine;
	KEVENT abort;
	PVOID cbdq;        /* the cancel-safe queue holding the operation */
	PVOID cbdq_context; /* its FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT, or NULL */
	BOOLEAN has_irp;
	IRP irp; /* the operation's IRP when it is IRP-based */
};

struct flt_op;

/* Engine hooks: record reuse, start of the operation, its completion. */
void flt_cancel_reset(struct flt_op *op);
void flt_cancel_start(struct flt_op *op);
void flt_cancel_finish(struct flt_op *op);

/*
 * The requester cancels the operation (harness, FUSE INTERRUPT): sets the
 * cancel bit, wakes cancellable waits on it and runs the cancel routine if
 * one is set.  The caller guarantees the operation has not completed when
 * the call starts; it may complete during the call.  TRUE when a cancel
 * routine ran.
 */
BOOLEAN flt_cancel_request(PFLT_CALLBACK_DATA data);

/* Sets the cancel routine: STATUS_SUCCESS, or STATUS_CANCELLED when cancelled or completed. */
NTSTATUS flt_cancel_set(PFLT_CALLBACK_DATA data, PFLT_COMPLETE_CANCELED_CALLBACK routine);
/* Takes the routine back: TRUE, or FALSE when none is set or a cancel took it. */
BOOLEAN flt_cancel_clear(PFLT_CALLBACK_DATA data);

/* The operation's IRP (NULL when it is not IRP-based). */
PIRP flt_cancel_irp(PFLT_CALLBACK_DATA data);
/* The abort event of a runtime IRP; NULL for an IRP the runtime did not issue. */
PRKEVENT flt_cancel_irp_event(PIRP irp);

#endif /* ALTITUDE_SRC_FLT_CANCEL_H */
