/*
 * Information classes of the lower dispatch: QUERY_INFORMATION (basic,
 * standard, internal, name, network open), SET_INFORMATION (basic times, end of file,
 * allocation (lower_space.c), disposition, rename, link) and QUERY_VOLUME_INFORMATION (size).
 *
 * Disposition: a Linux unlink removes the name at once, so the lower file
 * system removes it when the disposition is set (what FILE_DISPOSITION_
 * POSIX_SEMANTICS does at the cleanup of the only handle; the glue's
 * delete handle is the only one); clearing it afterwards cannot bring the
 * name back (STATUS_FILE_DELETED).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

/* 100 ns units between 1601-01-01 and 1970-01-01. */
#define EPOCH_DIFF 116444736000000000LL

LONGLONG fs_glue_nt_time(struct timespec t)
{
	return (LONGLONG)t.tv_sec * 10000000LL + t.tv_nsec / 100 + EPOCH_DIFF;
}

struct timespec fs_glue_unix_time(LONGLONG t)
{
	t -= EPOCH_DIFF;
	LONGLONG sec = t / 10000000LL, rem = t % 10000000LL;
	if (rem < 0) {
		rem += 10000000LL;
		sec--;
	}
	return (struct timespec){ .tv_sec = sec, .tv_nsec = rem * 100 };
}

ULONG fs_glue_attributes(const struct stat *st)
{
	ULONG a = S_ISDIR(st->st_mode) ? FILE_ATTRIBUTE_DIRECTORY : 0;
	if (!(st->st_mode & 0222))
		a |= FILE_ATTRIBUTE_READONLY;
	if (S_ISLNK(st->st_mode))
		a |= FILE_ATTRIBUTE_REPARSE_POINT;
	return a ? a : FILE_ATTRIBUTE_NORMAL;
}

static NTSTATUS done(PFLT_CALLBACK_DATA d, NTSTATUS s, ULONG_PTR info)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = NT_SUCCESS(s) ? info : 0;
	return s;
}

static NTSTATUS query_name(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h,
			   void *buf, ULONG len)
{
	char path[PATH_MAX];
	ULONG bytes = 0, fixed = FIELD_OFFSET(FILE_NAME_INFORMATION, FileName);
	PFILE_NAME_INFORMATION ni = buf;

	if (len < fixed)
		return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
	path[0] = '/';
	int err = fs_lower_path(vol->lower, h->ino, path + 1, sizeof path - 1);
	if (err)
		return fs_glue_status(d, NULL, err, 0);
	ULONG n = (ULONG)strlen(path);
	RtlUTF8ToUnicodeN(NULL, 0, &bytes, path, n);
	ni->FileNameLength = bytes;
	ULONG room = len - fixed;
	ULONG copy = bytes < room ? bytes : room & ~1u;
	RtlUTF8ToUnicodeN(ni->FileName, copy, &copy, path, n);
	for (ULONG i = 0; i < copy / sizeof(WCHAR); i++)
		if (ni->FileName[i] == L'/')
			ni->FileName[i] = L'\\';
	return done(d, copy < bytes ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, fixed + copy);
}

