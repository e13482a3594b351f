/*
 * The dispatch engine: pre callbacks from the highest altitude down, the
 * lower file system, post callbacks back up for the instances that asked.
 *
 * Each slot of an operation (one per instance of its snapshot) moves from
 * NONE to WAIT_POST when the pre callback asks for a post callback, then to
 * CLAIMED by exactly one of: the post walk (normal completion) or teardown
 * (FLTFL_POST_OPERATION_DRAINING).  The compare-and-swap decides; the
 * loser skips the slot.
 *
 * FLT_PREOP_SYNCHRONIZE: the pre callback's thread continues the operation
 * downwards, then waits until the post walk reaches its slot, and runs the
 * post callbacks from there upwards itself (at its own IRQL, PASSIVE).
 */
#include <unistd.h>

#include "flt/flt.h"
#include "flt/callback.h"
#include "flt/contexts.h"

static atomic_ulong flt_process_id;

/* getpid() is a system call; the requestor's id is read once. */
static ULONG flt_requestor_pid(void)
{
	ULONG pid = (ULONG)atomic_load_explicit(&flt_process_id, memory_order_relaxed);

	if (!pid) {
		pid = (ULONG)getpid();
		atomic_store_explicit(&flt_process_id, pid, memory_order_relaxed);
	}
	return pid;
}
static __thread BOOLEAN flt_thread_in_drain;

/* pended_pre / pended_post: relaxed, plain moves; only the watchdog needs them atomic. */
static inline LONG flt_pended(atomic_int *slot)
{
	return atomic_load_explicit(slot, memory_order_relaxed);
}

static inline void flt_set_pended(atomic_int *slot, LONG i)
{
	atomic_store_explicit(slot, i, memory_order_relaxed);
}

BOOLEAN flt_thread_draining(void)
{
	return flt_thread_in_drain;
}

static void flt_pre_walk(struct flt_op *op, LONG i);
static void flt_post_walk(struct flt_op *op, LONG i, BOOLEAN own_first);

static struct flt_op *flt_op_alloc(ULONG capacity)
{
	struct flt_op *op = flt_alloc(sizeof(*op) + capacity * sizeof(struct flt_slot), FLT_TAG_OPERATION);

	if (!op)
		return NULL;
	pthread_mutex_init(&op->sync_lock, NULL);
	pthread_cond_init(&op->sync_cv, NULL);
	op->capacity = capacity;
	return op;
}

static void flt_op_reset(struct flt_op *op, PFLT_VOLUME v, struct flt_snapshot *snap)
{
	memset(&op->data, 0, sizeof(op->data));
	memset(&op->iopb, 0, sizeof(op->iopb));
	*(PFLT_IO_PARAMETER_BLOCK *)&op->data.Iopb = &op->iopb;
	*(PETHREAD *)&op->data.Thread = PsGetCurrentThread();
	op->data.RequestorMode = KernelMode;
	op->volume = v;
	op->snap = snap;
	op->done = NULL;
	op->requestor_pid = flt_requestor_pid();
	op->requestor_process = NULL;
	atomic_store(&op->holds, 1);
	flt_set_pended(&op->pended_pre, -1);
	flt_set_pended(&op->pended_post, -1);
	op->sync_reached = -1;
	for (ULONG i = 0; i < snap->count; i++) {
		op->slots[i].inst = NULL;
		op->slots[i].sync = FALSE;
		op->slots[i].context = NULL;
		atomic_store(&op->slots[i].state, FLT_SLOT_NONE);
	}
	flt_cancel_reset(op);
}

/* Resets op for `snap` and makes it visible to teardown (volume lock held). */
static void flt_op_enlist(struct flt_op *op, PFLT_VOLUME v, struct flt_snapshot *snap)
{
	flt_op_reset(op, v, snap);
	op->seq = ++v->op_seq;
	InsertTailList(&v->inflight, &op->link);
	v->inflight_count++;
}

