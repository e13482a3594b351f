/*
 * Files a filter opens itself: FltCreateFile, FltCreateFileEx(2), FltClose
 * and FltCancelFileOpen.  The FILE_OBJECT is a referenced object of type
 * *IoFileObjectType; its FileObjectExtension points back to its record,
 * which is how FltGetFileNameInformationUnsafe finds the volume of a file
 * opened here.  Handles are kernel handles.  FltClose sends the cleanup;
 * the last reference sends the close, below the instance that opened it.
 */
#include "flt/flt.h"
#include "ke/object.h"

struct flt_file {
	FILE_OBJECT fo; /* first: the object body is the FILE_OBJECT */
	PFLT_VOLUME volume;
	PFLT_INSTANCE issuer; /* memory reference, or NULL (top of the stack) */
	atomic_bool opened;
	atomic_bool cleaned;
	WCHAR name[];
};

static void flt_file_delete(PVOID body);

static struct _OBJECT_TYPE flt_file_object_type = { "File", flt_file_delete };
static POBJECT_TYPE flt_file_object_type_ptr = &flt_file_object_type;
POBJECT_TYPE *IoFileObjectType = &flt_file_object_type_ptr;

static struct flt_file *flt_file_of(PFILE_OBJECT fo)
{
	struct flt_file *f = fo ? fo->FileObjectExtension : NULL;

	return f && &f->fo == fo ? f : NULL;
}

PFLT_VOLUME flt_io_file_volume(PFILE_OBJECT file)
{
	struct flt_file *f = flt_file_of(file);

	return f ? f->volume : NULL;
}

/* Sends a cleanup or close of `fo` below `issuer`. */
static void flt_file_send(PFLT_VOLUME v, PFLT_INSTANCE issuer, PFILE_OBJECT fo, UCHAR major)
{
	PFLT_CALLBACK_DATA d;

	if (!NT_SUCCESS(flt_io_allocate(v, issuer, fo, &d)))
		return;
	d->Iopb->MajorFunction = major;
	flt_io_run(d, FALSE);
	FltFreeCallbackData(d);
}

static void flt_file_cleanup(struct flt_file *f)
{
	if (atomic_load(&f->opened) && !atomic_exchange(&f->cleaned, TRUE))
		flt_file_send(f->volume, f->issuer, &f->fo, IRP_MJ_CLEANUP);
}

static void flt_file_delete(PVOID body)
{
	struct flt_file *f = body;

	flt_file_cleanup(f);
	if (atomic_exchange(&f->opened, FALSE))
		flt_file_send(f->volume, f->issuer, &f->fo, IRP_MJ_CLOSE);
	if (f->issuer)
		flt_instance_put(f->issuer);
}

/* The volume whose name prefixes `name` (a rundown reference held), or NULL. */
static PFLT_VOLUME flt_volume_of_name(const UNICODE_STRING *name)
{
	PFLT_VOLUME found = NULL;

	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink) {
		PFLT_VOLUME v = CONTAINING_RECORD(e, struct _FLT_VOLUME, link);
		UNICODE_STRING head = *name;
		USHORT n = v->name.Length;

		if (name->Length < n || (name->Length > n && name->Buffer[n / sizeof(WCHAR)] != L'\\'))
			continue;
		head.Length = n;
		if (flt_string_equal(&head, &v->name, TRUE) && flt_object_acquire(&v->obj)) {
			found = v;
			break;
		}
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return found;
}

