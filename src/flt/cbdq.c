/*
 * Cancel-safe callback data queues.  The queue's own callbacks hold the
 * items under the minifilter's lock; each queued operation carries the
 * engine's cancel routine (flt_cbdq_canceled) and a link back to its queue
 * and insert context.  Whoever takes the cancel routine back owns the
 * removal: FltCbdqRemoveIo/RemoveNextIo (clear succeeded) or the cancel
 * (clear failed: the cancel routine removes it and completes it).
 */
#include "flt/flt.h"
#include "flt/cancel.h"

#define FLT_CBDQ_DISABLED 0x1
#define FLT_IO_TYPE_CSQ 2            /* IO_TYPE_CSQ_EX-style marker of an initialized queue */
#define FLT_IO_TYPE_CSQ_IRP_CONTEXT 3 /* IO_TYPE_CSQ_IRP_CONTEXT */

static BOOLEAN flt_cbdq_valid(PFLT_CALLBACK_DATA_QUEUE q)
{
	return q && q->Csq.Type == FLT_IO_TYPE_CSQ && q->InsertIo;
}

static PFLT_CALLBACK_DATA flt_cbdq_data_of(PIRP irp)
{
	return &CONTAINING_RECORD(irp, struct flt_op, cancel.irp)->data;
}

/* Unlinks an operation the caller owns from the queue (lock held). */
static void flt_cbdq_unlink(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA data)
{
	struct flt_cancel *c = &flt_op_from_data(data)->cancel;
	PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT ctx = c->cbdq_context;

	q->RemoveIo(q, data);
	if (ctx)
		ctx->IoCsqIrpContext.Irp = NULL;
	c->cbdq = NULL;
	c->cbdq_context = NULL;
}

static VOID FLTAPI flt_cbdq_canceled(PFLT_CALLBACK_DATA data)
{
	PFLT_CALLBACK_DATA_QUEUE q = flt_op_from_data(data)->cancel.cbdq;
	KIRQL irql = PASSIVE_LEVEL;

	q->Acquire(q, &irql);
	flt_cbdq_unlink(q, data);
	q->Release(q, irql);
	q->CompleteCanceledIo(q, data);
}

NTSTATUS FLTAPI FltCbdqInitialize(PFLT_INSTANCE Instance, PFLT_CALLBACK_DATA_QUEUE Cbdq,
				  PFLT_CALLBACK_DATA_QUEUE_INSERT_IO CbdqInsertIo,
				  PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO CbdqRemoveIo,
				  PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO CbdqPeekNextIo,
				  PFLT_CALLBACK_DATA_QUEUE_ACQUIRE CbdqAcquire,
				  PFLT_CALLBACK_DATA_QUEUE_RELEASE CbdqRelease,
				  PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CbdqCompleteCanceledIo)
{
	if (!Instance || !Cbdq || !CbdqInsertIo || !CbdqRemoveIo || !CbdqPeekNextIo ||
	    !CbdqAcquire || !CbdqRelease || !CbdqCompleteCanceledIo)
		return STATUS_INVALID_PARAMETER;
	memset(Cbdq, 0, sizeof(*Cbdq));
	Cbdq->Csq.Type = FLT_IO_TYPE_CSQ;
	Cbdq->Instance = Instance;
	Cbdq->InsertIo = CbdqInsertIo;
	Cbdq->RemoveIo = CbdqRemoveIo;
	Cbdq->PeekNextIo = CbdqPeekNextIo;
	Cbdq->Acquire = CbdqAcquire;
	Cbdq->Release = CbdqRelease;
	Cbdq->CompleteCanceledIo = CbdqCompleteCanceledIo;
	return STATUS_SUCCESS;
}