PFLT_CALLBACK_DATA flt_op_begin(PFLT_VOLUME v)
{
	struct flt_snapshot *snap;
	struct flt_op *op = NULL;

	pthread_mutex_lock(&v->lock);
	snap = v->snap;
	atomic_fetch_add(&snap->refs, 1);
	if (v->free_ops && v->free_ops->capacity >= snap->count) {
		op = v->free_ops;
		v->free_ops = op->next_free;
		v->free_count--;
		flt_op_enlist(op, v, snap);
	}
	pthread_mutex_unlock(&v->lock);
	if (op)
		return &op->data;
	op = flt_op_alloc(snap->count > 4 ? snap->count : 4);
	if (!op) {
		flt_snapshot_put(snap);
		return NULL;
	}
	pthread_mutex_lock(&v->lock);
	v->op_allocations++;
	flt_op_enlist(op, v, snap);
	pthread_mutex_unlock(&v->lock);
	return &op->data;
}

void flt_op_release(struct flt_op *op)
{
	PFLT_VOLUME v = op->volume;
	struct flt_snapshot *snap = op->snap;
	struct flt_op *discard = NULL;

	if (atomic_fetch_sub(&op->holds, 1) != 1)
		return;
	pthread_mutex_lock(&v->lock);
	RemoveEntryList(&op->link);
	if (op->capacity >= v->snap->count) {
		op->next_free = v->free_ops;
		v->free_ops = op;
		v->free_count++;
	} else {
		discard = op;
	}
	pthread_mutex_unlock(&v->lock);
	/* The snapshot goes before the volume counts the operation done, so
	 * that a volume teardown waiting for it also waits for its instances. */
	flt_snapshot_put(snap);
	pthread_mutex_lock(&v->lock);
	if (--v->inflight_count == 0)
		pthread_cond_broadcast(&v->idle);
	pthread_mutex_unlock(&v->lock);
	if (discard) {
		pthread_mutex_destroy(&discard->sync_lock);
		pthread_cond_destroy(&discard->sync_cv);
		flt_free(discard, FLT_TAG_OPERATION);
	}
}

static void flt_op_finish(struct flt_op *op)
{
	flt_watch_op_finish(op);
	flt_cancel_finish(op);
	flt_context_op_finish(op);
	if (op->done)
		op->done(&op->data, op->done_ctx);
	flt_mdl_release_locked(&op->data);
	if (op->requestor_process) {
		ObDereferenceObject(op->requestor_process);
		op->requestor_process = NULL;
	}
	flt_op_release(op);
}

/* FLTFL_OPERATION_REGISTRATION_SKIP_* filtering. */
static BOOLEAN flt_skip(FLT_OPERATION_REGISTRATION_FLAGS f, PFLT_CALLBACK_DATA d)
{
	UCHAR mj = d->Iopb->MajorFunction;
	ULONG irpf = d->Iopb->IrpFlags;
	BOOLEAN rw = mj == IRP_MJ_READ || mj == IRP_MJ_WRITE;
	BOOLEAN irp = FLT_IS_IRP_OPERATION(d) != 0;
	BOOLEAN paging = irp && (irpf & IRP_PAGING_IO);
	PFILE_OBJECT file = d->Iopb->TargetFileObject;

	if (!f)
		return FALSE;
	if ((f & FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO) && paging)
		return TRUE;
	if ((f & FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO) && rw &&
	    (FLT_IS_FASTIO_OPERATION(d) || (irp && !(irpf & (IRP_NOCACHE | IRP_PAGING_IO)))))
		return TRUE;
	if ((f & FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO) && rw && irp &&
	    (irpf & IRP_NOCACHE) && !paging)
		return TRUE;
	if ((f & FLTFL_OPERATION_REGISTRATION_SKIP_NON_DASD_IO) &&
	    !(file && (file->Flags & FO_VOLUME_OPEN)))
		return TRUE;
	return FALSE;
}

