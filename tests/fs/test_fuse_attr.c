/*
 * Attributes on a FUSE volume with filters loaded: getattr is
 * QUERY_INFORMATION FileNetworkOpenInformation, on a FILE_READ_ATTRIBUTES
 * open (CREATE, query, CLEANUP, CLOSE) for a path and on the open file for
 * a descriptor (the size lseek(SEEK_END) needs); what the program sees is
 * the source's.  setattr of times is SET_INFORMATION FileBasicInformation;
 * mode changes pass through.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

static const struct gf_record *rec(int i)
{
	assert_true(i < atomic_load(&gf.records));
	return &gf.record[i];
}

/* Bounded wait for the asynchronous release of a closed descriptor (never timing). */
static void wait_for(atomic_int *v, int at_least)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int polls = 0; atomic_load(v) < at_least && polls < 2000; polls++)
		nanosleep(&tick, NULL);
	assert_true(atomic_load(v) >= at_least);
}

static void assert_same(const struct statx *seen, const struct stat *raw)
{
	assert_int_equal(seen->stx_size, raw->st_size);
	assert_int_equal(seen->stx_mode, raw->st_mode);
	assert_int_equal(seen->stx_uid, raw->st_uid);
	assert_int_equal(seen->stx_nlink, raw->st_nlink);
	assert_int_equal(seen->stx_mtime.tv_sec, raw->st_mtim.tv_sec);
	assert_int_equal(seen->stx_mtime.tv_nsec, raw->st_mtim.tv_nsec);
	assert_int_equal(seen->stx_atime.tv_nsec, raw->st_atim.tv_nsec);
	assert_int_equal(seen->stx_ctime.tv_nsec, raw->st_ctim.tv_nsec);
}

/* A forced stat of a path: the open-query-close sequence, the source's attributes. */
static void test_getattr_by_path(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct statx seen;
	struct stat raw;
	int fd = open(fs_test_s(t, s, sizeof s, "g"), O_WRONLY | O_CREAT, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "attributes", 10), 10);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(fs_test_m(t, m, sizeof m, "g"), &raw), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"g");
	atomic_store(&gf.record_queries, true);
	assert_int_equal(statx(AT_FDCWD, m, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &seen), 0);
	assert_int_equal(stat(s, &raw), 0);
	assert_same(&seen, &raw);
	assert_int_equal(atomic_load(&gf.records), 4);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(0)->disposition, FILE_OPEN);
	assert_true(rec(0)->access & FILE_READ_ATTRIBUTES);
	assert_false(rec(0)->access & (FILE_READ_DATA | FILE_WRITE_DATA));
	assert_int_equal(rec(1)->major, IRP_MJ_QUERY_INFORMATION);
	assert_int_equal(rec(1)->info_class, FileNetworkOpenInformation);
	assert_int_equal(rec(1)->status, STATUS_SUCCESS);
	assert_int_equal(rec(1)->pid, (ULONG)getpid());
	assert_int_equal(rec(2)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(3)->major, IRP_MJ_CLOSE);
}

/*
 * The size at lseek(SEEK_END) after a write: the kernel asks for the
 * attributes of the open file (getattr with its handle), no open of its own.
 */
static void test_getattr_on_open_file(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat raw;
	int fd = open(fs_test_m(t, m, sizeof m, "h"), O_RDWR | O_CREAT, 0600);

	assert_true(fd >= 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"h");
	atomic_store(&gf.record_queries, true);
	assert_int_equal(write(fd, "xyz", 3), 3);
	off_t end = lseek(fd, 0, SEEK_END);
	int records = atomic_load(&gf.records);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(fs_test_s(t, s, sizeof s, "h"), &raw), 0);
	assert_int_equal(end, raw.st_size);
	assert_int_equal(end, 3);
	assert_true(records >= 2);
	assert_int_equal(rec(0)->major, IRP_MJ_WRITE);
	for (int i = 1; i < records; i++) {
		assert_int_equal(rec(i)->major, IRP_MJ_QUERY_INFORMATION);
		assert_int_equal(rec(i)->info_class, FileNetworkOpenInformation);
	}
}

