/*
 * The create and close sequences every handle goes through: IRP_MJ_CREATE,
 * and at the end IRP_MJ_CLEANUP then IRP_MJ_CLOSE, chained from each
 * operation's done callback (a filter may pend any of them).
 */
#include "fs/fuse/internal.h"

void fs_glue_create(struct fs_request *r, struct fs_file *file, ACCESS_MASK access,
		    ULONG disposition, ULONG options, fs_glue_next_fn next)
{
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_CREATE };

	r->args.security.DesiredAccess = access;
	r->args.security.FullCreateOptions = options;
	iopb.Parameters.Create.SecurityContext = &r->args.security;
	iopb.Parameters.Create.Options = (disposition << 24) | (options & FILE_VALID_OPTION_FLAGS);
	/* Linux has no share modes: every open shares everything. */
	iopb.Parameters.Create.ShareAccess = FILE_SHARE_VALID_FLAGS;
	iopb.Parameters.Create.FileAttributes = FILE_ATTRIBUTE_NORMAL;
	fs_glue_issue(r, file, &iopb, next);
}

static void after_close(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	fs_file_free(r->file);
	r->file = NULL;
	r->then(r, d);
}

static void after_cleanup(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_CLOSE };

	fs_glue_issue(r, r->file, &iopb, after_close);
}

void fs_glue_close(struct fs_request *r, struct fs_file *file, fs_glue_next_fn next)
{
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_CLEANUP };

	r->file = file;
	r->then = next;
	fs_glue_issue(r, file, &iopb, after_cleanup);
}
