/*
 * Space of a file in the lower dispatch: SET_INFORMATION
 * FileAllocationInformation, and the FILE_SYSTEM_CONTROL requests
 * FSCTL_SET_ZERO_DATA and FSCTL_QUERY_ALLOCATED_RANGES (other FSCTLs are
 * STATUS_INVALID_DEVICE_REQUEST, as a file system without them answers).
 *
 * As Windows defines them (for filter-issued I/O):
 * - FileAllocationInformation sets the allocation to AllocationSize: below
 *   the end of file it truncates the file there, otherwise it reserves the
 *   space (fallocate KEEP_SIZE); the end of file does not move.
 * - FSCTL_SET_ZERO_DATA zeroes [FileOffset, BeyondFinalZero) within the end
 *   of file, deallocating it (a punched hole; where the lower file system
 *   cannot punch, zeroed in place).  The file needs FILE_WRITE_DATA.
 * - FSCTL_QUERY_ALLOCATED_RANGES lists the ranges of
 *   [FileOffset, FileOffset + Length) that hold data (SEEK_DATA/SEEK_HOLE of
 *   the lower file): STATUS_BUFFER_TOO_SMALL when no range fits,
 *   STATUS_BUFFER_OVERFLOW when more ranges remain.
 * The glue's own requests carry the fallocate(2) call they stand for
 * (struct fs_glue_args: mode, offset): FileAllocationInformation is
 * fallocate mode 0 or KEEP_SIZE at that offset up to AllocationSize (mode
 * 0 moves the end of file as the program asked), FSCTL_SET_ZERO_DATA the
 * PUNCH_HOLE or ZERO_RANGE call over the range the filters let through.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <unistd.h>

#include "fs/fuse/internal.h"

static NTSTATUS done(PFLT_CALLBACK_DATA d, NTSTATUS s, ULONG_PTR info)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = info;
	return s;
}

static NTSTATUS lower_status(PFLT_CALLBACK_DATA d, struct fs_glue_args *a, int err)
{
	return fs_glue_status(d, a, err, 0);
}

static int file_size(struct fs_volume *vol, const struct fs_cred *c, struct fs_handle *h, off_t *size)
{
	struct stat st;
	int err = fs_lower_getattr(vol->lower, c, h->ino, &st);

	*size = err ? 0 : st.st_size;
	return err;
}

NTSTATUS fs_glue_set_allocation(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				struct fs_handle *h, const FILE_ALLOCATION_INFORMATION *info)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_glue_args *a = r ? &r->args : NULL;
	LONGLONG want = info->AllocationSize.QuadPart;
	struct fs_setattr set = { .valid = FS_SET_SIZE };
	struct stat st;
	off_t size;

	if (want < 0)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (h->fh == FS_NO_FH || h->dir)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (a && want > a->range_off)
		return lower_status(d, a, fs_lower_fallocate(vol->lower, c, h->fh, a->flags, a->range_off,
							     want - a->range_off));
	int err = file_size(vol, c, h, &size);
	if (err)
		return lower_status(d, a, err);
	if (want < size) {
		set.size = want;
		return lower_status(d, a, fs_lower_setattr(vol->lower, c, h->ino, h->fh, &set, &st));
	}
	if (want == 0)
		return done(d, STATUS_SUCCESS, 0);
	return lower_status(d, a, fs_lower_fallocate(vol->lower, c, h->fh, FALLOC_FL_KEEP_SIZE, 0, want));
}

static NTSTATUS set_zero_data(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			      struct fs_handle *h, struct fs_glue_args *a)
{
	PFILE_ZERO_DATA_INFORMATION z = d->Iopb->Parameters.FileSystemControl.Buffered.SystemBuffer;
	off_t size;

	if (!z || d->Iopb->Parameters.FileSystemControl.Buffered.InputBufferLength < sizeof(*z))
		return done(d, STATUS_INVALID_PARAMETER, 0);
	LONGLONG from = z->FileOffset.QuadPart, to = z->BeyondFinalZero.QuadPart;
	if (from < 0 || to < from)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (!d->Iopb->TargetFileObject->WriteAccess)
		return done(d, STATUS_ACCESS_DENIED, 0);
	if (a)
		return lower_status(d, a, to == from ? 0 : fs_lower_fallocate(vol->lower, c, h->fh, a->flags,
									      from, to - from));
	int err = file_size(vol, c, h, &size);
	if (err)
		return lower_status(d, a, err);
	if (to > size)
		to = size;
	if (to <= from)
		return done(d, STATUS_SUCCESS, 0);
	err = fs_lower_fallocate(vol->lower, c, h->fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from);
	if (err == EOPNOTSUPP)
		err = fs_lower_fallocate(vol->lower, c, h->fh, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, from,
					 to - from);
	return lower_status(d, a, err);
}

/* The next data range at or after *pos, below end; false when there is none. */
static bool next_range(struct fs_volume *vol, struct fs_handle *h, off_t *pos, off_t end,
		       FILE_ALLOCATED_RANGE_BUFFER *range, int *err)
{
	off_t data = end, hole;

	*err = 0;
	if (*pos >= end)
		return false;
	*err = fs_lower_lseek(vol->lower, h->fh, *pos, SEEK_DATA, &data);
	if (*err == ENXIO)
		*err = 0;	/* no data from *pos on */
	if (*err || data >= end)
		return false;
	*err = fs_lower_lseek(vol->lower, h->fh, data, SEEK_HOLE, &hole);
	if (*err)
		return false;
	if (hole > end)
		hole = end;
	range->FileOffset.QuadPart = data;
	range->Length.QuadPart = hole - data;
	*pos = hole;
	return true;
}

