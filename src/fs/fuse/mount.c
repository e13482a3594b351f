/*
 * Mount table helpers: lazy unmount, and the cleanup of stale mounts left by
 * a host that was killed (its FUSE connection is gone; every access to the
 * mount point fails with ENOTCONN until it is unmounted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/fuse/internal.h"

extern char **environ;

int fs_fuse_detach(const char *mountpoint)
{
	if (geteuid() == 0)
		return umount2(mountpoint, MNT_DETACH) == 0 ? 0 : errno;
	char *argv[] = { "fusermount3", "-u", "-z", "--", (char *)mountpoint, NULL };
	pid_t pid;
	int err = posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ);
	if (err)
		return err;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/*
 * The mount point of a mountinfo line if its type is ours, else NULL.
 * Fields: id parent major:minor root mountpoint options [optional...] -
 * fstype source superoptions.
 */
static char *our_mountpoint(char *line)
{
	char *sep = strstr(line, " - ");
	if (!sep)
		return NULL;
	*sep = '\0';
	char *type = sep + 3;
	char *end = strchr(type, ' ');
	if (!end)
		return NULL;
	*end = '\0';
	if (strcmp(type, "fuse." FS_VOLUME_SUBTYPE) != 0)
		return NULL;
	char *save, *field = strtok_r(line, " ", &save);
	for (int i = 0; field && i < 4; i++)
		field = strtok_r(NULL, " ", &save);
	if (field)
		unescape(field);
	return field;
}

/*
 * statfs answers at once with ENOTCONN on a mount whose server is gone, but
 * blocks on one whose server is alive and stuck; so it runs on a detached
 * thread and a mount that does not answer within STALE_PROBE_SECONDS counts
 * as alive.  (The probe thread then stays blocked until that server answers
 * or dies.)
 */
#define STALE_PROBE_SECONDS 1

struct probe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done;
	bool stale;
	char path[];
};

static void probe_put(struct probe *p)
{
	pthread_mutex_lock(&p->lock);
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (!last)
		return;
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	struct statfs sf;
	bool stale = statfs(p->path, &sf) != 0 && (errno == ENOTCONN || errno == ECONNABORTED);
	pthread_mutex_lock(&p->lock);
	p->stale = stale;
	p->done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	probe_put(p);
	return NULL;
}

static bool start_probe(struct probe *p)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	if (pthread_attr_init(&attr) != 0)
		return false;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = pthread_create(&th, &attr, probe_main, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ok;
}

static bool is_stale(const char *mountpoint)
{
	size_t len = strlen(mountpoint);
	struct probe *p = calloc(1, sizeof(*p) + len + 1);
	if (!p)
		return false;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	memcpy(p->path, mountpoint, len + 1);
	p->refs = 2;
	if (!start_probe(p)) {
		p->refs = 1;
		probe_put(p);
		return false;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += STALE_PROBE_SECONDS;
	pthread_mutex_lock(&p->lock);
	int rc = 0;
	while (!p->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cond, &p->lock, &deadline);
	bool stale = p->done && p->stale;
	pthread_mutex_unlock(&p->lock);
	probe_put(p);
	return stale;
}

/* The canonical path of a mount point, which may itself be stale. */
static char *canonical(const char *path)
{
	char *p = realpath(path, NULL);
	if (p)
		return p;
	/* A stale mount point fails realpath; its parent does not. */
	char *dcopy = strdup(path);
	char *bcopy = strdup(path);
	char *dir = dcopy && bcopy ? realpath(dirname(dcopy), NULL) : NULL;
	if (dir && asprintf(&p, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, basename(bcopy)) < 0)
		p = NULL;
	free(dir);
	free(dcopy);
	free(bcopy);
	return p;
}

int fs_volume_cleanup_stale(const char *mountpoint, unsigned *cleaned)
{
	unsigned count = 0;
	char *want = NULL;
	if (mountpoint) {
		want = canonical(mountpoint);
		if (!want)
			return errno ? errno : ENOMEM;
	}
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		free(want);
		return errno;
	}
	char *line = NULL;
	size_t cap = 0;
	int err = 0;
	while (getline(&line, &cap, f) > 0) {
		char *mp = our_mountpoint(line);
		if (!mp || (want && strcmp(mp, want) != 0) || !is_stale(mp))
			continue;
		int e = fs_fuse_detach(mp);
		if (e)
			err = e;
		else
			count++;
	}
	free(line);
	fclose(f);
	free(want);
	if (cleaned)
		*cleaned = count;
	return err;
}
