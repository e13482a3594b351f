/* Lower file system: lookup and forget, and the name-space operations. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/xattr.h>

#include "fs_test.h"

#define ROOT FS_LOWER_ROOT
static const struct fs_cred *const R = &fs_test_root;

static void test_lookup_forget(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry e, e2;
	char p[512];
	close(open(fs_test_join(p, sizeof p, t->dir, "f"), O_CREAT | O_WRONLY, 0644));

	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "missing", &e), ENOENT);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "", &e), EINVAL);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "a/b", &e), EINVAL);
	memset(p, 'x', 300);
	p[300] = '\0';
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, p, &e), ENAMETOOLONG);
	assert_int_equal(fs_lower_lookup(t->lower, R, 999, "f", &e), ESTALE);

	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "f", &e), 0);
	assert_true(S_ISREG(e.attr.st_mode));
	assert_int_equal(e.attr.st_mode & 07777, 0644);
	assert_int_equal(fs_lower_inode_count(t->lower), 2);
	/* The same file is the same handle; each lookup is one more reference. */
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "f", &e2), 0);
	assert_int_equal(e2.ino, e.ino);
	assert_int_equal(fs_lower_lookup(t->lower, R, e.ino, "x", &e2), ENOTDIR);
	fs_lower_forget(t->lower, e.ino, 1);
	struct stat st;
	assert_int_equal(fs_lower_getattr(t->lower, R, e.ino, &st), 0);
	fs_lower_forget(t->lower, e.ino, 1);
	assert_int_equal(fs_lower_inode_count(t->lower), 1);
	assert_int_equal(fs_lower_getattr(t->lower, R, e.ino, &st), ESTALE);
	/* A new lookup gets a new handle: handles are never reused. */
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "f", &e2), 0);
	assert_true(e2.ino != e.ino);
	fs_lower_forget(t->lower, e2.ino, 1);
	/* The root is never forgotten; ".." of the root is the root. */
	fs_lower_forget(t->lower, ROOT, 5);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "..", &e), 0);
	assert_int_equal(e.ino, ROOT);
	assert_int_equal(fs_lower_getattr(t->lower, R, ROOT, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/*
 * A lookup finds a known file by its stat: a name replaced on the raw
 * directory gets the new file's handle and attributes, the moved file keeps
 * its handle under its new name.
 */
static void test_lookup_replaced_name(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry e, e2, e3;
	char p[512], q[512];
	fs_test_join(p, sizeof p, t->dir, "f");
	fs_test_join(q, sizeof q, t->dir, "g");
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_int_equal(write(fd, "1", 1), 1);
	close(fd);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "f", &e), 0);
	assert_int_equal(e.attr.st_size, 1);

	assert_int_equal(rename(p, q), 0);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, "22", 2), 2);
	close(fd);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "f", &e2), 0);
	assert_true(e2.ino != e.ino);
	assert_int_equal(e2.attr.st_size, 2);
	assert_int_equal(e2.attr.st_mode & 07777, 0600);
	assert_int_equal(fs_lower_lookup(t->lower, R, ROOT, "g", &e3), 0);
	assert_int_equal(e3.ino, e.ino);
	assert_int_equal(e3.attr.st_size, 1);
	assert_int_equal(fs_lower_inode_count(t->lower), 3);
	/* Two lookups of g's file: both references must go before it leaves the table. */
	fs_lower_forget(t->lower, e.ino, 1);
	assert_int_equal(fs_lower_inode_count(t->lower), 3);
	fs_lower_forget(t->lower, e3.ino, 1);
	fs_lower_forget(t->lower, e2.ino, 1);
	assert_int_equal(fs_lower_inode_count(t->lower), 1);
}

/* A POSIX ACL (xattr format, version 2) denying uid FS_TEST_UID everything. */
static size_t deny_acl(unsigned char *buf)
{
	struct __attribute__((packed)) {
		uint16_t tag, perm;
		uint32_t id;
	} e[] = { { 0x01, 7, UINT32_MAX }, { 0x02, 0, FS_TEST_UID }, { 0x04, 5, UINT32_MAX },
		  { 0x10, 5, UINT32_MAX }, { 0x20, 5, UINT32_MAX } };
	uint32_t version = 2;
	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, sizeof e);
	return 4 + sizeof e;
}

static void deny_test_user(const char *path)
{
	unsigned char buf[64];
	size_t n = deny_acl(buf);
	assert_int_equal(setxattr(path, "system.posix_acl_access", buf, n, 0), 0);
}

