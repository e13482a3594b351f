/* Helpers shared by the fs tests: scratch directories and requesters. */
#ifndef ALTITUDE_TESTS_FS_FS_TEST_H
#define ALTITUDE_TESTS_FS_FS_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/lower.h"

/* An unprivileged requester (tests run as root) and root itself. */
#define FS_TEST_UID 4321
#define FS_TEST_GID 4321
#define FS_TEST_OTHER_UID 4322
static const struct fs_cred fs_test_root = { 0, 0, 0, NULL };
static const struct fs_cred fs_test_user = { FS_TEST_UID, FS_TEST_GID, 0, NULL };
static const struct fs_cred fs_test_other = { FS_TEST_OTHER_UID, FS_TEST_OTHER_UID, 0, NULL };

/* A world-searchable scratch directory under /tmp (or $TMPDIR). */
static inline char *fs_test_mkdtemp(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;
	if (asprintf(&path, "%s/altitude-%s-XXXXXX", base ? base : "/tmp", tag) < 0)
		return NULL;
	if (!mkdtemp(path) || chmod(path, 0755) != 0) {
		free(path);
		return NULL;
	}
	return path;
}

static inline int fs_test_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

/* Removes a scratch tree and frees its path. */
static inline void fs_test_rmtree(char *path)
{
	if (!path)
		return;
	nftw(path, fs_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

/* path/name into buf. */
static inline const char *fs_test_join(char *buf, size_t size, const char *path, const char *name)
{
	snprintf(buf, size, "%s/%s", path, name);
	return buf;
}

/* A lower file system over a fresh scratch directory, for cmocka fixtures. */
struct fs_test_lower {
	char *dir;
	struct fs_lower *lower;
};

static inline int fs_test_lower_setup(void **state)
{
	struct fs_test_lower *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->dir = fs_test_mkdtemp("lower");
	if (!t->dir || fs_lower_new(t->dir, -1, &t->lower) != 0) {
		fs_test_rmtree(t->dir);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int fs_test_lower_teardown(void **state)
{
	struct fs_test_lower *t = *state;
	fs_lower_free(t->lower);
	fs_test_rmtree(t->dir);
	free(t);
	return 0;
}

#endif /* ALTITUDE_TESTS_FS_FS_TEST_H */
