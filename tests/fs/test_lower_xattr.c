/* Lower file system: extended attributes. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs_test.h"

#define ROOT FS_LOWER_ROOT
static const struct fs_cred *const R = &fs_test_root;

static void test_xattr_file(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry f;
	uint64_t fh;
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, "f", O_RDWR, 0644, &f, &fh), 0);
	fs_lower_release(t->lower, fh);
	char buf[64];
	size_t len = 0;
	assert_int_equal(fs_lower_getxattr(t->lower, R, f.ino, "user.k", buf, sizeof buf, &len),
			 ENODATA);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "user.k", "v1", 2, XATTR_REPLACE),
			 ENODATA);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "user.k", "v1", 2, XATTR_CREATE), 0);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "user.k", "v2", 2, XATTR_CREATE),
			 EEXIST);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "user.k", "value", 5, XATTR_REPLACE),
			 0);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "user.j", "", 0, 0), 0);
	/* Size 0 asks for the size; a short buffer is ERANGE. */
	assert_int_equal(fs_lower_getxattr(t->lower, R, f.ino, "user.k", NULL, 0, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(fs_lower_getxattr(t->lower, R, f.ino, "user.k", buf, 2, &len), ERANGE);
	assert_int_equal(fs_lower_getxattr(t->lower, R, f.ino, "user.k", buf, sizeof buf, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(fs_lower_listxattr(t->lower, R, f.ino, NULL, 0, &len), 0);
	assert_int_equal(len, sizeof "user.k" + sizeof "user.j");
	assert_int_equal(fs_lower_listxattr(t->lower, R, f.ino, buf, 3, &len), ERANGE);
	assert_int_equal(fs_lower_listxattr(t->lower, R, f.ino, buf, sizeof buf, &len), 0);
	assert_non_null(memmem(buf, len, "user.k", sizeof "user.k"));
	assert_non_null(memmem(buf, len, "user.j", sizeof "user.j"));
	assert_int_equal(fs_lower_removexattr(t->lower, R, f.ino, "user.k"), 0);
	assert_int_equal(fs_lower_removexattr(t->lower, R, f.ino, "user.k"), ENODATA);
	/* The values are on the raw file. */
	char p[512];
	assert_int_equal(getxattr(fs_test_join(p, sizeof p, t->dir, "f"), "user.j", buf, 8), 0);
	assert_int_equal(getxattr(p, "user.k", buf, 8), -1);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "bogus.k", "v", 1, 0), EOPNOTSUPP);
	/* Directories carry attributes too. */
	assert_int_equal(fs_lower_setxattr(t->lower, R, ROOT, "user.d", "dir", 3, 0), 0);
	assert_int_equal(fs_lower_getxattr(t->lower, R, ROOT, "user.d", buf, sizeof buf, &len), 0);
	assert_int_equal(len, 3);
	fs_lower_forget(t->lower, f.ino, 1);
}

static void test_xattr_symlink_not_followed(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry f, s;
	uint64_t fh;
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, "f", O_RDWR, 0644, &f, &fh), 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_symlink(t->lower, R, "f", ROOT, "s", &s), 0);
	/* user.* attributes do not exist on symlinks; nothing reaches the target. */
	assert_int_equal(fs_lower_setxattr(t->lower, R, s.ino, "user.k", "v", 1, 0), EPERM);
	size_t len = 0;
	assert_int_equal(fs_lower_listxattr(t->lower, R, f.ino, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	/* trusted.* (root only) is allowed on a symlink and stays on it. */
	assert_int_equal(fs_lower_setxattr(t->lower, R, s.ino, "trusted.k", "v", 1, 0), 0);
	char buf[8];
	assert_int_equal(fs_lower_getxattr(t->lower, R, s.ino, "trusted.k", buf, sizeof buf, &len),
			 0);
	assert_int_equal(fs_lower_getxattr(t->lower, R, f.ino, "trusted.k", buf, sizeof buf, &len),
			 ENODATA);
	fs_lower_forget(t->lower, f.ino, 1);
	fs_lower_forget(t->lower, s.ino, 1);
}

/* trusted.* is root's; security.* is read by all, written by root (the host keeps CAP_SYS_ADMIN). */
static void test_xattr_namespaces_for_requester(void **state)
{
	struct fs_test_lower *t = *state;
	const struct fs_cred *u = &fs_test_user;
	struct fs_entry f;
	uint64_t fh;
	char buf[64];
	size_t len = 0;

	assert_int_equal(fs_lower_create(t->lower, u, ROOT, "mine", O_RDWR, 0644, &f, &fh), EACCES);
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_int_equal(fs_lower_create(t->lower, u, ROOT, "mine", O_RDWR, 0644, &f, &fh), 0);
	fs_lower_release(t->lower, fh);
	assert_int_equal(fs_lower_setxattr(t->lower, R, f.ino, "trusted.t", "t", 1, 0), 0);
	assert_int_equal(fs_lower_setxattr(t->lower, u, f.ino, "user.u", "u", 1, 0), 0);
	assert_int_equal(fs_lower_setxattr(t->lower, u, f.ino, "trusted.t", "x", 1, 0), EPERM);
	assert_int_equal(fs_lower_getxattr(t->lower, u, f.ino, "trusted.t", buf, sizeof buf, &len), ENODATA);
	assert_int_equal(fs_lower_removexattr(t->lower, u, f.ino, "trusted.t"), EPERM);
	assert_int_equal(fs_lower_setxattr(t->lower, u, f.ino, "security.s", "s", 1, 0), EPERM);
	assert_int_equal(fs_lower_listxattr(t->lower, u, f.ino, buf, sizeof buf, &len), 0);
	assert_int_equal(len, sizeof "user.u");
	assert_string_equal(buf, "user.u");
	assert_int_equal(fs_lower_listxattr(t->lower, R, f.ino, buf, sizeof buf, &len), 0);
	assert_int_equal(len, sizeof "user.u" + sizeof "trusted.t");
	fs_lower_forget(t->lower, f.ino, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_lower_setup, fs_test_lower_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = { T(test_xattr_file), T(test_xattr_symlink_not_followed),
					    T(test_xattr_namespaces_for_requester) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
