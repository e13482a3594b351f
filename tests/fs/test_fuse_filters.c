/*
 * Filters on a FUSE volume: the IRP sequence and parameters of
 * `echo hi > f; cat f; rm f`, a filter denying writes of some content, a
 * filter pending every read and completing it from its worker, a read held
 * by a filter and cancelled by the requester's signal (FUSE INTERRUPT), a
 * rename storm, and the volume's name.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#include <altitude/volume.h>

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

/* Bounded waits for what another thread or process reaches (never timing). */
static void wait_for(atomic_int *v, int at_least)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int polls = 0; atomic_load(v) < at_least && polls < 2000; polls++)
		nanosleep(&tick, NULL);
	assert_true(atomic_load(v) >= at_least);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static const struct gf_record *rec(int i)
{
	assert_true(i < atomic_load(&gf.records));
	return &gf.record[i];
}

static void assert_close_pair(int i)
{
	assert_int_equal(rec(i)->major, IRP_MJ_CLEANUP);
	assert_int_equal(rec(i + 1)->major, IRP_MJ_CLOSE);
}

/* echo hi > f; cat f; rm f, step by step as the shell and cat do them. */
static void test_echo_cat_rm_sequence(void **state)
{
	struct fs_test_mount *t = *state;
	char p[512], buf[16];
	gf_reset();
	gf.record_leaf = L"f";
	fs_test_m(t, p, sizeof p, "f");

	write_file(p, "hi\n", 3); /* open(O_WRONLY|O_CREAT|O_TRUNC), write, close */
	wait_for(&gf.records, 4);
	assert_int_equal(rec(0)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(0)->disposition, FILE_OVERWRITE_IF);
	assert_true(rec(0)->access & FILE_WRITE_DATA);
	assert_false(rec(0)->access & FILE_READ_DATA);
	assert_true(rec(0)->options & FILE_NON_DIRECTORY_FILE);
	assert_int_equal(rec(0)->pid, (ULONG)getpid());
	assert_int_equal(rec(0)->status, STATUS_SUCCESS);
	assert_int_equal(rec(1)->major, IRP_MJ_WRITE);
	assert_int_equal(rec(1)->offset, 0);
	assert_int_equal(rec(1)->length, 3);
	assert_false(rec(1)->irp_flags & IRP_PAGING_IO);
	assert_int_equal(rec(1)->pid, (ULONG)getpid());
	assert_close_pair(2);

	int fd = open(p, O_RDONLY); /* cat f */
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 3);
	assert_int_equal(read(fd, buf, sizeof buf), 0);
	assert_int_equal(close(fd), 0);
	assert_memory_equal(buf, "hi\n", 3);
	wait_for(&gf.records, 8);
	assert_int_equal(rec(4)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(4)->disposition, FILE_OPEN);
	assert_true(rec(4)->access & FILE_READ_DATA);
	assert_false(rec(4)->access & FILE_WRITE_DATA);
	assert_int_equal(rec(5)->major, IRP_MJ_READ);
	assert_int_equal(rec(5)->offset, 0);
	assert_true(rec(5)->length >= 3);
	assert_close_pair(6);

	assert_int_equal(unlink(p), 0); /* rm f */
	wait_for(&gf.records, 12);
	assert_int_equal(rec(8)->major, IRP_MJ_CREATE);
	assert_int_equal(rec(8)->disposition, FILE_OPEN);
	assert_true(rec(8)->access & DELETE);
	assert_true(rec(8)->options & FILE_OPEN_REPARSE_POINT);
	assert_int_equal(rec(9)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(9)->info_class, FileDispositionInformationEx);
	assert_int_equal(rec(9)->disposition_flags,
			 FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS);
	assert_int_equal(rec(9)->status, STATUS_SUCCESS);
	assert_close_pair(10);
	assert_int_equal(atomic_load(&gf.records), 12);
	assert_int_equal(access(fs_test_s(t, p, sizeof p, "f"), F_OK), -1);
}

/* ftruncate on the open handle; truncate(2) opens the file for it. */
static void test_truncate_sets_end_of_file(void **state)
{
	struct fs_test_mount *t = *state;
	char p[512];
	struct stat st;
	gf_reset();
	gf.record_leaf = L"t";
	fs_test_m(t, p, sizeof p, "t");
	write_file(p, "0123456789", 10);
	wait_for(&gf.records, 4);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	wait_for(&gf.records, 5);
	assert_int_equal(ftruncate(fd, 4), 0);
	assert_int_equal(rec(5)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(5)->info_class, FileEndOfFileInformation);
	assert_int_equal(close(fd), 0);
	wait_for(&gf.records, 8);
	assert_int_equal(truncate(p, 2), 0);
	assert_int_equal(atomic_load(&gf.records), 12);
	assert_int_equal(rec(8)->major, IRP_MJ_CREATE);
	assert_true(rec(8)->access & FILE_WRITE_DATA);
	assert_int_equal(rec(9)->major, IRP_MJ_SET_INFORMATION);
	assert_int_equal(rec(9)->info_class, FileEndOfFileInformation);
	assert_close_pair(10);
	assert_int_equal(stat(fs_test_s(t, p, sizeof p, "t"), &st), 0);
	assert_int_equal(st.st_size, 2);
}

static void test_denied_write_leaves_file_unchanged(void **state)
{
	struct fs_test_mount *t = *state;
	char p[512], s[512], buf[32];
	gf_reset();
	gf.deny_marker = "EICAR";
	fs_test_m(t, p, sizeof p, "doc");
	write_file(p, "clean", 5);
	int fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "xxEICARxx", 9, 0), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(close(fd), 0);
	assert_int_equal(atomic_load(&gf.denied), 1);
	fd = open(fs_test_s(t, s, sizeof s, "doc"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 5);
	assert_memory_equal(buf, "clean", 5);
	close(fd);
}

