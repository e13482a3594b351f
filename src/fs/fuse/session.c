/*
 * FUSE sessions of volumes: mount, the pool of workers on its own thread,
 * the connection settings, and the orderly stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "fs/fuse/internal.h"

#define DEFAULT_MAX_THREADS 16
/* Writes up to 1 MiB per request: fewer round trips for large writes. */
#define MAX_WRITE (1u << 20)
/* How long unmount waits for files still open on the detached mount. */
#define UNMOUNT_GRACE_SECONDS 5
#define FUSECTL_DIR "/sys/fs/fuse/connections"
#define FUSECTL_MAGIC 0x65735543

static void want_if_capable(struct fuse_conn_info *conn, unsigned caps)
{
	conn->want |= caps & conn->capable;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Data passes through our buffers, where the filters will see it. */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	/*
	 * No writeback cache: with it, the kernel would gather writes and send
	 * them later as paging I/O without the writer's identity.  Without it,
	 * each write() reaches the volume as the writer's own write; only
	 * mmap'ed pages come back as paging writes.
	 */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/*
	 * Direct I/O is sent as the requester's own synchronous requests, so
	 * that a signal interrupts it (FUSE INTERRUPT: the requester cancels
	 * the operation a filter may hold); asynchronous direct I/O would wait
	 * uninterruptibly.  Buffered reads are read ahead by the kernel and
	 * cannot be interrupted either way.
	 */
	conn->want &= ~FUSE_CAP_ASYNC_DIO;
	/* The volume is not NFS-exported, so ".." is never looked up. */
	conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
	/*
	 * O_TRUNC arrives with the open (a create with overwrite disposition)
	 * rather than as a separate truncate; locks are taken on the lower
	 * files, so they are shared with programs using the raw directory;
	 * suid/sgid clearing on write is the lower file system's, done as the
	 * writer (otherwise the kernel would send a chmod as the writer, which
	 * a non-owner is not allowed); data cached from a file changed on the
	 * raw directory is dropped when its mtime changes.
	 */
	want_if_capable(conn, FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_POSIX_LOCKS |
				      FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_HANDLE_KILLPRIV |
				      FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_AUTO_INVAL_DATA |
				      FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	conn->max_write = MAX_WRITE;
}

void fs_fuse_passthrough_ops(struct fuse_lowlevel_ops *ops)
{
	*ops = (struct fuse_lowlevel_ops){ 0 };
	fs_fuse_name_ops(ops);
	fs_fuse_file_ops(ops);
	fs_fuse_dir_ops(ops);
	fs_fuse_xattr_ops(ops);
}

/*
 * One worker: reads and answers requests until the connection ends.  The
 * end reads as ENODEV, or ECONNABORTED (an abort, and now and then an
 * unmount on 6.x kernels): both are the end, not a failure.
 */
static void *worker_main(void *arg)
{
	struct fs_volume *vol = arg;
	struct fuse_buf buf = { .mem = NULL };
	int res = 0;
	while (!fuse_session_exited(vol->se)) {
		res = fuse_session_receive_buf(vol->se, &buf);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res <= 0)
			break;
		fuse_session_process_buf(vol->se, &buf);
		res = 0;
	}
	fuse_session_exit(vol->se);
	free(buf.mem);
	return (void *)(intptr_t)(res < 0 && res != -ECONNABORTED ? -res : 0);
}

/*
 * A fixed pool of workers, joined, never cancelled: libfuse's own
 * multithreaded loop cancels its workers when one of them ends, and one
 * cancelled while it reports its read error holds the process's stderr
 * lock for good (the next stderr write hangs).
 */
static void *loop_main(void *arg)
{
	struct fs_volume *vol = arg;
	pthread_t *workers = calloc(vol->max_threads, sizeof(*workers));
	unsigned started = 0;
	if (!workers) {
		vol->loop_result = ENOMEM;
		return NULL;
	}
	while (started < vol->max_threads &&
	       pthread_create(&workers[started], NULL, worker_main, vol) == 0)
		started++;
	if (!started)
		vol->loop_result = EAGAIN;
	for (unsigned i = 0; i < started; i++) {
		void *res;
		pthread_join(workers[i], &res);
		if (!vol->loop_result)
			vol->loop_result = (int)(intptr_t)res;
	}
	free(workers);
	return NULL;
}

/*
 * The loop thread and libfuse's workers never take the process's signals,
 * except the ones their own faults raise: blocked, a fault kills the
 * process without running the host's crash handler.
 */
static int start_loop(struct fs_volume *vol)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
	sigset_t all, old;
	sigfillset(&all);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&all, faults[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&vol->loop, NULL, loop_main, vol);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return err;
	vol->loop_running = true;
	return 0;
}

