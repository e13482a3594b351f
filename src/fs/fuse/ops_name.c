/* FUSE operations on names and inodes, passed to the lower file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>

#include "fs/fuse/internal.h"

/* Replies with a new entry; if the kernel did not take it, drops the reference. */
static void reply_entry(struct fs_request *r, int err, const struct fs_entry *e)
{
	if (err) {
		fs_request_reply_err(r, err);
		return;
	}
	struct fs_lower *lower = fs_request_lower(r);
	if (fs_request_reply_entry(r, e) != 0)
		fs_lower_forget(lower, e->ino, 1);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e;
	int err = fs_lower_lookup(fs_request_lower(r), &r->cred, parent, name, &e);
	reply_entry(r, err, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fs_volume *vol = fuse_req_userdata(req);
	fs_lower_forget(vol->lower, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs_volume *vol = fuse_req_userdata(req);
	for (size_t i = 0; i < count; i++)
		fs_lower_forget(vol->lower, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct stat st;
	int err = fs_lower_getattr(fs_request_lower(r), &r->cred, ino, &st);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static unsigned setattr_valid(int to_set)
{
	static const struct {
		int fuse;
		unsigned ours;
	} map[] = {
		{ FUSE_SET_ATTR_MODE, FS_SET_MODE },	   { FUSE_SET_ATTR_UID, FS_SET_UID },
		{ FUSE_SET_ATTR_GID, FS_SET_GID },	   { FUSE_SET_ATTR_SIZE, FS_SET_SIZE },
		{ FUSE_SET_ATTR_ATIME, FS_SET_ATIME },	   { FUSE_SET_ATTR_MTIME, FS_SET_MTIME },
		{ FUSE_SET_ATTR_ATIME_NOW, FS_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME_NOW, FS_SET_MTIME_NOW },
	};
	unsigned valid = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (to_set & map[i].fuse)
			valid |= map[i].ours;
	return valid;
}

/* FUSE_SET_ATTR_CTIME comes with other changes, which set ctime themselves. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_setattr set = { .valid = setattr_valid(to_set),
				  .mode = attr->st_mode,
				  .uid = attr->st_uid,
				  .gid = attr->st_gid,
				  .size = attr->st_size,
				  .atime = attr->st_atim,
				  .mtime = attr->st_mtim };
	struct stat st;
	uint64_t fh = fi ? fi->fh : FS_NO_FH;
	int err = fs_lower_setattr(fs_request_lower(r), &r->cred, ino, fh, &set, &st);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	char buf[PATH_MAX + 1];
	int err = fs_lower_readlink(fs_request_lower(r), &r->cred, ino, buf, sizeof buf);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_readlink(r, buf);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e;
	int err = fs_lower_mknod(fs_request_lower(r), &r->cred, parent, name, mode, rdev, &e);
	reply_entry(r, err, &e);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e;
	int err = fs_lower_mkdir(fs_request_lower(r), &r->cred, parent, name, mode, &e);
	reply_entry(r, err, &e);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e;
	int err = fs_lower_symlink(fs_request_lower(r), &r->cred, link, parent, name, &e);
	reply_entry(r, err, &e);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e;
	int err = fs_lower_link(fs_request_lower(r), &r->cred, ino, newparent, newname, &e);
	reply_entry(r, err, &e);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_unlink(fs_request_lower(r), &r->cred, parent, name));
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_rmdir(fs_request_lower(r), &r->cred, parent, name));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	int err = fs_lower_rename(fs_request_lower(r), &r->cred, parent, name, newparent, newname,
				  flags);
	fs_request_reply_err(r, err);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct statvfs st;
	int err = fs_lower_statfs(fs_request_lower(r), &r->cred, ino, &st);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_statfs(r, &st);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_access(fs_request_lower(r), &r->cred, ino, mask));
}

void fs_fuse_name_ops(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->link = op_link;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->statfs = op_statfs;
	ops->access = op_access;
}
