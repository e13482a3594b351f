/*
 * Locks of the lower file system.  POSIX record locks become open file
 * description (OFD) locks on the lower handle: each open through the volume
 * has its own handle, so locks of different opens conflict with each other
 * and with POSIX locks taken on the raw files, and the host's own process id
 * does not merge them.  They are released at flush (the requester's close)
 * and at release.  Unlike POSIX locks they belong to the open, not to the
 * process: a child sharing the open (fork) shares them.  flock locks are
 * released when the handle is released (FUSE sends that after close()
 * returns).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/file.h>

#include "fs/lower/internal.h"

int fs_lower_getlk(struct fs_lower *l, uint64_t fh, struct flock *lock)
{
	(void)l;
	struct flock lk = *lock;
	lk.l_pid = 0;
	if (fcntl((int)fh, F_OFD_GETLK, &lk) != 0)
		return errno;
	*lock = lk;
	return 0;
}

int fs_lower_setlk(struct fs_lower *l, uint64_t fh, const struct flock *lock, bool sleep)
{
	(void)l;
	struct flock lk = *lock;
	lk.l_pid = 0;
	/* EINTR is returned, not retried: a signal is how a waiter is cancelled. */
	int res = fcntl((int)fh, sleep ? F_OFD_SETLKW : F_OFD_SETLK, &lk);
	return res == 0 ? 0 : errno;
}

int fs_lower_flock(struct fs_lower *l, uint64_t fh, int op)
{
	(void)l;
	return flock((int)fh, op) == 0 ? 0 : errno;
}