static void flt_sync_signal(struct flt_op *op, LONG i)
{
	pthread_mutex_lock(&op->sync_lock);
	op->sync_reached = i;
	pthread_cond_broadcast(&op->sync_cv);
	pthread_mutex_unlock(&op->sync_lock);
}

static void flt_sync_wait(struct flt_op *op, LONG i)
{
	pthread_mutex_lock(&op->sync_lock);
	while (op->sync_reached != i)
		pthread_cond_wait(&op->sync_cv, &op->sync_lock);
	pthread_mutex_unlock(&op->sync_lock);
}

static void flt_lower(struct flt_op *op)
{
	op->iopb.TargetInstance = NULL;
	flt_name_observe(op->volume, &op->data, FALSE);
	if (op->volume->lower->dispatch(op->volume->lower_ctx, &op->data) == STATUS_PENDING)
		return;
	flt_name_observe(op->volume, &op->data, TRUE);
	flt_post_walk(op, (LONG)op->snap->count - 1, FALSE);
}

void flt_volume_complete(PFLT_CALLBACK_DATA data)
{
	struct flt_op *op = flt_op_from_data(data);
	KIRQL old = KeGetCurrentIrql();

	flt_name_observe(op->volume, data, TRUE);
	/* Asynchronous completion: post callbacks run at DISPATCH_LEVEL. */
	if (old < DISPATCH_LEVEL)
		KfRaiseIrql(DISPATCH_LEVEL);
	flt_post_walk(op, (LONG)op->snap->count - 1, FALSE);
	if (old < DISPATCH_LEVEL)
		KeLowerIrql(old);
}

/* What a pre callback's status means for this operation. */
static FLT_PREOP_CALLBACK_STATUS flt_pre_effective(struct flt_op *op, FLT_PREOP_CALLBACK_STATUS st)
{
	BOOLEAN irp = FLT_IS_IRP_OPERATION(&op->data) != 0;

	if (st == FLT_PREOP_SYNCHRONIZE && !irp)
		return FLT_PREOP_SUCCESS_WITH_CALLBACK;
	if (st == FLT_PREOP_SUCCESS_WITH_CALLBACK && irp && op->iopb.MajorFunction == IRP_MJ_CREATE)
		return FLT_PREOP_SYNCHRONIZE;
	if (st == FLT_PREOP_DISALLOW_FASTIO && !FLT_IS_FASTIO_OPERATION(&op->data))
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	return st;
}

/* Applies slot i's pre status; TRUE when the walk continues below it. */
static BOOLEAN flt_pre_apply(struct flt_op *op, LONG i, FLT_PREOP_CALLBACK_STATUS st, PVOID ctx)
{
	struct flt_slot *s = &op->slots[i];
	PFLT_INSTANCE inst = s->inst;

	st = flt_pre_effective(op, st);
	switch (st) {
	case FLT_PREOP_SUCCESS_WITH_CALLBACK:
	case FLT_PREOP_SYNCHRONIZE:
		if (!inst->filter->ops[op->iopb.MajorFunction].post) {
			flt_report_filter(FLTMGR_FILE_SYSTEM, 0x66, (ULONG_PTR)&op->data, 0, inst->filter,
					  "pre callback asked for a post callback it did not register");
			flt_instance_leave(inst);
			return TRUE;
		}
		s->context = ctx;
		s->iopb = op->iopb;
		s->sync = st == FLT_PREOP_SYNCHRONIZE;
		atomic_store_explicit(&s->state, FLT_SLOT_WAIT_POST, memory_order_release);
		if (atomic_load_explicit(&inst->tearing, memory_order_relaxed))
			flt_instance_kick();
		if (!s->sync)
			return TRUE;
		flt_pre_walk(op, i + 1);
		flt_sync_wait(op, i);
		flt_post_walk(op, i, TRUE);
		return FALSE;
	case FLT_PREOP_SUCCESS_NO_CALLBACK:
		flt_instance_leave(inst);
		return TRUE;
	case FLT_PREOP_DISALLOW_FASTIO:
		op->data.IoStatus.Status = STATUS_FLT_DISALLOW_FAST_IO;
		op->data.IoStatus.Information = 0;
		flt_instance_leave(inst);
		flt_post_walk(op, i - 1, FALSE);
		return FALSE;
	case FLT_PREOP_COMPLETE:
		flt_instance_leave(inst);
		flt_post_walk(op, i - 1, FALSE);
		return FALSE;
	default:
		flt_report_filter(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xA5, (ULONG_PTR)&op->data, st,
				  inst->filter, "invalid pre-operation callback status");
		flt_instance_leave(inst);
		return TRUE;
	}
}

