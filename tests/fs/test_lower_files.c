/* Lower file system: open files, attributes, sparse files, locks, directories. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/falloc.h>
#include <sys/file.h>

#include "fs_test.h"

#define ROOT FS_LOWER_ROOT
static const struct fs_cred *const R = &fs_test_root;

static uint64_t create(struct fs_test_lower *t, const char *name, int flags, uint64_t *ino)
{
	struct fs_entry e;
	uint64_t fh = 0;
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, name, flags, 0644, &e, &fh), 0);
	if (ino)
		*ino = e.ino;
	else
		fs_lower_forget(t->lower, e.ino, 1);
	return fh;
}

static void put(struct fs_test_lower *t, uint64_t fh, const char *s, off_t off)
{
	size_t done = 0;
	assert_int_equal(fs_lower_write(t->lower, R, fh, s, strlen(s), off, &done), 0);
	assert_int_equal(done, strlen(s));
}

static void get(struct fs_test_lower *t, uint64_t fh, off_t off, const char *expect)
{
	char buf[256] = { 0 };
	size_t done = 0;
	assert_int_equal(fs_lower_read(t->lower, R, fh, buf, sizeof buf - 1, off, &done), 0);
	assert_int_equal(done, strlen(expect));
	assert_string_equal(buf, expect);
}

static void test_create_open_flags(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino, fh2;
	struct fs_entry e;
	uint64_t fh = create(t, "f", O_RDWR | O_EXCL, &ino);
	put(t, fh, "hello world", 0);
	get(t, fh, 6, "world");
	assert_int_equal(fs_lower_create(t->lower, R, ROOT, "f", O_RDWR | O_EXCL, 0644, &e, &fh2),
			 EEXIST);
	assert_int_equal(fs_lower_create(t->lower, R, ino, "x", O_RDWR, 0644, &e, &fh2), ENOTDIR);
	/* O_APPEND writes at the end whatever the offset. */
	assert_int_equal(fs_lower_open(t->lower, R, ino, O_WRONLY | O_APPEND, &fh2), 0);
	put(t, fh2, "!", 0);
	assert_int_equal(fs_lower_release(t->lower, fh2), 0);
	get(t, fh, 0, "hello world!");
	/* O_TRUNC empties; a read-only handle cannot write. */
	assert_int_equal(fs_lower_open(t->lower, R, ino, O_RDONLY, &fh2), 0);
	size_t done;
	assert_int_equal(fs_lower_write(t->lower, R, fh2, "x", 1, 0, &done), EBADF);
	assert_int_equal(fs_lower_release(t->lower, fh2), 0);
	assert_int_equal(fs_lower_open(t->lower, R, ino, O_WRONLY | O_TRUNC, &fh2), 0);
	assert_int_equal(fs_lower_release(t->lower, fh2), 0);
	get(t, fh, 0, "");
	/* Opening a directory for writing fails as on the raw directory. */
	assert_int_equal(fs_lower_open(t->lower, R, ROOT, O_WRONLY, &fh2), EISDIR);
	assert_int_equal(fs_lower_flush(t->lower, fh, true), 0);
	assert_int_equal(fs_lower_fsync(t->lower, fh, true), 0);
	assert_int_equal(fs_lower_fsync(t->lower, fh, false), 0);
	assert_int_equal(fs_lower_release(t->lower, fh), 0);
	assert_int_equal(fs_lower_release(t->lower, fh), EBADF);
	fs_lower_forget(t->lower, ino, 1);
}

