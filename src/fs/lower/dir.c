/* Directory handles of the lower file system: opendir, readdir, releasedir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs/lower/internal.h"

struct fs_dir {
	DIR *dp;
	off_t offset;		/* offset of `entry`, or of the next readdir() */
	struct dirent *entry;	/* read but not yet taken by the caller */
};

int fs_lower_opendir(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t *dh)
{
	struct fs_op op;
	int err = fs_op_begin(l, c, ino, &op);
	if (err)
		return err;
	struct fs_dir *d = calloc(1, sizeof(*d));
	int fd = -1;
	if (!d) {
		err = ENOMEM;
		goto out;
	}
	/* "." re-opens the O_PATH directory with the read permission check. */
	fd = openat(op.inode->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = errno;
		goto out;
	}
	*dh = (uint64_t)(uintptr_t)d;
	d = NULL;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(d);
	fs_op_end(l, &op);
	return err;
}

static struct fs_dir *dir_of(uint64_t dh)
{
	return (struct fs_dir *)(uintptr_t)dh;
}

int fs_lower_readdir(struct fs_lower *l, uint64_t dh, off_t off, fs_dirent_fn fn, void *ctx)
{
	(void)l;
	struct fs_dir *d = dir_of(dh);
	if (!d)
		return EBADF;
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry)
				return errno;
		}
		struct dirent *e = d->entry;
		if (!fn(ctx, e->d_name, e->d_ino, e->d_type, e->d_off))
			return 0;
		d->offset = e->d_off;
		d->entry = NULL;
	}
}

int fs_lower_releasedir(struct fs_lower *l, uint64_t dh)
{
	(void)l;
	struct fs_dir *d = dir_of(dh);
	if (!d)
		return EBADF;
	int err = closedir(d->dp) == 0 ? 0 : errno;
	free(d);
	return err;
}

int fs_lower_fsyncdir(struct fs_lower *l, uint64_t dh, bool datasync)
{
	(void)l;
	struct fs_dir *d = dir_of(dh);
	if (!d)
		return EBADF;
	int fd = dirfd(d->dp);
	int res = datasync ? fdatasync(fd) : fsync(fd);
	return res == 0 ? 0 : errno;
}
