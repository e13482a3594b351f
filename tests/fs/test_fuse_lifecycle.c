/*
 * Volume lifecycle: no data loss when the host is SIGKILLed, stale mount
 * cleanup, clean unmount on SIGTERM/SIGINT, in-place mounts, interrupts.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define FUSE_MAGIC 0x65735546

struct dirs {
	char *src;
	char *mnt;
	/* What a failed test must not leave behind: a lock holder, a waiter. */
	int raw_fd;
	pid_t child;
	struct fs_volume *vol;
};

static int dirs_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	d->raw_fd = -1;
	d->src = fs_test_mkdtemp("src");
	d->mnt = fs_test_mkdtemp("mnt");
	*state = d;
	return d->src && d->mnt ? 0 : -1;
}

static int dirs_teardown(void **state)
{
	struct dirs *d = *state;
	if (d->child > 0) {
		kill(d->child, SIGKILL);
		waitpid(d->child, NULL, 0);
	}
	if (d->raw_fd >= 0)
		close(d->raw_fd);
	if (d->vol)
		fs_volume_unmount(d->vol);
	fs_volume_cleanup_stale(d->mnt, NULL);
	rmdir(d->mnt);
	free(d->mnt);
	fs_test_rmtree(d->src);
	free(d);
	return 0;
}

static bool mounted_at(const char *mnt)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, mnt) && strstr(line, " - fuse." FS_VOLUME_SUBTYPE " "))
			found = true;
	if (f)
		fclose(f);
	return found;
}

/* Waits for one line from a child's pipe. */
static void wait_line(int fd, const char *expect)
{
	char buf[64] = { 0 };
	size_t got = 0;
	while (got < sizeof buf - 1) {
		ssize_t n = read(fd, buf + got, 1);
		assert_true(n == 1);
		if (buf[got++] == '\n')
			break;
	}
	assert_non_null(strstr(buf, expect));
}

/* A host in a child process: mounts, says "ready", then waits to be killed. */
static pid_t start_host_child(struct dirs *d, int *ready_fd)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct fs_volume *vol;
		struct fs_volume_options o = { .source = d->src, .mountpoint = d->mnt };
		/* The host serves the volume with a passthrough filter loaded. */
		if (!NT_SUCCESS(gf_load(1)) || fs_volume_mount(&o, &vol) != 0)
			_exit(1);
		if (write(p[1], "ready\n", 6) != 6)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	*ready_fd = p[0];
	return pid;
}

static void test_sigkill_loses_no_acknowledged_write(void **state)
{
	struct dirs *d = *state;
	int ready;
	pid_t host = start_host_child(d, &ready);
	wait_line(ready, "ready");
	close(ready);
	char pm[512], ps[512];
	/* Acknowledged writes, some on files left open when the host dies. */
	int open_fd = open(fs_test_join(pm, sizeof pm, d->mnt, "open"), O_CREAT | O_WRONLY, 0644);
	assert_true(open_fd >= 0);
	static char big[1 << 20];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 13);
	assert_int_equal(write(open_fd, big, sizeof big), (ssize_t)sizeof big);
	for (int i = 0; i < 50; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%02d", i);
		int fd = open(fs_test_join(pm, sizeof pm, d->mnt, name), O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, name, strlen(name)), (ssize_t)strlen(name));
		assert_int_equal(close(fd), 0);
	}
	assert_int_equal(kill(host, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(host, &status, 0), host);
	assert_true(WIFSIGNALED(status));
	/* The mount is stale now: its server is gone. */
	struct statfs sf;
	assert_int_equal(statfs(d->mnt, &sf), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(write(open_fd, "x", 1), -1);
	close(open_fd);
	unsigned cleaned = 0;
	assert_int_equal(fs_volume_cleanup_stale(d->mnt, &cleaned), 0);
	assert_int_equal(cleaned, 1);
	assert_false(mounted_at(d->mnt));
	assert_int_equal(statfs(d->mnt, &sf), 0);
	assert_true(sf.f_type != FUSE_MAGIC);
	/* Every acknowledged write is in the source directory. */
	for (int i = 0; i < 50; i++) {
		char name[32], buf[32] = { 0 };
		snprintf(name, sizeof name, "f%02d", i);
		int fd = open(fs_test_join(ps, sizeof ps, d->src, name), O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)strlen(name));
		assert_string_equal(buf, name);
		close(fd);
	}
	static char back[sizeof big];
	int fd = open(fs_test_join(ps, sizeof ps, d->src, "open"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof back), (ssize_t)sizeof back);
	assert_memory_equal(back, big, sizeof big);
	close(fd);
}