static void test_direct_io(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t fh = create(t, "d", O_RDWR | O_DIRECT, NULL);
	/* Misaligned buffers are bounced; length and offset must still be aligned. */
	char *raw = malloc(8192 + 1);
	char *buf = raw + 1;
	memset(buf, 'd', 4096);
	size_t done = 0;
	int err = fs_lower_write(t->lower, R, fh, buf, 4096, 0, &done);
	if (err == EINVAL) {
		/* The scratch file system does not support O_DIRECT at all. */
		free(raw);
		fs_lower_release(t->lower, fh);
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(done, 4096);
	memset(buf, 0, 4096);
	assert_int_equal(fs_lower_read(t->lower, R, fh, buf, 4096, 0, &done), 0);
	assert_int_equal(done, 4096);
	assert_int_equal(buf[0], 'd');
	assert_int_equal(buf[4095], 'd');
	assert_int_equal(fs_lower_write(t->lower, R, fh, buf, 100, 1, &done), EINVAL);
	free(raw);
	assert_int_equal(fs_lower_release(t->lower, fh), 0);
}

static void test_large_sparse(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino;
	uint64_t fh = create(t, "sparse", O_RDWR, &ino);
	const off_t far = (off_t)6 << 30;
	put(t, fh, "data", far);
	struct stat st;
	assert_int_equal(fs_lower_getattr(t->lower, R, ino, &st), 0);
	assert_int_equal(st.st_size, far + 4);
	assert_true(st.st_blocks * 512 < (off_t)1 << 20);
	off_t pos;
	assert_int_equal(fs_lower_lseek(t->lower, fh, 0, SEEK_HOLE, &pos), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(fs_lower_lseek(t->lower, fh, 0, SEEK_DATA, &pos), 0);
	assert_true(pos <= far && pos > far - 65536);
	assert_int_equal(fs_lower_lseek(t->lower, fh, far + 4, SEEK_DATA, &pos), ENXIO);
	get(t, fh, far, "data");
	char zero[8] = { 1 };
	size_t done;
	assert_int_equal(fs_lower_read(t->lower, R, fh, zero, sizeof zero, 4096, &done), 0);
	assert_int_equal(done, sizeof zero);
	assert_int_equal(zero[0], 0);
	/* Punching a hole deallocates and reads back zeros, the size unchanged. */
	char block[65536];
	memset(block, 'b', sizeof block);
	assert_int_equal(fs_lower_write(t->lower, R, fh, block, sizeof block, 0, &done), 0);
	assert_int_equal(fs_lower_fallocate(t->lower, R, fh,
					    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536),
			 0);
	assert_int_equal(fs_lower_lseek(t->lower, fh, 0, SEEK_HOLE, &pos), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(fs_lower_read(t->lower, R, fh, block, 16, 100, &done), 0);
	assert_int_equal(block[0], 0);
	/* PUNCH_HOLE requires KEEP_SIZE. */
	assert_int_equal(fs_lower_fallocate(t->lower, R, fh, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
	/* Plain fallocate extends the file. */
	uint64_t fh2 = create(t, "alloc", O_RDWR, NULL);
	assert_int_equal(fs_lower_fallocate(t->lower, R, fh2, 0, 0, 1 << 20), 0);
	assert_int_equal(fs_lower_lseek(t->lower, fh2, 0, SEEK_END, &pos), 0);
	assert_int_equal(pos, 1 << 20);
	assert_int_equal(fs_lower_release(t->lower, fh2), 0);
	assert_int_equal(fs_lower_release(t->lower, fh), 0);
	fs_lower_forget(t->lower, ino, 1);
}

static void test_copy_file_range(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t a = create(t, "a", O_RDWR, NULL);
	uint64_t b = create(t, "b", O_RDWR, NULL);
	put(t, a, "0123456789", 0);
	size_t done = 0;
	assert_int_equal(fs_lower_copy_file_range(t->lower, R, a, 2, b, 1, 5, 0, &done), 0);
	assert_int_equal(done, 5);
	char buf[8] = { 0 };
	assert_int_equal(fs_lower_read(t->lower, R, b, buf, 7, 0, &done), 0);
	assert_int_equal(done, 6);
	assert_memory_equal(buf, "\0" "23456", 6);
	assert_int_equal(fs_lower_copy_file_range(t->lower, R, a, 0, b, 0, 1, 1, &done), EINVAL);
	fs_lower_release(t->lower, a);
	fs_lower_release(t->lower, b);
}

static void test_setattr(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino;
	uint64_t fh = create(t, "f", O_RDWR, &ino);
	put(t, fh, "abcdef", 0);
	struct stat st, before;
	struct fs_setattr set = { .valid = FS_SET_MODE, .mode = 0600 };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	set = (struct fs_setattr){ .valid = FS_SET_SIZE, .size = 3 };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_size, 3);
	set.size = 10;
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, fh, &set, &st), 0);
	assert_int_equal(st.st_size, 10);
	set = (struct fs_setattr){ .valid = FS_SET_UID | FS_SET_GID, .uid = 77, .gid = 88 };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_uid, 77);
	assert_int_equal(st.st_gid, 88);
	/* Times: explicit, OMIT (field not given) and NOW. */
	set = (struct fs_setattr){ .valid = FS_SET_ATIME | FS_SET_MTIME,
				   .atime = { 1000, 5 }, .mtime = { 2000, 7 } };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 5);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	before = st;
	set = (struct fs_setattr){ .valid = FS_SET_MTIME_NOW };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, fh, &set, &st), 0);
	assert_int_equal(st.st_atim.tv_sec, before.st_atim.tv_sec);
	assert_true(st.st_mtim.tv_sec > 2000);
	set = (struct fs_setattr){ .valid = FS_SET_ATIME_NOW };
	assert_int_equal(fs_lower_setattr(t->lower, R, ino, FS_NO_FH, &set, &st), 0);
	assert_true(st.st_atim.tv_sec > 1000);
	/* Directories have no size; symlinks no mode; their times can be set. */
	set = (struct fs_setattr){ .valid = FS_SET_SIZE, .size = 0 };
	assert_int_equal(fs_lower_setattr(t->lower, R, ROOT, FS_NO_FH, &set, &st), EISDIR);
	struct fs_entry s;
	assert_int_equal(fs_lower_symlink(t->lower, R, "f", ROOT, "s", &s), 0);
	set = (struct fs_setattr){ .valid = FS_SET_MODE, .mode = 0600 };
	assert_int_equal(fs_lower_setattr(t->lower, R, s.ino, FS_NO_FH, &set, &st), EOPNOTSUPP);
	set = (struct fs_setattr){ .valid = FS_SET_MTIME, .mtime = { 3000, 0 } };
	assert_int_equal(fs_lower_setattr(t->lower, R, s.ino, FS_NO_FH, &set, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 3000);
	assert_true(S_ISLNK(st.st_mode));
	struct stat target;
	assert_int_equal(fs_lower_getattr(t->lower, R, ino, &target), 0);
	assert_true(target.st_mtim.tv_sec != 3000);
	struct statvfs sv;
	assert_int_equal(fs_lower_statfs(t->lower, R, ROOT, &sv), 0);
	assert_true(sv.f_bsize > 0);
	assert_int_equal(fs_lower_access(t->lower, R, ino, R_OK | W_OK), 0);
	assert_int_equal(fs_lower_access(t->lower, R, ino, X_OK), EACCES);
	fs_lower_release(t->lower, fh);
	fs_lower_forget(t->lower, ino, 1);
	fs_lower_forget(t->lower, s.ino, 1);
}

