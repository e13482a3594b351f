/*
 * Lower file system: permissions and ownership as an unprivileged requester
 * (the tests run as root; the lower file system takes the requester's ids).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs_test.h"

#define ROOT FS_LOWER_ROOT
static const struct fs_cred *const R = &fs_test_root;
static const struct fs_cred *const U = &fs_test_user;
static const struct fs_cred *const O = &fs_test_other;

/* A root-owned file with the given mode. */
static uint64_t root_file(struct fs_test_lower *t, const char *name, mode_t mode)
{
	struct fs_entry e;
	uint64_t fh;
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, name, O_RDWR, mode, &e, &fh), 0);
	size_t done;
	assert_int_equal(fs_lower_write(t->lower, R, fh, "root", 4, 0, &done), 0);
	fs_lower_release(t->lower, fh);
	return e.ino;
}

static void assert_thread_is_root(void)
{
	assert_int_equal(syscall(SYS_setfsuid, -1), 0);
	assert_int_equal(syscall(SYS_setfsgid, -1), 0);
}

static void test_open_as_user(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino = root_file(t, "f", 0644);
	uint64_t fh;
	assert_int_equal(fs_lower_open(t->lower, U, ino, O_RDONLY, &fh), 0);
	fs_lower_release(t->lower, fh);
	assert_thread_is_root();
	assert_int_equal(fs_lower_open(t->lower, U, ino, O_WRONLY, &fh), EACCES);
	assert_int_equal(fs_lower_open(t->lower, U, ino, O_RDWR | O_TRUNC, &fh), EACCES);
	assert_thread_is_root();
	assert_int_equal(fs_lower_access(t->lower, U, ino, R_OK), 0);
	assert_int_equal(fs_lower_access(t->lower, U, ino, W_OK), EACCES);
	assert_int_equal(fs_lower_access(t->lower, R, ino, W_OK), 0);
	uint64_t secret = root_file(t, "secret", 0600);
	assert_int_equal(fs_lower_open(t->lower, U, secret, O_RDONLY, &fh), EACCES);
	assert_int_equal(fs_lower_open(t->lower, R, secret, O_RDONLY, &fh), 0);
	fs_lower_release(t->lower, fh);
	size_t len;
	char buf[8];
	assert_int_equal(fs_lower_setxattr(t->lower, U, ino, "user.k", "v", 1, 0), EACCES);
	assert_int_equal(fs_lower_setxattr(t->lower, R, ino, "user.k", "v", 1, 0), 0);
	assert_int_equal(fs_lower_getxattr(t->lower, U, ino, "user.k", buf, sizeof buf, &len), 0);
	assert_int_equal(fs_lower_getxattr(t->lower, U, secret, "user.k", buf, sizeof buf, &len),
			 EACCES);
	fs_lower_forget(t->lower, ino, 1);
	fs_lower_forget(t->lower, secret, 1);
}