static void flt_pre_walk(struct flt_op *op, LONG i)
{
	PFLT_CALLBACK_DATA d = &op->data;
	UCHAR mj = op->iopb.MajorFunction;

	for (; i < (LONG)op->snap->count; i++) {
		PFLT_INSTANCE inst = op->snap->inst[i];
		const struct flt_op_callbacks *cb = &inst->filter->ops[mj];
		FLT_PREOP_CALLBACK_STATUS st = FLT_PREOP_SUCCESS_WITH_CALLBACK;
		PVOID ctx = NULL;

		if ((!cb->pre && !cb->post) || flt_skip(cb->flags, d))
			continue;
		if (!flt_instance_enter(inst))
			continue;
		op->slots[i].inst = inst;
		if (cb->pre) {
			FLT_RELATED_OBJECTS objs;
			struct flt_callback frame;

			flt_instance_related(inst, op->iopb.TargetFileObject, &objs);
			op->iopb.TargetInstance = inst;
			/* Set before the call: the filter may resume the operation
			 * from another thread before its pre callback returns. */
			flt_set_pended(&op->pended_pre, i);
			flt_callback_enter(&frame, inst->filter, inst, d, &op->iopb, FLT_CALLBACK_PRE);
			st = cb->pre(d, &objs, &ctx);
			flt_callback_leave(&frame);
			if (st == FLT_PREOP_PENDING)
				return;
			flt_set_pended(&op->pended_pre, -1);
		}
		if (!flt_pre_apply(op, i, st, ctx))
			return;
	}
	flt_lower(op);
}

