/* Helpers for tests through a mounted volume. */
#ifndef ALTITUDE_TESTS_FS_FS_MOUNT_TEST_H
#define ALTITUDE_TESTS_FS_FS_MOUNT_TEST_H

#include "fs_test.h"
#include "fs/volume.h"

/*
 * These tests need /dev/fuse: without it they fail, unless
 * ALTITUDE_ALLOW_NO_FUSE=1 is set, in which case the program exits with
 * success after saying so.
 */
static inline void fs_test_require_fuse(const char *prog)
{
	if (access("/dev/fuse", R_OK | W_OK) == 0)
		return;
	const char *allow = getenv("ALTITUDE_ALLOW_NO_FUSE");
	if (allow && strcmp(allow, "1") == 0) {
		fprintf(stderr, "%s: /dev/fuse unavailable, not run (ALTITUDE_ALLOW_NO_FUSE=1)\n",
			prog);
		exit(0);
	}
	fprintf(stderr, "%s: /dev/fuse unavailable (set ALTITUDE_ALLOW_NO_FUSE=1 to allow)\n", prog);
	exit(1);
}

struct fs_test_mount {
	char *src;
	char *mnt;
	struct fs_volume *vol;
};

static inline int fs_test_mount_setup(void **state)
{
	struct fs_test_mount *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->src = fs_test_mkdtemp("src");
	t->mnt = fs_test_mkdtemp("mnt");
	struct fs_volume_options o = { .source = t->src, .mountpoint = t->mnt };
	if (!t->src || !t->mnt || fs_volume_mount(&o, &t->vol) != 0) {
		fs_test_rmtree(t->src);
		fs_test_rmtree(t->mnt);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int fs_test_mount_teardown(void **state)
{
	struct fs_test_mount *t = *state;
	int err = fs_volume_unmount(t->vol);
	rmdir(t->mnt);
	free(t->mnt);
	fs_test_rmtree(t->src);
	free(t);
	return err ? -1 : 0;
}

/* The path of name in the mount (m) or in the source (s). */
static inline const char *fs_test_m(struct fs_test_mount *t, char *buf, size_t size, const char *name)
{
	return fs_test_join(buf, size, t->mnt, name);
}

static inline const char *fs_test_s(struct fs_test_mount *t, char *buf, size_t size, const char *name)
{
	return fs_test_join(buf, size, t->src, name);
}

#endif /* ALTITUDE_TESTS_FS_FS_MOUNT_TEST_H */
