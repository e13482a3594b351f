/*
 * Space operations on a FUSE volume with filters loaded: fallocate is
 * SET_INFORMATION FileAllocationInformation, punching a hole is
 * FSCTL_SET_ZERO_DATA, SEEK_DATA/SEEK_HOLE are FSCTL_QUERY_ALLOCATED_RANGES,
 * copy_file_range is a READ and a WRITE; results are the source's, and a
 * filter that denies the operation (or the copy's WRITE) denies the call.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)
#define MIB (1 << 20)
#define HOLE_AT 65536
#define HOLE_LEN 131072

static const struct gf_record *rec(int i)
{
	assert_true(i < atomic_load(&gf.records));
	return &gf.record[i];
}

static const struct gf_record *find(UCHAR major)
{
	for (int i = atomic_load(&gf.records) - 1; i >= 0; i--)
		if (rec(i)->major == major)
			return rec(i);
	fail_msg("major %u not recorded", major);
	return NULL;
}

/* Reads the source file directly. */
static ssize_t raw_read(const char *path, char *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = pread(fd, buf, len, off);
	assert_int_equal(close(fd), 0);
	return n;
}

/* A file of 1 MiB of 'x' in the mount, open read-write; records operations on `leaf`. */
static int filled(struct fs_test_mount *t, const char *name, const WCHAR *leaf)
{
	char m[512];
	static char data[MIB];
	gf_reset();
	int fd = open(fs_test_m(t, m, sizeof m, name), O_RDWR | O_CREAT, 0644);

	assert_true(fd >= 0);
	memset(data, 'x', sizeof data);
	assert_int_equal(pwrite(fd, data, sizeof data, 0), MIB);
	gf_reset();
	atomic_store(&gf.record_leaf, leaf);
	return fd;
}

static void test_fallocate_is_allocation_information(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat st;
	int fd = open(fs_test_m(t, m, sizeof m, "a"), O_RDWR | O_CREAT, 0644);

	assert_true(fd >= 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"a");
	assert_int_equal(fallocate(fd, 0, 4096, 8192), 0);
	const struct gf_record *r = find(IRP_MJ_SET_INFORMATION);
	assert_int_equal(r->info_class, FileAllocationInformation);
	assert_int_equal(r->allocation, 4096 + 8192);
	assert_int_equal(r->status, STATUS_SUCCESS);
	assert_int_equal(stat(fs_test_s(t, s, sizeof s, "a"), &st), 0);
	assert_int_equal(st.st_size, 4096 + 8192);
	/* KEEP_SIZE reserves blocks beyond the end and leaves the size. */
	assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MIB), 0);
	assert_int_equal(find(IRP_MJ_SET_INFORMATION)->allocation, MIB);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_size, 4096 + 8192);
	assert_true(st.st_blocks * 512 >= MIB);
	/* Modes with no Windows operation are refused before any IRP. */
	int before = atomic_load(&gf.records);
	assert_int_equal(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(atomic_load(&gf.records), before);
	assert_int_equal(close(fd), 0);
}

static void test_punch_hole_is_set_zero_data(void **state)
{
	struct fs_test_mount *t = *state;
	char s[512], buf[16];
	int fd = filled(t, "p", L"p");

	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, HOLE_AT, HOLE_LEN), 0);
	const struct gf_record *r = find(IRP_MJ_FILE_SYSTEM_CONTROL);
	assert_int_equal(r->minor, IRP_MN_USER_FS_REQUEST);
	assert_int_equal(r->fsctl, FSCTL_SET_ZERO_DATA);
	assert_int_equal(r->fsctl_in[0], HOLE_AT);
	assert_int_equal(r->fsctl_in[1], HOLE_AT + HOLE_LEN);
	assert_int_equal(r->status, STATUS_SUCCESS);
	int raw = open(fs_test_s(t, s, sizeof s, "p"), O_RDONLY);
	assert_true(raw >= 0);
	assert_int_equal(lseek(raw, 0, SEEK_HOLE), HOLE_AT);
	assert_int_equal(pread(raw, buf, sizeof buf, HOLE_AT + 10), sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(close(raw), 0);
	assert_int_equal(close(fd), 0);
}

