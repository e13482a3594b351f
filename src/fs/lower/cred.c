/*
 * Per-thread identity switching for the lower file system (see fs/lower.h).
 *
 * setfsuid and setfsgid act on the calling thread only.  glibc's setgroups
 * changes every thread of the process, so the raw system call is used, which
 * changes the calling thread only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/lower/internal.h"

static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static bool host_root;
static int host_ngroups;
static gid_t *host_groups;

static void host_init(void)
{
	host_root = geteuid() == 0;
	int n = getgroups(0, NULL);
	if (n <= 0)
		return;
	host_groups = calloc((size_t)n, sizeof(gid_t));
	if (!host_groups)
		return;
	n = getgroups(n, host_groups);
	host_ngroups = n > 0 ? n : 0;
}

static __thread bool thread_ready;

/* A private umask (0: modes are final) and cwd for each calling thread. */
static int thread_init(void)
{
	pthread_once(&host_once, host_init);
	if (thread_ready)
		return 0;
	if (unshare(CLONE_FS) != 0)
		return errno;
	umask(0);
	thread_ready = true;
	return 0;
}

static void switch_back(void)
{
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	syscall(SYS_setgroups, (size_t)host_ngroups, host_groups);
}

int fs_cred_enter(const struct fs_cred *c, struct fs_cred_state *st)
{
	st->switched = false;
	int err = thread_init();
	if (err)
		return err;
	if (!host_root || (c->uid == 0 && c->gid == 0 && c->ngroups == 0))
		return 0;
	if (syscall(SYS_setgroups, c->ngroups, c->groups) != 0)
		return errno;
	syscall(SYS_setfsgid, c->gid);
	syscall(SYS_setfsuid, c->uid);
	/* setfsuid reports no error; -1 is never valid and returns the current id. */
	if ((uid_t)syscall(SYS_setfsuid, -1) != c->uid ||
	    (gid_t)syscall(SYS_setfsgid, -1) != c->gid) {
		switch_back();
		return EPERM;
	}
	st->switched = true;
	return 0;
}

void fs_cred_leave(struct fs_cred_state *st)
{
	if (!st->switched)
		return;
	int saved = errno;
	switch_back();
	st->switched = false;
	errno = saved;
}
