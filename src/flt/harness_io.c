/*
 * The harness's operations: building callback data for each operation,
 * issuing it through the filter stack synchronously or asynchronously,
 * reissuing a disallowed fast I/O as an IRP, and loading filters.
 */

#include "flt/harness.h"

static atomic_ullong harness_completed;

ULONGLONG altitude_ops_completed(void)
{
	return atomic_load(&harness_completed);
}

LONG altitude_flt_live_objects(void)
{
	return flt_live_count();
}

static NTSTATUS harness_start(struct altitude_op *op);

void harness_done(PFLT_CALLBACK_DATA data, void *ctx)
{
	struct altitude_op *op = ctx;

	if ((op->data_flags & FLTFL_CALLBACK_DATA_FAST_IO_OPERATION) &&
	    data->IoStatus.Status == STATUS_FLT_DISALLOW_FAST_IO) {
		/* The fast I/O attempt failed: the I/O manager reissues it as an IRP. */
		op->data_flags = FLTFL_CALLBACK_DATA_IRP_OPERATION;
		op->opts.flags &= ~ALTITUDE_OP_FAST_IO;
		if (NT_SUCCESS(harness_start(op)))
			return;
	}
	pthread_mutex_lock(&op->lock);
	op->iosb = data->IoStatus;
	op->done = TRUE;
	atomic_fetch_add(&harness_completed, 1);
	pthread_cond_broadcast(&op->cv);
	pthread_mutex_unlock(&op->lock);
}

static NTSTATUS harness_start(struct altitude_op *op)
{
	PFLT_CALLBACK_DATA d = flt_op_begin(op->vol->volume);
	PIRP previous = IoGetTopLevelIrp();

	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->data = d;
	d->Flags = op->data_flags;
	*d->Iopb = op->iopb;
	if (op->opts.requestor_pid)
		flt_op_from_data(d)->requestor_pid = op->opts.requestor_pid;
	if (op->opts.flags & ALTITUDE_OP_TOP_LEVEL_IRP)
		IoSetTopLevelIrp((PIRP)FSRTL_FSP_TOP_LEVEL_IRP);
	flt_op_start(d, harness_done, op);
	IoSetTopLevelIrp(previous);
	return STATUS_SUCCESS;
}

NTSTATUS altitude_op_wait(altitude_op *op, PIO_STATUS_BLOCK iosb)
{
	NTSTATUS s;

	pthread_mutex_lock(&op->lock);
	while (!op->done)
		pthread_cond_wait(&op->cv, &op->lock);
	s = op->iosb.Status;
	if (iosb)
		*iosb = op->iosb;
	pthread_mutex_unlock(&op->lock);
	return s;
}

BOOLEAN altitude_op_done(altitude_op *op)
{
	BOOLEAN done;

	pthread_mutex_lock(&op->lock);
	done = op->done;
	pthread_mutex_unlock(&op->lock);
	return done;
}

VOID altitude_op_free(altitude_op *op)
{
	if (!op)
		return;
	altitude_op_wait(op, NULL);
	pthread_mutex_destroy(&op->lock);
	pthread_cond_destroy(&op->cv);
	flt_free(op, FLT_TAG_HARNESS);
}

/* Prepares op (on the caller's stack, or on the heap for asynchronous use). */
static struct altitude_op *harness_op(struct altitude_op *stack, altitude_memvol *vol,
				      const altitude_op_options *opts)
{
	struct altitude_op *op = stack;

	if (opts && opts->async_out) {
		op = flt_alloc(sizeof(*op), FLT_TAG_HARNESS);
		if (!op)
			return NULL;
	}
	memset(op, 0, sizeof(*op));
	op->heap = op != stack;
	op->vol = vol;
	if (opts)
		op->opts = *opts;
	op->data_flags = FLTFL_CALLBACK_DATA_IRP_OPERATION;
	if (op->opts.flags & ALTITUDE_OP_FAST_IO)
		op->data_flags = FLTFL_CALLBACK_DATA_FAST_IO_OPERATION;
	if (op->opts.flags & ALTITUDE_OP_FS_FILTER)
		op->data_flags = FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION;
	if (op->opts.flags & ALTITUDE_OP_PAGING_IO)
		op->iopb.IrpFlags |= IRP_PAGING_IO | IRP_NOCACHE;
	if (op->opts.flags & ALTITUDE_OP_NOCACHE)
		op->iopb.IrpFlags |= IRP_NOCACHE;
	if (op->opts.flags & ALTITUDE_OP_SYNCHRONOUS_API)
		op->iopb.IrpFlags |= IRP_SYNCHRONOUS_API;
	pthread_mutex_init(&op->lock, NULL);
	pthread_cond_init(&op->cv, NULL);
	return op;
}

