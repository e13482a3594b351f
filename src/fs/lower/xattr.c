/*
 * Extended attributes of the lower file system.  The *xattr calls do not take
 * O_PATH descriptors, so they go through the descriptor's /proc link, which
 * reaches the inode itself (a symlink's too) without following anything
 * inside the volume.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/xattr.h>

#include "fs/lower/internal.h"

static int xattr_op_begin(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
			  struct fs_op *op, char path[FS_PROC_PATH_MAX])
{
	int err = fs_op_begin(l, c, ino, op);
	if (!err)
		fs_proc_path(path, op->inode->fd);
	return err;
}

int fs_lower_setxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, const void *value, size_t size, int flags)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	if (setxattr(path, name, value, size, flags) != 0)
		err = errno;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_getxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, void *buf, size_t size, size_t *len)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	ssize_t n = getxattr(path, name, buf, size);
	if (n < 0)
		err = errno;
	else
		*len = (size_t)n;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_listxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, char *buf,
		       size_t size, size_t *len)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	ssize_t n = listxattr(path, buf, size);
	if (n < 0)
		err = errno;
	else
		*len = (size_t)n;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_removexattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
			 const char *name)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	if (removexattr(path, name) != 0)
		err = errno;
	fs_op_end(l, &op);
	return err;
}
