/*
 * getattr is QUERY_INFORMATION FileNetworkOpenInformation: on the open
 * file when FUSE names one (fstat), otherwise on a handle opened for it
 * (CREATE for FILE_READ_ATTRIBUTES, then CLEANUP and CLOSE), as a Windows
 * program's GetFileAttributesEx.  The times and sizes in the reply are the
 * ones the filters let through (a time a filter left alone keeps its
 * nanoseconds); mode, owner, links and the inode number have no Windows
 * field and are the lower file system's, from the same query.  The
 * information lives in the request record: no allocation beyond the
 * short-lived file object.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "fs/fuse/internal.h"

static struct timespec time_of(LARGE_INTEGER t, struct timespec lower)
{
	return t.QuadPart == fs_glue_nt_time(lower) ? lower : fs_glue_unix_time(t.QuadPart);
}

static void reply(struct fs_request *r, int err)
{
	struct stat st = r->args.entry.attr;
	const FILE_NETWORK_OPEN_INFORMATION *n = &r->netinfo;

	if (err) {
		fs_request_reply_err(r, err);
		return;
	}
	st.st_atim = time_of(n->LastAccessTime, st.st_atim);
	st.st_mtim = time_of(n->LastWriteTime, st.st_mtim);
	st.st_ctim = time_of(n->ChangeTime, st.st_ctim);
	if (!S_ISDIR(st.st_mode))
		st.st_size = n->EndOfFile.QuadPart;
	st.st_blocks = (blkcnt_t)((n->AllocationSize.QuadPart + 511) / 512);
	fs_request_reply_attr(r, &st);
}

static void queried_on_handle(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	reply(r, fs_glue_errno(r, d));
}

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	reply(r, r->first_errno);
}

static void queried(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void query(struct fs_request *r, struct fs_file *file, fs_glue_next_fn next)
{
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_QUERY_INFORMATION };

	iopb.Parameters.QueryFileInformation.FileInformationClass = FileNetworkOpenInformation;
	iopb.Parameters.QueryFileInformation.Length = sizeof(r->netinfo);
	iopb.Parameters.QueryFileInformation.InfoBuffer = &r->netinfo;
	fs_glue_issue(r, file, &iopb, next);
}

static void opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		fs_request_reply_err(r, err);
		return;
	}
	query(r, r->file, queried);
}

void fs_fuse_getattr(struct fs_request *r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi) {
		query(r, fs_file_of(fi->fh), queried_on_handle);
		return;
	}
	struct fs_file *file = fs_file_new(r->vol, ino, NULL);
	if (!file) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->file = file;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	fs_glue_create(r, file, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
		       FILE_SYNCHRONOUS_IO_NONALERT, opened);
}
