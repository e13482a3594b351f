/*
 * link is what CreateHardLink does: an open of the file (CREATE for
 * FILE_WRITE_ATTRIBUTES), SET_INFORMATION FileLinkInformationEx with the
 * new name's volume-relative path (POSIX semantics; no REPLACE_IF_EXISTS:
 * link(2) never replaces), CLEANUP and CLOSE.  The reply is the entry of
 * the new name.  The name lives in libfuse's buffer: the handler waits for
 * the reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	struct fs_entry e = r->args.entry;
	int err = r->first_errno;

	free(r->buf);
	r->buf = NULL;
	if (err) {
		/* A filter failed the operation after the lower file system linked. */
		if (e.ino)
			fs_lower_forget(fs_request_lower(r), e.ino, 1);
		fs_request_reply_err(r, err);
		return;
	}
	if (fs_request_reply_entry(r, &e) != 0)
		fs_lower_forget(fs_request_lower(r), e.ino, 1);
}

static void linked(struct fs_request *r, PFLT_CALLBACK_DATA d)
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
		r->buf = NULL;
		fs_request_reply_err(r, err);
		return;
	}
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_INFORMATION };
	iopb.Parameters.SetFileInformation.FileInformationClass = FileLinkInformationEx;
	iopb.Parameters.SetFileInformation.Length = (ULONG)r->size;
	iopb.Parameters.SetFileInformation.InfoBuffer = r->buf;
	r->args.entry.ino = 0;
	fs_glue_issue(r, r->file, &iopb, linked);
}

void fs_fuse_link(struct fs_request *r, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fs_file *target = fs_file_new(r->vol, newparent, newname);
	struct fs_file *file = target ? fs_file_new(r->vol, ino, NULL) : NULL;
	ULONG fixed = FIELD_OFFSET(FILE_LINK_INFORMATION, FileName);
	PFILE_LINK_INFORMATION info = file ? calloc(1, fixed + target->fo.FileName.Length) : NULL;

	if (!info) {
		fs_file_free(file);
		fs_file_free(target);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	info->Flags = FILE_LINK_POSIX_SEMANTICS;
	info->FileNameLength = target->fo.FileName.Length;
	memcpy(info->FileName, target->fo.FileName.Buffer, info->FileNameLength);
	fs_file_free(target);
	r->buf = info;
	r->size = fixed + info->FileNameLength;
	r->file = file;
	r->aux2 = newparent;
	r->args.link = newname;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	fs_request_hold(r);
	fs_glue_create(r, file, FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
		       FILE_SYNCHRONOUS_IO_NONALERT, opened);
	fs_request_wait_reply(r);
}
