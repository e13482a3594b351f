/* Test minifilters for FUSE volumes (see glue_filter.h). */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "glue_filter.h"

struct gf_state gf;

static PFLT_FILTER filters[GF_MAX_FILTERS];
static int loaded;

/* The worker that completes pended reads. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static PFLT_CALLBACK_DATA queue[256];
static unsigned queue_head, queue_tail;
static pthread_t worker;
static BOOLEAN worker_stop;

static int index_of(PCFLT_RELATED_OBJECTS objs)
{
	for (int i = 0; i < GF_MAX_FILTERS; i++)
		if (filters[i] == objs->Filter)
			return i;
	return 0;
}

static BOOLEAN leaf_is(PFLT_CALLBACK_DATA d, const WCHAR *leaf)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	size_t n = 0;

	if (!leaf || !f || !f->FileName.Buffer)
		return FALSE;
	while (leaf[n])
		n++;
	USHORT chars = f->FileName.Length / sizeof(WCHAR);
	if (chars < n + 1 || f->FileName.Buffer[chars - n - 1] != L'\\')
		return FALSE;
	return memcmp(f->FileName.Buffer + chars - n, leaf, n * sizeof(WCHAR)) == 0;
}

static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;

/* FileBothDirectoryInformation and FileIdBothDirectoryInformation share all fields but FileId. */
static ULONG dir_name_offset(FILE_INFORMATION_CLASS cls)
{
	return cls == FileIdBothDirectoryInformation ? FIELD_OFFSET(FILE_ID_BOTH_DIR_INFORMATION, FileName)
						     : FIELD_OFFSET(FILE_BOTH_DIR_INFORMATION, FileName);
}

static BOOLEAN entry_is(PFILE_BOTH_DIR_INFORMATION e, ULONG name_offset, const WCHAR *name)
{
	size_t n = 0;

	while (name[n])
		n++;
	return e->FileNameLength == n * sizeof(WCHAR) &&
	       memcmp((PUCHAR)e + name_offset, name, n * sizeof(WCHAR)) == 0;
}

static void record_directory(PFLT_CALLBACK_DATA d, struct gf_record *r)
{
	FILE_INFORMATION_CLASS cls = d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass;
	PUCHAR buf = d->Iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
	const WCHAR *probe = atomic_load(&gf.probe_entry);
	ULONG name_offset = dir_name_offset(cls);

	r->info_class = cls;
	if (!NT_SUCCESS(d->IoStatus.Status) || d->IoStatus.Information == 0)
		return;
	for (PFILE_BOTH_DIR_INFORMATION e = (PFILE_BOTH_DIR_INFORMATION)buf;;
	     e = (PFILE_BOTH_DIR_INFORMATION)((PUCHAR)e + e->NextEntryOffset)) {
		r->entries++;
		if (probe && entry_is(e, name_offset, probe)) {
			r->probe_found = true;
			r->probe_write_time = e->LastWriteTime.QuadPart;
			r->probe_size = e->EndOfFile.QuadPart;
			r->probe_attributes = e->FileAttributes;
			if (cls == FileIdBothDirectoryInformation)
				r->probe_id = ((PFILE_ID_BOTH_DIR_INFORMATION)e)->FileId.QuadPart;
		}
		if (!e->NextEntryOffset)
			break;
	}
}

static void record_ea(PFLT_CALLBACK_DATA d, struct gf_record *r)
{
	PFLT_IO_PARAMETER_BLOCK io = d->Iopb;
	const char *name = NULL;
	size_t n = 0;

	if (io->MajorFunction == IRP_MJ_QUERY_EA) {
		PFILE_GET_EA_INFORMATION g = io->Parameters.QueryEa.EaList;
		r->ea_length = io->Parameters.QueryEa.Length;
		r->ea_list_length = io->Parameters.QueryEa.EaListLength;
		if (g && r->ea_list_length) {
			name = g->EaName;
			n = g->EaNameLength;
		}
	} else {
		PFILE_FULL_EA_INFORMATION e = io->Parameters.SetEa.EaBuffer;
		r->ea_length = io->Parameters.SetEa.Length;
		if (e) {
			name = e->EaName;
			n = e->EaNameLength;
			r->ea_value_length = e->EaValueLength;
		}
	}
	if (n >= sizeof r->ea_name)
		n = sizeof r->ea_name - 1;
	if (name)
		memcpy(r->ea_name, name, n);
	r->ea_name[n] = '\0';
}