static void test_public_parent(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d, e;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "open", 0755, &d), 0);
	assert_true(d.public_parent);
	assert_int_equal(fs_lower_mknod(t->lower, R, d.ino, "f", S_IFREG | 0644, 0, &e), 0);
	assert_true(e.public_parent);
	fs_lower_forget(t->lower, e.ino, 1);
	struct fs_setattr set = { .valid = FS_SET_MODE, .mode = 0750 };
	struct stat st;
	assert_int_equal(fs_lower_setattr(t->lower, R, d.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(fs_lower_lookup(t->lower, R, d.ino, "f", &e), 0);
	assert_false(e.public_parent);
	fs_lower_forget(t->lower, e.ino, 1);
	/* Mode bits open to all, but an ACL entry denies one user. */
	set.mode = 0755;
	assert_int_equal(fs_lower_setattr(t->lower, R, d.ino, FS_NO_FH, &set, &st), 0);
	char p[512];
	deny_test_user(fs_test_join(p, sizeof p, t->dir, "open"));
	assert_int_equal(fs_lower_lookup(t->lower, R, d.ino, "f", &e), 0);
	assert_false(e.public_parent);
	assert_int_equal(fs_lower_lookup(t->lower, &fs_test_user, d.ino, "f", &e), EACCES);
	fs_lower_forget(t->lower, e.ino, 1);
	/* Through the lower file system, ACL and mode changes apply at once. */
	assert_int_equal(fs_lower_removexattr(t->lower, R, d.ino, "system.posix_acl_access"), 0);
	assert_int_equal(fs_lower_lookup(t->lower, R, d.ino, "f", &e), 0);
	assert_true(e.public_parent);
	fs_lower_forget(t->lower, e.ino, 1);
	unsigned char acl[64];
	size_t n = deny_acl(acl);
	assert_int_equal(fs_lower_setxattr(t->lower, R, d.ino, "system.posix_acl_access", acl, n, 0),
			 0);
	assert_int_equal(fs_lower_lookup(t->lower, R, d.ino, "f", &e), 0);
	assert_false(e.public_parent);
	fs_lower_forget(t->lower, e.ino, 1);
	fs_lower_forget(t->lower, d.ino, 1);
}

static void test_many_inodes(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry e;
	uint64_t ids[2000];
	char name[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "n%d", i);
		assert_int_equal(fs_lower_mknod(t->lower, R, ROOT, name, S_IFREG | 0600, 0, &e), 0);
		ids[i] = e.ino;
	}
	assert_int_equal(fs_lower_inode_count(t->lower), 2001);
	for (int i = 0; i < 2000; i++) {
		struct stat st;
		assert_int_equal(fs_lower_getattr(t->lower, R, ids[i], &st), 0);
		fs_lower_forget(t->lower, ids[i], 1);
	}
	assert_int_equal(fs_lower_inode_count(t->lower), 1);
}

