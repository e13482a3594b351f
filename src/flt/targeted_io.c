/*
 * Targeted I/O core: running a filter-built operation below its issuing
 * instance, synchronously or with a completion routine, and
 * FltReadFile/FltWriteFile on top of it.
 *
 * The issuer's place in the operation's instance snapshot decides where
 * the walk starts: just below the issuer (or, if the issuer is not in the
 * snapshot, at the first instance of lower altitude).  Between operations
 * Iopb->TargetInstance is the issuer again.
 */
#include "flt/flt.h"

struct flt_io_end {
	PFLT_INSTANCE issuer;
	PFILE_OBJECT file;
	BOOLEAN restore_offset; /* FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET */
	LARGE_INTEGER offset;
};

/*
 * A synchronous caller waits on one process-wide condition variable only
 * when its operation did not complete inline (the usual case completes
 * before flt_op_start_at returns and takes no lock at all).
 */
enum { FLT_IO_RUNNING, FLT_IO_WAITING, FLT_IO_DONE };

struct flt_io_sync {
	struct flt_io_end end;
	atomic_int state;
};

static pthread_mutex_t flt_io_wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flt_io_wait_cv = PTHREAD_COND_INITIALIZER;

/* Whichever of the completion and the issuer comes second frees the record. */
enum { FLT_IO_ASYNC_RUNNING, FLT_IO_ASYNC_DONE, FLT_IO_ASYNC_RETURNED };

struct flt_io_async {
	struct flt_io_end end;
	PFLT_COMPLETED_ASYNC_IO_CALLBACK routine;
	PVOID context;
	BOOLEAN free_data;
	NTSTATUS status; /* the operation's, read by the issuer when it completed inline */
	atomic_int state;
};

static ULONG flt_io_first(PFLT_CALLBACK_DATA data, PFLT_INSTANCE issuer, BOOLEAN bypass)
{
	struct flt_snapshot *snap = flt_op_from_data(data)->snap;

	if (bypass)
		return snap->count;
	if (!issuer)
		return 0;
	for (ULONG i = 0; i < snap->count; i++) {
		if (snap->inst[i] == issuer)
			return i + 1;
	}
	for (ULONG i = 0; i < snap->count; i++) {
		if (flt_altitude_compare(&snap->inst[i]->altitude, &issuer->altitude) < 0)
			return i;
	}
	return snap->count;
}

NTSTATUS flt_io_allocate(PFLT_VOLUME volume, PFLT_INSTANCE issuer, PFILE_OBJECT file,
			 PFLT_CALLBACK_DATA *out)
{
	PFLT_CALLBACK_DATA d = flt_op_begin(volume);

	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	d->Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO;
	d->Iopb->TargetInstance = issuer;
	d->Iopb->TargetFileObject = file;
	*out = d;
	return STATUS_SUCCESS;
}

static void flt_io_end_init(struct flt_io_end *end, PFLT_CALLBACK_DATA data, BOOLEAN restore)
{
	end->issuer = data->Iopb->TargetInstance;
	end->file = data->Iopb->TargetFileObject;
	end->restore_offset = restore && end->file;
	if (end->restore_offset)
		end->offset = end->file->CurrentByteOffset;
}

static void flt_io_end(PFLT_CALLBACK_DATA data, const struct flt_io_end *end)
{
	data->Iopb->TargetInstance = end->issuer;
	if (end->restore_offset)
		end->file->CurrentByteOffset = end->offset;
}

static void flt_io_sync_done(PFLT_CALLBACK_DATA data, void *ctx)
{
	struct flt_io_sync *w = ctx;

	flt_io_end(data, &w->end);
	/* After this exchange the waiter may return: w is not touched again. */
	if (atomic_exchange(&w->state, FLT_IO_DONE) != FLT_IO_WAITING)
		return;
	pthread_mutex_lock(&flt_io_wait_lock);
	pthread_cond_broadcast(&flt_io_wait_cv);
	pthread_mutex_unlock(&flt_io_wait_lock);
}