static void test_reads_pended_and_completed_by_worker(void **state)
{
	struct fs_test_mount *t = *state;
	static char data[256 * 1024], back[sizeof data];
	char p[512];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 31 + 7);
	gf_reset();
	fs_test_m(t, p, sizeof p, "big");
	write_file(p, data, sizeof data);
	gf.pend_reads = TRUE;
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	size_t got = 0;
	while (got < sizeof back) {
		ssize_t n = read(fd, back + got, sizeof back - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(read(fd, back, 1), 0);
	close(fd);
	gf.pend_reads = FALSE;
	assert_memory_equal(back, data, sizeof data);
	assert_true(atomic_load(&gf.pended) > 0);
	assert_int_equal(atomic_load(&gf.completed_on_worker), atomic_load(&gf.pended));
}

static void on_sigint(int sig)
{
	(void)sig;
}

/*
 * SIGINT to a child blocked in a read a filter holds: the filter sees the
 * cancel.  The read is O_DIRECT: buffered reads are the kernel's readahead,
 * which no signal interrupts.
 */
static void test_interrupt_cancels_held_read(void **state)
{
	struct fs_test_mount *t = *state;
	char p[512];
	gf_reset();
	fs_test_m(t, p, sizeof p, "block");
	write_file(p, "data", 4);
	gf.hold_block_reads = TRUE;
	fflush(NULL);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct sigaction sa = { .sa_handler = on_sigint };
		sigaction(SIGINT, &sa, NULL);
		static char c[4096] __attribute__((aligned(4096)));
		int fd = open(p, O_RDONLY | O_DIRECT);
		ssize_t n = fd >= 0 ? read(fd, c, sizeof c) : 0;
		_exit(n < 0 && errno == EINTR ? 0 : 1);
	}
	wait_for(&gf.held, 1);
	assert_int_equal(kill(child, SIGINT), 0);
	wait_for(&gf.cancelled, 1);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	gf.hold_block_reads = FALSE;
	assert_int_equal(atomic_load(&gf.cancelled), 1);
}

struct storm {
	const char *mnt;
	int id;
};

#define STORM_THREADS 4
#define STORM_ROUNDS 200

static void *storm_main(void *arg)
{
	struct storm *s = arg;
	char a[512], b[512];
	snprintf(a, sizeof a, "%s/s%d-a", s->mnt, s->id);
	snprintf(b, sizeof b, "%s/s%d-b", s->mnt, s->id);
	for (int i = 0; i < STORM_ROUNDS; i++) {
		if (rename(i % 2 ? b : a, i % 2 ? a : b) != 0)
			return (void *)1;
		int fd = open(a, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void test_rename_storm(void **state)
{
	struct fs_test_mount *t = *state;
	struct storm s[STORM_THREADS];
	pthread_t th[STORM_THREADS];
	char p[512], buf[32];
	gf_reset();
	for (int i = 0; i < STORM_THREADS; i++) {
		snprintf(buf, sizeof buf, "s%d-a", i);
		write_file(fs_test_m(t, p, sizeof p, buf), buf, strlen(buf));
		s[i] = (struct storm){ t->mnt, i };
		assert_int_equal(pthread_create(&th[i], NULL, storm_main, &s[i]), 0);
	}
	for (int i = 0; i < STORM_THREADS; i++) {
		void *res;
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_null(res);
	}
	/* An even number of renames puts every file back under its first name. */
	for (int i = 0; i < STORM_THREADS; i++) {
		char want[32];
		snprintf(want, sizeof want, "s%d-a", i);
		int fd = open(fs_test_s(t, p, sizeof p, want), O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)strlen(want));
		assert_memory_equal(buf, want, strlen(want));
		close(fd);
	}
	/* Each rename is CREATE, SET_INFORMATION, CLEANUP, CLOSE through all three filters. */
	for (int i = 0; i < GF_MAX_FILTERS; i++)
		assert_true(atomic_load(&gf.post[i]) >= STORM_THREADS * STORM_ROUNDS * 4);
}

static void test_volume_is_a_filter_manager_volume(void **state)
{
	struct fs_test_mount *t = *state;
	const char *name = fs_volume_name(t->vol);
	assert_non_null(name);
	assert_int_equal(strncmp(name, "\\Device\\AltitudeVolume", 22), 0);
	assert_string_equal(altitude_volume_name((const altitude_volume *)t->vol), name);
	WCHAR wide[64];
	size_t n = 0;
	for (; name[n] && n < 63; n++)
		wide[n] = (WCHAR)name[n];
	wide[n] = 0;
	UNICODE_STRING u;
	RtlInitUnicodeString(&u, wide);
	PFLT_VOLUME v = NULL;
	assert_int_equal(FltGetVolumeFromName(gf_filter(0), &u, &v), STATUS_SUCCESS);
	/* Every loaded filter attached its default instance when the volume was mounted. */
	ULONG count = 0;
	assert_int_equal(FltEnumerateInstances(v, NULL, NULL, 0, &count), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(count, GF_MAX_FILTERS);
	FltObjectDereference(v);
}

static int group_setup(void **state)
{
	(void)state;
	return NT_SUCCESS(gf_load(3)) ? 0 : -1;
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
		T(test_echo_cat_rm_sequence),
		T(test_truncate_sets_end_of_file),
		T(test_denied_write_leaves_file_unchanged),
		T(test_reads_pended_and_completed_by_worker),
		T(test_interrupt_cancels_held_read),
		T(test_rename_storm),
		T(test_volume_is_a_filter_manager_volume),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