static void test_seek_data_hole_query_allocated_ranges(void **state)
{
	struct fs_test_mount *t = *state;
	char s[512];
	int fd = filled(t, "q", L"q");

	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, HOLE_AT, HOLE_LEN), 0);
	int raw = open(fs_test_s(t, s, sizeof s, "q"), O_RDONLY);
	assert_true(raw >= 0);
	const off_t probes[] = { 0, 100, HOLE_AT, HOLE_AT + 5000, HOLE_AT + HOLE_LEN, MIB - 1 };
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		assert_int_equal(lseek(fd, probes[i], SEEK_DATA), lseek(raw, probes[i], SEEK_DATA));
		assert_int_equal(lseek(fd, probes[i], SEEK_HOLE), lseek(raw, probes[i], SEEK_HOLE));
	}
	gf_reset();
	atomic_store(&gf.record_leaf, L"q");
	assert_int_equal(lseek(fd, 100, SEEK_HOLE), HOLE_AT);
	const struct gf_record *r = find(IRP_MJ_FILE_SYSTEM_CONTROL);
	assert_int_equal(r->fsctl, FSCTL_QUERY_ALLOCATED_RANGES);
	assert_int_equal(r->fsctl_in[0], 100);
	assert_int_equal(r->fsctl_in[1], INT64_MAX - 100);
	assert_true(r->fsctl_out_length >= sizeof(FILE_ALLOCATED_RANGE_BUFFER));
	assert_int_equal(r->information, 2 * sizeof(FILE_ALLOCATED_RANGE_BUFFER));
	assert_int_equal(lseek(fd, MIB, SEEK_DATA), -1);
	assert_int_equal(errno, ENXIO);
	assert_int_equal(close(raw), 0);
	assert_int_equal(close(fd), 0);
}

static void test_copy_file_range_is_read_and_write(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], buf[8];
	int in = filled(t, "src", L"dst");
	int out = open(fs_test_m(t, m, sizeof m, "dst"), O_RDWR | O_CREAT, 0644);
	loff_t off_in = 1000, off_out = 0;

	assert_true(out >= 0);
	assert_int_equal(copy_file_range(in, &off_in, out, &off_out, 5000, 0), 5000);
	const struct gf_record *w = find(IRP_MJ_WRITE);
	assert_int_equal(w->offset, 0);
	assert_int_equal(w->length, 5000);
	assert_int_equal(raw_read(fs_test_s(t, s, sizeof s, "dst"), buf, sizeof buf, 4990), sizeof buf);
	assert_memory_equal(buf, "xxxxxxxx", sizeof buf);
	/* A filter that denies writes denies the copy; the target keeps its size. */
	atomic_store(&gf.deny_majors, 1ull << IRP_MJ_WRITE);
	off_in = 0;
	off_out = 5000;
	assert_int_equal(copy_file_range(in, &off_in, out, &off_out, 4096, 0), -1);
	assert_int_equal(errno, EACCES);
	struct stat st;
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_size, 5000);
	assert_int_equal(close(in), 0);
	assert_int_equal(close(out), 0);
}

static void test_filter_denies_space_operations(void **state)
{
	struct fs_test_mount *t = *state;
	char s[512], buf[4];
	int fd = filled(t, "d", L"d");

	atomic_store(&gf.deny_majors, 1ull << IRP_MJ_FILE_SYSTEM_CONTROL);
	atomic_store(&gf.deny_code, FSCTL_SET_ZERO_DATA);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), -1);
	assert_int_equal(errno, EACCES);
	/* Only that FSCTL: the range query still works. */
	assert_int_equal(lseek(fd, 0, SEEK_HOLE), MIB);
	atomic_store(&gf.deny_majors, 1ull << IRP_MJ_SET_INFORMATION);
	atomic_store(&gf.deny_code, FileAllocationInformation);
	assert_int_equal(fallocate(fd, 0, 0, 2 * MIB), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(atomic_load(&gf.denied), 2);
	assert_int_equal(raw_read(fs_test_s(t, s, sizeof s, "d"), buf, sizeof buf, 0), sizeof buf);
	assert_memory_equal(buf, "xxxx", sizeof buf);
	struct stat st;
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_size, MIB);
	assert_int_equal(close(fd), 0);
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
		T(test_fallocate_is_allocation_information),
		T(test_punch_hole_is_set_zero_data),
		T(test_seek_data_hole_query_allocated_ranges),
		T(test_copy_file_range_is_read_and_write),
		T(test_filter_denies_space_operations),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
