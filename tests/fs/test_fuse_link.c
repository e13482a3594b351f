/*
 * Hard links on a FUSE volume with filters loaded: link(2) is CREATE for
 * FILE_WRITE_ATTRIBUTES, SET_INFORMATION FileLinkInformationEx, CLEANUP,
 * CLOSE, and the program's result is the source's.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
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

static void test_link_is_set_link_information(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], m2[512], s[512], s2[512];
	struct stat a, b;
	int fd = open(fs_test_s(t, s, sizeof s, "orig"), O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"orig");
	assert_int_equal(link(fs_test_m(t, m, sizeof m, "orig"), fs_test_m(t, m2, sizeof m2, "second")), 0);
	assert_int_equal(stat(s, &a), 0);
	assert_int_equal(stat(fs_test_s(t, s2, sizeof s2, "second"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 2);
	assert_int_equal(atomic_load(&gf.records), 4);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_true(rec(0)->access & FILE_WRITE_ATTRIBUTES);
	assert_int_equal(rec(1)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(1)->info_class, FileLinkInformationEx);
	assert_int_equal(rec(1)->status, STATUS_SUCCESS);
	assert_int_equal(rec(2)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(3)->major, IRP_MJ_CLOSE);
	/* link(2) never replaces: the existing name stays, EEXIST as on the source. */
	assert_int_equal(link(m, m2), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(stat(s, &a), 0);
	assert_int_equal(a.st_nlink, 2);
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
		T(test_link_is_set_link_information),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