static void flt_cbdq_set_disabled(PFLT_CALLBACK_DATA_QUEUE q, BOOLEAN disabled)
{
	KIRQL irql = PASSIVE_LEVEL;

	if (!flt_cbdq_valid(q))
		return;
	q->Acquire(q, &irql);
	if (disabled)
		q->Flags |= FLT_CBDQ_DISABLED;
	else
		q->Flags &= ~FLT_CBDQ_DISABLED;
	q->Release(q, irql);
}

VOID FLTAPI FltCbdqEnable(PFLT_CALLBACK_DATA_QUEUE Cbdq)
{
	flt_cbdq_set_disabled(Cbdq, FALSE);
}

VOID FLTAPI FltCbdqDisable(PFLT_CALLBACK_DATA_QUEUE Cbdq)
{
	flt_cbdq_set_disabled(Cbdq, TRUE);
}

NTSTATUS FLTAPI FltCbdqInsertIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PFLT_CALLBACK_DATA Cbd,
				PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context, PVOID InsertContext)
{
	struct flt_cancel *c;
	KIRQL irql = PASSIVE_LEVEL;
	BOOLEAN cancelled = FALSE;
	NTSTATUS s;

	if (!flt_cbdq_valid(Cbdq) || !Cbd || !FLT_IS_IRP_OPERATION(Cbd) || !flt_cancel_irp(Cbd))
		return STATUS_INVALID_PARAMETER;
	c = &flt_op_from_data(Cbd)->cancel;
	Cbdq->Acquire(Cbdq, &irql);
	if (Cbdq->Flags & FLT_CBDQ_DISABLED) {
		s = STATUS_FLT_CBDQ_DISABLED;
		goto out;
	}
	s = Cbdq->InsertIo(Cbdq, Cbd, InsertContext);
	if (!NT_SUCCESS(s))
		goto out;
	if (Context) {
		Context->IoCsqIrpContext.Type = FLT_IO_TYPE_CSQ_IRP_CONTEXT;
		Context->IoCsqIrpContext.Irp = &c->irp;
		Context->IoCsqIrpContext.Csq = &Cbdq->Csq;
	}
	c->cbdq = Cbdq;
	c->cbdq_context = Context;
	if (flt_cancel_set(Cbd, flt_cbdq_canceled) == STATUS_CANCELLED) {
		flt_cbdq_unlink(Cbdq, Cbd);
		cancelled = TRUE;
	}
out:
	Cbdq->Release(Cbdq, irql);
	if (cancelled)
		Cbdq->CompleteCanceledIo(Cbdq, Cbd);
	return s;
}

PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveIo(PFLT_CALLBACK_DATA_QUEUE Cbdq,
					  PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context)
{
	PFLT_CALLBACK_DATA data = NULL;
	KIRQL irql = PASSIVE_LEVEL;

	if (!flt_cbdq_valid(Cbdq) || !Context)
		return NULL;
	Cbdq->Acquire(Cbdq, &irql);
	if (Context->IoCsqIrpContext.Irp && Context->IoCsqIrpContext.Csq == &Cbdq->Csq) {
		PFLT_CALLBACK_DATA d = flt_cbdq_data_of(Context->IoCsqIrpContext.Irp);

		/* A cancel that took the routine first removes and completes it. */
		if (flt_cancel_clear(d)) {
			flt_cbdq_unlink(Cbdq, d);
			data = d;
		}
	}
	Cbdq->Release(Cbdq, irql);
	return data;
}

PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveNextIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PVOID PeekContext)
{
	PFLT_CALLBACK_DATA data;
	KIRQL irql = PASSIVE_LEVEL;

	if (!flt_cbdq_valid(Cbdq))
		return NULL;
	Cbdq->Acquire(Cbdq, &irql);
	data = Cbdq->PeekNextIo(Cbdq, NULL, PeekContext);
	while (data && !flt_cancel_clear(data))
		data = Cbdq->PeekNextIo(Cbdq, data, PeekContext);
	if (data)
		flt_cbdq_unlink(Cbdq, data);
	Cbdq->Release(Cbdq, irql);
	return data;
}
