/* Attributes of the lower file system: getattr, setattr, access, statfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs/lower/internal.h"

int fs_lower_getattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		     struct stat *out)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	err = fs_fd_stat(op.inode->fd, out);
	fs_op_end(l, &op);
	return err;
}

static int set_mode(struct fs_inode *n, int fd, mode_t mode)
{
	char path[FS_PROC_PATH_MAX];
	if (fd >= 0)
		return fchmod(fd, mode) == 0 ? 0 : errno;
	/* Linux has no mode on symlinks. */
	if (n->type == S_IFLNK)
		return EOPNOTSUPP;
	fs_proc_path(path, n->fd);
	return chmod(path, mode) == 0 ? 0 : errno;
}

/*
 * The kernel clears suid/sgid when someone who may write a file writes or
 * truncates it, whether or not that someone owns it.  When the I/O source
 * cannot do that itself it sends a chmod as the writer (FUSE without
 * handle_killpriv, which libfuse before 3.17 cannot negotiate); a chmod
 * that only drops those bits is then done with the host's identity, for a
 * requester allowed to write the file.
 */
static bool drops_privs_only(struct fs_inode *n, mode_t mode)
{
	struct stat st;
	if (fs_fd_stat(n->fd, &st) != 0)
		return false;
	const mode_t privs = S_ISUID | S_ISGID;
	mode_t cur = st.st_mode & 07777;
	mode &= 07777;
	return mode != cur && (mode & ~privs) == (cur & ~privs) && (mode & ~cur) == 0;
}

static int set_mode_as_writer(struct fs_op *op, const struct fs_cred *c, int fd, mode_t mode)
{
	int err = set_mode(op->inode, fd, mode);
	if (err != EPERM || !drops_privs_only(op->inode, mode) ||
	    faccessat(op->inode->fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) != 0)
		return err;
	fs_cred_leave(&op->cred);
	err = set_mode(op->inode, fd, mode);
	int again = fs_cred_enter(c, &op->cred);
	return err ? err : again;
}

static int set_owner(struct fs_inode *n, const struct fs_setattr *set)
{
	uid_t uid = set->valid & FS_SET_UID ? set->uid : (uid_t)-1;
	gid_t gid = set->valid & FS_SET_GID ? set->gid : (gid_t)-1;
	int res = fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	return res == 0 ? 0 : errno;
}

static int set_size(struct fs_inode *n, int fd, off_t size)
{
	char path[FS_PROC_PATH_MAX];
	if (fd >= 0)
		return ftruncate(fd, size) == 0 ? 0 : errno;
	if (n->type == S_IFDIR)
		return EISDIR;
	if (n->type != S_IFREG)
		return EINVAL;
	fs_proc_path(path, n->fd);
	return truncate(path, size) == 0 ? 0 : errno;
}

static int set_times(struct fs_inode *n, int fd, const struct fs_setattr *set)
{
	struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
	if (set->valid & FS_SET_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (set->valid & FS_SET_ATIME)
		tv[0] = set->atime;
	if (set->valid & FS_SET_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (set->valid & FS_SET_MTIME)
		tv[1] = set->mtime;
	int res = fd >= 0 ? futimens(fd, tv)
			  : utimensat(n->fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	return res == 0 ? 0 : errno;
}

int fs_lower_setattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t fh,
		     const struct fs_setattr *set, struct stat *out)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	int fd = fh == FS_NO_FH ? -1 : (int)fh;
	const unsigned times = FS_SET_ATIME | FS_SET_MTIME | FS_SET_ATIME_NOW | FS_SET_MTIME_NOW;
	if (set->valid & FS_SET_MODE)
		err = set_mode_as_writer(&op, c, fd, set->mode);
	if (!err && (set->valid & (FS_SET_UID | FS_SET_GID)))
		err = set_owner(op.inode, set);
	if (!err && (set->valid & FS_SET_SIZE))
		err = set_size(op.inode, fd, set->size);
	if (!err && (set->valid & times))
		err = set_times(op.inode, fd, set);
	if (!err)
		err = fs_fd_stat(op.inode->fd, out);
	fs_op_end(l, &op);
	return err;
}

int fs_lower_access(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, int mask)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	/* AT_EACCESS: check with the file-system ids just switched to. */
	if (faccessat(op.inode->fd, "", mask, AT_EMPTY_PATH | AT_EACCESS) != 0)
		err = errno;
	fs_op_end(l, &op);
	return err;
}

int fs_lower_statfs(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		    struct statvfs *out)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	if (fstatvfs(op.inode->fd, out) != 0)
		err = errno;
	fs_op_end(l, &op);
	return err;
}
