/*
 * The current path of an inode inside the source directory, for the names
 * the Filter Manager shows (FILE_OBJECT FileName, FileNameInformation).
 * The kernel keeps the path of an O_PATH descriptor up to date across
 * renames; /proc/self/fd/N shows it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fs/lower/internal.h"

static int fd_path(int fd, char *buf, size_t size, size_t *len)
{
	char proc[FS_PROC_PATH_MAX];
	fs_proc_path(proc, fd);
	ssize_t n = readlink(proc, buf, size);
	if (n < 0)
		return errno;
	if ((size_t)n >= size)
		return ENAMETOOLONG;
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int fs_lower_path(struct fs_lower *l, uint64_t ino, char *buf, size_t size)
{
	if (ino == FS_LOWER_ROOT) {
		if (!size)
			return ENAMETOOLONG;
		buf[0] = '\0';
		return 0;
	}
	struct fs_inode *n = fs_inode_get(l, ino);
	if (!n)
		return ESTALE;
	char root[PATH_MAX];
	size_t rlen = 0, len = 0;
	int err = fd_path(l->root->fd, root, sizeof root, &rlen);
	if (!err)
		err = fd_path(n->fd, buf, size, &len);
	fs_inode_put(l, n);
	if (err)
		return err;
	if (rlen == 1)
		rlen = 0; /* the source is "/" */
	if (len <= rlen || strncmp(buf, root, rlen) != 0 || buf[rlen] != '/')
		return ESTALE; /* moved out of the source directory */
	memmove(buf, buf + rlen + 1, len - rlen);
	return 0;
}
