/*
 * The passthrough lower file system as a Filter Manager volume's lower
 * file system: CREATE, READ, WRITE, CLEANUP, CLOSE and FLUSH_BUFFERS here,
 * information classes in lower_info.c.
 *
 * Operations the glue issued for a FUSE request run as the requester
 * (its credentials) and read the request's FUSE-side arguments
 * (struct fs_glue_args); filter-issued I/O runs as the host.  Errors of the
 * lower file system are errno values: the status is the NTSTATUS for it,
 * and the request keeps the errno so that an unchanged status reaches the
 * program as the very errno the lower file system saw.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

#define USE_FILE_POINTER 0xfffffffe
#define WRITE_TO_END 0xffffffff

NTSTATUS fs_glue_status(PFLT_CALLBACK_DATA d, struct fs_glue_args *a, int err, ULONG_PTR info)
{
	NTSTATUS s = err ? altitude_errno_to_status(err) : STATUS_SUCCESS;

	if (a && err) {
		a->lower_err = err;
		a->lower_status = s;
	}
	d->IoStatus.Status = s;
	d->IoStatus.Information = err ? 0 : info;
	return s;
}

static struct fs_handle *handle_of(PFLT_CALLBACK_DATA d)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;

	return f ? f->FsContext2 : NULL;
}

/* open(2) access flags for a filter-issued create's access mask. */
static int open_flags_of(ACCESS_MASK access)
{
	bool r = access & (FILE_READ_DATA | FILE_EXECUTE | GENERIC_READ | GENERIC_EXECUTE | GENERIC_ALL);
	bool w = access & (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | GENERIC_ALL);

	return w ? (r ? O_RDWR : O_WRONLY) : O_RDONLY;
}

int fs_glue_walk(struct fs_volume *vol, PCUNICODE_STRING path, uint64_t *parent, bool *held,
		 char **leaf)
{
	char utf8[PATH_MAX];
	ULONG bytes = 0;

	*held = false;
	*leaf = NULL;
	*parent = FS_LOWER_ROOT;
	if (!path || !NT_SUCCESS(RtlUnicodeToUTF8N(utf8, sizeof utf8 - 1, &bytes, path->Buffer,
						   path->Length)))
		return ENAMETOOLONG;
	utf8[bytes] = '\0';
	char *save = NULL, *part = strtok_r(utf8, "\\", &save);
	if (!part)
		return EINVAL;
	for (;;) {
		char *following = strtok_r(NULL, "\\", &save);
		if (!following)
			break;
		struct fs_entry e;
		int err = fs_lower_lookup(vol->lower, &vol->host, *parent, part, &e);
		if (*held)
			fs_lower_forget(vol->lower, *parent, 1);
		*held = !err;
		if (err)
			return err == ENOENT ? ENOTDIR : err;
		*parent = e.ino;
		part = following;
	}
	*leaf = strdup(part);
	if (*leaf)
		return 0;
	if (*held)
		fs_lower_forget(vol->lower, *parent, 1);
	*held = false;
	return ENOMEM;
}

/* A filter-issued create (FltCreateFile): resolve the path, then open or create. */
static int create_by_path(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h,
			  bool *created)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	ULONG disposition = d->Iopb->Parameters.Create.Options >> 24;
	ULONG options = d->Iopb->Parameters.Create.Options & FILE_VALID_OPTION_FLAGS;
	PIO_SECURITY_CONTEXT sc = d->Iopb->Parameters.Create.SecurityContext;
	int flags = open_flags_of(sc ? sc->DesiredAccess : 0) | O_CLOEXEC;
	struct fs_entry e = { .ino = 0 };

	int err = fs_glue_walk(vol, &f->FileName, &h->parent, &h->parent_held, &h->leaf);
	if (err)
		return err;
	if (disposition == FILE_CREATE)
		flags |= O_CREAT | O_EXCL;
	else if (disposition == FILE_OPEN_IF)
		flags |= O_CREAT;
	else if (disposition == FILE_OVERWRITE_IF || disposition == FILE_SUPERSEDE)
		flags |= O_CREAT | O_TRUNC;
	else if (disposition == FILE_OVERWRITE)
		flags |= O_TRUNC;
	if (options & FILE_DIRECTORY_FILE) {
		err = fs_lower_lookup(vol->lower, &vol->host, h->parent, h->leaf, &e);
		h->dir = true;
		if (!err)
			err = fs_lower_opendir(vol->lower, &vol->host, e.ino, &h->fh);
	} else if (flags & O_CREAT) {
		err = fs_lower_create(vol->lower, &vol->host, h->parent, h->leaf, flags, 0644, &e, &h->fh);
	} else {
		err = fs_lower_lookup(vol->lower, &vol->host, h->parent, h->leaf, &e);
		if (!err && S_ISDIR(e.attr.st_mode))
			err = (options & FILE_NON_DIRECTORY_FILE) ? EISDIR : 0;
		if (!err && !S_ISDIR(e.attr.st_mode))
			err = fs_lower_open(vol->lower, &vol->host, e.ino, flags, &h->fh);
	}
	if (!err || e.ino) {
		h->ino = e.ino;
		h->looked_up = e.ino != 0;
	}
	*created = !err && e.created;
	return err;
}