static void flt_io_sync_wait(struct flt_io_sync *w)
{
	int expect = FLT_IO_RUNNING;

	if (atomic_load(&w->state) == FLT_IO_DONE)
		return;
	pthread_mutex_lock(&flt_io_wait_lock);
	if (atomic_compare_exchange_strong(&w->state, &expect, FLT_IO_WAITING)) {
		while (atomic_load(&w->state) != FLT_IO_DONE)
			pthread_cond_wait(&flt_io_wait_cv, &flt_io_wait_lock);
	}
	pthread_mutex_unlock(&flt_io_wait_lock);
}

static NTSTATUS flt_io_run_sync(PFLT_CALLBACK_DATA data, BOOLEAN bypass, BOOLEAN restore)
{
	struct flt_io_sync w;

	flt_io_end_init(&w.end, data, restore);
	atomic_init(&w.state, FLT_IO_RUNNING);
	data->Iopb->IrpFlags |= IRP_SYNCHRONOUS_API;
	flt_op_start_at(data, flt_io_first(data, w.end.issuer, bypass), flt_io_sync_done, &w);
	flt_io_sync_wait(&w);
	return data->IoStatus.Status;
}

NTSTATUS flt_io_run(PFLT_CALLBACK_DATA data, BOOLEAN bypass)
{
	return flt_io_run_sync(data, bypass, FALSE);
}

static void flt_io_async_done(PFLT_CALLBACK_DATA data, void *ctx)
{
	struct flt_io_async *a = ctx;

	flt_io_end(data, &a->end);
	a->status = data->IoStatus.Status;
	a->routine(data, a->context);
	if (a->free_data)
		FltFreeCallbackData(data);
	if (atomic_exchange(&a->state, FLT_IO_ASYNC_DONE) == FLT_IO_ASYNC_RETURNED)
		flt_free(a, FLT_TARGETED_IO_TAG);
}

/*
 * Starts `data` with a completion routine, which is always called (also
 * when out of memory).  STATUS_SUCCESS with the operation's status in
 * *final when it completed before this returns, else STATUS_PENDING.
 */
