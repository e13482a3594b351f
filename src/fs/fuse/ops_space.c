/*
 * FUSE operations on the space of open files, through the filter stack:
 *   fallocate mode 0, KEEP_SIZE   SET_INFORMATION FileAllocationInformation
 *                                 (AllocationSize = offset + length; the
 *                                 lower file system makes the program's
 *                                 call, see lower_space.c)
 *   fallocate PUNCH_HOLE,         FSCTL_SET_ZERO_DATA (FileOffset = offset,
 *             ZERO_RANGE          BeyondFinalZero = offset + length)
 *   fallocate other modes         EOPNOTSUPP (collapse, insert, unshare:
 *                                 no Windows operation a filter would know)
 *   lseek SEEK_DATA, SEEK_HOLE    FSCTL_QUERY_ALLOCATED_RANGES from the
 *                                 offset to the end (FUSE sends no others)
 *   copy_file_range               READ on the source file object, then
 *                                 WRITE of what was read on the target
 * copy_file_range is not FSCTL_DUPLICATE_EXTENTS_TO_FILE: that block clone
 * wants cluster-aligned ranges and a source handle the filters would have
 * to resolve, and a filter that inspects or denies writes (a scanner, a
 * DLP filter) must see the data a copy writes, exactly as for a program
 * that copies by hand.  One copy moves at most 1 MiB (copy_file_range may
 * copy less than asked; callers loop); a filter that denies the READ or the
 * WRITE denies the copy (EACCES) and the target is unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs/fuse/internal.h"

#define COPY_CHUNK (1u << 20)
#define COPY_ALIGN 4096
#define RANGES 32

static void reply_status(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	free(r->buf);
	r->buf = NULL;
	fs_request_reply_err(r, fs_glue_errno(r, d));
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	bool zero = mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) ||
		    (mode & ~FALLOC_FL_KEEP_SIZE) == FALLOC_FL_ZERO_RANGE;
	FLT_IO_PARAMETER_BLOCK iopb = { 0 };

	if (!r)
		return;
	if (!zero && (mode & ~FALLOC_FL_KEEP_SIZE)) {
		fs_request_reply_err(r, EOPNOTSUPP);
		return;
	}
	if (off < 0 || len <= 0 || len > INT64_MAX - off) {
		fs_request_reply_err(r, EINVAL);
		return;
	}
	r->args.flags = mode;
	r->args.range_off = off;
	if (zero) {
		PFILE_ZERO_DATA_INFORMATION z = calloc(1, sizeof(*z));
		if (!z) {
			fs_request_reply_err(r, ENOMEM);
			return;
		}
		z->FileOffset.QuadPart = off;
		z->BeyondFinalZero.QuadPart = off + len;
		r->buf = z;
		iopb.MajorFunction = IRP_MJ_FILE_SYSTEM_CONTROL;
		iopb.MinorFunction = IRP_MN_USER_FS_REQUEST;
		iopb.Parameters.FileSystemControl.Buffered.FsControlCode = FSCTL_SET_ZERO_DATA;
		iopb.Parameters.FileSystemControl.Buffered.InputBufferLength = sizeof(*z);
		iopb.Parameters.FileSystemControl.Buffered.SystemBuffer = z;
	} else {
		PFILE_ALLOCATION_INFORMATION a = calloc(1, sizeof(*a));
		if (!a) {
			fs_request_reply_err(r, ENOMEM);
			return;
		}
		a->AllocationSize.QuadPart = off + len;
		r->buf = a;
		iopb.MajorFunction = IRP_MJ_SET_INFORMATION;
		iopb.Parameters.SetFileInformation.FileInformationClass = FileAllocationInformation;
		iopb.Parameters.SetFileInformation.Length = sizeof(*a);
		iopb.Parameters.SetFileInformation.InfoBuffer = a;
	}
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, reply_status);
}

/* An allocated-ranges query and its answer. */
struct seek {
	FILE_ALLOCATED_RANGE_BUFFER in;
	FILE_ALLOCATED_RANGE_BUFFER out[RANGES];
	int whence;
	off_t pos;		/* SEEK_HOLE: where the data seen so far ends */
	off_t size;
};

static void query_ranges(struct fs_request *r);

