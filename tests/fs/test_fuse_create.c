/*
 * CREATE's IoStatus.Information on a FUSE volume, as a post-create callback
 * sees it: FILE_CREATED when the open made the file (whatever the
 * disposition), FILE_OPENED / FILE_OVERWRITTEN when it existed, FILE_EXISTS
 * when an exclusive create met an existing name, FILE_DOES_NOT_EXIST when
 * an open found none (the last two through a filter's own creates: the
 * kernel answers a program's collision from its own lookup).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
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

/* Opens (and closes) path with flags; returns the first record's CREATE fields. */
static const struct gf_record *open_recorded(const char *path, int flags, const WCHAR *leaf)
{
	gf_reset();
	atomic_store(&gf.record_leaf, leaf);
	int fd = open(path, flags, 0644);
	assert_true(fd >= 0);
	assert_true(atomic_load(&gf.records) >= 1);
	assert_int_equal(close(fd), 0);
	wait_for(&gf.records, 3);	/* CREATE, CLEANUP, CLOSE */
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(0)->status, STATUS_SUCCESS);
	return rec(0);
}

static void test_create_information(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512];

	fs_test_m(t, m, sizeof m, "c");
	const struct gf_record *r = open_recorded(m, O_WRONLY | O_CREAT, L"c");
	assert_int_equal(r->disposition, FILE_OPEN_IF);
	assert_int_equal(r->information, FILE_CREATED);
	r = open_recorded(m, O_WRONLY | O_CREAT, L"c");
	assert_int_equal(r->information, FILE_OPENED);
	/* The kernel knows the name now: an open with O_TRUNC (FILE_OVERWRITE). */
	r = open_recorded(m, O_WRONLY | O_CREAT | O_TRUNC, L"c");
	assert_int_equal(r->information, FILE_OVERWRITTEN);
	r = open_recorded(m, O_RDONLY, L"c");
	assert_int_equal(r->disposition, FILE_OPEN);
	assert_int_equal(r->information, FILE_OPENED);
	r = open_recorded(m, O_WRONLY | O_TRUNC, L"c");
	assert_int_equal(r->disposition, FILE_OVERWRITE);
	assert_int_equal(r->information, FILE_OVERWRITTEN);
	/* Made on the source behind the kernel's back: the volume's create finds it. */
	int fd = open(fs_test_s(t, s, sizeof s, "raw"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	r = open_recorded(fs_test_m(t, m, sizeof m, "raw"), O_WRONLY | O_CREAT | O_TRUNC, L"raw");
	assert_int_equal(r->information, FILE_OVERWRITTEN);
}

/* A filter's own create of \Device\AltitudeVolumeN\<leaf>: its status and Information. */
static NTSTATUS filter_create(struct fs_test_mount *t, const char *leaf, ULONG disposition,
			      ULONG_PTR *info)
{
	WCHAR wide[128];
	char path[128];
	size_t n = 0;
	UNICODE_STRING u;
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK iosb = { .Information = 0x55 };
	HANDLE h = NULL;

	snprintf(path, sizeof path, "%s\\%s", fs_volume_name(t->vol), leaf);
	for (; path[n] && n < 127; n++)
		wide[n] = (WCHAR)path[n];
	wide[n] = 0;
	RtlInitUnicodeString(&u, wide);
	InitializeObjectAttributes(&oa, &u, OBJ_KERNEL_HANDLE, NULL, NULL);
	NTSTATUS s = FltCreateFile(gf_filter(0), NULL, &h, FILE_READ_ATTRIBUTES | SYNCHRONIZE, &oa, &iosb,
				   NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, disposition,
				   FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0);
	*info = iosb.Information;
	if (NT_SUCCESS(s))
		FltClose(h);
	return s;
}

static void test_mkdir_and_filter_creates(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512];
	ULONG_PTR info;

	gf_reset();
	atomic_store(&gf.record_leaf, L"d");
	assert_int_equal(mkdir(fs_test_m(t, m, sizeof m, "d"), 0755), 0);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(0)->disposition, FILE_CREATE);
	assert_int_equal(rec(0)->information, FILE_CREATED);
	/* The kernel answers a program's collision itself; a filter's create reaches the volume. */
	assert_int_equal(filter_create(t, "f", FILE_CREATE, &info), STATUS_SUCCESS);
	assert_int_equal(info, FILE_CREATED);
	assert_int_equal(filter_create(t, "f", FILE_CREATE, &info), STATUS_OBJECT_NAME_COLLISION);
	assert_int_equal(info, FILE_EXISTS);
	assert_int_equal(filter_create(t, "f", FILE_OPEN_IF, &info), STATUS_SUCCESS);
	assert_int_equal(info, FILE_OPENED);
	assert_int_equal(filter_create(t, "f", FILE_SUPERSEDE, &info), STATUS_SUCCESS);
	assert_int_equal(info, FILE_SUPERSEDED);
	assert_int_equal(filter_create(t, "nothing", FILE_OPEN, &info), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(info, FILE_DOES_NOT_EXIST);
	assert_int_equal(filter_create(t, "new", FILE_SUPERSEDE, &info), STATUS_SUCCESS);
	assert_int_equal(info, FILE_CREATED);
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
		T(test_create_information),
		T(test_mkdir_and_filter_creates),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