/* The connection settings are the volume's, whatever the operation table. */
static int new_session(struct fs_volume *vol, const struct fuse_lowlevel_ops *ops)
{
	char opts[128];
	snprintf(opts, sizeof opts, "fsname=%s,subtype=%s%s", FS_VOLUME_SUBTYPE, FS_VOLUME_SUBTYPE,
		 vol->shared ? ",allow_other" : "");
	char *argv[] = { "altitude", "-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	if (ops)
		vol->ops = *ops;
	else
		fs_fuse_passthrough_ops(&vol->ops);
	vol->ops.init = op_init;
	vol->se = fuse_session_new(&args, &vol->ops, sizeof(vol->ops), vol);
	fuse_opt_free_args(&args);
	return vol->se ? 0 : EINVAL;
}

static int open_lower(struct fs_volume *vol, const char *source)
{
	if (source)
		return fs_lower_new(source, -1, &vol->lower);
	/* In place: hold the directory before the mount covers it. */
	int fd = open(vol->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = fs_lower_new(NULL, fd, &vol->lower);
	close(fd);
	return err;
}

static void volume_free(struct fs_volume *vol)
{
	fs_glue_volume_destroy(vol);
	if (vol->se)
		fuse_session_destroy(vol->se);
	fs_lower_free(vol->lower);
	free(vol->mountpoint);
	free(vol);
}

/*
 * The fuse control file system's directory of connection n, opened; the
 * file system is mounted at its usual place if nobody has.  -1 when the
 * connection is gone.
 */
static int open_connection_dir(int n)
{
	char path[64];
	struct statfs sf;
	snprintf(path, sizeof path, FUSECTL_DIR "/%d", n);
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if ((statfs(FUSECTL_DIR, &sf) == 0 && sf.f_type == FUSECTL_MAGIC) ||
	    mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) != 0)
		return -1;
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * The FUSE connection's number (the minor device number of the mount) and
 * the inode of its fuse control directory.  Numbers are reused once a
 * connection ends; that directory is made anew for each connection, so its
 * inode tells whether the number is still this volume's.
 */
static void record_connection(struct fs_volume *vol)
{
	struct stat mnt, dir;
	if (stat(vol->mountpoint, &mnt) != 0 || major(mnt.st_dev) != 0)
		return;
	int fd = open_connection_dir((int)minor(mnt.st_dev));
	if (fd < 0)
		return;
	if (fstat(fd, &dir) == 0) {
		vol->connection = (int)minor(mnt.st_dev);
		vol->connection_dir = dir.st_ino;
	}
	close(fd);
}

int fs_volume_mount(const struct fs_volume_options *opts, struct fs_volume **out)
{
	if (!opts || !opts->mountpoint || !out)
		return EINVAL;
	fs_volume_cleanup_stale(opts->mountpoint, NULL);
	struct fs_volume *vol = calloc(1, sizeof(*vol));
	if (!vol)
		return ENOMEM;
	vol->connection = -1;
	bool mounted = false;
	int err = 0;
	vol->max_threads = opts->max_threads ? opts->max_threads : DEFAULT_MAX_THREADS;
	vol->shared = geteuid() == 0 && !opts->private_to_owner;
	vol->mountpoint = realpath(opts->mountpoint, NULL);
	if (!vol->mountpoint) {
		err = errno;
		goto out;
	}
	err = open_lower(vol, opts->source);
	if (!err)
		err = fs_glue_volume_create(vol);
	if (!err)
		err = new_session(vol, opts->ops);
	if (err)
		goto out;
	if (fuse_session_mount(vol->se, vol->mountpoint) != 0) {
		err = EIO;
		goto out;
	}
	mounted = true;
	err = start_loop(vol);
	if (err)
		goto out;
	record_connection(vol);
	*out = vol;
	return 0;
out:
	if (mounted)
		fuse_session_unmount(vol->se);
	volume_free(vol);
	return err;
}

/*
 * Aborts the connection through the fuse control file system, if it is
 * still this volume's: every request still waiting fails with ENOTCONN and
 * the session's workers see the device end.
 */
static void abort_connection(const struct fs_volume *vol)
{
	if (vol->connection < 0)
		return;
	int dir = open_connection_dir(vol->connection);
	if (dir < 0)
		return;
	struct stat st;
	/* A directory made since is another connection's, which took the number. */
	int fd = fstat(dir, &st) == 0 && st.st_ino == vol->connection_dir
			 ? openat(dir, "abort", O_WRONLY | O_CLOEXEC)
			 : -1;
	close(dir);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1)
		fprintf(stderr, "altitude: cannot abort FUSE connection %d\n", vol->connection);
	close(fd);
}

/* Returns whether the connection had to be aborted. */
static bool stop_loop(struct fs_volume *vol)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += UNMOUNT_GRACE_SECONDS;
	if (pthread_timedjoin_np(vol->loop, NULL, &deadline) == 0)
		return false;
	fprintf(stderr, "altitude: %s still in use after %d s: aborting its connection\n",
		vol->mountpoint, UNMOUNT_GRACE_SECONDS);
	abort_connection(vol);
	pthread_join(vol->loop, NULL);
	return true;
}

int fs_volume_unmount(struct fs_volume *vol)
{
	if (!vol)
		return EINVAL;
	int err = 0;
	if (vol->loop_running) {
		/*
		 * Detaching the mount ends the connection once the last file
		 * open on it is closed; the workers then read ENODEV and the
		 * loop returns.  Files still open after the grace period lose
		 * their connection (ENOTCONN); their acknowledged writes are
		 * already in the lower files.
		 */
		err = fs_fuse_detach(vol->mountpoint);
		if (err)
			abort_connection(vol);
		bool aborted = stop_loop(vol);
		vol->loop_running = false;
		/* After an abort the workers' last read fails, as intended. */
		if (!err && !aborted)
			err = vol->loop_result;
	}
	fuse_session_unmount(vol->se);
	volume_free(vol);
	return err;
}

const char *fs_volume_name(const struct fs_volume *vol)
{
	return vol->name;
}

const char *fs_volume_mountpoint(const struct fs_volume *vol)
{
	return vol->mountpoint;
}

unsigned long fs_volume_interrupts(const struct fs_volume *vol)
{
	return atomic_load(&vol->interrupts);
}