static void test_directory_permissions(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d, e;
	uint64_t fh, dh;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "private", 0700, &d), 0);
	assert_int_equal(fs_lower_mknod(t->lower, R, d.ino, "inside", S_IFREG | 0666, 0, &e), 0);
	fs_lower_forget(t->lower, e.ino, 1);
	/* No search permission: lookups fail; no read permission: listing fails. */
	assert_int_equal(fs_lower_lookup(t->lower, U, d.ino, "inside", &e), EACCES);
	assert_int_equal(fs_lower_opendir(t->lower, U, d.ino, &dh), EACCES);
	assert_int_equal(fs_lower_create(t->lower, U, d.ino, "new", O_WRONLY, 0644, &e, &fh),
			 EACCES);
	assert_int_equal(fs_lower_unlink(t->lower, U, d.ino, "inside"), EACCES);
	/* Root-owned 0755: listing and lookup, but no creation or removal. */
	struct fs_setattr set = { .valid = FS_SET_MODE, .mode = 0755 };
	struct stat st;
	assert_int_equal(fs_lower_setattr(t->lower, R, d.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(fs_lower_lookup(t->lower, U, d.ino, "inside", &e), 0);
	fs_lower_forget(t->lower, e.ino, 1);
	assert_int_equal(fs_lower_opendir(t->lower, U, d.ino, &dh), 0);
	fs_lower_releasedir(t->lower, dh);
	assert_int_equal(fs_lower_mkdir(t->lower, U, d.ino, "sub", 0755, &e), EACCES);
	assert_int_equal(fs_lower_symlink(t->lower, U, "x", d.ino, "l", &e), EACCES);
	assert_int_equal(fs_lower_unlink(t->lower, U, d.ino, "inside"), EACCES);
	assert_int_equal(fs_lower_rename(t->lower, U, d.ino, "inside", d.ino, "x", 0), EACCES);
	assert_int_equal(fs_lower_rmdir(t->lower, U, ROOT, "private"), EACCES);
	assert_thread_is_root();
	fs_lower_forget(t->lower, d.ino, 1);
}

static void test_created_files_owned_by_requester(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d, e;
	uint64_t fh;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "pub", 0777, &d), 0);
	assert_int_equal(fs_lower_create(t->lower, U, d.ino, "mine", O_WRONLY, 0640, &e, &fh), 0);
	assert_int_equal(e.attr.st_uid, FS_TEST_UID);
	assert_int_equal(e.attr.st_gid, FS_TEST_GID);
	/* Modes are final: no umask of the host applies. */
	assert_int_equal(e.attr.st_mode & 07777, 0640);
	fs_lower_release(t->lower, fh);
	char p[512];
	struct stat st;
	assert_int_equal(stat(fs_test_join(p, sizeof p, t->dir, "pub/mine"), &st), 0);
	assert_int_equal(st.st_uid, FS_TEST_UID);
	struct fs_entry sub;
	assert_int_equal(fs_lower_mkdir(t->lower, U, d.ino, "sub", 0705, &sub), 0);
	assert_int_equal(sub.attr.st_uid, FS_TEST_UID);
	assert_int_equal(sub.attr.st_mode & 07777, 0705);
	/* The owner may chmod, not chown; others may do neither. */
	struct fs_setattr set = { .valid = FS_SET_MODE, .mode = 0600 };
	assert_int_equal(fs_lower_setattr(t->lower, U, e.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(fs_lower_setattr(t->lower, O, e.ino, FS_NO_FH, &set, &st), EPERM);
	set = (struct fs_setattr){ .valid = FS_SET_UID, .uid = FS_TEST_OTHER_UID };
	assert_int_equal(fs_lower_setattr(t->lower, U, e.ino, FS_NO_FH, &set, &st), EPERM);
	/* Times: the owner may set them; another user may not even set NOW here. */
	set = (struct fs_setattr){ .valid = FS_SET_MTIME, .mtime = { 5000, 0 } };
	assert_int_equal(fs_lower_setattr(t->lower, U, e.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(fs_lower_setattr(t->lower, O, e.ino, FS_NO_FH, &set, &st), EPERM);
	set = (struct fs_setattr){ .valid = FS_SET_MTIME_NOW | FS_SET_ATIME_NOW };
	assert_int_equal(fs_lower_setattr(t->lower, O, e.ino, FS_NO_FH, &set, &st), EACCES);
	set = (struct fs_setattr){ .valid = FS_SET_SIZE, .size = 0 };
	assert_int_equal(fs_lower_setattr(t->lower, O, e.ino, FS_NO_FH, &set, &st), EACCES);
	assert_int_equal(fs_lower_setattr(t->lower, U, e.ino, FS_NO_FH, &set, &st), 0);
	/* Device nodes need CAP_MKNOD, which the requester does not have. */
	assert_int_equal(fs_lower_mknod(t->lower, U, d.ino, "dev", S_IFCHR | 0600, makedev(1, 3),
					&sub),
			 EPERM);
	fs_lower_forget(t->lower, e.ino, 1);
	fs_lower_forget(t->lower, d.ino, 1);
	assert_thread_is_root();
}

static void test_sticky_and_links(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d, e;
	uint64_t fh;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "tmp", 01777, &d), 0);
	assert_int_equal(fs_lower_create(t->lower, U, d.ino, "u", O_WRONLY, 0666, &e, &fh), 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_unlink(t->lower, O, d.ino, "u"), EPERM);
	assert_int_equal(fs_lower_rename(t->lower, O, d.ino, "u", d.ino, "v", 0), EPERM);
	assert_int_equal(fs_lower_rename(t->lower, U, d.ino, "u", d.ino, "v", 0), 0);
	assert_int_equal(fs_lower_unlink(t->lower, U, d.ino, "v"), 0);
	fs_lower_forget(t->lower, e.ino, 1);
	/* Protected hard links: no link to a file one can neither read nor write. */
	uint64_t secret = root_file(t, "secret", 0600);
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "r");
	int protect = f ? fgetc(f) == '1' : 0;
	if (f)
		fclose(f);
	if (protect)
		assert_int_equal(fs_lower_link(t->lower, U, secret, d.ino, "ln", &e), EPERM);
	uint64_t open_file = root_file(t, "world", 0666);
	assert_int_equal(fs_lower_link(t->lower, U, open_file, d.ino, "ln", &e), 0);
	assert_int_equal(e.attr.st_nlink, 2);
	fs_lower_forget(t->lower, e.ino, 1);
	fs_lower_forget(t->lower, secret, 1);
	fs_lower_forget(t->lower, open_file, 1);
	fs_lower_forget(t->lower, d.ino, 1);
}