static NTSTATUS query_info(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			   struct fs_handle *h)
{
	ULONG len = d->Iopb->Parameters.QueryFileInformation.Length;
	void *buf = d->Iopb->Parameters.QueryFileInformation.InfoBuffer;
	FILE_INFORMATION_CLASS cls = d->Iopb->Parameters.QueryFileInformation.FileInformationClass;
	struct stat st;

	if (cls == FileNameInformation)
		return query_name(vol, d, h, buf, len);
	struct fs_request *r = fs_glue_request_of(d);
	int err = fs_lower_getattr(vol->lower, c, h->ino, &st);
	if (err)
		return fs_glue_status(d, r ? &r->args : NULL, err, 0);
	/* The glue's getattr answers with the fields Windows has no counterpart for from here. */
	if (r)
		r->args.entry.attr = st;
	switch (cls) {
	case FileNetworkOpenInformation: {
		PFILE_NETWORK_OPEN_INFORMATION n = buf;
		if (len < sizeof(*n))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		n->CreationTime.QuadPart = fs_glue_nt_time(st.st_mtim);
		n->LastAccessTime.QuadPart = fs_glue_nt_time(st.st_atim);
		n->LastWriteTime.QuadPart = fs_glue_nt_time(st.st_mtim);
		n->ChangeTime.QuadPart = fs_glue_nt_time(st.st_ctim);
		n->AllocationSize.QuadPart = (LONGLONG)st.st_blocks * 512;
		n->EndOfFile.QuadPart = S_ISDIR(st.st_mode) ? 0 : st.st_size;
		n->FileAttributes = fs_glue_attributes(&st);
		return done(d, STATUS_SUCCESS, sizeof(*n));
	}
	case FileBasicInformation: {
		PFILE_BASIC_INFORMATION b = buf;
		if (len < sizeof(*b))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		b->CreationTime.QuadPart = fs_glue_nt_time(st.st_mtim);
		b->LastAccessTime.QuadPart = fs_glue_nt_time(st.st_atim);
		b->LastWriteTime.QuadPart = fs_glue_nt_time(st.st_mtim);
		b->ChangeTime.QuadPart = fs_glue_nt_time(st.st_ctim);
		b->FileAttributes = fs_glue_attributes(&st);
		return done(d, STATUS_SUCCESS, sizeof(*b));
	}
	case FileStandardInformation: {
		PFILE_STANDARD_INFORMATION s = buf;
		if (len < sizeof(*s))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		s->AllocationSize.QuadPart = (LONGLONG)st.st_blocks * 512;
		s->EndOfFile.QuadPart = st.st_size;
		s->NumberOfLinks = (ULONG)st.st_nlink;
		s->DeletePending = h->deleted;
		s->Directory = S_ISDIR(st.st_mode);
		return done(d, STATUS_SUCCESS, sizeof(*s));
	}
	case FileInternalInformation: {
		PFILE_INTERNAL_INFORMATION i = buf;
		if (len < sizeof(*i))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		i->IndexNumber.QuadPart = (LONGLONG)st.st_ino;
		return done(d, STATUS_SUCCESS, sizeof(*i));
	}
	default:
		return done(d, STATUS_INVALID_INFO_CLASS, 0);
	}
}

/* Fills h->parent and h->leaf from the file object's name when unknown. */
static int locate(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h)
{
	if (h->leaf)
		return 0;
	return fs_glue_walk(vol, &d->Iopb->TargetFileObject->FileName, &h->parent, &h->parent_held,
			    &h->leaf);
}

static NTSTATUS set_disposition(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				struct fs_handle *h, bool remove)
{
	struct fs_glue_args *a = fs_glue_request_of(d) ? &fs_glue_request_of(d)->args : NULL;

	if (!remove)
		return done(d, h->deleted ? STATUS_FILE_DELETED : STATUS_SUCCESS, 0);
	if (h->deleted)
		return done(d, STATUS_SUCCESS, 0);
	int err = locate(vol, d, h);
	if (!err)
		err = h->dir ? fs_lower_rmdir(vol->lower, c, h->parent, h->leaf)
			     : fs_lower_unlink(vol->lower, c, h->parent, h->leaf);
	if (!err)
		h->deleted = true;
	return fs_glue_status(d, a, err, 0);
}

/* The target of a rename: the request's, or the path in the information. */
static NTSTATUS set_rename(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			   struct fs_handle *h, bool ex)
{
	struct fs_request *r = fs_glue_request_of(d);
	PFILE_RENAME_INFORMATION ri = d->Iopb->Parameters.SetFileInformation.InfoBuffer;
	ULONG len = d->Iopb->Parameters.SetFileInformation.Length;
	unsigned flags;
	uint64_t dir;
	bool held = false;
	char *leaf = NULL;
	int err;

	if (len < FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) ||
	    len - FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) < ri->FileNameLength)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	bool replace = ex ? (ri->Flags & FILE_RENAME_REPLACE_IF_EXISTS) != 0 : ri->ReplaceIfExists;
	err = locate(vol, d, h);
	if (err)
		return fs_glue_status(d, NULL, err, 0);
	if (r) {
		/* The request's own rename: its directory and name, RENAME_EXCHANGE included. */
		dir = r->aux2;
		flags = (unsigned)r->args.flags;
		err = fs_lower_rename(vol->lower, c, h->parent, h->leaf, dir, r->args.link, flags);
		return fs_glue_status(d, &r->args, err, 0);
	}
	UNICODE_STRING target = { (USHORT)ri->FileNameLength, (USHORT)ri->FileNameLength, ri->FileName };
	err = fs_glue_walk(vol, &target, &dir, &held, &leaf);
	if (!err)
		err = fs_lower_rename(vol->lower, c, h->parent, h->leaf, dir, leaf,
				      replace ? 0 : RENAME_NOREPLACE);
	if (held)
		fs_lower_forget(vol->lower, dir, 1);
	free(leaf);
	return fs_glue_status(d, NULL, err, 0);
}

