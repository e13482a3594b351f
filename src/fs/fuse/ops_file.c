/* FUSE operations on open files, passed to the lower file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>

#include "fs/fuse/internal.h"

/* Read buffers are page aligned, so O_DIRECT reads need no bounce buffer. */
#define READ_ALIGN 4096

/*
 * Open files are not direct_io: the kernel's page cache serves mmap and
 * readahead, and keep_cache is off, so every open drops what a previous
 * open cached and the filters see the data read after each open.
 */
static void set_open_flags(struct fuse_file_info *fi, uint64_t fh)
{
	fi->fh = fh;
	fi->keep_cache = 0;
	fi->direct_io = 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_lower *lower = fs_request_lower(r);
	uint64_t fh;
	int err = fs_lower_open(lower, &r->cred, ino, fi->flags, &fh);
	if (err) {
		fs_request_reply_err(r, err);
		return;
	}
	set_open_flags(fi, fh);
	if (fs_request_reply_open(r, fi) != 0)
		fs_lower_release(lower, fh);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_lower *lower = fs_request_lower(r);
	struct fs_entry e;
	uint64_t fh;
	int err = fs_lower_create(lower, &r->cred, parent, name, fi->flags, mode, &e, &fh);
	if (err) {
		fs_request_reply_err(r, err);
		return;
	}
	set_open_flags(fi, fh);
	if (fs_request_reply_create(r, &e, fi) != 0) {
		fs_lower_release(lower, fh);
		fs_lower_forget(lower, e.ino, 1);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	void *buf = NULL;
	if (posix_memalign(&buf, READ_ALIGN, size ? size : 1) != 0) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	size_t done = 0;
	int err = fs_lower_read(fs_request_lower(r), &r->cred, fi->fh, buf, size, off, &done);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_buf(r, buf, done);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	size_t done = 0;
	int err = fs_lower_write(fs_request_lower(r), &r->cred, fi->fh, buf, size, off, &done);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_write(r, done);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_flush(fs_request_lower(r), fi->fh));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_release(fs_request_lower(r), fi->fh));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_fsync(fs_request_lower(r), fi->fh, datasync != 0));
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	int err = fs_lower_fallocate(fs_request_lower(r), &r->cred, fi->fh, mode, off, len);
	fs_request_reply_err(r, err);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	off_t res;
	int err = fs_lower_lseek(fs_request_lower(r), fi->fh, off, whence, &res);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_lseek(r, res);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len, int flags)
{
	(void)ino_in;
	(void)ino_out;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	size_t done = 0;
	int err = fs_lower_copy_file_range(fs_request_lower(r), &r->cred, fi_in->fh, off_in,
					   fi_out->fh, off_out, len, (unsigned)flags, &done);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_write(r, done);
}

static void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	int err = fs_lower_getlk(fs_request_lower(r), fi->fh, lock);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_lock(r, lock);
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock, int sleep)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_setlk(fs_request_lower(r), fi->fh, lock, sleep));
}

static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_flock(fs_request_lower(r), fi->fh, op));
}

void fs_fuse_file_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write = op_write;
	ops->flush = op_flush;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	ops->lseek = op_lseek;
	ops->copy_file_range = op_copy_file_range;
	ops->getlk = op_getlk;
	ops->setlk = op_setlk;
	ops->flock = op_flock;
}
