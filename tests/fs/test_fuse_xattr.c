/*
 * Extended attributes on a FUSE volume with filters loaded: each xattr call
 * is CREATE (FILE_READ_EA / FILE_WRITE_EA), QUERY_EA or SET_EA with
 * FILE_FULL_EA_INFORMATION entries named as the xattrs, CLEANUP, CLOSE;
 * the program's results (values, sizes, errnos) are the source's, and a
 * filter that denies the EA operation denies the call (EACCES).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

static const struct gf_record *rec(int i)
{
	assert_true(i < atomic_load(&gf.records));
	return &gf.record[i];
}

static void make_file(struct fs_test_mount *t, const char *name, char *m, char *s)
{
	int fd = open(fs_test_s(t, s, 512, name), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	fs_test_m(t, m, 512, name);
}

static void assert_sequence(UCHAR major, ACCESS_MASK access)
{
	assert_int_equal(atomic_load(&gf.records), 4);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_true(rec(0)->access & access);
	assert_false(rec(0)->access & (FILE_READ_DATA | FILE_WRITE_DATA));
	assert_int_equal(rec(1)->major, major);
	assert_int_equal(rec(2)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(3)->major, IRP_MJ_CLOSE);
}

static void test_setxattr_is_set_ea(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], v[16];

	make_file(t, "x", m, s);
	gf_reset();
	atomic_store(&gf.record_leaf, L"x");
	assert_int_equal(setxattr(m, "user.color", "blue", 4, 0), 0);
	assert_sequence(IRP_MJ_SET_EA, FILE_WRITE_EA);
	assert_string_equal(rec(1)->ea_name, "user.color");
	assert_int_equal(rec(1)->ea_value_length, 4);
	assert_int_equal(rec(1)->ea_length, FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName) + 11 + 4);
	assert_int_equal(rec(1)->status, STATUS_SUCCESS);
	assert_int_equal(getxattr(s, "user.color", v, sizeof v), 4);
	assert_memory_equal(v, "blue", 4);
	/* XATTR_CREATE on an existing name, XATTR_REPLACE on a missing one: as on the source. */
	assert_int_equal(setxattr(m, "user.color", "red", 3, XATTR_CREATE), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(setxattr(m, "user.none", "red", 3, XATTR_REPLACE), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(setxattr(m, "user.color", "red", 3, XATTR_REPLACE), 0);
	/* An empty value is a value (not a removal) for the program's own call. */
	assert_int_equal(setxattr(m, "user.empty", "", 0, 0), 0);
	assert_int_equal(getxattr(s, "user.empty", v, sizeof v), 0);
}

static void test_getxattr_is_query_ea(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], v[16];

	make_file(t, "g", m, s);
	assert_int_equal(setxattr(s, "user.k", "value", 5, 0), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"g");
	assert_int_equal(getxattr(m, "user.k", v, sizeof v), 5);
	assert_memory_equal(v, "value", 5);
	assert_sequence(IRP_MJ_QUERY_EA, FILE_READ_EA);
	assert_string_equal(rec(1)->ea_name, "user.k");
	assert_int_equal(rec(1)->ea_list_length, FIELD_OFFSET(FILE_GET_EA_INFORMATION, EaName) + 7);
	assert_true(rec(1)->op_flags & SL_RETURN_SINGLE_ENTRY);
	assert_int_equal(rec(1)->status, STATUS_SUCCESS);
	assert_int_equal(rec(1)->information, FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName) + 7 + 5);
	/* The size query, a buffer too small, a missing name. */
	assert_int_equal(getxattr(m, "user.k", NULL, 0), 5);
	gf_reset();
	atomic_store(&gf.record_leaf, L"g");
	assert_int_equal(getxattr(m, "user.k", v, 2), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(rec(1)->status, STATUS_BUFFER_TOO_SMALL);
	gf_reset();
	atomic_store(&gf.record_leaf, L"g");
	assert_int_equal(getxattr(m, "user.missing", v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(rec(1)->status, STATUS_NONEXISTENT_EA_ENTRY);
}

static void test_listxattr_scans_the_eas(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], seen[256], raw[256];

	make_file(t, "l", m, s);
	gf_reset();
	atomic_store(&gf.record_leaf, L"l");
	assert_int_equal(listxattr(m, seen, sizeof seen), 0);
	assert_int_equal(rec(1)->major, IRP_MJ_QUERY_EA);
	assert_int_equal(rec(1)->status, STATUS_NO_EAS_ON_FILE);
	assert_int_equal(rec(1)->ea_list_length, 0);
	assert_true(rec(1)->op_flags & SL_RESTART_SCAN);
	assert_int_equal(setxattr(s, "user.one", "1", 1, 0), 0);
	assert_int_equal(setxattr(s, "user.two", "22", 2, 0), 0);
	ssize_t n = listxattr(s, raw, sizeof raw);
	assert_true(n > 0);
	assert_int_equal(listxattr(m, NULL, 0), n);
	assert_int_equal(listxattr(m, seen, sizeof seen), n);
	assert_memory_equal(seen, raw, (size_t)n);
	assert_int_equal(listxattr(m, seen, 3), -1);
	assert_int_equal(errno, ERANGE);
}

static void test_removexattr_is_set_ea_without_value(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], v[4];

	make_file(t, "r", m, s);
	assert_int_equal(setxattr(s, "user.gone", "x", 1, 0), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"r");
	assert_int_equal(removexattr(m, "user.gone"), 0);
	assert_sequence(IRP_MJ_SET_EA, FILE_WRITE_EA);
	assert_string_equal(rec(1)->ea_name, "user.gone");
	assert_int_equal(rec(1)->ea_value_length, 0);
	assert_int_equal(getxattr(s, "user.gone", v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(removexattr(m, "user.gone"), -1);
	assert_int_equal(errno, ENODATA);
}

static void test_filter_denies_eas(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], v[8];

	make_file(t, "d", m, s);
	assert_int_equal(setxattr(s, "user.kept", "k", 1, 0), 0);
	gf_reset();
	atomic_store(&gf.deny_majors, (1ull << IRP_MJ_SET_EA) | (1ull << IRP_MJ_QUERY_EA));
	assert_int_equal(setxattr(m, "user.new", "n", 1, 0), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(removexattr(m, "user.kept"), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(getxattr(m, "user.kept", v, sizeof v), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(listxattr(m, v, sizeof v), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(atomic_load(&gf.denied), 4);
	assert_int_equal(getxattr(s, "user.kept", v, sizeof v), 1);
	assert_int_equal(getxattr(s, "user.new", v, sizeof v), -1);
}

/* What an EA cannot carry fails before any IRP, with the errno Linux gives for it. */
static void test_ea_limits(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], name[300];
	static char big[65536];

	make_file(t, "big", m, s);
	memset(name, 'n', sizeof name);
	memcpy(name, "user.", 5);
	name[sizeof name - 1] = '\0';
	gf_reset();
	atomic_store(&gf.record_leaf, L"big");
	assert_int_equal(setxattr(m, name, "v", 1, 0), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(setxattr(m, "user.big", big, sizeof big, 0), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(atomic_load(&gf.records), 0);
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
		T(test_setxattr_is_set_ea),
		T(test_getxattr_is_query_ea),
		T(test_listxattr_scans_the_eas),
		T(test_removexattr_is_set_ea_without_value),
		T(test_filter_denies_eas),
		T(test_ea_limits),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