/* A hard link: the request's own new name, or the path in the information. */
static NTSTATUS set_link(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			 struct fs_handle *h, bool ex)
{
	struct fs_request *r = fs_glue_request_of(d);
	PFILE_LINK_INFORMATION li = d->Iopb->Parameters.SetFileInformation.InfoBuffer;
	ULONG len = d->Iopb->Parameters.SetFileInformation.Length;
	ULONG fixed = FIELD_OFFSET(FILE_LINK_INFORMATION, FileName);
	struct fs_entry e;
	uint64_t dir;
	bool held = false;
	char *leaf = NULL;

	if (len < fixed || len - fixed < li->FileNameLength)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (h->dir)
		return done(d, STATUS_FILE_IS_A_DIRECTORY, 0);
	if (r) {
		int err = fs_lower_link(vol->lower, c, h->ino, r->aux2, r->args.link, &r->args.entry);
		return fs_glue_status(d, &r->args, err, 0);
	}
	bool replace = ex ? (li->Flags & FILE_LINK_REPLACE_IF_EXISTS) != 0 : li->ReplaceIfExists;
	UNICODE_STRING target = { (USHORT)li->FileNameLength, (USHORT)li->FileNameLength, li->FileName };
	int err = fs_glue_walk(vol, &target, &dir, &held, &leaf);
	if (!err)
		err = fs_lower_link(vol->lower, c, h->ino, dir, leaf, &e);
	/* Linux cannot link over a name: the replaced name goes first. */
	if (err == EEXIST && replace) {
		err = fs_lower_unlink(vol->lower, c, dir, leaf);
		if (!err)
			err = fs_lower_link(vol->lower, c, h->ino, dir, leaf, &e);
	}
	if (!err)
		fs_lower_forget(vol->lower, e.ino, 1);
	if (held)
		fs_lower_forget(vol->lower, dir, 1);
	free(leaf);
	return fs_glue_status(d, NULL, err, 0);
}

static bool basic_equal(const FILE_BASIC_INFORMATION *a, const FILE_BASIC_INFORMATION *b)
{
	return a->CreationTime.QuadPart == b->CreationTime.QuadPart &&
	       a->LastAccessTime.QuadPart == b->LastAccessTime.QuadPart &&
	       a->LastWriteTime.QuadPart == b->LastWriteTime.QuadPart &&
	       a->ChangeTime.QuadPart == b->ChangeTime.QuadPart && a->FileAttributes == b->FileAttributes;
}

static NTSTATUS set_basic(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			  struct fs_handle *h, const FILE_BASIC_INFORMATION *b)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_set_times *t = r ? r->buf : NULL;
	struct fs_setattr set = { 0 };
	struct stat st;

	/*
	 * The glue's own setattr, as the filters left it: its times as FUSE gave
	 * them (UTIME_NOW needs only write permission, an explicit time ownership).
	 */
	if (t && b == &t->basic && basic_equal(b, &t->sent)) {
		set = t->set;
		set.valid &= FS_SET_ATIME | FS_SET_MTIME | FS_SET_ATIME_NOW | FS_SET_MTIME_NOW;
		return fs_glue_status(d, &r->args, fs_lower_setattr(vol->lower, c, h->ino, h->fh, &set, &st), 0);
	}
	/* 0 leaves a time unchanged, -1 stops updating it (nothing to apply here). */
	if (b->LastAccessTime.QuadPart > 0) {
		set.valid |= FS_SET_ATIME;
		set.atime = fs_glue_unix_time(b->LastAccessTime.QuadPart);
	}
	if (b->LastWriteTime.QuadPart > 0) {
		set.valid |= FS_SET_MTIME;
		set.mtime = fs_glue_unix_time(b->LastWriteTime.QuadPart);
	}
	if (!set.valid)
		return done(d, STATUS_SUCCESS, 0);
	int err = fs_lower_setattr(vol->lower, c, h->ino, h->fh, &set, &st);
	return fs_glue_status(d, r ? &r->args : NULL, err, 0);
}

