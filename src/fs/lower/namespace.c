/*
 * Name-space operations of the lower file system: mkdir, mknod, symlink,
 * readlink, link, unlink, rmdir, rename.  Each works on a name inside a
 * parent directory descriptor, never on a path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "fs/lower/internal.h"

/* Starts an operation on `name` inside directory `parent`. */
static int dir_op_begin(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
			const char *name, struct fs_op *op)
{
	int err = fs_name_check(name);
	if (err)
		return err;
	err = fs_op_begin(l, c, parent, op);
	if (err)
		return err;
	if (op->inode->type != S_IFDIR) {
		fs_op_end(l, op);
		return ENOTDIR;
	}
	return 0;
}

/* After a successful creation: the entry for the new name (as the requester). */
static int created(struct fs_lower *l, struct fs_op *op, int res, const char *name,
		   struct fs_entry *out)
{
	int err = res == 0 ? fs_inode_lookup(l, op->inode, name, out) : errno;
	fs_op_end(l, op);
	return err;
}

int fs_lower_mkdir(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name, mode_t mode, struct fs_entry *out)
{
	struct fs_op op;
	int err = dir_op_begin(l, c, parent, name, &op);
	if (err)
		return err;
	return created(l, &op, mkdirat(op.inode->fd, name, mode), name, out);
}

int fs_lower_mknod(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name, mode_t mode, dev_t rdev, struct fs_entry *out)
{
	struct fs_op op;
	int err = dir_op_begin(l, c, parent, name, &op);
	if (err)
		return err;
	return created(l, &op, mknodat(op.inode->fd, name, mode, rdev), name, out);
}

int fs_lower_symlink(struct fs_lower *l, const struct fs_cred *c, const char *target,
		     uint64_t parent, const char *name, struct fs_entry *out)
{
	if (!target || !target[0])
		return ENOENT;
	struct fs_op op;
	int err = dir_op_begin(l, c, parent, name, &op);
	if (err)
		return err;
	return created(l, &op, symlinkat(target, op.inode->fd, name), name, out);
}

int fs_lower_readlink(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, char *buf,
		      size_t size)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	if (op.inode->type != S_IFLNK) {
		err = EINVAL;
		goto out;
	}
	ssize_t n = readlinkat(op.inode->fd, "", buf, size);
	if (n < 0)
		err = errno;
	else if ((size_t)n >= size)
		err = ENAMETOOLONG;
	else
		buf[n] = '\0';
out:
	fs_op_end(l, &op);
	return err;
}

int fs_lower_link(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t newparent,
		  const char *newname, struct fs_entry *out)
{
	struct fs_inode *target = fs_inode_get(l, ino);
	if (!target)
		return ESTALE;
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = dir_op_begin(l, c, newparent, newname, &op);
	if (err)
		goto out;
	/*
	 * linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which the requester's
	 * identity does not have; the /proc link of the descriptor reaches the
	 * same inode (also a symlink's) with the ordinary link checks.
	 */
	fs_proc_path(path, target->fd);
	int res = linkat(AT_FDCWD, path, op.inode->fd, newname, AT_SYMLINK_FOLLOW);
	err = created(l, &op, res, newname, out);
out:
	fs_inode_put(l, target);
	return err;
}

static int remove_name(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		       const char *name, int flags)
{
	struct fs_op op;
	int err = dir_op_begin(l, c, parent, name, &op);
	if (err)
		return err;
	if (unlinkat(op.inode->fd, name, flags) != 0)
		err = errno;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_unlink(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name)
{
	return remove_name(l, c, parent, name, 0);
}

int fs_lower_rmdir(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name)
{
	return remove_name(l, c, parent, name, AT_REMOVEDIR);
}

int fs_lower_rename(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, uint64_t newparent, const char *newname, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return EINVAL;
	int err = fs_name_check(newname);
	if (err)
		return err;
	struct fs_inode *to = fs_inode_get(l, newparent);
	if (!to)
		return ESTALE;
	struct fs_op op;
	err = dir_op_begin(l, c, parent, name, &op);
	if (err)
		goto out;
	if (to->type != S_IFDIR)
		err = ENOTDIR;
	else if (renameat2(op.inode->fd, name, to->fd, newname, flags) != 0)
		err = errno;
	fs_op_end(l, &op);
out:
	fs_inode_put(l, to);
	return err;
}
