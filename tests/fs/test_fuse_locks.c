/*
 * Locks on a FUSE volume with filters loaded: fcntl record locks and flock
 * are IRP_MJ_LOCK_CONTROL (IRP_MN_LOCK, UNLOCK_SINGLE, UNLOCK_ALL) with
 * ByteOffset, Length, ExclusiveLock, FailImmediately and the requester's
 * process; conflicts between opens give the errnos of the source; a
 * waiting lock is cancelled by the requester's signal (EINTR); a filter
 * can deny them (EACCES).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

/* Bounded wait for something another thread or process does (never timing). */
static void wait_for(atomic_int *v, int at_least)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int polls = 0; atomic_load(v) < at_least && polls < 2000; polls++)
		nanosleep(&tick, NULL);
	assert_true(atomic_load(v) >= at_least);
}

static int open_file(struct fs_test_mount *t, const char *name)
{
	char m[512];
	int fd = open(fs_test_m(t, m, sizeof m, name), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	return fd;
}

/* The record of the (last) waiting IRP_MN_LOCK. */
static const struct gf_record *waiting_lock(void)
{
	for (int i = atomic_load(&gf.records) - 1; i >= 0; i--)
		if (rec(i)->major == IRP_MJ_LOCK_CONTROL && rec(i)->minor == IRP_MN_LOCK && !rec(i)->fail_immediately)
			return rec(i);
	fail_msg("no waiting IRP_MN_LOCK recorded");
	return NULL;
}

/* The record of the last LOCK_CONTROL. */
static const struct gf_record *last_lock(void)
{
	for (int i = atomic_load(&gf.records) - 1; i >= 0; i--)
		if (rec(i)->major == IRP_MJ_LOCK_CONTROL)
			return rec(i);
	fail_msg("no LOCK_CONTROL recorded");
	return NULL;
}

static void test_record_locks_are_lock_control(void **state)
{
	struct fs_test_mount *t = *state;
	int fd = open_file(t, "rl");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 4 };

	gf_reset();
	atomic_store(&gf.record_leaf, L"rl");
	assert_int_equal(fcntl(fd, F_SETLK, &lk), 0);
	const struct gf_record *r = last_lock();
	assert_int_equal(r->minor, IRP_MN_LOCK);
	assert_int_equal(r->lock_offset, 2);
	assert_int_equal(r->lock_length, 4);
	assert_true(r->exclusive);
	assert_true(r->fail_immediately);
	assert_int_equal(r->lock_key, 0);
	assert_true(r->has_process);
	assert_int_equal(r->pid, (ULONG)getpid());
	assert_int_equal(r->status, STATUS_SUCCESS);
	/* l_len 0: to the end of the file. */
	lk = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0 };
	assert_int_equal(fcntl(fd, F_SETLK, &lk), 0);
	r = last_lock();
	assert_false(r->exclusive);
	assert_int_equal(r->lock_length, INT64_MAX - 100);
	lk.l_type = F_UNLCK;
	assert_int_equal(fcntl(fd, F_SETLK, &lk), 0);
	assert_int_equal(last_lock()->minor, IRP_MN_UNLOCK_SINGLE);
	assert_int_equal(last_lock()->lock_offset, 100);
	/* close(2) drops the locks: UNLOCK_ALL on the file object that held them. */
	assert_int_equal(close(fd), 0);
	assert_int_equal(last_lock()->minor, IRP_MN_UNLOCK_ALL);
}

static void test_locks_conflict_between_opens(void **state)
{
	struct fs_test_mount *t = *state;
	int a = open_file(t, "cf"), b = open_file(t, "cf");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };

	assert_int_equal(fcntl(a, F_OFD_SETLK, &lk), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"cf");
	assert_int_equal(fcntl(b, F_OFD_SETLK, &q), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(last_lock()->status, STATUS_LOCK_NOT_GRANTED);
	/* getlk tests through a fail-immediately IRP_MN_LOCK and takes nothing. */
	assert_int_equal(fcntl(b, F_OFD_GETLK, &q), 0);
	assert_int_equal(q.l_type, F_WRLCK);
	assert_int_equal(q.l_start, 0);
	assert_int_equal(q.l_len, 10);
	assert_int_equal(last_lock()->minor, IRP_MN_LOCK);
	assert_true(last_lock()->fail_immediately);
	lk.l_type = F_UNLCK;
	assert_int_equal(fcntl(a, F_OFD_SETLK, &lk), 0);
	q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	assert_int_equal(fcntl(b, F_OFD_GETLK, &q), 0);
	assert_int_equal(q.l_type, F_UNLCK);
	assert_int_equal(fcntl(b, F_OFD_SETLK, &q), 0);
	assert_int_equal(close(a), 0);
	assert_int_equal(close(b), 0);
}

