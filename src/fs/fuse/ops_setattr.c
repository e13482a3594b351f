/*
 * A setattr of times (without a size) is SET_INFORMATION
 * FileBasicInformation: on the open file for futimens, on a handle opened
 * for it (CREATE for FILE_WRITE_ATTRIBUTES, then CLEANUP and CLOSE) for
 * utimensat.  "Now" is sent as the current time; when the filters leave the
 * information as sent, the lower file system applies the request's own
 * times (UTIME_NOW keeps its weaker permission check).  Mode, owner and
 * group have no FileBasicInformation field: they go to the lower file
 * system after the Basic call, in the same setattr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "fs/fuse/internal.h"

#define TIMES (FS_SET_ATIME | FS_SET_MTIME | FS_SET_ATIME_NOW | FS_SET_MTIME_NOW)

static void finish(struct fs_request *r, int err)
{
	struct fs_set_times *t = r->buf;
	struct fs_setattr rest = t->set;
	struct stat st;

	r->buf = NULL;
	rest.valid &= ~(unsigned)TIMES;
	if (!err && rest.valid)
		err = fs_lower_setattr(fs_request_lower(r), &r->cred, t->ino, t->fh, &rest, &st);
	else if (!err)
		err = fs_lower_getattr(fs_request_lower(r), &r->cred, t->ino, &st);
	free(t);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static void set_on_handle(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	finish(r, fs_glue_errno(r, d));
}

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	finish(r, r->first_errno);
}

static void set(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void set_basic(struct fs_request *r, struct fs_file *file, fs_glue_next_fn next)
{
	struct fs_set_times *t = r->buf;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_INFORMATION };

	iopb.Parameters.SetFileInformation.FileInformationClass = FileBasicInformation;
	iopb.Parameters.SetFileInformation.Length = sizeof(t->basic);
	iopb.Parameters.SetFileInformation.InfoBuffer = &t->basic;
	fs_glue_issue(r, file, &iopb, next);
}

static void opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		finish(r, err);
		return;
	}
	set_basic(r, r->file, set);
}

static LARGE_INTEGER time_field(unsigned valid, unsigned given, unsigned now, struct timespec t,
				struct timespec current)
{
	LARGE_INTEGER v = { .QuadPart = 0 };

	if (valid & now)
		v.QuadPart = fs_glue_nt_time(current);
	else if (valid & given)
		v.QuadPart = fs_glue_nt_time(t);
	return v;
}

bool fs_fuse_setattr_times(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *s,
			   struct fuse_file_info *fi)
{
	struct timespec now;

	if (!(s->valid & TIMES))
		return false;
	struct fs_set_times *t = calloc(1, sizeof(*t));
	struct fs_file *file = t && !fi ? fs_file_new(r->vol, ino, NULL) : NULL;
	if (!t || (!fi && !file)) {
		free(t);
		fs_request_reply_err(r, ENOMEM);
		return true;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	t->basic.LastAccessTime = time_field(s->valid, FS_SET_ATIME, FS_SET_ATIME_NOW, s->atime, now);
	t->basic.LastWriteTime = time_field(s->valid, FS_SET_MTIME, FS_SET_MTIME_NOW, s->mtime, now);
	t->sent = t->basic;
	t->set = *s;
	t->ino = ino;
	t->fh = fi ? fs_file_of(fi->fh)->h.fh : FS_NO_FH;
	r->buf = t;
	if (fi) {
		set_basic(r, fs_file_of(fi->fh), set_on_handle);
		return true;
	}
	r->file = file;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	fs_glue_create(r, file, FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
		       FILE_SYNCHRONOUS_IO_NONALERT, opened);
	return true;
}
