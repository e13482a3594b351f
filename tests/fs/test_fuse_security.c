/*
 * chmod and chown on a FUSE volume with filters loaded: IRP_MJ_SET_SECURITY
 * (DACL / OWNER / GROUP) with a self-relative descriptor of the new values
 * on a WRITE_DAC / WRITE_OWNER open; the source gets exactly the program's
 * mode (setuid bits included) and owner; a filter can deny it (EACCES) or
 * rewrite the descriptor (the file gets the rewritten DACL); descriptors map
 * back to modes and owners.
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

#include "fs/flt/glue.h"
#include "fs_mount_test.h"
#include "glue_filter.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

static const struct gf_record *rec(int i)
{
	assert_true(i < atomic_load(&gf.records));
	return &gf.record[i];
}

/* The index of the (last) SET_SECURITY; the kernel may refresh attributes first. */
static int set_security_at(void)
{
	for (int i = atomic_load(&gf.records) - 1; i > 0; i--)
		if (rec(i)->major == IRP_MJ_SET_SECURITY)
			return i;
	fail_msg("no SET_SECURITY recorded");
	return 0;
}

static void make_file(struct fs_test_mount *t, const char *name, char *m, char *s)
{
	int fd = open(fs_test_s(t, s, 512, name), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	fs_test_m(t, m, 512, name);
}

static void test_chmod_is_set_security(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat st;

	make_file(t, "c", m, s);
	gf_reset();
	atomic_store(&gf.record_leaf, L"c");
	assert_int_equal(chmod(m, 04751), 0);
	int i = set_security_at();
	assert_int_equal(atomic_load(&gf.records), i + 3);
	assert_int_equal(rec(i - 1)->major, IRP_MJ_CREATE);
	assert_true(rec(i - 1)->access & WRITE_DAC);
	assert_false(rec(i - 1)->access & (WRITE_OWNER | FILE_WRITE_DATA));
	assert_int_equal(rec(i)->security_info, DACL_SECURITY_INFORMATION);
	assert_true(rec(i)->has_descriptor);
	assert_int_equal(rec(i)->status, STATUS_SUCCESS);
	assert_int_equal(rec(i + 1)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(i + 2)->major, IRP_MJ_CLOSE);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04751);
}

static void test_chown_is_set_security(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat st;

	make_file(t, "o", m, s);
	gf_reset();
	atomic_store(&gf.record_leaf, L"o");
	assert_int_equal(chown(m, FS_TEST_UID, FS_TEST_GID), 0);
	int i = set_security_at();
	assert_true(rec(i - 1)->access & WRITE_OWNER);
	assert_int_equal(rec(i)->security_info, OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_uid, FS_TEST_UID);
	assert_int_equal(st.st_gid, FS_TEST_GID);
	gf_reset();
	atomic_store(&gf.record_leaf, L"o");
	assert_int_equal(chown(m, (uid_t)-1, 0), 0);
	assert_int_equal(rec(set_security_at())->security_info, GROUP_SECURITY_INFORMATION);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_uid, FS_TEST_UID);
	assert_int_equal(st.st_gid, 0);
}

static void test_filter_denies_set_security(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat st;

	make_file(t, "d", m, s);
	gf_reset();
	atomic_store(&gf.deny_majors, 1ull << IRP_MJ_SET_SECURITY);
	assert_int_equal(chmod(m, 0600), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(chown(m, FS_TEST_UID, FS_TEST_GID), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(atomic_load(&gf.denied), 2);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, 0);
}

/* A filter that rewrites the descriptor decides: its DACL is what the file gets. */
static void test_filter_rewrites_descriptor(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];
	struct stat st;

	make_file(t, "w", m, s);
	gf_reset();
	atomic_store(&gf.strip_owner_write, true);
	assert_int_equal(chmod(m, 0664), 0);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0464);
}

/* Descriptors map back: what a filter-issued SET_SECURITY (or a rewritten one) applies. */
static void test_descriptor_round_trip(void **state)
{
	(void)state;
	UCHAR sd[FS_SD_MAX] __attribute__((aligned(8)));
	struct stat now = { .st_mode = S_IFREG | 06000 | 0777, .st_uid = 5, .st_gid = 6 };
	struct fs_setattr set;
	ULONG all = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;

	ULONG len = fs_glue_sd_build(sd, all, 1000, 2000, 0750);
	assert_true(len <= FS_SD_MAX);
	assert_int_equal(fs_glue_sd_parse(sd, all, &now, &set), STATUS_SUCCESS);
	assert_int_equal(set.valid, FS_SET_UID | FS_SET_GID | FS_SET_MODE);
	assert_int_equal(set.uid, 1000);
	assert_int_equal(set.gid, 2000);
	/* The permission bits from the ACEs, the special bits kept from the file. */
	assert_int_equal(set.mode & 07777, 06750);
	/* Only the parts SecurityInformation names are applied. */
	assert_int_equal(fs_glue_sd_parse(sd, DACL_SECURITY_INFORMATION, &now, &set), STATUS_SUCCESS);
	assert_int_equal(set.valid, FS_SET_MODE);
	assert_int_equal(set.mode & 0777, 0);	/* the ACEs name uid 1000 and gid 2000, not the file's 5 and 6 */
	/* A descriptor without a DACL grants everything; an unknown owner SID is refused. */
	len = fs_glue_sd_build(sd, OWNER_SECURITY_INFORMATION, 7, 0, 0);
	assert_int_equal(fs_glue_sd_parse(sd, DACL_SECURITY_INFORMATION, &now, &set), STATUS_SUCCESS);
	assert_int_equal(set.mode & 0777, 0777);
	PISID owner = (PISID)(sd + ((PISECURITY_DESCRIPTOR_RELATIVE)sd)->Owner);
	owner->IdentifierAuthority.Value[5] = 5;	/* S-1-5-...: an NT account */
	assert_int_equal(fs_glue_sd_parse(sd, OWNER_SECURITY_INFORMATION, &now, &set), STATUS_INVALID_OWNER);
	((PISECURITY_DESCRIPTOR_RELATIVE)sd)->Revision = 9;
	assert_int_equal(fs_glue_sd_parse(sd, OWNER_SECURITY_INFORMATION, &now, &set), STATUS_INVALID_PARAMETER);
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
		T(test_chmod_is_set_security),
		T(test_chown_is_set_security),
		T(test_filter_denies_set_security),
		T(test_filter_rewrites_descriptor),
		cmocka_unit_test(test_descriptor_round_trip),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