static NTSTATUS query_allocated_ranges(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				       struct fs_handle *h, struct fs_glue_args *a)
{
	PFILE_ALLOCATED_RANGE_BUFFER in = d->Iopb->Parameters.FileSystemControl.Neither.InputBuffer;
	PFILE_ALLOCATED_RANGE_BUFFER out = d->Iopb->Parameters.FileSystemControl.Neither.OutputBuffer;
	ULONG room = d->Iopb->Parameters.FileSystemControl.Neither.OutputBufferLength / sizeof(*out);
	FILE_ALLOCATED_RANGE_BUFFER range;
	off_t size;
	int err;

	if (!in || d->Iopb->Parameters.FileSystemControl.Neither.InputBufferLength < sizeof(*in))
		return done(d, STATUS_INVALID_PARAMETER, 0);
	LONGLONG from = in->FileOffset.QuadPart, len = in->Length.QuadPart;
	if (from < 0 || len < 0 || len > INT64_MAX - from)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (room && !out)
		return done(d, STATUS_INVALID_USER_BUFFER, 0);
	err = file_size(vol, c, h, &size);
	if (err)
		return lower_status(d, a, err);
	off_t pos = from, end = from + len < size ? from + len : size;
	ULONG n = 0;
	while (next_range(vol, h, &pos, end, &range, &err)) {
		if (n == room)
			return done(d, n ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL, n * sizeof(*out));
		out[n++] = range;
	}
	if (err)
		return lower_status(d, a, err);
	return done(d, STATUS_SUCCESS, n * sizeof(*out));
}

NTSTATUS fs_glue_lower_fsctl(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			     struct fs_handle *h)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_glue_args *a = r ? &r->args : NULL;

	if (d->Iopb->MinorFunction != IRP_MN_USER_FS_REQUEST)
		return done(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	if (!h || h->fh == FS_NO_FH || h->dir)
		return done(d, h ? STATUS_INVALID_PARAMETER : STATUS_INVALID_HANDLE, 0);
	switch (d->Iopb->Parameters.FileSystemControl.Common.FsControlCode) {
	case FSCTL_SET_ZERO_DATA:
		return set_zero_data(vol, c, d, h, a);
	case FSCTL_QUERY_ALLOCATED_RANGES:
		return query_allocated_ranges(vol, c, d, h, a);
	default:
		return done(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	}
}
