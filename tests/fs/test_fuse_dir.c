/*
 * Directory listings on a FUSE volume with filters loaded: readdir is
 * IRP_MJ_DIRECTORY_CONTROL / IRP_MN_QUERY_DIRECTORY with Windows entries
 * (sizes, times since 1601, FileId), the listing is the source's, a filter
 * that removes "secret.txt" from the buffer hides it from the program, and
 * a listing longer than one FUSE buffer comes out whole.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)
#define EPOCH_DIFF 116444736000000000LL

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

/* The names in dir (sorted, "." and ".." included), as one string "a/b/c/". */
static void listing(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + used, size - used, "%s/", names[i]->d_name);
		assert_true(w > 0 && (size_t)w < size - used);
		used += (size_t)w;
		free(names[i]);
	}
	free(names);
}

static void make_tree(struct fs_test_mount *t)
{
	char p[512];

	assert_int_equal(mkdir(fs_test_s(t, p, sizeof p, "d"), 0755), 0);
	write_file(fs_test_s(t, p, sizeof p, "d/a"), "12345");
	write_file(fs_test_s(t, p, sizeof p, "d/secret.txt"), "s");
	assert_int_equal(mkdir(fs_test_s(t, p, sizeof p, "d/sub"), 0755), 0);
}

static const struct gf_record *first_query(void)
{
	for (int i = 0; i < atomic_load(&gf.records); i++)
		if (gf.record[i].major == IRP_MJ_DIRECTORY_CONTROL)
			return &gf.record[i];
	fail_msg("no QUERY_DIRECTORY seen");
	return NULL;
}

/* The filter sees the query and its entries; the program sees the source's listing. */
static void test_readdir_is_a_directory_query(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], s[512], seen[512], raw[512];
	struct stat st;

	make_tree(t);
	gf_reset();
	atomic_store(&gf.record_leaf, L"d");
	atomic_store(&gf.probe_entry, L"a");
	listing(fs_test_m(t, m, sizeof m, "d"), seen, sizeof seen);
	listing(fs_test_s(t, s, sizeof s, "d"), raw, sizeof raw);
	assert_string_equal(seen, raw);
	assert_string_equal(seen, "./../a/secret.txt/sub/");

	const struct gf_record *q = first_query();
	assert_int_equal(q->minor, IRP_MN_QUERY_DIRECTORY);
	assert_int_equal(q->info_class, FileIdBothDirectoryInformation);
	assert_true(q->op_flags & SL_RESTART_SCAN);
	assert_int_equal(q->status, STATUS_SUCCESS);
	assert_int_equal(q->entries, 5);
	assert_true(q->probe_found);
	assert_int_equal(stat(fs_test_s(t, s, sizeof s, "d/a"), &st), 0);
	assert_int_equal(q->probe_size, 5);
	assert_int_equal(q->probe_id, (LONGLONG)st.st_ino);
	assert_int_equal(q->probe_attributes, FILE_ATTRIBUTE_NORMAL);
	assert_int_equal(q->probe_write_time,
			 (LONGLONG)st.st_mtim.tv_sec * 10000000LL + st.st_mtim.tv_nsec / 100 + EPOCH_DIFF);
}

static void test_filter_hides_secret_from_ls(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512], seen[512];
	struct stat st;

	make_tree(t);
	gf_reset();
	atomic_store(&gf.hide_secret, true);
	listing(fs_test_m(t, m, sizeof m, "d"), seen, sizeof seen);
	assert_string_equal(seen, "./../a/sub/");
	/* Hidden from the listing only: the name still opens. */
	assert_int_equal(stat(fs_test_m(t, m, sizeof m, "d/secret.txt"), &st), 0);
	atomic_store(&gf.hide_secret, false);
	listing(fs_test_m(t, m, sizeof m, "d"), seen, sizeof seen);
	assert_string_equal(seen, "./../a/secret.txt/sub/");
}

/* More names than one FUSE buffer holds: every name once, resumed by offset. */
static void test_long_listing_resumes(void **state)
{
	struct fs_test_mount *t = *state;
	char p[512];
	enum { N = 600 };

	assert_int_equal(mkdir(fs_test_s(t, p, sizeof p, "big"), 0755), 0);
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof name, "big/file-with-a-longish-name-%04d", i);
		write_file(fs_test_s(t, p, sizeof p, name), "x");
	}
	gf_reset();
	atomic_store(&gf.record_leaf, L"big");
	DIR *dir = opendir(fs_test_m(t, p, sizeof p, "big"));
	assert_non_null(dir);
	static unsigned char seen[N];
	memset(seen, 0, sizeof seen);
	int count = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		int i;
		if (sscanf(e->d_name, "file-with-a-longish-name-%d", &i) == 1) {
			assert_true(i >= 0 && i < N);
			assert_int_equal(seen[i], 0);
			seen[i] = 1;
			count++;
		}
	}
	assert_int_equal(closedir(dir), 0);
	assert_int_equal(count, N);
	int queries = 0, resumed = 0;
	for (int i = 0; i < atomic_load(&gf.records); i++) {
		if (gf.record[i].major != IRP_MJ_DIRECTORY_CONTROL)
			continue;
		queries++;
		resumed += !(gf.record[i].op_flags & SL_RESTART_SCAN);
	}
	assert_true(queries > 1);
	assert_true(resumed >= 1);
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
		T(test_readdir_is_a_directory_query),
		T(test_filter_hides_secret_from_ls),
		T(test_long_listing_resumes),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