static void record_fsctl(PFLT_CALLBACK_DATA d, struct gf_record *r)
{
	PFLT_IO_PARAMETER_BLOCK io = d->Iopb;
	ULONG code = io->Parameters.FileSystemControl.Common.FsControlCode;
	const LONGLONG *in = (code & 3) == METHOD_NEITHER ? io->Parameters.FileSystemControl.Neither.InputBuffer
							   : io->Parameters.FileSystemControl.Buffered.SystemBuffer;

	r->fsctl = code;
	r->fsctl_out_length = io->Parameters.FileSystemControl.Common.OutputBufferLength;
	if (in && io->Parameters.FileSystemControl.Common.InputBufferLength >= 2 * sizeof(LONGLONG)) {
		r->fsctl_in[0] = in[0];
		r->fsctl_in[1] = in[1];
	}
}

static void record_lock_control(PFLT_CALLBACK_DATA d, struct gf_record *r)
{
	PFLT_IO_PARAMETER_BLOCK io = d->Iopb;

	r->lock_offset = io->Parameters.LockControl.ByteOffset.QuadPart;
	r->lock_length = io->Parameters.LockControl.Length ? io->Parameters.LockControl.Length->QuadPart : -1;
	r->lock_key = io->Parameters.LockControl.Key;
	r->fail_immediately = io->Parameters.LockControl.FailImmediately;
	r->exclusive = io->Parameters.LockControl.ExclusiveLock;
	r->has_process = io->Parameters.LockControl.ProcessId != NULL;
}

static void record(PFLT_CALLBACK_DATA d)
{
	PFLT_IO_PARAMETER_BLOCK io = d->Iopb;

	pthread_mutex_lock(&record_lock);
	int i = atomic_load(&gf.records);
	if (i >= GF_MAX_RECORDS) {
		pthread_mutex_unlock(&record_lock);
		return;
	}
	struct gf_record *r = &gf.record[i];
	memset(r, 0, sizeof(*r));
	r->major = io->MajorFunction;
	r->minor = io->MinorFunction;
	r->op_flags = io->OperationFlags;
	r->irp_flags = io->IrpFlags;
	r->pid = FltGetRequestorProcessId(d);
	r->status = d->IoStatus.Status;
	r->information = d->IoStatus.Information;
	switch (io->MajorFunction) {
	case IRP_MJ_CREATE:
		r->disposition = io->Parameters.Create.Options >> 24;
		r->options = io->Parameters.Create.Options & 0x00ffffff;
		r->access = io->Parameters.Create.SecurityContext->DesiredAccess;
		break;
	case IRP_MJ_READ:
		r->offset = io->Parameters.Read.ByteOffset.QuadPart;
		r->length = io->Parameters.Read.Length;
		break;
	case IRP_MJ_WRITE:
		r->offset = io->Parameters.Write.ByteOffset.QuadPart;
		r->length = io->Parameters.Write.Length;
		break;
	case IRP_MJ_SET_INFORMATION:
		r->info_class = io->Parameters.SetFileInformation.FileInformationClass;
		if (r->info_class == FileDispositionInformationEx)
			r->disposition_flags =
				((PFILE_DISPOSITION_INFORMATION_EX)io->Parameters.SetFileInformation.InfoBuffer)->Flags;
		if (r->info_class == FileBasicInformation)
			r->basic_write_time =
				((PFILE_BASIC_INFORMATION)io->Parameters.SetFileInformation.InfoBuffer)->LastWriteTime.QuadPart;
		if (r->info_class == FileAllocationInformation)
			r->allocation =
				((PFILE_ALLOCATION_INFORMATION)io->Parameters.SetFileInformation.InfoBuffer)->AllocationSize.QuadPart;
		break;
	case IRP_MJ_QUERY_EA:
	case IRP_MJ_SET_EA:
		record_ea(d, r);
		break;
	case IRP_MJ_LOCK_CONTROL:
		record_lock_control(d, r);
		break;
	case IRP_MJ_FILE_SYSTEM_CONTROL:
		record_fsctl(d, r);
		break;
	case IRP_MJ_SET_SECURITY:
		r->security_info = io->Parameters.SetSecurity.SecurityInformation;
		r->has_descriptor = io->Parameters.SetSecurity.SecurityDescriptor != NULL;
		break;
	case IRP_MJ_QUERY_INFORMATION:
		r->info_class = io->Parameters.QueryFileInformation.FileInformationClass;
		break;
	case IRP_MJ_DIRECTORY_CONTROL:
		record_directory(d, r);
		break;
	default:
		break;
	}
	atomic_store(&gf.records, i + 1);
	pthread_mutex_unlock(&record_lock);
}

