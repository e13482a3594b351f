/*
 * Issuing a FUSE request's operations through the volume's filter stack,
 * and the requester's cancel (FUSE INTERRUPT).
 *
 * libfuse calls the interrupt hook holding its per-request lock, and a
 * reply takes that lock: a cancel routine that completes the operation at
 * once would reply inside the hook.  So the hook only queues the cancel to
 * a system worker, which holds a reference on the record.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "flt/cancel.h"
#include "fs/fuse/internal.h"

static void glue_done(PFLT_CALLBACK_DATA d, void *ctx)
{
	struct fs_request *r = ctx;

	/* A cancel running on another thread must be over before the record moves on. */
	pthread_mutex_lock(&r->lock);
	r->current = NULL;
	while (r->cancelling && !pthread_equal(r->canceller, pthread_self()))
		pthread_cond_wait(&r->cv, &r->lock);
	pthread_mutex_unlock(&r->lock);
	r->next(r, d);
}

struct fs_request *fs_glue_request_of(PFLT_CALLBACK_DATA d)
{
	struct flt_op *op = flt_op_from_data(d);

	return op->done == glue_done ? op->done_ctx : NULL;
}

static void cancel_work(void *ctx)
{
	struct fs_request *r = ctx;

	pthread_mutex_lock(&r->lock);
	PFLT_CALLBACK_DATA d = r->current;
	if (d) {
		r->cancelling = true;
		r->canceller = pthread_self();
	}
	pthread_mutex_unlock(&r->lock);
	if (d) {
		flt_cancel_request(d);
		pthread_mutex_lock(&r->lock);
		r->cancelling = false;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->lock);
	}
	fs_request_put(r);
}

static void on_cancel(struct fs_request *r, void *ctx)
{
	(void)ctx;
	fs_request_hold(r);
	flt_work_queue(&r->cancel_work, cancel_work, r, DelayedWorkQueue);
}

void fs_glue_issue(struct fs_request *r, struct fs_file *file, const FLT_IO_PARAMETER_BLOCK *iopb,
		   fs_glue_next_fn next)
{
	PFLT_CALLBACK_DATA d = flt_op_begin(r->vol->flt);

	if (!d) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	d->Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION;
	*d->Iopb = *iopb;
	d->Iopb->TargetFileObject = &file->fo;
	d->Iopb->TargetInstance = NULL;
	flt_op_from_data(d)->requestor_pid = (ULONG)r->pid;
	/* The requester's process object, referenced for the operation's lifetime. */
	if (iopb->MajorFunction == IRP_MJ_LOCK_CONTROL)
		d->Iopb->Parameters.LockControl.ProcessId = FltGetRequestorProcess(d);
	r->next = next;
	r->args.lower_status = STATUS_SUCCESS;
	r->args.lower_err = 0;
	pthread_mutex_lock(&r->lock);
	r->current = d;
	bool first = !r->on_cancel;
	pthread_mutex_unlock(&r->lock);
	if (first)
		fs_request_set_cancel(r, on_cancel, NULL);
	flt_op_start(d, glue_done, r);
}

int fs_glue_errno(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	NTSTATUS s = d->IoStatus.Status;

	if (NT_SUCCESS(s))
		return 0;
	if (r->args.lower_err && s == r->args.lower_status)
		return r->args.lower_err;
	return altitude_status_to_errno(s);
}
