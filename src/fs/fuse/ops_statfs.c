/*
 * statfs is QUERY_VOLUME_INFORMATION FileFsSizeInformation on a handle
 * opened for it (CREATE for FILE_READ_ATTRIBUTES, then CLEANUP and CLOSE),
 * as a Windows program's GetDiskFreeSpace.  The sizes in the reply are the
 * ones the filters let through; the fields Windows has no counterpart for
 * (inodes, name length) are the lower file system's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	PFILE_FS_SIZE_INFORMATION size = r->buf;
	struct statvfs st;
	int err = r->first_errno;

	r->buf = NULL;
	if (!err)
		err = fs_lower_statfs(fs_request_lower(r), &r->cred, r->aux, &st);
	if (!err) {
		ULONG unit = size->SectorsPerAllocationUnit * size->BytesPerSector;
		st.f_frsize = unit ? unit : st.f_frsize;
		st.f_blocks = (fsblkcnt_t)size->TotalAllocationUnits.QuadPart;
		st.f_bavail = (fsblkcnt_t)size->AvailableAllocationUnits.QuadPart;
		if (st.f_bfree < st.f_bavail)
			st.f_bfree = st.f_bavail;
	}
	free(size);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_statfs(r, &st);
}

static void queried(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		free(r->buf);
		fs_request_reply_err(r, err);
		return;
	}
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_QUERY_VOLUME_INFORMATION };
	iopb.Parameters.QueryVolumeInformation.FsInformationClass = FileFsSizeInformation;
	iopb.Parameters.QueryVolumeInformation.Length = sizeof(FILE_FS_SIZE_INFORMATION);
	iopb.Parameters.QueryVolumeInformation.VolumeBuffer = r->buf;
	fs_glue_issue(r, r->file, &iopb, queried);
}

void fs_fuse_statfs(struct fs_request *r, fuse_ino_t ino)
{
	struct fs_file *file = fs_file_new(r->vol, ino, NULL);
	r->buf = file ? calloc(1, sizeof(FILE_FS_SIZE_INFORMATION)) : NULL;
	if (!r->buf) {
		fs_file_free(file);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->aux = ino;
	r->file = file;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	fs_glue_create(r, file, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
		       FILE_SYNCHRONOUS_IO_NONALERT, opened);
}