static void test_locks(void **state)
{
	struct fs_test_lower *t = *state;
	uint64_t ino, b;
	uint64_t a = create(t, "f", O_RDWR, &ino);
	assert_int_equal(fs_lower_open(t->lower, R, ino, O_RDWR, &b), 0);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	assert_int_equal(fs_lower_setlk(t->lower, a, &lk, false), 0);
	/* Another open of the same file conflicts, even in the same process. */
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	assert_int_equal(fs_lower_getlk(t->lower, b, &q), 0);
	assert_int_equal(q.l_type, F_WRLCK);
	assert_int_equal(q.l_start, 0);
	assert_int_equal(q.l_len, 10);
	q = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	assert_int_equal(fs_lower_setlk(t->lower, b, &q, false), EAGAIN);
	q.l_start = 10;
	assert_int_equal(fs_lower_setlk(t->lower, b, &q, false), 0);
	lk.l_type = F_UNLCK;
	assert_int_equal(fs_lower_setlk(t->lower, a, &lk, false), 0);
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	assert_int_equal(fs_lower_getlk(t->lower, b, &q), 0);
	assert_int_equal(q.l_type, F_UNLCK);
	assert_int_equal(fs_lower_setlk(t->lower, b, &q, true), 0);
	/* flock: exclusive against shared on another open. */
	assert_int_equal(fs_lower_flock(t->lower, a, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(fs_lower_flock(t->lower, b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	assert_int_equal(fs_lower_flock(t->lower, a, LOCK_UN), 0);
	assert_int_equal(fs_lower_flock(t->lower, b, LOCK_SH | LOCK_NB), 0);
	/* A flush (the requester's close) drops the record locks, not flock. */
	struct flock held = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 1 };
	assert_int_equal(fs_lower_setlk(t->lower, b, &held, false), 0);
	assert_int_equal(fs_lower_flush(t->lower, b, true), 0);
	held.l_type = F_WRLCK;
	assert_int_equal(fs_lower_getlk(t->lower, a, &held), 0);
	assert_int_equal(held.l_type, F_UNLCK);
	assert_int_equal(fs_lower_flock(t->lower, a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* Releasing the handle drops its locks. */
	assert_int_equal(fs_lower_release(t->lower, b), 0);
	lk = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	assert_int_equal(fs_lower_setlk(t->lower, a, &lk, false), 0);
	assert_int_equal(fs_lower_flock(t->lower, a, LOCK_EX | LOCK_NB), 0);
	fs_lower_release(t->lower, a);
	fs_lower_forget(t->lower, ino, 1);
}

struct listing {
	int count;
	int limit;
	char names[64][16];
	off_t next;
};

static bool collect(void *ctx, const char *name, ino_t ino, unsigned char type, off_t next)
{
	struct listing *li = ctx;
	(void)ino;
	(void)type;
	if (li->count == li->limit)
		return false;
	snprintf(li->names[li->count++], sizeof li->names[0], "%s", name);
	li->next = next;
	return true;
}

static void test_readdir(void **state)
{
	struct fs_test_lower *t = *state;
	char name[16];
	struct fs_entry e;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "e%02d", i);
		assert_int_equal(fs_lower_mkdir(t->lower, R, ROOT, name, 0700, &e), 0);
		fs_lower_forget(t->lower, e.ino, 1);
	}
	uint64_t dh;
	assert_int_equal(fs_lower_opendir(t->lower, R, ROOT, &dh), 0);
	/* Read in chunks of 5, resuming at each chunk's last offset. */
	struct listing all = { .limit = 64 };
	off_t off = 0;
	for (;;) {
		struct listing part = { .limit = 5 };
		assert_int_equal(fs_lower_readdir(t->lower, dh, off, collect, &part), 0);
		for (int i = 0; i < part.count; i++)
			memcpy(all.names[all.count++], part.names[i], sizeof part.names[i]);
		if (part.count < 5)
			break;
		off = part.next;
	}
	assert_int_equal(all.count, 22);
	int seen = 0;
	for (int i = 0; i < all.count; i++)
		seen += all.names[i][0] == 'e';
	assert_int_equal(seen, 20);
	/* Rewinding to 0 lists everything again. */
	struct listing again = { .limit = 64 };
	assert_int_equal(fs_lower_readdir(t->lower, dh, 0, collect, &again), 0);
	assert_int_equal(again.count, 22);
	assert_int_equal(fs_lower_fsyncdir(t->lower, dh, false), 0);
	assert_int_equal(fs_lower_releasedir(t->lower, dh), 0);
	uint64_t fh = create(t, "file", O_RDWR, &e.ino);
	assert_int_equal(fs_lower_opendir(t->lower, R, e.ino, &dh), ENOTDIR);
	fs_lower_release(t->lower, fh);
	fs_lower_forget(t->lower, e.ino, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_lower_setup, fs_test_lower_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_open_flags), T(test_direct_io), T(test_large_sparse),
		T(test_copy_file_range),   T(test_setattr),   T(test_locks),
		T(test_readdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