static void test_flock_is_lock_control(void **state)
{
	struct fs_test_mount *t = *state;
	int a = open_file(t, "fl"), b = open_file(t, "fl");

	gf_reset();
	atomic_store(&gf.record_leaf, L"fl");
	assert_int_equal(flock(a, LOCK_EX | LOCK_NB), 0);
	const struct gf_record *r = last_lock();
	assert_int_equal(r->minor, IRP_MN_LOCK);
	assert_int_equal(r->lock_offset, 0);
	assert_int_equal(r->lock_length, INT64_MAX);
	assert_true(r->exclusive);
	assert_true(r->fail_immediately);
	assert_int_equal(flock(b, LOCK_SH | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(flock(a, LOCK_UN), 0);
	assert_int_equal(last_lock()->minor, IRP_MN_UNLOCK_ALL);
	assert_int_equal(flock(b, LOCK_SH | LOCK_NB), 0);
	assert_false(last_lock()->exclusive);
	assert_int_equal(close(a), 0);
	assert_int_equal(close(b), 0);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* A child waits in F_SETLKW behind the parent's lock; its signal cancels the wait (EINTR). */
static void test_waiting_lock_cancelled_by_signal(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512];
	int fd = open_file(t, "wait");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	int status;

	assert_int_equal(fcntl(fd, F_SETLK, &lk), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"wait");
	fs_test_m(t, m, sizeof m, "wait");
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		fs_test_drop_fuse_fds();
		struct sigaction sa = { .sa_handler = on_signal };
		sigaction(SIGUSR1, &sa, NULL);
		int c = open(m, O_RDWR);
		struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		int res = c < 0 ? 0 : fcntl(c, F_SETLKW, &w);
		_exit(res == -1 && errno == EINTR ? 0 : 1);
	}
	wait_for(&gf.major_pre[IRP_MJ_LOCK_CONTROL], 1);
	assert_int_equal(kill(child, SIGUSR1), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(waiting_lock()->status, STATUS_CANCELLED);
	assert_true(waiting_lock()->exclusive);
	/* The parent's lock is untouched: a third open still conflicts. */
	int other = open(m, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(fcntl(other, F_OFD_SETLK, &lk), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(close(other), 0);
	assert_int_equal(close(fd), 0);
}

/* A waiting lock is granted when the holder lets go. */
static void test_waiting_lock_granted(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512];
	int a = open_file(t, "grant");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	int status;

	assert_int_equal(fcntl(a, F_OFD_SETLK, &lk), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"grant");
	fs_test_m(t, m, sizeof m, "grant");
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		fs_test_drop_fuse_fds();
		int c = open(m, O_RDWR);
		struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		_exit(c >= 0 && fcntl(c, F_SETLKW, &w) == 0 ? 0 : 1);
	}
	wait_for(&gf.major_pre[IRP_MJ_LOCK_CONTROL], 1);
	lk.l_type = F_UNLCK;
	assert_int_equal(fcntl(a, F_OFD_SETLK, &lk), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(waiting_lock()->status, STATUS_SUCCESS);
	assert_int_equal(close(a), 0);
}

/*
 * The volume going away cancels its waiting locks (fs_glue_locks_cancel, at
 * unmount): the waiting F_SETLKW ends, cancelled, without a signal.
 */
static void test_volume_cancel_ends_waiting_locks(void **state)
{
	struct fs_test_mount *t = *state;
	char m[512];
	int a = open_file(t, "vc");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	int status;

	assert_int_equal(fcntl(a, F_OFD_SETLK, &lk), 0);
	gf_reset();
	atomic_store(&gf.record_leaf, L"vc");
	fs_test_m(t, m, sizeof m, "vc");
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		fs_test_drop_fuse_fds();
		int c = open(m, O_RDWR);
		struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		_exit(c >= 0 && fcntl(c, F_SETLKW, &w) == -1 ? 0 : 1);
	}
	wait_for(&gf.major_pre[IRP_MJ_LOCK_CONTROL], 1);
	/* Cancel until the waiting lock has ended (it may not be waiting yet). */
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	for (int polls = 0; atomic_load(&gf.major_post[IRP_MJ_LOCK_CONTROL]) < 1 && polls < 2000; polls++) {
		fs_glue_locks_cancel(t->vol);
		nanosleep(&tick, NULL);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(waiting_lock()->status, STATUS_CANCELLED);
	/* The holder's lock is untouched. */
	int other = open_file(t, "vc");
	assert_int_equal(fcntl(other, F_OFD_SETLK, &lk), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(close(other), 0);
	assert_int_equal(close(a), 0);
}

static void test_filter_denies_locks(void **state)
{
	struct fs_test_mount *t = *state;
	int fd = open_file(t, "deny");
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	gf_reset();
	atomic_store(&gf.deny_majors, 1ull << IRP_MJ_LOCK_CONTROL);
	assert_int_equal(fcntl(fd, F_SETLK, &lk), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(fcntl(fd, F_GETLK, &lk), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(flock(fd, LOCK_EX), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(atomic_load(&gf.denied), 3);
	atomic_store(&gf.deny_majors, 0);
	/* Nothing was taken: another open locks freely. */
	int other = open_file(t, "deny");
	assert_int_equal(fcntl(other, F_OFD_SETLK, &lk), 0);
	assert_int_equal(close(other), 0);
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
		T(test_record_locks_are_lock_control),
		T(test_locks_conflict_between_opens),
		T(test_flock_is_lock_control),
		T(test_waiting_lock_cancelled_by_signal),
		T(test_waiting_lock_granted),
		T(test_volume_cancel_ends_waiting_locks),
		T(test_filter_denies_locks),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