static void test_stale_mount_cleaned_at_next_mount(void **state)
{
	struct dirs *d = *state;
	int ready;
	pid_t host = start_host_child(d, &ready);
	wait_line(ready, "ready");
	close(ready);
	assert_int_equal(kill(host, SIGKILL), 0);
	assert_int_equal(waitpid(host, NULL, 0), host);
	struct statfs sf;
	assert_int_equal(statfs(d->mnt, &sf), -1);
	assert_int_equal(errno, ENOTCONN);
	/* A live mount elsewhere is not stale and is left alone. */
	char *other = fs_test_mkdtemp("live");
	assert_non_null(other);
	struct fs_volume *live;
	struct fs_volume_options lo = { .source = d->src, .mountpoint = other };
	assert_int_equal(fs_volume_mount(&lo, &live), 0);
	/* The next mount at the same place detaches the stale one first. */
	struct fs_volume *vol;
	struct fs_volume_options o = { .source = d->src, .mountpoint = d->mnt };
	assert_int_equal(fs_volume_mount(&o, &vol), 0);
	assert_int_equal(statfs(d->mnt, &sf), 0);
	assert_int_equal(sf.f_type, FUSE_MAGIC);
	unsigned cleaned = 7;
	assert_int_equal(fs_volume_cleanup_stale(other, &cleaned), 0);
	assert_int_equal(cleaned, 0);
	assert_true(mounted_at(other));
	assert_true(mounted_at(d->mnt));
	assert_int_equal(fs_volume_unmount(vol), 0);
	assert_int_equal(fs_volume_unmount(live), 0);
	assert_false(mounted_at(d->mnt));
	assert_false(mounted_at(other));
	rmdir(other);
	free(other);
}

/* altitude-volume in a child; returns its pid once the mount is live. */
static pid_t start_tool(const char *src, const char *mnt)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (src)
			execl(ALTITUDE_VOLUME_TOOL, "altitude-volume", "-s", src, mnt, (char *)NULL);
		else
			execl(ALTITUDE_VOLUME_TOOL, "altitude-volume", mnt, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	wait_line(p[0], "ready");
	close(p[0]);
	return pid;
}

static void stop_with(struct dirs *d, int sig)
{
	pid_t tool = start_tool(d->src, d->mnt);
	assert_true(mounted_at(d->mnt));
	char pm[512], ps[512];
	int fd = open(fs_test_join(pm, sizeof pm, d->mnt, "before-signal"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "kept", 4), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(kill(tool, sig), 0);
	int status;
	assert_int_equal(waitpid(tool, &status, 0), tool);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(mounted_at(d->mnt));
	struct stat st;
	assert_int_equal(stat(fs_test_join(ps, sizeof ps, d->src, "before-signal"), &st), 0);
	assert_int_equal(st.st_size, 4);
}

static void test_sigterm_unmounts_cleanly(void **state)
{
	stop_with(*state, SIGTERM);
}

static void test_sigint_unmounts_cleanly(void **state)
{
	stop_with(*state, SIGINT);
}

static void test_unmount_with_open_file(void **state)
{
	struct dirs *d = *state;
	pid_t tool = start_tool(d->src, d->mnt);
	char pm[512];
	int fd = open(fs_test_join(pm, sizeof pm, d->mnt, "held"), O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "held", 4), 4);
	assert_int_equal(kill(tool, SIGTERM), 0);
	int status;
	assert_int_equal(waitpid(tool, &status, 0), tool);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(mounted_at(d->mnt));
	/* The file outlived the grace period: its connection was aborted. */
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, ENOTCONN);
	close(fd);
}

/*
 * A volume detached by someone else ends its connection, whose number the
 * next mount may take: unmounting the first volume afterwards must not
 * abort the connection now holding that number.
 */