/* The volume-relative path of the file to open: *path (pool), *chars. */
static NTSTATUS flt_file_path(PFLT_VOLUME v, POBJECT_ATTRIBUTES oa, WCHAR **path, USHORT *chars)
{
	const UNICODE_STRING *n = oa->ObjectName;
	USHORT nchars = n ? n->Length / sizeof(WCHAR) : 0, vol = v->name.Length / sizeof(WCHAR);
	struct flt_file *root = NULL;
	USHORT base = 0;
	PFILE_OBJECT rfo;
	NTSTATUS s;

	if (oa->RootDirectory) {
		s = ObReferenceObjectByHandle(oa->RootDirectory, 0, *IoFileObjectType, KernelMode,
					      (PVOID *)&rfo, NULL);
		if (!NT_SUCCESS(s))
			return s;
		root = flt_file_of(rfo);
		base = root->fo.FileName.Length / sizeof(WCHAR);
	} else {
		UNICODE_STRING head;

		if (nchars < vol || (nchars > vol && n->Buffer[vol] != L'\\'))
			return STATUS_INVALID_PARAMETER;
		head = *n;
		head.Length = v->name.Length;
		if (!flt_string_equal(&head, &v->name, TRUE))
			return STATUS_INVALID_PARAMETER;
	}
	*path = flt_alloc(((size_t)base + nchars + 2) * sizeof(WCHAR), FLT_TARGETED_IO_TAG);
	s = *path ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
	if (*path && root) {
		memcpy(*path, root->fo.FileName.Buffer, base * sizeof(WCHAR));
		(*path)[base] = L'\\';
		if (nchars)
			memcpy(*path + base + 1, n->Buffer, nchars * sizeof(WCHAR));
		*chars = (USHORT)(base + 1 + nchars);
	} else if (*path) {
		memcpy(*path, n->Buffer + vol, (nchars - vol) * sizeof(WCHAR));
		*chars = (USHORT)(nchars - vol);
		if (*chars == 0)
			(*path)[(*chars)++] = L'\\';
	}
	if (root)
		ObDereferenceObject(rfo);
	return s;
}