NTSTATUS harness_issue(struct altitude_op *op)
{
	NTSTATUS s = harness_start(op);

	if (!NT_SUCCESS(s)) {
		op->iosb.Status = s;
		op->iosb.Information = 0;
		if (op->heap) {
			pthread_mutex_destroy(&op->lock);
			pthread_cond_destroy(&op->cv);
			flt_free(op, FLT_TAG_HARNESS);
		}
		return s;
	}
	if (op->heap) {
		*op->opts.async_out = op;
		return STATUS_PENDING;
	}
	s = altitude_op_wait(op, NULL);
	pthread_mutex_destroy(&op->lock);
	pthread_cond_destroy(&op->cv);
	return s;
}

/* Issues on `file` and copies the final IO_STATUS_BLOCK for synchronous calls. */
static NTSTATUS harness_run(struct altitude_op *op, PIO_STATUS_BLOCK iosb)
{
	BOOLEAN sync = !op->heap;
	NTSTATUS s = harness_issue(op);

	if (sync && iosb)
		*iosb = op->iosb;
	return s;
}

static NTSTATUS harness_file_new(altitude_memvol *vol, const WCHAR *path, altitude_file **out)
{
	altitude_file *f = flt_alloc(sizeof(*f), FLT_TAG_HARNESS);
	UNICODE_STRING p;

	if (!f)
		return STATUS_INSUFFICIENT_RESOURCES;
	flt_string_init(&p, path);
	if (!NT_SUCCESS(flt_string_dup(&p, &f->fo.FileName))) {
		flt_free(f, FLT_TAG_HARNESS);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	f->vol = vol;
	f->fo.Type = 5;
	f->fo.Size = sizeof(FILE_OBJECT);
	*out = f;
	return STATUS_SUCCESS;
}

static void harness_file_free(altitude_file *f)
{
	flt_string_free(&f->fo.FileName);
	flt_free(f, FLT_TAG_HARNESS);
}

PFILE_OBJECT altitude_file_object(altitude_file *file)
{
	return &file->fo;
}

NTSTATUS altitude_create(altitude_memvol *vol, const WCHAR *path, ACCESS_MASK desired_access,
			 ULONG disposition, ULONG create_options, const altitude_op_options *opts,
			 altitude_file **file_out, PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op;
	altitude_file *f;
	NTSTATUS s;

	if (!vol || !path || !file_out || (opts && opts->async_out))
		return STATUS_INVALID_PARAMETER;
	s = harness_file_new(vol, path, &f);
	if (!NT_SUCCESS(s))
		return s;
	op = harness_op(&stack, vol, opts);
	op->security.DesiredAccess = desired_access;
	op->security.FullCreateOptions = create_options;
	op->iopb.MajorFunction = IRP_MJ_CREATE;
	op->iopb.TargetFileObject = &f->fo;
	op->iopb.Parameters.Create.SecurityContext = &op->security;
	op->iopb.Parameters.Create.Options = (disposition << 24) | (create_options & FILE_VALID_OPTION_FLAGS);
	op->iopb.Parameters.Create.ShareAccess = FILE_SHARE_VALID_FLAGS;
	op->iopb.Parameters.Create.FileAttributes = FILE_ATTRIBUTE_NORMAL;
	s = harness_run(op, iosb);
	if (NT_SUCCESS(s) && f->fo.FsContext2) {
		*file_out = f;
		return s;
	}
	harness_file_free(f);
	return NT_SUCCESS(s) ? STATUS_UNSUCCESSFUL : s;
}

NTSTATUS altitude_read(altitude_file *file, LONGLONG offset, void *buffer, ULONG length,
		       const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = IRP_MJ_READ;
	op->iopb.IrpFlags |= IRP_READ_OPERATION;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.Read.Length = length;
	op->iopb.Parameters.Read.ByteOffset.QuadPart = offset;
	op->iopb.Parameters.Read.ReadBuffer = buffer;
	return harness_run(op, iosb);
}

NTSTATUS altitude_write(altitude_file *file, LONGLONG offset, const void *buffer, ULONG length,
			const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = IRP_MJ_WRITE;
	op->iopb.IrpFlags |= IRP_WRITE_OPERATION;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.Write.Length = length;
	op->iopb.Parameters.Write.ByteOffset.QuadPart = offset;
	op->iopb.Parameters.Write.WriteBuffer = (PVOID)buffer;
	return harness_run(op, iosb);
}

NTSTATUS altitude_query_information(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				    ULONG length, const altitude_op_options *opts,
				    PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = IRP_MJ_QUERY_INFORMATION;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.QueryFileInformation.Length = length;
	op->iopb.Parameters.QueryFileInformation.FileInformationClass = cls;
	op->iopb.Parameters.QueryFileInformation.InfoBuffer = buffer;
	return harness_run(op, iosb);
}

NTSTATUS altitude_set_information(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				  ULONG length, const altitude_op_options *opts,
				  PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = IRP_MJ_SET_INFORMATION;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.SetFileInformation.Length = length;
	op->iopb.Parameters.SetFileInformation.FileInformationClass = cls;
	op->iopb.Parameters.SetFileInformation.InfoBuffer = buffer;
	return harness_run(op, iosb);
}

NTSTATUS altitude_query_directory(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				  ULONG length, const WCHAR *pattern, UCHAR flags,
				  const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op;
	UNICODE_STRING p;

	if (opts && opts->async_out && pattern)
		return STATUS_INVALID_PARAMETER; /* the pattern lives on this stack */
	op = harness_op(&stack, file->vol, opts);
	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	flt_string_init(&p, pattern);
	op->iopb.MajorFunction = IRP_MJ_DIRECTORY_CONTROL;
	op->iopb.MinorFunction = IRP_MN_QUERY_DIRECTORY;
	op->iopb.OperationFlags = flags;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.DirectoryControl.QueryDirectory.Length = length;
	op->iopb.Parameters.DirectoryControl.QueryDirectory.FileName = pattern ? &p : NULL;
	op->iopb.Parameters.DirectoryControl.QueryDirectory.FileInformationClass = cls;
	op->iopb.Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = buffer;
	return harness_run(op, iosb);
}

NTSTATUS altitude_query_volume_information(altitude_file *file, FS_INFORMATION_CLASS cls,
					   void *buffer, ULONG length,
					   const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = IRP_MJ_QUERY_VOLUME_INFORMATION;
	op->iopb.TargetFileObject = &file->fo;
	op->iopb.Parameters.QueryVolumeInformation.Length = length;
	op->iopb.Parameters.QueryVolumeInformation.FsInformationClass = cls;
	op->iopb.Parameters.QueryVolumeInformation.VolumeBuffer = buffer;
	return harness_run(op, iosb);
}

static NTSTATUS harness_simple(altitude_file *file, UCHAR major, const altitude_op_options *opts,
			       PIO_STATUS_BLOCK iosb)
{
	struct altitude_op stack, *op = harness_op(&stack, file->vol, opts);

	if (!op)
		return STATUS_INSUFFICIENT_RESOURCES;
	op->iopb.MajorFunction = major;
	op->iopb.TargetFileObject = &file->fo;
	return harness_run(op, iosb);
}

NTSTATUS altitude_flush(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	return harness_simple(file, IRP_MJ_FLUSH_BUFFERS, opts, iosb);
}

NTSTATUS altitude_cleanup(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	return harness_simple(file, IRP_MJ_CLEANUP, opts, iosb);
}

NTSTATUS altitude_close(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb)
{
	NTSTATUS s;

	if (opts && opts->async_out)
		return STATUS_INVALID_PARAMETER; /* the handle is freed on return */
	s = harness_simple(file, IRP_MJ_CLOSE, opts, iosb);
	harness_file_free(file);
	return s;
}

VOID altitude_close_file(altitude_file *file)
{
	altitude_cleanup(file, NULL, NULL);
	altitude_close(file, NULL, NULL);
}

NTSTATUS altitude_filter_load(const altitude_filter_config *config, PDRIVER_INITIALIZE driver_entry,
			      PDRIVER_OBJECT *driver_out)
{
	struct flt_loader_record r;
	struct flt_loader_instance *inst;
	PDRIVER_OBJECT driver;
	NTSTATUS s;

	if (!config || !driver_entry)
		return STATUS_INVALID_PARAMETER;
	inst = flt_alloc((config->instance_count ? config->instance_count : 1) * sizeof(*inst),
			 FLT_TAG_TEMP);
	if (!inst)
		return STATUS_INSUFFICIENT_RESOURCES;
	for (ULONG i = 0; i < config->instance_count; i++) {
		inst[i].name = config->instances[i].name;
		inst[i].altitude = config->instances[i].altitude;
		inst[i].flags = config->instances[i].flags;
	}
	r.service_name = config->name;
	r.default_instance = config->default_instance;
	r.instance_count = config->instance_count;
	r.instances = inst;
	s = flt_loader_load(&r, driver_entry, &driver);
	flt_free(inst, FLT_TAG_TEMP);
	if (NT_SUCCESS(s) && driver_out)
		*driver_out = driver;
	return s;
}

NTSTATUS altitude_filter_unload(const WCHAR *name, BOOLEAN mandatory)
{
	UNICODE_STRING n;
	PFLT_FILTER f;
	NTSTATUS s;

	if (!name)
		return STATUS_INVALID_PARAMETER;
	flt_string_init(&n, name);
	s = FltGetFilterFromName(&n, &f);
	if (!NT_SUCCESS(s))
		return s;
	FltObjectDereference(f);
	return flt_filter_unload(f, mandatory);
}
