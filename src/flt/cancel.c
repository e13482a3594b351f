/*
 * Cancellation: FltSetCancelCompletion, FltClearCancelCompletion,
 * FltCancelIo, FltIsIoCanceled and the requester's cancel entry point.
 *
 * The runtime builds no driver stacks; an IRP-based operation carries one
 * IRP record whose Cancel flag mirrors the cancel bit, and whose Overlay
 * holds the operation's abort event (Overlay is the I/O manager's own
 * scratch space, unused here) so that FsRtlCancellableWait* can find it.
 */
#include "flt/flt.h"
#include "flt/cancel.h"

#define FLT_CANCEL_IRP_MARK ((PVOID)(ULONG_PTR)0x41746c43 /* "ClTA" */)

void flt_cancel_reset(struct flt_op *op)
{
	struct flt_cancel *c = &op->cancel;

	atomic_store(&c->state, 0);
	atomic_store(&c->routine, NULL);
	c->cbdq = NULL;
	c->cbdq_context = NULL;
	KeInitializeEvent(&c->abort, NotificationEvent, FALSE);
	c->has_irp = FALSE;
	memset(&c->irp, 0, sizeof(c->irp));
}

void flt_cancel_start(struct flt_op *op)
{
	struct flt_cancel *c = &op->cancel;

	if (!FLT_IS_IRP_OPERATION(&op->data))
		return;
	c->irp.Type = 6; /* IO_TYPE_IRP */
	c->irp.Size = (USHORT)sizeof(IRP);
	c->irp.Flags = op->iopb.IrpFlags;
	c->irp.RequestorMode = op->data.RequestorMode;
	c->irp.Overlay[0] = &c->abort;
	c->irp.Overlay[1] = FLT_CANCEL_IRP_MARK;
	c->has_irp = TRUE;
}

void flt_cancel_finish(struct flt_op *op)
{
	int s = atomic_load(&op->cancel.state);

	while (!atomic_compare_exchange_weak(&op->cancel.state, &s,
					     (s | FLT_CANCEL_COMPLETED) & ~FLT_CANCEL_ROUTINE))
		;
}

/* Marks the operation cancelled; runs the routine it took.  Caller holds the record. */
static BOOLEAN flt_cancel_run(struct flt_op *op)
{
	struct flt_cancel *c = &op->cancel;
	int s = atomic_load(&c->state);
	PFLT_COMPLETE_CANCELED_CALLBACK routine;

	do {
		if (s & (FLT_CANCEL_CANCELLED | FLT_CANCEL_COMPLETED))
			return FALSE;
	} while (!atomic_compare_exchange_weak(&c->state, &s,
					       (s | FLT_CANCEL_CANCELLED) & ~FLT_CANCEL_ROUTINE));
	if (c->has_irp)
		__atomic_store_n(&c->irp.Cancel, TRUE, __ATOMIC_RELEASE);
	KeSetEvent(&c->abort, IO_NO_INCREMENT, FALSE);
	if (!(s & FLT_CANCEL_ROUTINE))
		return FALSE;
	routine = atomic_load(&c->routine);
	routine(&op->data);
	return TRUE;
}

/* Runs flt_cancel_run with a hold on the record: the routine may complete it. */
static BOOLEAN flt_cancel_held(struct flt_op *op)
{
	BOOLEAN ran;

	atomic_fetch_add(&op->holds, 1);
	ran = flt_cancel_run(op);
	flt_op_release(op);
	return ran;
}

BOOLEAN flt_cancel_request(PFLT_CALLBACK_DATA data)
{
	if (!data || !FLT_IS_IRP_OPERATION(data))
		return FALSE;
	return flt_cancel_held(flt_op_from_data(data));
}

PIRP flt_cancel_irp(PFLT_CALLBACK_DATA data)
{
	struct flt_op *op = flt_op_from_data(data);

	return op->cancel.has_irp ? &op->cancel.irp : NULL;
}

BOOLEAN FLTAPI FltCancelIo(PFLT_CALLBACK_DATA CallbackData)
{
	if (!CallbackData || !ke_irql_at_most(DISPATCH_LEVEL, "FltCancelIo"))
		return FALSE;
	return flt_cancel_request(CallbackData);
}

NTSTATUS flt_cancel_set(PFLT_CALLBACK_DATA data, PFLT_COMPLETE_CANCELED_CALLBACK routine)
{
	struct flt_cancel *c = &flt_op_from_data(data)->cancel;
	int s;

	/* Published before the bit: a cancel that sees the bit sees the routine. */
	atomic_store(&c->routine, routine);
	s = atomic_load(&c->state);
	do {
		if (s & (FLT_CANCEL_CANCELLED | FLT_CANCEL_COMPLETED))
			return STATUS_CANCELLED;
	} while (!atomic_compare_exchange_weak(&c->state, &s, s | FLT_CANCEL_ROUTINE));
	return STATUS_SUCCESS;
}

BOOLEAN flt_cancel_clear(PFLT_CALLBACK_DATA data)
{
	struct flt_cancel *c = &flt_op_from_data(data)->cancel;
	int s = atomic_load(&c->state);

	do {
		if (!(s & FLT_CANCEL_ROUTINE))
			return FALSE;
	} while (!atomic_compare_exchange_weak(&c->state, &s, s & ~FLT_CANCEL_ROUTINE));
	return TRUE;
}

NTSTATUS FLTAPI FltSetCancelCompletion(PFLT_CALLBACK_DATA CallbackData,
				       PFLT_COMPLETE_CANCELED_CALLBACK CanceledCallback)
{
	if (!CallbackData || !CanceledCallback || !FLT_IS_IRP_OPERATION(CallbackData) ||
	    (CallbackData->Iopb->IrpFlags & IRP_PAGING_IO))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltSetCancelCompletion"))
		return STATUS_UNSUCCESSFUL;
	return flt_cancel_set(CallbackData, CanceledCallback);
}

NTSTATUS FLTAPI FltClearCancelCompletion(PFLT_CALLBACK_DATA CallbackData)
{
	if (!CallbackData || !FLT_IS_IRP_OPERATION(CallbackData))
		return STATUS_CANCELLED;
	return flt_cancel_clear(CallbackData) ? STATUS_SUCCESS : STATUS_CANCELLED;
}

BOOLEAN FLTAPI FltIsIoCanceled(PFLT_CALLBACK_DATA CallbackData)
{
	if (!CallbackData || !FLT_IS_IRP_OPERATION(CallbackData))
		return FALSE;
	return (atomic_load(&flt_op_from_data(CallbackData)->cancel.state) & FLT_CANCEL_CANCELLED) != 0;
}

PRKEVENT flt_cancel_irp_event(PIRP irp)
{
	if (irp->Type != 6 || irp->Overlay[1] != FLT_CANCEL_IRP_MARK)
		return NULL;
	return irp->Overlay[0];
}