static struct flt_file *flt_file_new(PFLT_VOLUME v, PFLT_INSTANCE issuer, const WCHAR *path,
				     USHORT chars, ULONG options)
{
	struct flt_file *f = ke_object_create(&flt_file_object_type,
					      sizeof(*f) + (chars + 1) * sizeof(WCHAR));

	if (!f)
		return NULL;
	memcpy(f->name, path, chars * sizeof(WCHAR));
	f->fo.Type = 5;
	f->fo.Size = sizeof(FILE_OBJECT);
	f->fo.FileName.Buffer = f->name;
	f->fo.FileName.Length = f->fo.FileName.MaximumLength = (USHORT)(chars * sizeof(WCHAR));
	f->fo.FileObjectExtension = f;
	if (options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
		f->fo.Flags |= FO_SYNCHRONOUS_IO;
	f->volume = v;
	f->issuer = issuer;
	if (issuer)
		atomic_fetch_add(&issuer->refs, 1);
	return f;
}

struct flt_create_args {
	ACCESS_MASK access;
	PLARGE_INTEGER allocation;
	ULONG attributes, share, disposition, options;
	PVOID ea;
	ULONG ea_length;
};

static NTSTATUS flt_file_open(struct flt_file *f, const struct flt_create_args *a,
			      PIO_STATUS_BLOCK iosb)
{
	IO_SECURITY_CONTEXT sec;
	PFLT_CALLBACK_DATA d;
	NTSTATUS s;

	s = flt_io_allocate(f->volume, f->issuer, &f->fo, &d);
	if (!NT_SUCCESS(s))
		return s;
	memset(&sec, 0, sizeof(sec));
	sec.DesiredAccess = a->access;
	sec.FullCreateOptions = a->options;
	d->Iopb->MajorFunction = IRP_MJ_CREATE;
	d->Iopb->Parameters.Create.SecurityContext = &sec;
	d->Iopb->Parameters.Create.Options = (a->disposition << 24) | (a->options & FILE_VALID_OPTION_FLAGS);
	d->Iopb->Parameters.Create.FileAttributes = (USHORT)a->attributes;
	d->Iopb->Parameters.Create.ShareAccess = (USHORT)a->share;
	d->Iopb->Parameters.Create.EaBuffer = a->ea;
	d->Iopb->Parameters.Create.EaLength = a->ea_length;
	if (a->allocation)
		d->Iopb->Parameters.Create.AllocationSize = *a->allocation;
	s = flt_io_run(d, FALSE);
	*iosb = d->IoStatus;
	FltFreeCallbackData(d);
	if (NT_SUCCESS(s) && !f->fo.FsContext2 && !f->fo.FsContext)
		s = STATUS_UNSUCCESSFUL;
	if (NT_SUCCESS(s))
		atomic_store(&f->opened, TRUE);
	return s;
}

static NTSTATUS flt_create(PFLT_INSTANCE inst, PHANDLE handle, PFILE_OBJECT *fo_out,
			   POBJECT_ATTRIBUTES oa, PIO_STATUS_BLOCK iosb,
			   const struct flt_create_args *a)
{
	PFLT_VOLUME v = NULL;
	struct flt_file *f = NULL;
	WCHAR *path = NULL;
	USHORT chars = 0;
	NTSTATUS s;

	if (!handle || !oa || !iosb || (!oa->ObjectName && !oa->RootDirectory) ||
	    a->disposition > FILE_MAXIMUM_DISPOSITION || (a->options & ~FILE_VALID_OPTION_FLAGS))
		return STATUS_INVALID_PARAMETER;
	*handle = NULL;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltCreateFile"))
		return STATUS_UNSUCCESSFUL;
	if (inst && !flt_object_acquire(&inst->obj))
		return STATUS_FLT_DELETING_OBJECT;
	v = inst ? inst->volume : (oa->ObjectName ? flt_volume_of_name(oa->ObjectName) : NULL);
	s = v ? flt_file_path(v, oa, &path, &chars) : STATUS_INVALID_PARAMETER;
	if (!NT_SUCCESS(s))
		goto out;
	f = flt_file_new(v, inst, path, chars, a->options);
	s = f ? flt_file_open(f, a, iosb) : STATUS_INSUFFICIENT_RESOURCES;
	if (!NT_SUCCESS(s))
		goto out;
	*handle = ke_handle_create(&f->fo, a->access, TRUE);
	if (!*handle) {
		s = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	if (fo_out) {
		*fo_out = &f->fo;
		f = NULL; /* the caller owns the creation reference */
	}
out:
	if (f)
		ObDereferenceObject(&f->fo);
	flt_free(path, FLT_TARGETED_IO_TAG);
	if (inst)
		flt_object_release(&inst->obj);
	else if (v)
		flt_object_release(&v->obj);
	return s;
}

NTSTATUS FLTAPI FltCreateFileEx2(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
				 PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
				 POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
				 PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
				 ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions,
				 PVOID EaBuffer, ULONG EaLength, ULONG Flags,
				 PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
	struct flt_create_args a = { DesiredAccess, AllocationSize, FileAttributes, ShareAccess,
				     CreateDisposition, CreateOptions, EaBuffer, EaLength };

	(void)Flags; /* no share access checks to ignore, no access checks to force */
	if (!Filter || (Instance && Instance->filter != Filter))
		return STATUS_INVALID_PARAMETER;
	if (DriverContext && DriverContext->Size != sizeof(IO_DRIVER_CREATE_CONTEXT))
		return STATUS_INVALID_PARAMETER;
	if (FileObject)
		*FileObject = NULL;
	return flt_create(Instance, FileHandle, FileObject, ObjectAttributes, IoStatusBlock, &a);
}

NTSTATUS FLTAPI FltCreateFileEx(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
				PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
				POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
				PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
				ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
				ULONG EaLength, ULONG Flags)
{
	return FltCreateFileEx2(Filter, Instance, FileHandle, FileObject, DesiredAccess,
				ObjectAttributes, IoStatusBlock, AllocationSize, FileAttributes,
				ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength,
				Flags, NULL);
}

NTSTATUS FLTAPI FltCreateFile(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
			      ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
			      PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
			      ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition,
			      ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength, ULONG Flags)
{
	return FltCreateFileEx2(Filter, Instance, FileHandle, NULL, DesiredAccess, ObjectAttributes,
				IoStatusBlock, AllocationSize, FileAttributes, ShareAccess,
				CreateDisposition, CreateOptions, EaBuffer, EaLength, Flags, NULL);
}

NTSTATUS FLTAPI FltClose(HANDLE FileHandle)
{
	PFILE_OBJECT fo;
	NTSTATUS s;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltClose"))
		return STATUS_UNSUCCESSFUL;
	s = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, KernelMode, (PVOID *)&fo, NULL);
	if (!NT_SUCCESS(s))
		return STATUS_INVALID_HANDLE;
	flt_file_cleanup(flt_file_of(fo));
	ZwClose(FileHandle);
	ObDereferenceObject(fo);
	return STATUS_SUCCESS;
}

VOID FLTAPI FltCancelFileOpen(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject)
{
	struct flt_file *f = flt_file_of(FileObject);

	if (!Instance || !FileObject || !ke_irql_at_most(PASSIVE_LEVEL, "FltCancelFileOpen"))
		return;
	if (f && !atomic_exchange(&f->opened, FALSE))
		return;
	if (f)
		atomic_store(&f->cleaned, TRUE);
	flt_file_send(Instance->volume, Instance, FileObject, IRP_MJ_CLEANUP);
	flt_file_send(Instance->volume, Instance, FileObject, IRP_MJ_CLOSE);
	FileObject->Flags |= FO_FILE_OPEN_CANCELLED;
}