/* A FUSE request's create: what the request asked for, as the requester. */
static int create_for_request(struct fs_request *r, ULONG options, struct fs_handle *h)
{
	struct fs_glue_args *a = &r->args;
	struct fs_lower *l = r->vol->lower;
	struct fs_entry *e = &a->entry;

	h->parent = a->parent;
	e->created = false;
	switch (a->kind) {
	case FS_CREATE_OPEN_INODE:
		h->ino = a->ino;
		h->dir = (options & FILE_DIRECTORY_FILE) != 0;
		return h->dir ? fs_lower_opendir(l, &r->cred, a->ino, &h->fh)
			      : fs_lower_open(l, &r->cred, a->ino, a->flags, &h->fh);
	case FS_CREATE_BY_NAME:
		return fs_lower_create(l, &r->cred, a->parent, a->name, a->flags, a->mode, e, &h->fh);
	case FS_CREATE_MKDIR:
		h->dir = true;
		e->created = true;
		return fs_lower_mkdir(l, &r->cred, a->parent, a->name, a->mode, e);
	case FS_CREATE_MKNOD:
		e->created = true;
		return fs_lower_mknod(l, &r->cred, a->parent, a->name, a->mode, a->rdev, e);
	case FS_CREATE_SYMLINK:
		e->created = true;
		return fs_lower_symlink(l, &r->cred, a->link, a->parent, a->name, e);
	case FS_CREATE_INODE_ONLY:
		h->ino = a->ino;
		return 0;
	case FS_CREATE_NAME_ONLY:
		break;
	}
	int err = fs_lower_lookup(l, &r->cred, a->parent, a->name, e);
	if (err)
		return err;
	h->looked_up = true;
	h->dir = S_ISDIR(e->attr.st_mode);
	h->leaf = strdup(a->name);
	return h->leaf ? 0 : ENOMEM;
}

/*
 * IoStatus.Information of a CREATE, as Windows file systems set it: what
 * the create did (FILE_CREATED when the name was made, whatever the
 * disposition), and on failure whether the name was there (FILE_EXISTS for
 * a collision, FILE_DOES_NOT_EXIST when it is missing).
 */
static ULONG_PTR create_information(PFLT_CALLBACK_DATA d, bool created, int err)
{
	ULONG disposition = d->Iopb->Parameters.Create.Options >> 24;

	if (err == EEXIST)
		return FILE_EXISTS;
	if (err == ENOENT)
		return FILE_DOES_NOT_EXIST;
	if (err)
		return 0;
	if (created)
		return FILE_CREATED;
	if (disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF)
		return FILE_OVERWRITTEN;
	return disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OPENED;
}

static void file_object_opened(PFILE_OBJECT f, struct fs_handle *h, ACCESS_MASK access, ULONG options)
{
	f->FsContext = (PVOID)(uintptr_t)h->ino;
	f->FsContext2 = h;
	f->Flags |= FO_FILE_OPEN | FO_HANDLE_CREATED | FO_SYNCHRONOUS_IO;
	if (options & FILE_WRITE_THROUGH)
		f->Flags |= FO_WRITE_THROUGH;
	if (options & FILE_NO_INTERMEDIATE_BUFFERING)
		f->Flags |= FO_NO_INTERMEDIATE_BUFFERING;
	f->ReadAccess = (access & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) != 0;
	f->WriteAccess = (access & (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | GENERIC_ALL)) != 0;
	f->DeleteAccess = (access & (DELETE | GENERIC_ALL)) != 0;
}

