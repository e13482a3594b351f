/*
 * FUSE operations on open files, through the volume's filter stack:
 * open/create -> IRP_MJ_CREATE (one FILE_OBJECT per open, fi->fh points at
 * it), read/write -> IRP_MJ_READ/WRITE, release -> IRP_MJ_CLEANUP then
 * IRP_MJ_CLOSE, fsync -> IRP_MJ_FLUSH_BUFFERS.
 *
 * Locks and flush are in ops_lock.c; fallocate, lseek and copy_file_range
 * in ops_space.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

/*
 * Open files are not direct_io: the kernel's page cache serves mmap and
 * readahead, and keep_cache is off, so every open drops what a previous
 * open cached and the filters see the data read after each open.
 * Write-only opens are the exception: nothing can be read or mapped
 * through them, and as direct_io each write() is sent as it is, without
 * the kernel first asking the volume for security.capability (a GETXATTR
 * round trip per write() on cached files; the lower file system clears
 * it and suid/sgid itself, writes being done as the writer).  Pages other
 * opens cached are dropped at their next read: the write changes mtime
 * (auto_inval_data).
 */
void fs_fuse_reply_opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct fs_file *file = r->file;
	int err = fs_glue_errno(r, d);

	struct fs_volume *vol = r->vol;
	if (err) {
		fs_handle_release(vol->lower, &file->h);
		fs_file_free(file);
		fs_request_reply_err(r, err);
		return;
	}
	bool create = r->args.kind == FS_CREATE_BY_NAME;
	struct fs_entry e = r->args.entry;
	r->fi.fh = (uint64_t)(uintptr_t)file;
	r->fi.keep_cache = 0;
	r->fi.direct_io = (r->fi.flags & O_ACCMODE) == O_WRONLY;
	int sent = create ? fs_request_reply_create(r, &e, &r->fi) : fs_request_reply_open(r, &r->fi);
	if (sent == 0)
		return;
	/* The kernel did not take the handle: the open ends here. */
	fs_handle_release(vol->lower, &file->h);
	if (create)
		fs_lower_forget(vol->lower, e.ino, 1);
	fs_file_free(file);
}

static void open_common(fuse_req_t req, fuse_ino_t dir, const char *name, struct fuse_file_info *fi,
			enum fs_create_kind kind, fuse_ino_t ino, mode_t mode)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_file *file = kind == FS_CREATE_BY_NAME ? fs_file_new(r->vol, dir, name)
							 : fs_file_new(r->vol, ino, NULL);
	if (!file) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->fi = *fi;
	r->file = file;
	r->args.kind = kind;
	r->args.ino = ino;
	r->args.parent = dir;
	r->args.name = name;
	r->args.flags = fi->flags;
	r->args.mode = mode;
	fs_request_hold(r);
	fs_glue_create(r, file, fs_glue_access(fi->flags), fs_glue_disposition(fi->flags),
		       fs_glue_options(fi->flags, false), fs_fuse_reply_opened);
	fs_request_wait_reply(r);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	open_common(req, 0, NULL, fi, FS_CREATE_OPEN_INODE, ino, 0);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	open_common(req, parent, name, fi, FS_CREATE_BY_NAME, 0, mode);
}

static void reply_read(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	void *buf = r->buf;
	size_t cap = r->size;
	int err = fs_glue_errno(r, d);

	if (d->IoStatus.Status == STATUS_END_OF_FILE)
		fs_request_reply_buf(r, buf, 0);
	else if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_buf(r, buf, d->IoStatus.Information);
	fs_read_buf_put(buf, cap);
}

/* The read buffer is ours: a pended read is answered later without holding a worker. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	r->buf = fs_read_buf_get(size, &r->size);
	if (!r->buf) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_READ };
	iopb.IrpFlags = IRP_READ_OPERATION;
	iopb.Parameters.Read.Length = (ULONG)size;
	iopb.Parameters.Read.ByteOffset.QuadPart = off;
	iopb.Parameters.Read.ReadBuffer = r->buf;
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, reply_read);
}

static void reply_write(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);

	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_write(r, d->IoStatus.Information);
}

/*
 * The data lives in libfuse's buffer until the handler returns, so the
 * handler waits for the reply.  Writes the kernel flushes from its page
 * cache (FUSE_WRITE_CACHE: mmap'ed pages) are paging I/O.
 */
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_WRITE };
	iopb.IrpFlags = IRP_WRITE_OPERATION;
	if (fi->writepage)
		iopb.IrpFlags |= IRP_PAGING_IO | IRP_NOCACHE;
	iopb.Parameters.Write.Length = (ULONG)size;
	iopb.Parameters.Write.ByteOffset.QuadPart = off;
	iopb.Parameters.Write.WriteBuffer = (PVOID)buf;
	fs_request_hold(r);
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, reply_write);
	fs_request_wait_reply(r);
}

void fs_fuse_reply_closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	fs_request_reply_err(r, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_glue_close(r, fs_file_of(fi->fh), fs_fuse_reply_closed);
}

void fs_fuse_reply_status(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	fs_request_reply_err(r, fs_glue_errno(r, d));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_FLUSH_BUFFERS };
	r->args.flags = datasync;
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, fs_fuse_reply_status);
}

void fs_fuse_file_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write = op_write;
	ops->release = op_release;
	ops->fsync = op_fsync;
	fs_fuse_lock_ops(ops);
	fs_fuse_space_ops(ops);
}