static NTSTATUS flt_io_run_async(PFLT_CALLBACK_DATA data, BOOLEAN restore,
				 PFLT_COMPLETED_ASYNC_IO_CALLBACK routine, PVOID context,
				 BOOLEAN free_data, NTSTATUS *final)
{
	struct flt_io_async *a = flt_alloc(sizeof(*a), FLT_TARGETED_IO_TAG);

	if (!a) {
		data->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
		data->IoStatus.Information = 0;
		routine(data, context);
		if (free_data)
			FltFreeCallbackData(data);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	flt_io_end_init(&a->end, data, restore);
	a->routine = routine;
	a->context = context;
	a->free_data = free_data;
	atomic_init(&a->state, FLT_IO_ASYNC_RUNNING);
	flt_op_start_at(data, flt_io_first(data, a->end.issuer, FALSE), flt_io_async_done, a);
	if (atomic_exchange(&a->state, FLT_IO_ASYNC_RETURNED) != FLT_IO_ASYNC_DONE)
		return STATUS_PENDING;
	*final = a->status;
	flt_free(a, FLT_TARGETED_IO_TAG);
	return STATUS_SUCCESS;
}

/* Paging I/O may be issued at APC_LEVEL, anything else at PASSIVE_LEVEL. */
static BOOLEAN flt_io_irql_ok(PFLT_CALLBACK_DATA data, const char *routine)
{
	return ke_irql_at_most((data->Iopb->IrpFlags & IRP_PAGING_IO) ? APC_LEVEL : PASSIVE_LEVEL,
			       routine);
}

VOID FLTAPI FltPerformSynchronousIo(PFLT_CALLBACK_DATA CallbackData)
{
	if (!CallbackData || !flt_io_irql_ok(CallbackData, "FltPerformSynchronousIo"))
		return;
	flt_io_run_sync(CallbackData, FALSE, FALSE);
}

NTSTATUS FLTAPI FltPerformAsynchronousIo(PFLT_CALLBACK_DATA CallbackData,
					 PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
					 PVOID CallbackContext)
{
	NTSTATUS final;

	if (!CallbackData || !CallbackRoutine)
		return STATUS_INVALID_PARAMETER;
	if (!flt_io_irql_ok(CallbackData, "FltPerformAsynchronousIo"))
		return STATUS_UNSUCCESSFUL;
	if (!FLT_IS_IRP_OPERATION(CallbackData) || CallbackData->Iopb->MajorFunction == IRP_MJ_CREATE) {
		/* The routine is called even when the request is refused. */
		CallbackData->IoStatus.Status = STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST;
		CallbackData->IoStatus.Information = 0;
		CallbackRoutine(CallbackData, CallbackContext);
		return STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST;
	}
	return flt_io_run_async(CallbackData, FALSE, CallbackRoutine, CallbackContext, FALSE, &final);
}

static ULONG flt_io_irp_flags(ULONG flags)
{
	ULONG irpf = 0;

	if (flags & FLTFL_IO_OPERATION_NON_CACHED)
		irpf |= IRP_NOCACHE;
	if (flags & FLTFL_IO_OPERATION_PAGING)
		irpf |= IRP_PAGING_IO | IRP_NOCACHE;
	if (flags & FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING)
		irpf |= IRP_SYNCHRONOUS_PAGING_IO;
	return irpf;
}

/* Read or write: the shared body of FltReadFile and FltWriteFile. */
static NTSTATUS flt_io_rw(UCHAR major, PFLT_INSTANCE inst, PFILE_OBJECT file, PLARGE_INTEGER offset,
			  ULONG length, PVOID buffer, ULONG flags, PULONG done_bytes,
			  PFLT_COMPLETED_ASYNC_IO_CALLBACK routine, PVOID context, const char *name)
{
	BOOLEAN sync_file, keep_offset;
	PFLT_CALLBACK_DATA d;
	LARGE_INTEGER off;
	NTSTATUS s, final;

	if (!inst || !file || (length && !buffer))
		return STATUS_INVALID_PARAMETER;
	/* Only a file opened for synchronous I/O has a current position to use or update. */
	sync_file = (file->Flags & FO_SYNCHRONOUS_IO) != 0;
	keep_offset = !sync_file || (flags & FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET);
	if (!sync_file && (!offset || (offset->HighPart == -1 &&
				       offset->LowPart == FILE_USE_FILE_POINTER_POSITION)))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, name))
		return STATUS_UNSUCCESSFUL;
	s = flt_io_allocate(inst->volume, inst, file, &d);
	if (!NT_SUCCESS(s))
		return s;
	off.HighPart = -1;
	off.LowPart = FILE_USE_FILE_POINTER_POSITION;
	if (offset)
		off = *offset;
	d->Iopb->MajorFunction = major;
	d->Iopb->IrpFlags = flt_io_irp_flags(flags) |
			    (major == IRP_MJ_READ ? IRP_READ_OPERATION : IRP_WRITE_OPERATION);
	/* Read and Write share their layout in FLT_PARAMETERS. */
	d->Iopb->Parameters.Read.Length = length;
	d->Iopb->Parameters.Read.ByteOffset = off;
	d->Iopb->Parameters.Read.ReadBuffer = buffer;
	if (routine) {
		s = flt_io_run_async(d, keep_offset, routine, context, TRUE, &final);
		return s == STATUS_SUCCESS ? final : s;
	}
	s = flt_io_run_sync(d, FALSE, keep_offset);
	if (done_bytes)
		*done_bytes = (ULONG)d->IoStatus.Information;
	FltFreeCallbackData(d);
	return s;
}

NTSTATUS FLTAPI FltReadFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
			    PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, ULONG Flags,
			    PULONG BytesRead, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
			    PVOID CallbackContext)
{
	return flt_io_rw(IRP_MJ_READ, InitiatingInstance, FileObject, ByteOffset, Length, Buffer, Flags,
			 BytesRead, CallbackRoutine, CallbackContext, "FltReadFile");
}

NTSTATUS FLTAPI FltWriteFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
			     PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, ULONG Flags,
			     PULONG BytesWritten, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
			     PVOID CallbackContext)
{
	return flt_io_rw(IRP_MJ_WRITE, InitiatingInstance, FileObject, ByteOffset, Length, Buffer,
			 Flags, BytesWritten, CallbackRoutine, CallbackContext, "FltWriteFile");
}