static void test_supplementary_groups(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino = root_file(t, "g", 0640);
	struct fs_setattr set = { .valid = FS_SET_GID, .gid = 5555 };
	struct stat st;
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	uint64_t fh;
	assert_int_equal(fs_lower_open(t->lower, U, ino, O_RDONLY, &fh), EACCES);
	const gid_t groups[] = { 7, 5555 };
	const struct fs_cred member = { FS_TEST_UID, FS_TEST_GID, 2, groups };
	assert_int_equal(fs_lower_open(t->lower, &member, ino, O_RDONLY, &fh), 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_open(t->lower, &member, ino, O_WRONLY, &fh), EACCES);
	/* Primary group works the same way. */
	const struct fs_cred primary = { FS_TEST_UID, 5555, 0, NULL };
	assert_int_equal(fs_lower_open(t->lower, &primary, ino, O_RDONLY, &fh), 0);
	fs_lower_release(t->lower, fh);
	/* An owner may give a file to a group it is a member of, not to another. */
	struct fs_entry d, e;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "pub", 0777, &d), 0);
	assert_int_equal(fs_lower_create(t->lower, &member, d.ino, "m", O_WRONLY, 0644, &e, &fh),
			 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_setattr(t->lower, &member, e.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_gid, 5555);
	set.gid = 6666;
	assert_int_equal(fs_lower_setattr(t->lower, &member, e.ino, FS_NO_FH, &set, &st), EPERM);
	assert_int_equal(getgroups(0, NULL) <= 1, 1);
	fs_lower_forget(t->lower, e.ino, 1);
	fs_lower_forget(t->lower, d.ino, 1);
	fs_lower_forget(t->lower, ino, 1);
	assert_thread_is_root();
}

static void test_write_clears_setuid(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino = root_file(t, "suid", 06777);
	struct stat st;
	assert_int_equal(fs_lower_getattr(t->lower, R, ino, &st), 0);
	assert_int_equal(st.st_mode & 07777, 06777);
	uint64_t fh;
	size_t done;
	assert_int_equal(fs_lower_open(t->lower, U, ino, O_WRONLY, &fh), 0);
	assert_int_equal(fs_lower_write(t->lower, U, fh, "x", 1, 0, &done), 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_getattr(t->lower, R, ino, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
	/* A chmod that only drops suid/sgid is allowed to whoever may write. */
	struct fs_setattr set = { .valid = FS_SET_MODE, .mode = 06777 };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	set.mode = 0777;
	assert_int_equal(fs_lower_setattr(t->lower, U, ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
	set.mode = 0775;
	assert_int_equal(fs_lower_setattr(t->lower, U, ino, FS_NO_FH, &set, &st), EPERM);
	set.mode = 04755;
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	set.mode = 0755;
	assert_int_equal(fs_lower_setattr(t->lower, U, ino, FS_NO_FH, &set, &st), EPERM);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_thread_is_root();
	fs_lower_forget(t->lower, ino, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_lower_setup, fs_test_lower_teardown)

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "fs.lower_perms switches identities and must run as root\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		T(test_open_as_user),		      T(test_directory_permissions),
		T(test_created_files_owned_by_requester), T(test_sticky_and_links),
		T(test_supplementary_groups),	      T(test_write_clears_setuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
