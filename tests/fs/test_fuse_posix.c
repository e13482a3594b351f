/* POSIX behaviour through a mounted passthrough volume. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/mman.h>
#include <grp.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define M(name) fs_test_m(t, pm, sizeof pm, name)
#define S(name) fs_test_s(t, ps, sizeof ps, name)

static void put_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

static void assert_content(const char *path, const char *expect)
{
	char buf[256] = { 0 };
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof buf - 1) >= 0);
	close(fd);
	assert_string_equal(buf, expect);
}

static void test_create_and_open_flags(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	int fd = open(M("f"), O_CREAT | O_EXCL | O_RDWR, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	assert_int_equal(open(M("f"), O_CREAT | O_EXCL | O_RDWR, 0640), -1);
	assert_int_equal(errno, EEXIST);
	struct stat st;
	assert_int_equal(stat(S("f"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~022);
	assert_content(S("f"), "hello");
	fd = open(M("f"), O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, " world", 6, 0), 6);
	close(fd);
	assert_content(M("f"), "hello world");
	fd = open(M("f"), O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(M("f"), &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(open(M("missing"), O_RDONLY), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open(M("f/x"), O_RDONLY), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(open(t->mnt, O_WRONLY), -1);
	assert_int_equal(errno, EISDIR);
	/* A file created in the source shows through the mount. */
	put_file(S("raw"), "raw data", 0644);
	assert_content(M("raw"), "raw data");
}

static void test_truncate_and_sparse(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	put_file(M("t"), "0123456789", 0644);
	assert_int_equal(truncate(M("t"), 4), 0);
	assert_content(S("t"), "0123");
	int fd = open(M("t"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2), 0);
	const off_t far = (off_t)3 << 30;
	assert_int_equal(pwrite(fd, "end", 3, far), 3);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, far + 3);
	assert_true(st.st_blocks * 512 < (off_t)1 << 20);
	assert_true(lseek(fd, 0, SEEK_HOLE) < far);
	off_t data = lseek(fd, 4096, SEEK_DATA);
	assert_true(data > far - 65536 && data <= far);
	assert_int_equal(lseek(fd, far + 3, SEEK_DATA), -1);
	assert_int_equal(errno, ENXIO);
	char buf[4] = { 0 };
	assert_int_equal(pread(fd, buf, 3, far), 3);
	assert_string_equal(buf, "end");
	assert_int_equal(pread(fd, buf, 2, 1 << 20), 2);
	assert_int_equal(buf[0], 0);
	/* Punch a hole through the mount. */
	char block[65536];
	memset(block, 'x', sizeof block);
	assert_int_equal(pwrite(fd, block, sizeof block, 0), (ssize_t)sizeof block);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536), 0);
	assert_int_equal(lseek(fd, 0, SEEK_HOLE), 0);
	assert_int_equal(pread(fd, buf, 2, 10), 2);
	assert_int_equal(buf[0], 0);
	close(fd);
}

