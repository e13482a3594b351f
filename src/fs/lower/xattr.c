/*
 * Extended attributes of the lower file system.  The *xattr calls do not take
 * O_PATH descriptors, so they go through the descriptor's /proc link, which
 * reaches the inode itself (a symlink's too) without following anything
 * inside the volume.
 *
 * Namespaces: the host keeps CAP_SYS_ADMIN while it acts as a requester
 * (only the file-system capabilities go with fsuid 0), so the rules the
 * kernel ties to that capability are applied here for the requester:
 * trusted.* is root's only (others get EPERM on writes and ENODATA on reads,
 * and do not see the names in a list), and security.* may be read by all but
 * set or removed by root only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
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

static bool prefixed(const char *name, const char *prefix)
{
	return name && strncmp(name, prefix, strlen(prefix)) == 0;
}

/*
 * What the kernel would allow the requester (uid 0 standing for the
 * capability): without it, trusted.* reads find nothing (ENODATA) and
 * writes are EPERM, as are security.* writes.
 */
static int namespace_allows(const struct fs_cred *c, const char *name, bool write)
{
	if (c->uid == 0)
		return 0;
	if (prefixed(name, "trusted."))
		return write ? EPERM : ENODATA;
	return write && prefixed(name, "security.") ? EPERM : 0;
}

/* Drops the trusted.* names of a list (NUL-separated) the requester may not see. */
static size_t list_visible(const struct fs_cred *c, char *buf, size_t len)
{
	size_t out = 0;

	for (size_t at = 0; at < len;) {
		size_t n = strnlen(buf + at, len - at) + 1;
		if (namespace_allows(c, buf + at, false) == 0) {
			memmove(buf + out, buf + at, n);
			out += n;
		}
		at += n;
	}
	return out;
}

/* An ACL change may change who can search a directory. */
static void forget_if_acl(struct fs_inode *n, const char *name)
{
	if (name && strncmp(name, "system.posix_acl", 16) == 0)
		fs_dir_public_forget(n);
}

int fs_lower_setxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, const void *value, size_t size, int flags)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = namespace_allows(c, name, true);
	if (err)
		return err;
	err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	if (setxattr(path, name, value, size, flags) != 0)
		err = errno;
	forget_if_acl(op.inode, name);
	fs_op_end(l, &op);
	return err;
}

int fs_lower_getxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, void *buf, size_t size, size_t *len)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = namespace_allows(c, name, false);
	if (err)
		return err;
	err = xattr_op_begin(l, c, ino, &op, path);
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
		*len = size ? list_visible(c, buf, (size_t)n) : (size_t)n;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_removexattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
			 const char *name)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = namespace_allows(c, name, true);
	if (err)
		return err;
	err = xattr_op_begin(l, c, ino, &op, path);
	if (err)
		return err;
	if (removexattr(path, name) != 0)
		err = errno;
	forget_if_acl(op.inode, name);
	fs_op_end(l, &op);
	return err;
}