static BOOLEAN carries_marker(PFLT_CALLBACK_DATA d)
{
	const char *buf = d->Iopb->Parameters.Write.WriteBuffer;
	ULONG len = d->Iopb->Parameters.Write.Length;
	const char *marker = atomic_load(&gf.deny_marker);
	size_t m = strlen(marker);

	for (ULONG i = 0; buf && i + m <= len; i++)
		if (memcmp(buf + i, marker, m) == 0)
			return TRUE;
	return FALSE;
}

static void enqueue(PFLT_CALLBACK_DATA d)
{
	pthread_mutex_lock(&queue_lock);
	queue[queue_tail++ % 256] = d;
	pthread_cond_signal(&queue_cv);
	pthread_mutex_unlock(&queue_lock);
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (queue_head == queue_tail && !worker_stop)
			pthread_cond_wait(&queue_cv, &queue_lock);
		if (queue_head == queue_tail)
			break;
		PFLT_CALLBACK_DATA d = queue[queue_head++ % 256];
		pthread_mutex_unlock(&queue_lock);
		atomic_fetch_add(&gf.completed_on_worker, 1);
		FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_WITH_CALLBACK, NULL);
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static VOID FLTAPI cancel_held(PFLT_CALLBACK_DATA d)
{
	atomic_fetch_add(&gf.cancelled, 1);
	d->IoStatus.Status = STATUS_CANCELLED;
	d->IoStatus.Information = 0;
	FltCompletePendedPreOperation(d, FLT_PREOP_COMPLETE, NULL);
}

/* The configured denial covers this operation. */
static BOOLEAN denied(PFLT_CALLBACK_DATA d)
{
	UCHAR major = d->Iopb->MajorFunction;
	ULONG code = (ULONG)atomic_load(&gf.deny_code);

	if (!(atomic_load(&gf.deny_majors) & (1ull << major)))
		return FALSE;
	if (!code)
		return TRUE;
	if (major == IRP_MJ_FILE_SYSTEM_CONTROL)
		return d->Iopb->Parameters.FileSystemControl.Common.FsControlCode == code;
	if (major == IRP_MJ_SET_INFORMATION)
		return (ULONG)d->Iopb->Parameters.SetFileInformation.FileInformationClass == code;
	return TRUE;
}

/* Rewrites a descriptor as a policy filter would: the first ACE (the owner's) loses write. */
static void strip_owner_write(PFLT_CALLBACK_DATA d)
{
	PISECURITY_DESCRIPTOR_RELATIVE sd = d->Iopb->Parameters.SetSecurity.SecurityDescriptor;

	if (!sd || !(sd->Control & SE_DACL_PRESENT) || !sd->Dacl)
		return;
	PACL acl = (PACL)((PUCHAR)sd + sd->Dacl);
	if (acl->AceCount == 0)
		return;
	PACCESS_ALLOWED_ACE ace = (PACCESS_ALLOWED_ACE)(acl + 1);
	ace->Mask &= ~(ACCESS_MASK)(FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | GENERIC_ALL);
}