static void test_direct_io_and_copy_range(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	int fd = open(M("direct"), O_CREAT | O_RDWR | O_DIRECT, 0644);
	assert_true(fd >= 0);
	static char buf[8192] __attribute__((aligned(4096)));
	memset(buf, 'D', 8192);
	assert_int_equal(pwrite(fd, buf, 8192, 0), 8192);
	memset(buf, 0, 8192);
	assert_int_equal(pread(fd, buf, 8192, 0), 8192);
	assert_int_equal(buf[8191], 'D');
	/* Misaligned direct I/O fails as on the raw file. */
	assert_int_equal(pwrite(fd, buf, 100, 1), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	/* copy_file_range between two files of the volume. */
	put_file(M("from"), "0123456789", 0644);
	int in = open(M("from"), O_RDONLY);
	int out = open(M("to"), O_CREAT | O_WRONLY, 0644);
	assert_true(in >= 0 && out >= 0);
	loff_t off_in = 3, off_out = 0;
	assert_int_equal(copy_file_range(in, &off_in, out, &off_out, 4, 0), 4);
	assert_int_equal(off_in, 7);
	close(in);
	close(out);
	assert_content(S("to"), "3456");
}

static void test_rename(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], pm2[512], ps[512];
	put_file(M("a"), "A", 0644);
	put_file(M("b"), "B", 0644);
	assert_int_equal(rename(M("a"), fs_test_m(t, pm2, sizeof pm2, "b")), 0);
	assert_content(M("b"), "A");
	assert_int_equal(access(S("a"), F_OK), -1);
	put_file(M("c"), "C", 0644);
	assert_int_equal(renameat2(AT_FDCWD, M("c"), AT_FDCWD, fs_test_m(t, pm2, sizeof pm2, "b"),
				   RENAME_NOREPLACE),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(renameat2(AT_FDCWD, M("c"), AT_FDCWD, fs_test_m(t, pm2, sizeof pm2, "b"),
				   RENAME_EXCHANGE),
			 0);
	assert_content(S("b"), "C");
	assert_content(S("c"), "A");
	assert_int_equal(mkdir(M("d"), 0755), 0);
	assert_int_equal(rename(M("c"), fs_test_m(t, pm2, sizeof pm2, "d")), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(rename(M("c"), fs_test_m(t, pm2, sizeof pm2, "d/c")), 0);
	assert_content(S("d/c"), "A");
}

static void test_unlink_open_file(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	int fd = open(M("u"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "still here", 10), 10);
	assert_int_equal(unlink(M("u")), 0);
	assert_int_equal(access(M("u"), F_OK), -1);
	assert_int_equal(access(S("u"), F_OK), -1);
	char buf[16] = { 0 };
	assert_int_equal(pwrite(fd, "!", 1, 10), 1);
	assert_int_equal(pread(fd, buf, sizeof buf, 0), 11);
	assert_string_equal(buf, "still here!");
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	close(fd);
	assert_int_equal(unlink(M("u")), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_dirs_and_links(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], pm2[512];
	assert_int_equal(mkdir(M("d"), 0755), 0);
	assert_int_equal(mkdir(M("d"), 0755), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(mkdir(M("d/sub"), 0755), 0);
	put_file(M("d/f"), "f", 0644);
	assert_int_equal(rmdir(M("d")), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_int_equal(rmdir(M("d/f")), -1);
	assert_int_equal(errno, ENOTDIR);
	struct stat st;
	assert_int_equal(stat(M("d"), &st), 0);
	assert_int_equal(st.st_nlink, 3);
	assert_int_equal(link(M("d/f"), fs_test_m(t, pm2, sizeof pm2, "hard")), 0);
	assert_int_equal(stat(M("hard"), &st), 0);
	assert_int_equal(st.st_nlink, 2);
	struct stat st2;
	assert_int_equal(stat(M("d/f"), &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_int_equal(unlink(M("d/f")), 0);
	assert_int_equal(stat(M("hard"), &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(rmdir(M("d/sub")), 0);
	assert_int_equal(rmdir(M("d")), 0);
	/* Symlinks are stored as they are and resolved by the kernel. */
	assert_int_equal(symlink("hard", M("sym")), 0);
	char target[64] = { 0 };
	assert_int_equal(readlink(M("sym"), target, sizeof target), 4);
	assert_string_equal(target, "hard");
	assert_content(M("sym"), "f");
	assert_int_equal(lstat(M("sym"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(mkfifo(M("fifo"), 0600), 0);
	assert_int_equal(lstat(M("fifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* A listing of many entries, across several readdir requests. */
	assert_int_equal(mkdir(M("many"), 0755), 0);
	for (int i = 0; i < 500; i++) {
		char name[64];
		snprintf(name, sizeof name, "many/entry-with-a-long-name-%04d", i);
		put_file(M(name), "", 0644);
	}
	DIR *d = opendir(M("many"));
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, "entry-", 6) == 0;
	closedir(d);
	assert_int_equal(n, 500);
}

static void test_timestamps_and_xattrs(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	put_file(M("ts"), "x", 0644);
	struct timespec tv[2] = { { 1000000, 1 }, { 2000000, 2 } };
	assert_int_equal(utimensat(AT_FDCWD, M("ts"), tv, 0), 0);
	struct stat st;
	assert_int_equal(stat(S("ts"), &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000000);
	assert_int_equal(st.st_mtim.tv_sec, 2000000);
	assert_int_equal(st.st_mtim.tv_nsec, 2);
	tv[0].tv_nsec = UTIME_OMIT;
	tv[1].tv_nsec = UTIME_NOW;
	assert_int_equal(utimensat(AT_FDCWD, M("ts"), tv, 0), 0);
	assert_int_equal(stat(M("ts"), &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000000);
	assert_true(st.st_mtim.tv_sec > 2000000);
	/* A write moves mtime forward. */
	tv[0] = (struct timespec){ 1000000, 0 };
	tv[1] = (struct timespec){ 1000000, 0 };
	assert_int_equal(utimensat(AT_FDCWD, M("ts"), tv, 0), 0);
	put_file(M("ts"), "y", 0644);
	assert_int_equal(stat(M("ts"), &st), 0);
	assert_true(st.st_mtim.tv_sec > 1000000);
	assert_int_equal(setxattr(M("ts"), "user.tag", "blue", 4, XATTR_CREATE), 0);
	assert_int_equal(setxattr(M("ts"), "user.tag", "red", 3, XATTR_CREATE), -1);
	assert_int_equal(errno, EEXIST);
	char buf[16] = { 0 };
	assert_int_equal(getxattr(M("ts"), "user.tag", NULL, 0), 4);
	assert_int_equal(getxattr(M("ts"), "user.tag", buf, 2), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(getxattr(S("ts"), "user.tag", buf, sizeof buf), 4);
	assert_string_equal(buf, "blue");
	assert_int_equal(listxattr(M("ts"), buf, sizeof buf), (ssize_t)sizeof "user.tag");
	assert_int_equal(removexattr(M("ts"), "user.tag"), 0);
	assert_int_equal(getxattr(M("ts"), "user.tag", buf, sizeof buf), -1);
	assert_int_equal(errno, ENODATA);
}

static void test_locks_shared_with_raw_files(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	put_file(M("lk"), "lock me", 0644);
	int fd = open(M("lk"), O_RDWR);
	int raw = open(S("lk"), O_RDWR);
	assert_true(fd >= 0 && raw >= 0);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 4 };
	assert_int_equal(fcntl(fd, F_SETLK, &lk), 0);
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	assert_int_equal(fcntl(raw, F_OFD_GETLK, &q), 0);
	assert_int_equal(q.l_type, F_WRLCK);
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	assert_int_equal(fcntl(raw, F_OFD_SETLK, &q), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(flock(raw, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	assert_int_equal(flock(raw, LOCK_EX | LOCK_NB), 0);
	/* close() releases the record locks at once. */
	close(fd);
	assert_int_equal(fcntl(raw, F_OFD_SETLK, &q), 0);
	close(raw);
}

/* Two processes, each with its own open: POSIX record locks exclude each other. */
static void test_locks_between_processes(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512];
	int go[2], done[2], status;
	char c;
	put_file(M("shared"), "0123456789", 0644);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fs_test_drop_fuse_fds();
		int fd = open(M("shared"), O_RDWR);
		struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 3 };
		int ok = fd >= 0 && fcntl(fd, F_SETLK, &lk) == 0;
		ok = write(done[1], ok ? "y" : "n", 1) == 1 && ok;
		ok = read(go[0], &c, 1) == 1 && ok;	/* hold the lock until the parent has looked */
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	int fd = open(M("shared"), O_RDWR);
	assert_true(fd >= 0);
	struct flock q = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	assert_int_equal(fcntl(fd, F_GETLK, &q), 0);
	assert_int_equal(q.l_type, F_WRLCK);
	assert_int_equal(q.l_start, 2);
	assert_int_equal(q.l_len, 3);
	q = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 4, .l_len = 1 };
	assert_int_equal(fcntl(fd, F_SETLK, &q), -1);
	assert_true(errno == EAGAIN || errno == EACCES);
	/* Outside the child's range the lock is granted. */
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 5 };
	assert_int_equal(fcntl(fd, F_SETLK, &q), 0);
	/* The child's exit (its close) frees its range. */
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	assert_int_equal(fcntl(fd, F_SETLK, &q), 0);
	close(fd);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

/* Runs fn in a child process as uid/gid FS_TEST_UID; asserts it succeeded. */
static void run_as_user(struct fs_test_mount *t, int (*fn)(struct fs_test_mount *))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fs_test_drop_fuse_fds();
		if (setgroups(0, NULL) != 0 || setgid(FS_TEST_GID) != 0 || setuid(FS_TEST_UID) != 0)
			_exit(100);
		_exit(fn(t));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* In the child: returns the failing line, or 0. */
#define CK(c)                                                                      \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "child check failed at line %d: %s (errno %d)\n", \
				__LINE__, #c, errno);                              \
			return __LINE__ % 200 + 1;                                 \
		}                                                                  \
	} while (0)

static int user_checks(struct fs_test_mount *t)
{
	char pm[512];
	struct stat st;
	errno = 0;
	CK(open(M("secret"), O_RDONLY) == -1 && errno == EACCES);
	CK(access(M("secret"), R_OK) == -1 && errno == EACCES);
	int fd = open(M("public"), O_RDONLY);
	CK(fd >= 0);
	close(fd);
	CK(open(M("public"), O_WRONLY) == -1 && errno == EACCES);
	CK(chmod(M("public"), 0666) == -1 && errno == EPERM);
	CK(chown(M("public"), FS_TEST_UID, FS_TEST_GID) == -1 && errno == EPERM);
	CK(truncate(M("public"), 0) == -1 && errno == EACCES);
	CK(utimensat(AT_FDCWD, M("public"), NULL, 0) == -1 && errno == EACCES);
	CK(unlink(M("public")) == -1 && errno == EACCES);
	CK(mkdir(M("nope"), 0755) == -1 && errno == EACCES);
	CK(open(M("nope"), O_CREAT | O_WRONLY, 0644) == -1 && errno == EACCES);
	CK(stat(M("private/inside"), &st) == -1 && errno == EACCES);
	CK(opendir(M("private")) == NULL && errno == EACCES);
	fd = open(M("pub/mine"), O_CREAT | O_WRONLY, 0640);
	CK(fd >= 0);
	CK(write(fd, "mine", 4) == 4);
	CK(fstat(fd, &st) == 0 && st.st_uid == FS_TEST_UID && st.st_gid == FS_TEST_GID);
	close(fd);
	CK(chmod(M("pub/mine"), 0600) == 0);
	CK(mkdir(M("pub/dir"), 0700) == 0);
	CK(stat(M("pub/dir"), &st) == 0 && st.st_uid == FS_TEST_UID);
	CK(unlink(M("pub/root-owned")) == -1 && errno == EPERM);
	CK(mknod(M("pub/dev"), S_IFCHR | 0600, 0x0103) == -1 && errno == EPERM);
	return 0;
}

/* xattrs as an unprivileged requester: the kernel's rules for each namespace. */
static int user_xattr_checks(struct fs_test_mount *t)
{
	char pm[512], buf[8];
	errno = 0;
	CK(getxattr(M("public"), "user.k", buf, sizeof buf) == 1);
	CK(setxattr(M("public"), "user.k", "w", 1, 0) == -1 && errno == EACCES);
	CK(removexattr(M("public"), "user.k") == -1 && errno == EACCES);
	CK(getxattr(M("public"), "trusted.t", buf, sizeof buf) == -1 && errno == ENODATA);
	CK(setxattr(M("pub/mine"), "trusted.t", "t", 1, 0) == -1 && errno == EPERM);
	CK(setxattr(M("pub/mine"), "security.s", "s", 1, 0) == -1 && errno == EPERM);
	CK(listxattr(M("public"), buf, sizeof buf) == (ssize_t)sizeof "user.k");
	/* Names are listed without read permission; values are not readable. */
	CK(listxattr(M("closed"), buf, sizeof buf) == (ssize_t)sizeof "user.k");
	CK(getxattr(M("closed"), "user.k", buf, sizeof buf) == -1 && errno == EACCES);
	CK(setxattr(M("pub/mine"), "user.mine", "m", 1, 0) == 0);
	CK(lsetxattr(M("pub/link"), "user.l", "l", 1, 0) == -1 && errno == EPERM);
	return 0;
}

static void test_xattrs_as_user(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512], buf[8];
	put_file(M("public"), "p", 0644);
	assert_int_equal(setxattr(M("public"), "user.k", "v", 1, 0), 0);
	assert_int_equal(setxattr(M("public"), "trusted.t", "t", 1, 0), 0);
	put_file(M("closed"), "c", 0600);
	assert_int_equal(setxattr(M("closed"), "user.k", "v", 1, 0), 0);
	assert_int_equal(mkdir(M("pub"), 0777), 0);
	assert_int_equal(chmod(M("pub"), 01777), 0);
	put_file(M("pub/mine"), "m", 0666);
	assert_int_equal(chown(M("pub/mine"), FS_TEST_UID, FS_TEST_GID), 0);
	assert_int_equal(symlink("mine", M("pub/link")), 0);
	run_as_user(t, user_xattr_checks);
	assert_int_equal(getxattr(S("pub/mine"), "user.mine", buf, sizeof buf), 1);
	assert_int_equal(getxattr(S("public"), "trusted.t", buf, sizeof buf), 1);
	assert_int_equal(getxattr(S("public"), "user.k", buf, sizeof buf), 1);
	assert_int_equal(buf[0], 'v');
}

static void test_permissions_as_user(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	put_file(M("secret"), "s", 0600);
	put_file(M("public"), "p", 0644);
	assert_int_equal(mkdir(M("private"), 0700), 0);
	put_file(M("private/inside"), "i", 0644);
	assert_int_equal(mkdir(M("pub"), 0777), 0);
	assert_int_equal(chmod(M("pub"), 01777), 0);
	put_file(M("pub/root-owned"), "r", 0666);
	/* As root first, so cached entries and attributes exist for the user. */
	struct stat st;
	assert_int_equal(stat(M("private/inside"), &st), 0);
	run_as_user(t, user_checks);
	assert_int_equal(stat(S("pub/mine"), &st), 0);
	assert_int_equal(st.st_uid, FS_TEST_UID);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_content(S("pub/mine"), "mine");
}

static int user_write_suid(struct fs_test_mount *t)
{
	char pm[512];
	int fd = open(M("suid"), O_WRONLY);
	CK(fd >= 0);
	CK(write(fd, "y", 1) == 1);
	close(fd);
	return 0;
}

static void test_setuid_cleared_by_write(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	put_file(M("suid"), "x", 0755);
	assert_int_equal(chmod(M("suid"), 04777), 0);
	run_as_user(t, user_write_suid);
	struct stat st;
	assert_int_equal(stat(S("suid"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
}

/*
 * Write-only opens write around the page cache (direct_io): a reader that
 * cached the file sees each write at its next read, however quick, and a
 * shared mapping shows it at once.
 */
static void test_write_only_open_seen_by_cached_reader(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], buf[8];
	put_file(M("co"), "aaaa", 0644);
	int rfd = open(M("co"), O_RDONLY);
	assert_true(rfd >= 0);
	assert_int_equal(pread(rfd, buf, 4, 0), 4);
	assert_memory_equal(buf, "aaaa", 4);
	const volatile char *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(map[0], 'a');
	for (int i = 0; i < 20; i++) {
		char c = (char)('b' + i);
		char data[4] = { c, c, c, c };
		int wfd = open(M("co"), O_WRONLY);
		assert_true(wfd >= 0);
		assert_int_equal(pwrite(wfd, data, 4, 0), 4);
		assert_int_equal(close(wfd), 0);
		assert_int_equal(map[3], c);
		assert_int_equal(pread(rfd, buf, 4, 0), 4);
		assert_memory_equal(buf, data, 4);
	}
	munmap((void *)map, 4096);
	close(rfd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

/* Every check runs with a passthrough filter (all majors, pre and post) on the volume. */
static int group_setup(void **state)
{
	(void)state;
	gf_reset();
	return NT_SUCCESS(gf_load(1)) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	int seen = atomic_load(&gf.post[0]);
	gf_unload();
	return seen > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	(void)argc;
	fs_test_require_fuse(argv[0]);
	umask(022);
	const struct CMUnitTest tests[] = {
		T(test_create_and_open_flags),	     T(test_truncate_and_sparse),
		T(test_direct_io_and_copy_range),    T(test_rename),			     T(test_unlink_open_file),
		T(test_dirs_and_links),		     T(test_timestamps_and_xattrs),
		T(test_locks_shared_with_raw_files), T(test_locks_between_processes),
		T(test_permissions_as_user),	     T(test_xattrs_as_user),
		T(test_setuid_cleared_by_write),     T(test_write_only_open_seen_by_cached_reader),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
