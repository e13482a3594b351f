/*
 * Mount table helpers: lazy unmount, and the cleanup of stale mounts left by
 * a host that was killed (its FUSE connection is gone; every access to the
 * mount point fails with ENOTCONN until it is unmounted).
 */
#define _GNU_SOURCE
#include <errno.h>
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

static bool is_stale(const char *mountpoint)
{
	struct statfs sf;
	if (statfs(mountpoint, &sf) == 0)
		return false;
	return errno == ENOTCONN || errno == ECONNABORTED;
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