static void test_unmount_after_foreign_detach_spares_reused_number(void **state)
{
	struct dirs *d = *state;
	struct fs_volume_options o = { .source = d->src, .mountpoint = d->mnt };
	assert_int_equal(fs_volume_mount(&o, &d->vol), 0);
	struct stat st;
	assert_int_equal(stat(d->mnt, &st), 0);
	unsigned first = minor(st.st_dev);
	char dir[64];
	snprintf(dir, sizeof dir, "/sys/fs/fuse/connections/%u", first);
	assert_int_equal(umount2(d->mnt, MNT_DETACH), 0);
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 500 && access(dir, F_OK) == 0; i++)
		nanosleep(&tick, NULL);
	assert_int_not_equal(access(dir, F_OK), 0);

	char *other = fs_test_mkdtemp("next");
	assert_non_null(other);
	struct fs_volume *next;
	struct fs_volume_options no = { .source = d->src, .mountpoint = other };
	assert_int_equal(fs_volume_mount(&no, &next), 0);
	assert_int_equal(stat(other, &st), 0);
	if (minor(st.st_dev) != first)
		fprintf(stderr, "connection number %u not reused (now %u)\n", first, minor(st.st_dev));
	struct fs_volume *vol = d->vol;
	d->vol = NULL;
	fs_volume_unmount(vol);
	struct statfs sf;
	assert_int_equal(statfs(other, &sf), 0);
	assert_int_equal(sf.f_type, FUSE_MAGIC);
	char p[512];
	int fd = open(fs_test_join(p, sizeof p, other, "alive"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(fs_volume_unmount(next), 0);
	rmdir(other);
	free(other);
}

static void test_in_place_mount(void **state)
{
	struct dirs *d = *state;
	char p[512];
	int fd = open(fs_test_join(p, sizeof p, d->src, "old"), O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "raw", 3), 3);
	close(fd);
	struct fs_volume *vol;
	struct fs_volume_options o = { .source = NULL, .mountpoint = d->src };
	assert_int_equal(fs_volume_mount(&o, &vol), 0);
	/* The path now shows the volume, which reaches the covered files. */
	struct statfs sf;
	assert_int_equal(statfs(d->src, &sf), 0);
	assert_int_equal(sf.f_type, FUSE_MAGIC);
	char buf[8] = { 0 };
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 3);
	assert_string_equal(buf, "raw");
	close(fd);
	fd = open(fs_test_join(p, sizeof p, d->src, "new"), O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "through", 7), 7);
	close(fd);
	assert_int_equal(fs_volume_unmount(vol), 0);
	assert_int_equal(statfs(d->src, &sf), 0);
	assert_true(sf.f_type != FUSE_MAGIC);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 7);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* True when pid waits for a FUSE answer inside system call `nr`. */
static bool blocked_in_fuse(pid_t pid, long nr)
{
	char path[64], line[128] = { 0 };
	snprintf(path, sizeof path, "/proc/%d/wchan", pid);
	FILE *f = fopen(path, "r");
	bool waiting = f && fgets(line, sizeof line, f) && strstr(line, "request_wait_answer");
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	bool in_call = f && fgets(line, sizeof line, f) && strtol(line, NULL, 10) == nr;
	if (f)
		fclose(f);
	return waiting && in_call;
}