static NTSTATUS set_info(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			 struct fs_handle *h)
{
	ULONG len = d->Iopb->Parameters.SetFileInformation.Length;
	void *buf = d->Iopb->Parameters.SetFileInformation.InfoBuffer;
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_setattr set = { 0 };
	struct stat st;

	switch (d->Iopb->Parameters.SetFileInformation.FileInformationClass) {
	case FileBasicInformation:
		if (len < sizeof(FILE_BASIC_INFORMATION))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		return set_basic(vol, c, d, h, buf);
	case FileEndOfFileInformation:
		if (len < sizeof(FILE_END_OF_FILE_INFORMATION))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		set.valid = FS_SET_SIZE;
		set.size = ((PFILE_END_OF_FILE_INFORMATION)buf)->EndOfFile.QuadPart;
		return fs_glue_status(d, r ? &r->args : NULL,
				      fs_lower_setattr(vol->lower, c, h->ino, h->fh, &set, &st), 0);
	case FileAllocationInformation:
		if (len < sizeof(FILE_ALLOCATION_INFORMATION))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		return fs_glue_set_allocation(vol, c, d, h, buf);
	case FileDispositionInformation:
		if (len < sizeof(FILE_DISPOSITION_INFORMATION))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		return set_disposition(vol, c, d, h, ((PFILE_DISPOSITION_INFORMATION)buf)->DeleteFile);
	case FileDispositionInformationEx:
		if (len < sizeof(FILE_DISPOSITION_INFORMATION_EX))
			return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
		return set_disposition(vol, c, d, h,
				       ((PFILE_DISPOSITION_INFORMATION_EX)buf)->Flags & FILE_DISPOSITION_DELETE);
	case FileRenameInformation:
		return set_rename(vol, c, d, h, false);
	case FileRenameInformationEx:
		return set_rename(vol, c, d, h, true);
	case FileLinkInformation:
		return set_link(vol, c, d, h, false);
	case FileLinkInformationEx:
		return set_link(vol, c, d, h, true);
	default:
		return done(d, STATUS_INVALID_INFO_CLASS, 0);
	}
}

static NTSTATUS query_volume(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			     struct fs_handle *h)
{
	PFILE_FS_SIZE_INFORMATION s = d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer;
	struct statvfs sv;

	if (d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass != FileFsSizeInformation)
		return done(d, STATUS_INVALID_INFO_CLASS, 0);
	if (d->Iopb->Parameters.QueryVolumeInformation.Length < sizeof(*s))
		return done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
	int err = fs_lower_statfs(vol->lower, c, h ? h->ino : FS_LOWER_ROOT, &sv);
	if (err)
		return fs_glue_status(d, NULL, err, 0);
	/* One sector per allocation unit: f_frsize is the unit, f_bsize stays in the reply. */
	s->TotalAllocationUnits.QuadPart = (LONGLONG)sv.f_blocks;
	s->AvailableAllocationUnits.QuadPart = (LONGLONG)sv.f_bavail;
	s->SectorsPerAllocationUnit = 1;
	s->BytesPerSector = (ULONG)sv.f_frsize;
	return done(d, STATUS_SUCCESS, sizeof(*s));
}

NTSTATUS fs_glue_lower_info(struct fs_volume *vol, const struct fs_cred *cred, PFLT_CALLBACK_DATA d,
			    struct fs_handle *h)
{
	if (!h)
		return done(d, STATUS_INVALID_HANDLE, 0);
	switch (d->Iopb->MajorFunction) {
	case IRP_MJ_QUERY_INFORMATION:
		return query_info(vol, cred, d, h);
	case IRP_MJ_SET_INFORMATION:
		return set_info(vol, cred, d, h);
	default:
		return query_volume(vol, cred, d, h);
	}
}