/* utimensat of a path: CREATE for FILE_WRITE_ATTRIBUTES, SET_INFORMATION FileBasicInformation, CLEANUP, CLOSE. */
static void test_utimens_is_set_basic(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat raw;
	const struct timespec times[2] = { { 1000000000, 123456700 }, { 1200000000, 987654300 } };
	gf_reset();
	atomic_store(&gf.record_leaf, L"u");
	int fd = open(fs_test_m(t, m, sizeof m, "u"), O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	wait_for(&gf.records, 3); /* CREATE, CLEANUP, CLOSE */
	gf_reset();
	atomic_store(&gf.record_leaf, L"u");
	assert_int_equal(utimensat(AT_FDCWD, m, times, 0), 0);
	assert_int_equal(stat(fs_test_s(t, s, sizeof s, "u"), &raw), 0);
	assert_int_equal(raw.st_atim.tv_sec, times[0].tv_sec);
	assert_int_equal(raw.st_atim.tv_nsec, times[0].tv_nsec);
	assert_int_equal(raw.st_mtim.tv_sec, times[1].tv_sec);
	assert_int_equal(raw.st_mtim.tv_nsec, times[1].tv_nsec);
	assert_int_equal(atomic_load(&gf.records), 4);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_true(rec(0)->access & FILE_WRITE_ATTRIBUTES);
	assert_false(rec(0)->access & (FILE_READ_DATA | FILE_WRITE_DATA));
	assert_int_equal(rec(1)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(1)->info_class, FileBasicInformation);
	assert_int_equal(rec(1)->basic_write_time, 1200000000LL * 10000000LL + 9876543 + 116444736000000000LL);
	assert_int_equal(rec(1)->status, STATUS_SUCCESS);
	assert_int_equal(rec(2)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(3)->major, IRP_MJ_CLOSE);
}

/* futimens(UTIME_NOW): SET_INFORMATION FileBasicInformation with the current time; fchmod is SET_SECURITY. */
static void test_futimens_now_and_chmod(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat before, after;
	const struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	const struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	int fd = open(fs_test_m(t, m, sizeof m, "v"), O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, old), 0);
	assert_int_equal(stat(fs_test_s(t, s, sizeof s, "v"), &before), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"v");
	int set_now = futimens(fd, now);
	int records = atomic_load(&gf.records);
	int set_mode = fchmod(fd, 0600);
	int records_after_chmod = atomic_load(&gf.records);
	assert_int_equal(close(fd), 0);
	assert_int_equal(set_now, 0);
	assert_int_equal(set_mode, 0);
	/* FUSE names no open file for futimens: the sequence of a path. */
	assert_int_equal(records, 4);
	assert_int_equal(rec(1)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(1)->info_class, FileBasicInformation);
	assert_true(rec(1)->basic_write_time > 0);
	/* fchmod is SET_SECURITY (DACL) on a WRITE_DAC open. */
	assert_int_equal(records_after_chmod, 8);
	assert_int_equal(rec(4)->major, IRP_MJ_CREATE);
	assert_true(rec(4)->access & WRITE_DAC);
	assert_int_equal(rec(5)->major, IRP_MJ_SET_SECURITY);
	assert_int_equal(rec(5)->security_info, DACL_SECURITY_INFORMATION);
	assert_int_equal(stat(s, &after), 0);
	assert_true(after.st_mtim.tv_sec > before.st_mtim.tv_sec);
	assert_int_equal(after.st_mode & 07777, 0600);
}

static int group_setup(void **state)
{
	(void)state;
	return NT_SUCCESS(gf_load(2)) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	gf_unload();
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	fs_test_require_fuse(argv[0]);
	umask(022);
	const struct CMUnitTest tests[] = {
		T(test_getattr_by_path),
		T(test_getattr_on_open_file),
		T(test_utimens_is_set_basic),
		T(test_futimens_now_and_chmod),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