static FLT_PREOP_CALLBACK_STATUS first_pre(PFLT_CALLBACK_DATA d)
{
	UCHAR major = d->Iopb->MajorFunction;

	if (major == IRP_MJ_SET_SECURITY && atomic_load(&gf.strip_owner_write))
		strip_owner_write(d);

	if (denied(d)) {
		atomic_fetch_add(&gf.denied, 1);
		d->IoStatus.Status = STATUS_ACCESS_DENIED;
		d->IoStatus.Information = 0;
		return FLT_PREOP_COMPLETE;
	}

	if (major == IRP_MJ_WRITE && atomic_load(&gf.deny_marker) && carries_marker(d)) {
		atomic_fetch_add(&gf.denied, 1);
		d->IoStatus.Status = STATUS_ACCESS_DENIED;
		d->IoStatus.Information = 0;
		return FLT_PREOP_COMPLETE;
	}
	if (major == IRP_MJ_READ && atomic_load(&gf.hold_block_reads) && leaf_is(d, L"block")) {
		atomic_fetch_add(&gf.held, 1);
		if (!NT_SUCCESS(FltSetCancelCompletion(d, cancel_held))) {
			d->IoStatus.Status = STATUS_CANCELLED;
			return FLT_PREOP_COMPLETE;
		}
		return FLT_PREOP_PENDING;
	}
	if (major == IRP_MJ_READ && atomic_load(&gf.pend_reads)) {
		atomic_fetch_add(&gf.pended, 1);
		enqueue(d);
		return FLT_PREOP_PENDING;
	}
	return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI gf_pre(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS objs,
					       PVOID *ctx)
{
	int i = index_of(objs);

	*ctx = NULL;
	atomic_fetch_add(&gf.pre[i], 1);
	if (i == 0)
		atomic_fetch_add(&gf.major_pre[d->Iopb->MajorFunction], 1);
	return i == 0 ? first_pre(d) : FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

/* Removes "secret.txt" from a listing, as a hiding filter edits the buffer in post. */
static void hide_secret(PFLT_CALLBACK_DATA d)
{
	ULONG name_offset = dir_name_offset(d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass);
	PUCHAR buf = d->Iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
	PFILE_BOTH_DIR_INFORMATION prev = NULL, e = (PFILE_BOTH_DIR_INFORMATION)buf;

	if (!NT_SUCCESS(d->IoStatus.Status) || d->IoStatus.Information == 0)
		return;
	for (;;) {
		ULONG next = e->NextEntryOffset;
		if (entry_is(e, name_offset, L"secret.txt")) {
			if (prev) {
				prev->NextEntryOffset = next ? prev->NextEntryOffset + next : 0;
			} else if (next) {
				/* The first entry: move the rest down over it. */
				memmove(buf, buf + next, d->IoStatus.Information - next);
				d->IoStatus.Information -= next;
				continue;
			} else {
				d->IoStatus.Information = 0;
				d->IoStatus.Status = STATUS_NO_MORE_FILES;
				return;
			}
		} else {
			prev = e;
		}
		if (!next)
			return;
		e = (PFILE_BOTH_DIR_INFORMATION)((PUCHAR)e + next);
	}
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI gf_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS objs,
						 PVOID ctx, FLT_POST_OPERATION_FLAGS flags)
{
	int i = index_of(objs);

	(void)ctx;
	(void)flags;
	atomic_fetch_add(&gf.post[i], 1);
	if (i == 0)
		atomic_fetch_add(&gf.major_post[d->Iopb->MajorFunction], 1);
	if (i == 0 && d->Iopb->MajorFunction == IRP_MJ_QUERY_VOLUME_INFORMATION &&
	    atomic_load(&gf.halve_free_space) && NT_SUCCESS(d->IoStatus.Status)) {
		PFILE_FS_SIZE_INFORMATION s = d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer;
		s->AvailableAllocationUnits.QuadPart /= 2;
	}
	if (i == 0 && d->Iopb->MajorFunction == IRP_MJ_DIRECTORY_CONTROL &&
	    d->Iopb->MinorFunction == IRP_MN_QUERY_DIRECTORY && atomic_load(&gf.hide_secret))
		hide_secret(d);
	if (i == 0 && leaf_is(d, atomic_load(&gf.record_leaf)) &&
	    (d->Iopb->MajorFunction != IRP_MJ_QUERY_INFORMATION || atomic_load(&gf.record_queries)))
		record(d);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_OPERATION_REGISTRATION ops[IRP_MJ_MAXIMUM_FUNCTION + 2];
static FLT_REGISTRATION regs[GF_MAX_FILTERS];

static NTSTATUS FLTAPI gf_unload_cb(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	return STATUS_SUCCESS;
}

static NTSTATUS entry(int i, PDRIVER_OBJECT driver)
{
	for (int k = 0; k <= IRP_MJ_MAXIMUM_FUNCTION; k++)
		ops[k] = (FLT_OPERATION_REGISTRATION){ (UCHAR)k, 0, gf_pre, gf_post, NULL };
	ops[IRP_MJ_MAXIMUM_FUNCTION + 1].MajorFunction = IRP_MJ_OPERATION_END;
	regs[i] = (FLT_REGISTRATION){ .Size = sizeof(FLT_REGISTRATION),
				      .Version = FLT_REGISTRATION_VERSION,
				      .OperationRegistration = ops,
				      .FilterUnloadCallback = gf_unload_cb };
	NTSTATUS s = FltRegisterFilter(driver, &regs[i], &filters[i]);
	if (!NT_SUCCESS(s))
		return s;
	s = FltStartFiltering(filters[i]);
	if (!NT_SUCCESS(s))
		FltUnregisterFilter(filters[i]);
	return s;
}

static NTSTATUS FLTAPI entry0(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return entry(0, d); }
static NTSTATUS FLTAPI entry1(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return entry(1, d); }
static NTSTATUS FLTAPI entry2(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return entry(2, d); }

static const altitude_instance_config instances[GF_MAX_FILTERS] = {
	{ L"gf0 Instance", L"370000", 0 },
	{ L"gf1 Instance", L"360000", 0 },
	{ L"gf2 Instance", L"350000", 0 },
};
static const WCHAR *names[GF_MAX_FILTERS] = { L"gf0", L"gf1", L"gf2" };
static PDRIVER_INITIALIZE entries[GF_MAX_FILTERS] = { entry0, entry1, entry2 };

NTSTATUS gf_load(int count)
{
	worker_stop = FALSE;
	if (pthread_create(&worker, NULL, worker_main, NULL) != 0)
		return STATUS_INSUFFICIENT_RESOURCES;
	for (int i = 0; i < count && i < GF_MAX_FILTERS; i++) {
		altitude_filter_config cfg = { names[i], NULL, 1, &instances[i] };
		NTSTATUS s = altitude_filter_load(&cfg, entries[i], NULL);
		if (!NT_SUCCESS(s))
			return s;
		loaded = i + 1;
	}
	return STATUS_SUCCESS;
}

void gf_unload(void)
{
	for (int i = loaded - 1; i >= 0; i--) {
		altitude_filter_unload(names[i], TRUE);
		filters[i] = NULL;
	}
	loaded = 0;
	pthread_mutex_lock(&queue_lock);
	worker_stop = TRUE;
	pthread_cond_broadcast(&queue_cv);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(worker, NULL);
}

void gf_reset(void)
{
	atomic_store(&gf.record_leaf, NULL);
	atomic_store(&gf.deny_marker, NULL);
	atomic_store(&gf.pend_reads, false);
	atomic_store(&gf.hold_block_reads, false);
	atomic_store(&gf.halve_free_space, false);
	atomic_store(&gf.hide_secret, false);
	atomic_store(&gf.record_queries, false);
	atomic_store(&gf.probe_entry, NULL);
	atomic_store(&gf.deny_majors, 0);
	atomic_store(&gf.deny_code, 0);
	atomic_store(&gf.strip_owner_write, false);
	for (int m = 0; m <= IRP_MJ_MAXIMUM_FUNCTION; m++) {
		atomic_store(&gf.major_post[m], 0);
		atomic_store(&gf.major_pre[m], 0);
	}
	pthread_mutex_lock(&record_lock);
	for (int i = 0; i < GF_MAX_FILTERS; i++) {
		atomic_store(&gf.pre[i], 0);
		atomic_store(&gf.post[i], 0);
	}
	atomic_store(&gf.denied, 0);
	atomic_store(&gf.pended, 0);
	atomic_store(&gf.completed_on_worker, 0);
	atomic_store(&gf.held, 0);
	atomic_store(&gf.cancelled, 0);
	atomic_store(&gf.records, 0);
	pthread_mutex_unlock(&record_lock);
}

PFLT_FILTER gf_filter(int i)
{
	return filters[i];
}