static NTSTATUS do_create(struct fs_volume *vol, PFLT_CALLBACK_DATA d)
{
	struct fs_request *r = fs_glue_request_of(d);
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	ULONG options = d->Iopb->Parameters.Create.Options & FILE_VALID_OPTION_FLAGS;
	PIO_SECURITY_CONTEXT sc = d->Iopb->Parameters.Create.SecurityContext;
	struct fs_handle *h;
	bool created = false;
	int err;

	if (!f || (d->Iopb->Parameters.Create.Options >> 24) > FILE_MAXIMUM_DISPOSITION)
		return fs_glue_status(d, NULL, EINVAL, 0);
	if (r) {
		h = &CONTAINING_RECORD(f, struct fs_file, fo)->h;
		err = create_for_request(r, options, h);
		created = !err && r->args.entry.created;
		if (!err && r->args.kind != FS_CREATE_OPEN_INODE && r->args.kind != FS_CREATE_INODE_ONLY)
			h->ino = r->args.entry.ino;
	} else {
		h = calloc(1, sizeof(*h));
		if (!h)
			return fs_glue_status(d, NULL, ENOMEM, 0);
		h->fh = FS_NO_FH;
		h->owned = true;
		err = create_by_path(vol, d, h, &created);
	}
	if (err) {
		if (!r) {
			fs_handle_release(vol->lower, h);
			free(h);
		}
		NTSTATUS s = fs_glue_status(d, r ? &r->args : NULL, err, 0);
		d->IoStatus.Information = create_information(d, false, err);
		return s;
	}
	file_object_opened(f, h, sc ? sc->DesiredAccess : 0, options);
	return fs_glue_status(d, NULL, 0, create_information(d, created, 0));
}

static LONGLONG io_offset(struct fs_volume *vol, PFLT_CALLBACK_DATA d, LARGE_INTEGER off,
			  struct fs_handle *h)
{
	struct stat st;

	if (off.HighPart == -1 && off.LowPart == USE_FILE_POINTER)
		return d->Iopb->TargetFileObject->CurrentByteOffset.QuadPart;
	if (off.HighPart == -1 && off.LowPart == WRITE_TO_END)
		return fs_lower_getattr(vol->lower, &vol->host, h->ino, &st) == 0 ? st.st_size : -1;
	return off.QuadPart;
}

static const struct fs_cred *cred_of(struct fs_volume *vol, struct fs_request *r)
{
	return r ? &r->cred : &vol->host;
}

static NTSTATUS do_read(struct fs_volume *vol, PFLT_CALLBACK_DATA d)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_handle *h = handle_of(d);
	PMDL mdl = d->Iopb->Parameters.Read.MdlAddress;
	void *buf = mdl ? MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)
			: d->Iopb->Parameters.Read.ReadBuffer;
	ULONG len = d->Iopb->Parameters.Read.Length;
	size_t done = 0;

	if (!h || h->fh == FS_NO_FH || h->dir)
		return fs_glue_status(d, NULL, h && h->dir ? EISDIR : EBADF, 0);
	LONGLONG off = io_offset(vol, d, d->Iopb->Parameters.Read.ByteOffset, h);
	if (off < 0 || (len && !buf))
		return fs_glue_status(d, NULL, EINVAL, 0);
	int err = fs_lower_read(vol->lower, cred_of(vol, r), h->fh, buf, len, off, &done);
	if (!err && done == 0 && len) {
		d->IoStatus.Status = STATUS_END_OF_FILE;
		d->IoStatus.Information = 0;
		return STATUS_END_OF_FILE;
	}
	return fs_glue_status(d, r ? &r->args : NULL, err, done);
}