static void test_interrupt_reaches_request(void **state)
{
	struct dirs *d = *state;
	struct fs_volume_options o = { .source = d->src, .mountpoint = d->mnt };
	assert_int_equal(fs_volume_mount(&o, &d->vol), 0);
	char pm[512], ps[512];
	int fd = open(fs_test_join(pm, sizeof pm, d->mnt, "locked"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	close(fd);
	/* A lock held on the raw file makes a waiter through the volume block. */
	d->raw_fd = open(fs_test_join(ps, sizeof ps, d->src, "locked"), O_RDWR);
	assert_true(d->raw_fd >= 0);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	assert_int_equal(fcntl(d->raw_fd, F_OFD_SETLK, &lk), 0);
	fflush(NULL);
	pid_t child = fork();
	assert_true(child >= 0);
	d->child = child;
	if (child == 0) {
		fs_test_drop_fuse_fds();
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);
		int cfd = open(pm, O_RDWR);
		struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int res = fcntl(cfd, F_SETLKW, &w);
		_exit(res == 0 || errno == EINTR ? 0 : 1);
	}
	/* Bounded waits for states another process reaches (not timing). */
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int polls = 0;
	while (!blocked_in_fuse(child, SYS_fcntl) && polls++ < 2000)
		nanosleep(&tick, NULL);
	assert_true(blocked_in_fuse(child, SYS_fcntl));
	assert_int_equal(kill(child, SIGUSR1), 0);
	for (polls = 0; fs_volume_interrupts(d->vol) == 0 && polls < 2000; polls++)
		nanosleep(&tick, NULL);
	assert_int_equal(fs_volume_interrupts(d->vol), 1);
	/* Releasing the lock lets the waiter finish. */
	lk.l_type = F_UNLCK;
	assert_int_equal(fcntl(d->raw_fd, F_OFD_SETLK, &lk), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	d->child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(d->raw_fd);
	d->raw_fd = -1;
	struct fs_volume *vol = d->vol;
	d->vol = NULL;
	assert_int_equal(fs_volume_unmount(vol), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, dirs_setup, dirs_teardown)
#define TF(f) cmocka_unit_test_setup_teardown(f, filtered_setup, dirs_teardown)

/*
 * Every volume is served with a passthrough filter (all majors, pre and
 * post) loaded: the forked hosts load it themselves (the test process
 * forks them while it has no threads), the other tests load it here.
 */
static bool filter_loaded;

static int filtered_setup(void **state)
{
	if (!filter_loaded) {
		gf_reset();
		if (!NT_SUCCESS(gf_load(1)))
			return -1;
		filter_loaded = true;
	}
	return dirs_setup(state);
}

static int group_teardown(void **state)
{
	(void)state;
	if (!filter_loaded)
		return 0;
	int seen = atomic_load(&gf.post[0]);
	gf_unload();
	return seen > 0 ? 0 : -1;
}

/* What uid FS_TEST_UID gets from stat(path) in a child: 0 or errno. */
static int stat_as_user(const char *path)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stat st;
		fs_test_drop_fuse_fds();
		if (setgroups(0, NULL) != 0 || setgid(FS_TEST_GID) != 0 || setuid(FS_TEST_UID) != 0)
			_exit(100);
		_exit(stat(path, &st) == 0 ? 0 : errno);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A private volume (what lets it cache names in directories only its owner
 * may search) admits only the mounting user; a shared one admits everyone.
 */
static void test_private_volume_admits_only_its_owner(void **state)
{
	struct dirs *d = *state;
	char dir[512], file[512];
	snprintf(dir, sizeof dir, "%s/d", d->src);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof file, "%s/d/f", d->src);
	int fd = open(file, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);

	struct fs_volume_options o = { .source = d->src, .mountpoint = d->mnt, .private_to_owner = true };
	assert_int_equal(fs_volume_mount(&o, &d->vol), 0);
	snprintf(file, sizeof file, "%s/d/f", d->mnt);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(stat_as_user(d->mnt), EACCES);
	assert_int_equal(fs_volume_unmount(d->vol), 0);
	d->vol = NULL;

	o.private_to_owner = false;
	assert_int_equal(fs_volume_mount(&o, &d->vol), 0);
	assert_int_equal(stat_as_user(d->mnt), 0);
	snprintf(file, sizeof file, "%s/d/f", d->mnt);
	assert_int_equal(stat_as_user(file), EACCES);
}

int main(int argc, char **argv)
{
	(void)argc;
	fs_test_require_fuse(argv[0]);
	const struct CMUnitTest tests[] = {
		T(test_sigkill_loses_no_acknowledged_write), T(test_stale_mount_cleaned_at_next_mount),
		T(test_sigterm_unmounts_cleanly),	      T(test_sigint_unmounts_cleanly),
		TF(test_unmount_with_open_file),	      TF(test_in_place_mount),
		TF(test_unmount_after_foreign_detach_spares_reused_number),
		TF(test_interrupt_reaches_request),	      T(test_private_volume_admits_only_its_owner),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