static void test_mkdir_rmdir(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d, f;
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "d", 0750, &d), 0);
	assert_true(S_ISDIR(d.attr.st_mode));
	assert_int_equal(d.attr.st_mode & 07777, 0750);
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "d", 0750, &f), EEXIST);
	assert_int_equal(fs_lower_mknod(t->lower, R, d.ino, "f", S_IFREG | 0600, 0, &f), 0);
	assert_int_equal(fs_lower_rmdir(t->lower, R, ROOT, "d"), ENOTEMPTY);
	assert_int_equal(fs_lower_rmdir(t->lower, R, d.ino, "f"), ENOTDIR);
	assert_int_equal(fs_lower_unlink(t->lower, R, ROOT, "d"), EISDIR);
	assert_int_equal(fs_lower_unlink(t->lower, R, d.ino, "f"), 0);
	assert_int_equal(fs_lower_unlink(t->lower, R, d.ino, "f"), ENOENT);
	assert_int_equal(fs_lower_rmdir(t->lower, R, ROOT, "d"), 0);
	/* The handle outlives the name; the directory is gone. */
	struct stat st;
	assert_int_equal(fs_lower_getattr(t->lower, R, d.ino, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(fs_lower_mkdir(t->lower, R, d.ino, "x", 0700, &f), ENOENT);
	fs_lower_forget(t->lower, d.ino, 1);
	fs_lower_forget(t->lower, f.ino, 1);
}

static void test_mknod_fifo(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry e;
	assert_int_equal(fs_lower_mknod(t->lower, R, ROOT, "p", S_IFIFO | 0640, 0, &e), 0);
	assert_true(S_ISFIFO(e.attr.st_mode));
	assert_int_equal(e.attr.st_mode & 07777, 0640);
	fs_lower_forget(t->lower, e.ino, 1);
}

static void test_symlink_not_followed(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry e;
	char buf[64];
	char outside[512];
	/* A symlink planted inside the volume that points outside of it. */
	char *other = fs_test_mkdtemp("outside");
	assert_non_null(other);
	close(open(fs_test_join(outside, sizeof outside, other, "secret"), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(fs_lower_symlink(t->lower, R, other, ROOT, "evil", &e), 0);
	assert_true(S_ISLNK(e.attr.st_mode));
	assert_int_equal(fs_lower_readlink(t->lower, R, e.ino, buf, 4), ENAMETOOLONG);
	char target[512];
	assert_int_equal(fs_lower_readlink(t->lower, R, e.ino, target, sizeof target), 0);
	assert_string_equal(target, other);
	/* Looking up through it fails: it is not a directory of the volume. */
	struct fs_entry x;
	assert_int_equal(fs_lower_lookup(t->lower, R, e.ino, "secret", &x), ENOTDIR);
	uint64_t fh;
	assert_int_equal(fs_lower_open(t->lower, R, e.ino, O_RDONLY, &fh), ELOOP);
	/* Creating through a dangling symlink does not create its target. */
	snprintf(outside, sizeof outside, "%s/created", other);
	assert_int_equal(fs_lower_symlink(t->lower, R, outside, ROOT, "dangling", &x), 0);
	fs_lower_forget(t->lower, x.ino, 1);
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, "dangling", O_WRONLY, 0644, &x, &fh),
			 ELOOP);
	assert_int_equal(access(outside, F_OK), -1);
	assert_int_equal(fs_lower_readlink(t->lower, R, ROOT, buf, sizeof buf), EINVAL);
	assert_int_equal(fs_lower_symlink(t->lower, R, "", ROOT, "empty", &x), ENOENT);
	fs_lower_forget(t->lower, e.ino, 1);
	fs_test_rmtree(other);
}

static void test_link_counts(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry f, l1, d, s, sl;
	uint64_t fh;
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, "f", O_WRONLY, 0644, &f, &fh), 0);
	assert_int_equal(fs_lower_release(t->lower, fh), 0);
	assert_int_equal(f.attr.st_nlink, 1);
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "d", 0755, &d), 0);
	assert_int_equal(fs_lower_link(t->lower, R, f.ino, d.ino, "g", &l1), 0);
	assert_int_equal(l1.ino, f.ino);
	assert_int_equal(l1.attr.st_nlink, 2);
	assert_int_equal(fs_lower_link(t->lower, R, f.ino, d.ino, "g", &l1), EEXIST);
	assert_int_equal(fs_lower_link(t->lower, R, d.ino, ROOT, "dl", &l1), EPERM);
	/* A hard link to a symlink links the symlink itself. */
	assert_int_equal(fs_lower_symlink(t->lower, R, "f", ROOT, "s", &s), 0);
	assert_int_equal(fs_lower_link(t->lower, R, s.ino, ROOT, "s2", &sl), 0);
	assert_int_equal(sl.ino, s.ino);
	assert_true(S_ISLNK(sl.attr.st_mode));
	assert_int_equal(fs_lower_unlink(t->lower, R, ROOT, "f"), 0);
	struct stat st;
	assert_int_equal(fs_lower_getattr(t->lower, R, f.ino, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	fs_lower_forget(t->lower, f.ino, 2);
	fs_lower_forget(t->lower, s.ino, 2);
	fs_lower_forget(t->lower, d.ino, 1);
}

static void write_file(struct fs_test_lower *t, const char *name, const char *data)
{
	char p[512];
	int fd = open(fs_test_join(p, sizeof p, t->dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void assert_file(struct fs_test_lower *t, const char *name, const char *data)
{
	char p[512], buf[64] = { 0 };
	int fd = open(fs_test_join(p, sizeof p, t->dir, name), O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof buf - 1) >= 0);
	close(fd);
	assert_string_equal(buf, data);
}

static void test_rename_flags(void **state)
{
	struct fs_test_lower *t = *state;
	struct fs_entry d;
	write_file(t, "a", "A");
	write_file(t, "b", "B");
	assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, "d", 0755, &d), 0);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "b", RENAME_NOREPLACE),
			 EEXIST);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "b", RENAME_EXCHANGE), 0);
	assert_file(t, "a", "B");
	assert_file(t, "b", "A");
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "c", RENAME_EXCHANGE),
			 ENOENT);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "b",
					 RENAME_EXCHANGE | RENAME_NOREPLACE),
			 EINVAL);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "b", RENAME_WHITEOUT),
			 EINVAL);
	/* Plain rename replaces; into another directory; over a directory fails. */
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "a", ROOT, "b", 0), 0);
	assert_file(t, "b", "B");
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "b", d.ino, "moved", RENAME_NOREPLACE),
			 0);
	assert_file(t, "d/moved", "B");
	write_file(t, "e", "E");
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "e", ROOT, "d", 0), EISDIR);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "missing", ROOT, "x", 0), ENOENT);
	assert_int_equal(fs_lower_rename(t->lower, R, ROOT, "e", ROOT, "a/b", 0), EINVAL);
	fs_lower_forget(t->lower, d.ino, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_forget, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_replaced_name, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_public_parent, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_many_inodes, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_rmdir, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_mknod_fifo, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_link_counts, fs_test_lower_setup,
						fs_test_lower_teardown),
		cmocka_unit_test_setup_teardown(test_rename_flags, fs_test_lower_setup,
						fs_test_lower_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
