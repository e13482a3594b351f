/* FUSE directory operations: opendir, readdir(plus), releasedir, fsyncdir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

/* opendir -> IRP_MJ_CREATE of a directory; readdir reads the lower handle. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_file *file = fs_file_new(r->vol, ino, NULL);
	if (!file) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->fi = *fi;
	r->file = file;
	r->args.kind = FS_CREATE_OPEN_INODE;
	r->args.ino = ino;
	r->args.flags = O_RDONLY | O_DIRECTORY;
	fs_glue_create(r, file, fs_glue_access(O_RDONLY), FILE_OPEN, fs_glue_options(O_RDONLY, true),
		       fs_fuse_reply_opened);
}

struct listing {
	struct fs_request *r;
	fuse_ino_t dir;
	bool plus;
	char *buf;
	size_t size;
	size_t used;
};

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static bool add_plain(struct listing *li, const char *name, ino_t ino, unsigned char type,
		      off_t next)
{
	struct stat st = { .st_ino = ino, .st_mode = (mode_t)type << 12 };
	size_t room = li->size - li->used;
	size_t n = fuse_add_direntry(li->r->req, li->buf + li->used, room, name, &st, next);
	if (n > room)
		return false;
	li->used += n;
	return true;
}

/*
 * readdirplus hands the kernel an entry (a lookup reference) per name; an
 * entry that cannot be looked up (gone, or no search permission) is sent
 * without one, as for "." and "..", and the kernel looks it up itself.
 */
static bool add_plus(struct listing *li, const char *name, ino_t ino, unsigned char type,
		     off_t next)
{
	struct fs_lower *lower = fs_request_lower(li->r);
	struct fuse_entry_param p = { .attr = { .st_ino = ino, .st_mode = (mode_t)type << 12 } };
	struct fs_entry e;
	if (!is_dot(name) && fs_lower_lookup(lower, &li->r->cred, li->dir, name, &e) == 0)
		p = (struct fuse_entry_param){ .ino = e.ino,
					       .attr = e.attr,
					       .attr_timeout = FS_FUSE_ATTR_TIMEOUT,
					       .entry_timeout = fs_fuse_entry_timeout(&e) };
	size_t room = li->size - li->used;
	size_t n = fuse_add_direntry_plus(li->r->req, li->buf + li->used, room, name, &p, next);
	if (n > room) {
		if (p.ino)
			fs_lower_forget(lower, p.ino, 1);
		return false;
	}
	li->used += n;
	return true;
}

static bool add_entry(void *ctx, const char *name, ino_t ino, unsigned char type, off_t next)
{
	struct listing *li = ctx;
	return li->plus ? add_plus(li, name, ino, type, next) : add_plain(li, name, ino, type, next);
}

static void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi, bool plus)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct listing li = { .r = r, .dir = ino, .plus = plus, .size = size };
	li.buf = malloc(size ? size : 1);
	if (!li.buf) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	int err = fs_lower_readdir(fs_request_lower(r), fs_file_of(fi->fh)->h.fh, off, add_entry, &li);
	/* Entries already added were handed out: they must be replied. */
	if (err && li.used == 0)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_buf(r, li.buf, li.used);
	free(li.buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	list(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	list(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_glue_close(r, fs_file_of(fi->fh), fs_fuse_reply_closed);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_FLUSH_BUFFERS };
	r->args.flags = datasync;
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, fs_fuse_reply_status);
}

void fs_fuse_dir_ops(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
}