static FLT_POSTOP_CALLBACK_STATUS flt_post_call(struct flt_op *op, LONG i,
						FLT_POST_OPERATION_FLAGS flags)
{
	struct flt_slot *s = &op->slots[i];
	PFLT_INSTANCE inst = op->snap->inst[i];
	FLT_RELATED_OBJECTS objs;
	FLT_POSTOP_CALLBACK_STATUS st;
	struct flt_callback frame;

	flt_instance_related(inst, s->iopb.TargetFileObject, &objs);
	flt_callback_enter(&frame, inst->filter, inst, &op->data, &s->iopb,
			   (flags & FLTFL_POST_OPERATION_DRAINING) ? FLT_CALLBACK_POST_DRAINING
								   : FLT_CALLBACK_POST);
	st = inst->filter->ops[s->iopb.MajorFunction].post(&op->data, &objs, s->context, flags);
	flt_callback_leave(&frame);
	if (st == FLT_POSTOP_FINISHED_PROCESSING)
		return st;
	if (st == FLT_POSTOP_MORE_PROCESSING_REQUIRED && !(flags & FLTFL_POST_OPERATION_DRAINING))
		return st;
	if (st == FLT_POSTOP_DISALLOW_FSFILTER_IO && FLT_IS_FS_FILTER_OPERATION(&op->data))
		return FLT_POSTOP_FINISHED_PROCESSING;
	flt_report_filter(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xA6, (ULONG_PTR)&op->data, st,
			  inst->filter,
			  (flags & FLTFL_POST_OPERATION_DRAINING)
				  ? "post-operation callback returned MORE_PROCESSING_REQUIRED while draining"
				  : "invalid post-operation callback status");
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static void flt_post_walk(struct flt_op *op, LONG i, BOOLEAN own_first)
{
	for (; i >= 0; i--, own_first = FALSE) {
		struct flt_slot *s = &op->slots[i];
		int expect = FLT_SLOT_WAIT_POST;

		if (!s->inst)
			continue;
		if (s->sync && !own_first) {
			flt_sync_signal(op, i);
			return;
		}
		if (!atomic_compare_exchange_strong_explicit(&s->state, &expect, FLT_SLOT_CLAIMED,
							     memory_order_acq_rel, memory_order_acquire))
			continue;
		op->iopb = s->iopb;
		/* Set before the call: a work item may complete the operation
		 * before the post callback returns. */
		flt_set_pended(&op->pended_post, i);
		if (flt_post_call(op, i, 0) == FLT_POSTOP_MORE_PROCESSING_REQUIRED)
			return;
		flt_set_pended(&op->pended_post, -1);
		flt_instance_leave(s->inst);
	}
	flt_op_finish(op);
}

/* What the watchdog reports about the operation (nothing to stamp without filters). */
static void flt_op_watch_stamp(struct flt_op *op)
{
	if (!op->snap->count)
		return;
	atomic_store_explicit(&op->watch_start, ke_clock_interrupt_coarse(), memory_order_relaxed);
	atomic_store_explicit(&op->watch_file, op->iopb.TargetFileObject, memory_order_relaxed);
	atomic_store_explicit(&op->watch_pid, op->requestor_pid, memory_order_relaxed);
	atomic_store_explicit(&op->watch_major, op->iopb.MajorFunction, memory_order_relaxed);
}

void flt_op_start(PFLT_CALLBACK_DATA data, flt_op_done_fn done, void *ctx)
{
	struct flt_op *op = flt_op_from_data(data);

	flt_op_watch_stamp(op);
	op->done = done;
	op->done_ctx = ctx;
	flt_cancel_start(op);
	flt_pre_walk(op, 0);
}

void flt_op_start_at(PFLT_CALLBACK_DATA data, ULONG first, flt_op_done_fn done, void *ctx)
{
	struct flt_op *op = flt_op_from_data(data);

	flt_set_pended(&op->pended_pre, -1);
	flt_set_pended(&op->pended_post, -1);
	flt_op_watch_stamp(op);
	op->sync_reached = -1;
	for (ULONG i = 0; i < op->snap->count; i++) {
		op->slots[i].inst = NULL;
		op->slots[i].sync = FALSE;
		op->slots[i].context = NULL;
		atomic_store(&op->slots[i].state, FLT_SLOT_NONE);
	}
	atomic_fetch_add(&op->holds, 1);
	op->done = done;
	op->done_ctx = ctx;
	flt_pre_walk(op, (LONG)first);
}

void flt_op_free(PFLT_CALLBACK_DATA data)
{
	flt_op_release(flt_op_from_data(data));
}

VOID FLTAPI FltCompletePendedPreOperation(PFLT_CALLBACK_DATA CallbackData,
					  FLT_PREOP_CALLBACK_STATUS CallbackStatus, PVOID Context)
{
	struct flt_op *op;
	LONG i;

	if (!CallbackData)
		return;
	op = flt_op_from_data(CallbackData);
	i = flt_pended(&op->pended_pre);
	if (i < 0 || (CallbackStatus != FLT_PREOP_SUCCESS_WITH_CALLBACK &&
		      CallbackStatus != FLT_PREOP_SUCCESS_NO_CALLBACK &&
		      CallbackStatus != FLT_PREOP_COMPLETE)) {
		flt_report_filter(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xA7, (ULONG_PTR)CallbackData,
				  CallbackStatus, i < 0 ? NULL : op->slots[i].inst->filter,
				  "FltCompletePendedPreOperation: operation not pended or invalid status");
		return;
	}
	if (!ke_irql_at_most(CallbackStatus == FLT_PREOP_COMPLETE ? DISPATCH_LEVEL : APC_LEVEL,
			     "FltCompletePendedPreOperation"))
		return;
	flt_set_pended(&op->pended_pre, -1);
	if (CallbackStatus != FLT_PREOP_SUCCESS_WITH_CALLBACK)
		Context = NULL;
	if (flt_pre_apply(op, i, CallbackStatus, Context))
		flt_pre_walk(op, i + 1);
}

VOID FLTAPI FltCompletePendedPostOperation(PFLT_CALLBACK_DATA CallbackData)
{
	struct flt_op *op;
	LONG i;

	if (!CallbackData)
		return;
	op = flt_op_from_data(CallbackData);
	i = flt_pended(&op->pended_post);
	if (i < 0) {
		flt_report_filter(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xA8, (ULONG_PTR)CallbackData, 0,
				  NULL, "FltCompletePendedPostOperation: operation not pended");
		return;
	}
	if (!ke_irql_at_most(DISPATCH_LEVEL, "FltCompletePendedPostOperation"))
		return;
	flt_set_pended(&op->pended_post, -1);
	flt_instance_leave(op->slots[i].inst);
	flt_post_walk(op, i - 1, FALSE);
}

/*
 * Takes a hold on an operation unless its last hold is already gone: the
 * walker drops its hold before flt_op_release takes v->lock to unlink the
 * record, so a teardown walking v->inflight can still meet it there.  A
 * hold taken then (0 -> 1) would release the record a second time: it
 * would go on the free list twice and v->inflight_count would wrap, and
 * the volume teardown would wait for it forever.
 */
static BOOLEAN flt_op_hold_live(struct flt_op *op)
{
	int holds = atomic_load(&op->holds);

	while (holds > 0) {
		if (atomic_compare_exchange_weak(&op->holds, &holds, holds + 1))
			return TRUE;
	}
	return FALSE;
}

/*
 * Claims up to `max` expected post callbacks of `inst`; each entry holds its
 * operation (slot -1: a hold only, the walker took the slot first).  The
 * hold comes before the claim: the post walk takes no lock and skips a
 * claimed slot, so after a claim the walker may finish the operation and
 * drop the last hold before a hold is tried.  The slot was then given back
 * with nobody left to run it, and the instance's `active` count never
 * drained: its teardown waited forever.
 */
static ULONG flt_drain_claim(PFLT_INSTANCE inst, struct flt_op **ops, LONG *slots, ULONG max)
{
	PFLT_VOLUME v = inst->volume;
	ULONG n = 0;

	pthread_mutex_lock(&v->lock);
	for (PLIST_ENTRY e = v->inflight.Flink; e != &v->inflight && n < max; e = e->Flink) {
		struct flt_op *op = CONTAINING_RECORD(e, struct flt_op, link);

		for (ULONG i = 0; i < op->snap->count && n < max; i++) {
			int expect = FLT_SLOT_WAIT_POST;

			if (op->snap->inst[i] != inst ||
			    atomic_load(&op->slots[i].state) != FLT_SLOT_WAIT_POST)
				continue;
			if (!flt_op_hold_live(op))
				break;
			ops[n] = op;
			slots[n] = (LONG)i;
			if (!atomic_compare_exchange_strong(&op->slots[i].state, &expect, FLT_SLOT_CLAIMED))
				slots[n] = -1;
			n++;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return n;
}

void flt_op_drain_instance(PFLT_INSTANCE inst)
{
	struct flt_op *ops[32];
	LONG slots[32];
	ULONG n;

	do {
		n = flt_drain_claim(inst, ops, slots, RTL_NUMBER_OF(ops));
		for (ULONG k = 0; k < n; k++) {
			if (slots[k] >= 0) {
				flt_thread_in_drain = TRUE;
				flt_post_call(ops[k], slots[k], FLTFL_POST_OPERATION_DRAINING);
				flt_thread_in_drain = FALSE;
				flt_instance_leave(inst);
			}
			flt_op_release(ops[k]);
		}
	} while (n == RTL_NUMBER_OF(ops));
}
