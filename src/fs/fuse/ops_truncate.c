/*
 * A setattr that changes the size is SET_INFORMATION FileEndOfFileInformation:
 * on the open file for ftruncate, on a file opened for it (CREATE for
 * FILE_WRITE_DATA, then CLEANUP and CLOSE) for truncate(2).  The other
 * attributes of the same setattr go to the lower file system afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

struct truncation {
	FILE_END_OF_FILE_INFORMATION eof;
	struct fs_setattr rest;
	uint64_t ino;
	uint64_t fh;
};

static void finish(struct fs_request *r, int err)
{
	struct truncation *t = r->buf;
	struct stat st;

	r->buf = NULL;
	if (!err && t->rest.valid)
		err = fs_lower_setattr(fs_request_lower(r), &r->cred, t->ino, t->fh, &t->rest, &st);
	else if (!err)
		err = fs_lower_getattr(fs_request_lower(r), &r->cred, t->ino, &st);
	free(t);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static void sized_on_handle(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	finish(r, fs_glue_errno(r, d));
}

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	finish(r, r->first_errno);
}

static void sized(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void set_size(struct fs_request *r, struct fs_file *file, fs_glue_next_fn next)
{
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_INFORMATION };
	iopb.Parameters.SetFileInformation.FileInformationClass = FileEndOfFileInformation;
	iopb.Parameters.SetFileInformation.Length = sizeof(FILE_END_OF_FILE_INFORMATION);
	iopb.Parameters.SetFileInformation.InfoBuffer = r->buf;
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
	set_size(r, r->file, sized);
}

void fs_fuse_setattr_size(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *set,
			  struct fuse_file_info *fi)
{
	struct truncation *t = calloc(1, sizeof(*t));
	struct fs_file *file = t && !fi ? fs_file_new(r->vol, ino, NULL) : NULL;
	if (!t || (!fi && !file)) {
		free(t);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	t->eof.EndOfFile.QuadPart = set->size;
	t->rest = *set;
	t->rest.valid &= ~(unsigned)FS_SET_SIZE;
	t->ino = ino;
	t->fh = fi ? fs_file_of(fi->fh)->h.fh : FS_NO_FH;
	r->buf = t;
	if (fi) {
		set_size(r, fs_file_of(fi->fh), sized_on_handle);
		return;
	}
	r->file = file;
	r->args.kind = FS_CREATE_OPEN_INODE;
	r->args.ino = ino;
	r->args.flags = O_WRONLY;
	fs_glue_create(r, file, FILE_WRITE_DATA | SYNCHRONIZE | FILE_READ_ATTRIBUTES, FILE_OPEN,
		       FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, opened);
}