static NTSTATUS do_write(struct fs_volume *vol, PFLT_CALLBACK_DATA d)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_handle *h = handle_of(d);
	PMDL mdl = d->Iopb->Parameters.Write.MdlAddress;
	const void *buf = mdl ? MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)
			      : d->Iopb->Parameters.Write.WriteBuffer;
	ULONG len = d->Iopb->Parameters.Write.Length;
	size_t done = 0;

	if (!h || h->fh == FS_NO_FH || h->dir)
		return fs_glue_status(d, NULL, h && h->dir ? EISDIR : EBADF, 0);
	LONGLONG off = io_offset(vol, d, d->Iopb->Parameters.Write.ByteOffset, h);
	if (off < 0 || (len && !buf))
		return fs_glue_status(d, NULL, EINVAL, 0);
	int err = fs_lower_write(vol->lower, cred_of(vol, r), h->fh, buf, len, off, &done);
	return fs_glue_status(d, r ? &r->args : NULL, err, done);
}

static NTSTATUS do_close(struct fs_volume *vol, PFLT_CALLBACK_DATA d)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	struct fs_handle *h = handle_of(d);

	if (!h)
		return fs_glue_status(d, NULL, EBADF, 0);
	fs_handle_release(vol->lower, h);
	if (h->owned)
		free(h);
	f->FsContext = NULL;
	f->FsContext2 = NULL;
	f->Flags &= ~FO_FILE_OPEN;
	return fs_glue_status(d, NULL, 0, 0);
}

static NTSTATUS do_flush(struct fs_volume *vol, PFLT_CALLBACK_DATA d)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_handle *h = handle_of(d);
	bool datasync = r && r->args.flags != 0;

	if (!h || h->fh == FS_NO_FH)
		return fs_glue_status(d, NULL, EBADF, 0);
	int err = h->dir ? fs_lower_fsyncdir(vol->lower, h->fh, datasync)
			 : fs_lower_fsync(vol->lower, h->fh, datasync);
	return fs_glue_status(d, r ? &r->args : NULL, err, 0);
}

static NTSTATUS lower_dispatch(void *ctx, PFLT_CALLBACK_DATA d)
{
	struct fs_volume *vol = ctx;
	struct fs_request *r;

	switch (d->Iopb->MajorFunction) {
	case IRP_MJ_CREATE:
		return do_create(vol, d);
	case IRP_MJ_READ:
		return do_read(vol, d);
	case IRP_MJ_WRITE:
		return do_write(vol, d);
	case IRP_MJ_CLEANUP:
		d->Iopb->TargetFileObject->Flags |= FO_CLEANUP_COMPLETE;
		return fs_glue_status(d, NULL, 0, 0);
	case IRP_MJ_CLOSE:
		return do_close(vol, d);
	case IRP_MJ_FLUSH_BUFFERS:
		return do_flush(vol, d);
	case IRP_MJ_DIRECTORY_CONTROL:
		r = fs_glue_request_of(d);
		return fs_glue_lower_dir(vol, cred_of(vol, r), d, handle_of(d));
	case IRP_MJ_FILE_SYSTEM_CONTROL:
		r = fs_glue_request_of(d);
		return fs_glue_lower_fsctl(vol, cred_of(vol, r), d, handle_of(d));
	case IRP_MJ_SET_SECURITY:
		r = fs_glue_request_of(d);
		return fs_glue_lower_security(vol, cred_of(vol, r), d, handle_of(d));
	case IRP_MJ_LOCK_CONTROL:
		return fs_glue_lower_lock(vol, d, handle_of(d));
	case IRP_MJ_QUERY_EA:
	case IRP_MJ_SET_EA:
		r = fs_glue_request_of(d);
		return fs_glue_lower_ea(vol, cred_of(vol, r), d, handle_of(d));
	case IRP_MJ_QUERY_INFORMATION:
	case IRP_MJ_SET_INFORMATION:
	case IRP_MJ_QUERY_VOLUME_INFORMATION:
		r = fs_glue_request_of(d);
		return fs_glue_lower_info(vol, cred_of(vol, r), d, handle_of(d));
	default:
		d->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
		d->IoStatus.Information = 0;
		return STATUS_INVALID_DEVICE_REQUEST;
	}
}

const struct flt_lower_ops fs_glue_lower_ops = { .dispatch = lower_dispatch };
