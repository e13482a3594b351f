/*
 * Open files of the lower file system.  A file handle is the descriptor the
 * lower file system opened for the requester, so permission checks happen
 * once, at open, as on the raw directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/lower/internal.h"

/* O_DIRECT buffers must be aligned; the I/O source's buffers may not be. */
#define DIRECT_ALIGN 4096

/* Flags that only make sense when resolving a name, which re-opens do not do. */
#define NAME_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW)

int fs_lower_open(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, int flags,
		  uint64_t *fh)
{
	struct fs_op op;
	char path[FS_PROC_PATH_MAX];
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	if (op.inode->type == S_IFLNK) {
		err = ELOOP;
		goto out;
	}
	fs_proc_path(path, op.inode->fd);
	int fd = open(path, (flags & ~NAME_ONLY_FLAGS) | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else
		*fh = (uint64_t)fd;
out:
	fs_op_end(l, &op);
	return err;
}

/* The inode entry of a file just created and opened as fd. */
static int entry_of_fd(struct fs_lower *l, int fd, struct fs_entry *out)
{
	char path[FS_PROC_PATH_MAX];
	fs_proc_path(path, fd);
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return errno;
	int err = fs_fd_stat(pfd, &out->attr);
	if (err) {
		close(pfd);
		return err;
	}
	return fs_inode_ref(l, pfd, &out->attr, &out->ino);
}

/*
 * openat with O_CREAT, telling whether the file was created: without O_EXCL
 * it first tries an exclusive create, then opens the existing file (and
 * tries again if that one went away in between).  Returns the descriptor.
 */
static int create_or_open(int dirfd, const char *name, int flags, mode_t mode, bool *created)
{
	int base = (flags & ~(O_NOCTTY | O_CREAT | O_EXCL)) | O_NOFOLLOW | O_CLOEXEC;

	*created = false;
	for (;;) {
		int fd = openat(dirfd, name, base | O_CREAT | O_EXCL, mode);
		if (fd >= 0 || errno != EEXIST || (flags & O_EXCL)) {
			*created = fd >= 0;
			return fd;
		}
		fd = openat(dirfd, name, base, mode);
		if (fd >= 0 || errno != ENOENT)
			return fd;
	}
}

int fs_lower_create(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, int flags, mode_t mode, struct fs_entry *out, uint64_t *fh)
{
	int err = fs_name_check(name);
	if (err)
		return err;
	struct fs_op op;
	err = fs_op_begin(l, c, parent, &op);
	if (err)
		return err;
	if (op.inode->type != S_IFDIR) {
		err = ENOTDIR;
		goto out;
	}
	int fd = create_or_open(op.inode->fd, name, flags, mode, &out->created);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	err = entry_of_fd(l, fd, out);
	out->public_parent = fs_dir_public(op.inode);
	if (err)
		close(fd);
	else
		*fh = (uint64_t)fd;
out:
	fs_op_end(l, &op);
	return err;
}

static bool misaligned(const void *buf)
{
	return ((uintptr_t)buf % DIRECT_ALIGN) != 0;
}

/* pread through an aligned buffer, for O_DIRECT files. */
static ssize_t pread_aligned(int fd, void *buf, size_t size, off_t off)
{
	void *tmp;
	if (posix_memalign(&tmp, DIRECT_ALIGN, size ? size : 1) != 0) {
		errno = ENOMEM;
		return -1;
	}
	ssize_t n = pread(fd, tmp, size, off);
	if (n > 0)
		memcpy(buf, tmp, (size_t)n);
	free(tmp);
	return n;
}

static ssize_t pwrite_aligned(int fd, const void *buf, size_t size, off_t off)
{
	void *tmp;
	if (posix_memalign(&tmp, DIRECT_ALIGN, size ? size : 1) != 0) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, buf, size);
	ssize_t n = pwrite(fd, tmp, size, off);
	free(tmp);
	return n;
}

int fs_lower_read(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, void *buf,
		  size_t size, off_t off, size_t *done)
{
	(void)l;
	(void)c;
	int fd = (int)fh;
	size_t got = 0;
	while (got < size) {
		char *p = (char *)buf + got;
		ssize_t n = pread(fd, p, size - got, off + (off_t)got);
		if (n < 0 && errno == EINVAL && misaligned(p))
			n = pread_aligned(fd, p, size - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (got)
				break;
			return errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*done = got;
	return 0;
}

int fs_lower_write(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, const void *buf,
		   size_t size, off_t off, size_t *done)
{
	(void)l;
	/* As the writer: a write by someone without CAP_FSETID clears suid/sgid. */
	struct fs_cred_state st;
	int err = fs_cred_enter(c, &st);
	if (err)
		return err;
	int fd = (int)fh;
	size_t put = 0;
	while (put < size) {
		const char *p = (const char *)buf + put;
		ssize_t n = pwrite(fd, p, size - put, off + (off_t)put);
		if (n < 0 && errno == EINVAL && misaligned(p))
			n = pwrite_aligned(fd, p, size - put, off + (off_t)put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!put)
				err = n < 0 ? errno : EIO;
			break;
		}
		put += (size_t)n;
	}
	fs_cred_leave(&st);
	*done = put;
	return err;
}

int fs_lower_flush(struct fs_lower *l, uint64_t fh, bool unlock)
{
	(void)l;
	/*
	 * A flush is the requester's close(): its record locks go now, as
	 * POSIX says, not at the release that an I/O source may send later.
	 */
	struct flock all = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	if (unlock && fcntl((int)fh, F_OFD_SETLK, &all) != 0)
		return errno;
	/* Closing a duplicate reports what a close of the requester's descriptor
	 * would (delayed write errors) and keeps the file open for release. */
	int dup_fd = dup((int)fh);
	if (dup_fd < 0)
		return errno;
	return close(dup_fd) == 0 ? 0 : errno;
}

int fs_lower_release(struct fs_lower *l, uint64_t fh)
{
	(void)l;
	return close((int)fh) == 0 ? 0 : errno;
}

int fs_lower_fsync(struct fs_lower *l, uint64_t fh, bool datasync)
{
	(void)l;
	int res = datasync ? fdatasync((int)fh) : fsync((int)fh);
	return res == 0 ? 0 : errno;
}

int fs_lower_fallocate(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, int mode,
		       off_t off, off_t len)
{
	(void)l;
	struct fs_cred_state st;
	int err = fs_cred_enter(c, &st);
	if (err)
		return err;
	if (fallocate((int)fh, mode, off, len) != 0)
		err = errno;
	fs_cred_leave(&st);
	return err;
}

int fs_lower_lseek(struct fs_lower *l, uint64_t fh, off_t off, int whence, off_t *out)
{
	(void)l;
	off_t res = lseek((int)fh, off, whence);
	if (res < 0)
		return errno;
	*out = res;
	return 0;
}

int fs_lower_copy_file_range(struct fs_lower *l, const struct fs_cred *c, uint64_t fh_in,
			     off_t off_in, uint64_t fh_out, off_t off_out, size_t len,
			     unsigned flags, size_t *done)
{
	(void)l;
	struct fs_cred_state st;
	int err = fs_cred_enter(c, &st);
	if (err)
		return err;
	ssize_t n = copy_file_range((int)fh_in, &off_in, (int)fh_out, &off_out, len, flags);
	if (n < 0)
		err = errno;
	else
		*done = (size_t)n;
	fs_cred_leave(&st);
	return err;
}