/* The answer once the ranges are known, or another query for SEEK_HOLE. */
static void ranges_seen(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct seek *s = r->buf;
	NTSTATUS st = d->IoStatus.Status;
	int err = st == STATUS_BUFFER_OVERFLOW ? 0 : fs_glue_errno(r, d);
	ULONG n = (ULONG)(d->IoStatus.Information / sizeof(s->out[0]));
	off_t at = -1;

	if (n > RANGES)
		n = RANGES;
	if (!err && s->whence == SEEK_DATA) {
		if (n)
			at = s->out[0].FileOffset.QuadPart > s->pos ? s->out[0].FileOffset.QuadPart : s->pos;
		err = n ? 0 : ENXIO;
	}
	if (!err && s->whence == SEEK_HOLE) {
		bool gap = false;
		for (ULONG i = 0; i < n && !gap; i++) {
			gap = s->out[i].FileOffset.QuadPart > s->pos;
			if (!gap)
				s->pos = s->out[i].FileOffset.QuadPart + s->out[i].Length.QuadPart;
		}
		if (st == STATUS_BUFFER_OVERFLOW && !gap && n) {
			query_ranges(r);
			return;
		}
		at = s->pos < s->size ? s->pos : s->size;
	}
	r->buf = NULL;
	free(s);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_lseek(r, at);
}

static void query_ranges(struct fs_request *r)
{
	struct seek *s = r->buf;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_FILE_SYSTEM_CONTROL,
					.MinorFunction = IRP_MN_USER_FS_REQUEST };

	s->in.FileOffset.QuadPart = s->pos;
	s->in.Length.QuadPart = INT64_MAX - s->pos;
	iopb.Parameters.FileSystemControl.Neither.FsControlCode = FSCTL_QUERY_ALLOCATED_RANGES;
	iopb.Parameters.FileSystemControl.Neither.InputBufferLength = sizeof(s->in);
	iopb.Parameters.FileSystemControl.Neither.InputBuffer = &s->in;
	iopb.Parameters.FileSystemControl.Neither.OutputBufferLength = sizeof(s->out);
	iopb.Parameters.FileSystemControl.Neither.OutputBuffer = s->out;
	fs_glue_issue(r, r->file, &iopb, ranges_seen);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	struct stat st;

	if (!r)
		return;
	if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0) {
		fs_request_reply_err(r, EINVAL);
		return;
	}
	int err = fs_lower_getattr(fs_request_lower(r), &r->cred, ino, &st);
	if (!err && off >= st.st_size)
		err = ENXIO;
	struct seek *s = err ? NULL : calloc(1, sizeof(*s));
	if (err || !s) {
		fs_request_reply_err(r, err ? err : ENOMEM);
		return;
	}
	s->whence = whence;
	s->pos = off;
	s->size = st.st_size;
	r->buf = s;
	r->file = fs_file_of(fi->fh);
	query_ranges(r);
}

static void copy_written(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);

	free(r->buf);
	r->buf = NULL;
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_write(r, d->IoStatus.Information);
}

static void copy_read(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_WRITE };

	if (d->IoStatus.Status == STATUS_END_OF_FILE || (!err && d->IoStatus.Information == 0)) {
		free(r->buf);
		r->buf = NULL;
		fs_request_reply_write(r, 0);
		return;
	}
	if (err) {
		free(r->buf);
		r->buf = NULL;
		fs_request_reply_err(r, err);
		return;
	}
	iopb.IrpFlags = IRP_WRITE_OPERATION;
	iopb.Parameters.Write.Length = (ULONG)d->IoStatus.Information;
	iopb.Parameters.Write.ByteOffset.QuadPart = r->off;
	iopb.Parameters.Write.WriteBuffer = r->buf;
	fs_glue_issue(r, fs_file_of(r->aux), &iopb, copy_written);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in,
			       fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out, size_t len,
			       int flags)
{
	(void)ino_in;
	(void)ino_out;
	struct fs_request *r = fs_request_begin(req);
	size_t chunk = len < COPY_CHUNK ? len : COPY_CHUNK;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_READ };

	if (!r)
		return;
	if (flags) {
		fs_request_reply_err(r, EINVAL);
		return;
	}
	if (chunk == 0) {
		fs_request_reply_write(r, 0);
		return;
	}
	if (posix_memalign(&r->buf, COPY_ALIGN, chunk) != 0) {
		r->buf = NULL;
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->off = off_out;
	r->aux = fi_out->fh;
	iopb.IrpFlags = IRP_READ_OPERATION;
	iopb.Parameters.Read.Length = (ULONG)chunk;
	iopb.Parameters.Read.ByteOffset.QuadPart = off_in;
	iopb.Parameters.Read.ReadBuffer = r->buf;
	fs_glue_issue(r, fs_file_of(fi_in->fh), &iopb, copy_read);
}

void fs_fuse_space_ops(struct fuse_lowlevel_ops *ops)
{
	ops->fallocate = op_fallocate;
	ops->lseek = op_lseek;
	ops->copy_file_range = op_copy_file_range;
}
