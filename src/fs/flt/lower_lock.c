/*
 * LOCK_CONTROL of the lower dispatch: byte-range locks are OFD locks on the
 * lower open file (one per FILE_OBJECT), flock locks are flock(2) on it.
 *
 * Ranges: ByteOffset and *Length are unsigned on Windows; a lock that
 * reaches 2^63 - 1 or beyond is a POSIX lock to the end of the file (l_len
 * 0; the glue sends such a lock as Length = MAXLONGLONG - ByteOffset), a
 * zero-length lock is granted without taking anything (it conflicts with
 * nothing on Windows either), a ByteOffset from 2^63 - 1 on is
 * STATUS_INVALID_PARAMETER.  Keys are not kept (Linux locks have none):
 * IRP_MN_UNLOCK_ALL_BY_KEY is STATUS_NOT_SUPPORTED.  IRP_MN_UNLOCK_SINGLE
 * unlocks the range as POSIX does (a part of a lock, or a range without
 * locks, is fine; Windows would want the exact range).  IRP_MN_UNLOCK_ALL
 * drops the file object's record locks (flock's LOCK_UN: its flock lock).
 *
 * OFD locks belong to the open, not to a process: two opens through the
 * volume conflict with each other and with locks on the raw files, whatever
 * processes hold them; a forked child shares its parent's open and so its
 * locks; a process never conflicts with itself on one open (as POSIX).
 * POSIX's "close(2) of any descriptor drops the process's locks" is the
 * flush's IRP_MN_UNLOCK_ALL on that open (ops_lock.c).
 *
 * A lock that cannot be granted at once: STATUS_LOCK_NOT_GRANTED with
 * FailImmediately, else the operation pends (STATUS_PENDING) and a waiter
 * thread blocks in F_OFD_SETLKW / flock until it is granted or the
 * operation is cancelled (the requester's FUSE INTERRUPT, FltCancelIo, the
 * volume going away): the cancel routine marks the waiter and a work item
 * signals its thread until it leaves the wait (a signal that lands just
 * before the blocking call is sent again), and it completes with
 * STATUS_CANCELLED.  The glue's own getlk is a fail-immediately IRP_MN_LOCK
 * that only tests (F_OFD_GETLK): filters see and may deny it, nothing is
 * taken, and the conflicting lock is the request's answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>

#include "flt/cancel.h"
#include "fs/fuse/internal.h"

#define OFF_MAX ((ULONGLONG)INT64_MAX)
#define KICK_INTERVAL_NS (10 * 1000 * 1000)

static NTSTATUS done(PFLT_CALLBACK_DATA d, NTSTATUS s)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = 0;
	return s;
}

/* The file object has held a lock (read by the flush on another thread). */
static void mark_locked(PFLT_CALLBACK_DATA d)
{
	__atomic_store_n(&d->Iopb->TargetFileObject->LockOperation, TRUE, __ATOMIC_RELEASE);
}

/* A pended lock and the thread waiting for it. */
struct lock_waiter {
	struct lock_waiter *next;
	PFLT_CALLBACK_DATA d;
	struct fs_volume *vol;
	uint64_t fh;
	bool use_flock;
	int flock_op;
	struct flock lk;
	pthread_t thread;
	bool cancelled;
	bool left;		/* out of the blocking call */
	int refs;
	struct flt_work kick;
};

static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiters_cv = PTHREAD_COND_INITIALIZER;
static struct lock_waiter *waiters;
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;

static int wake_signal(void)
{
	return SIGRTMIN + 2;
}

static void on_wake(int sig)
{
	(void)sig;
}

/* Without SA_RESTART: a blocked F_OFD_SETLKW or flock returns EINTR. */
static void install_signal(void)
{
	struct sigaction sa = { .sa_handler = on_wake };
	sigemptyset(&sa.sa_mask);
	sigaction(wake_signal(), &sa, NULL);
}

static void unlink_locked(struct lock_waiter *w)
{
	for (struct lock_waiter **p = &waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

static void waiter_put_locked(struct lock_waiter *w)
{
	if (--w->refs == 0)
		free(w);
}

/* Signals the waiter until it leaves its blocking call (holds a reference). */
static void kick(void *ctx)
{
	struct lock_waiter *w = ctx;

	pthread_mutex_lock(&waiters_lock);
	while (!w->left) {
		pthread_kill(w->thread, wake_signal());
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += KICK_INTERVAL_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&waiters_cv, &waiters_lock, &until);
	}
	waiter_put_locked(w);
	pthread_mutex_unlock(&waiters_lock);
}

/* Marks w cancelled and starts kicking it (waiters_lock held). */
static void cancel_locked(struct lock_waiter *w)
{
	if (w->cancelled || w->left)
		return;
	w->cancelled = true;
	w->refs++;
	flt_work_queue(&w->kick, kick, w, DelayedWorkQueue);
}

static VOID FLTAPI cancel_routine(PFLT_CALLBACK_DATA d)
{
	pthread_mutex_lock(&waiters_lock);
	for (struct lock_waiter *w = waiters; w; w = w->next)
		if (w->d == d)
			cancel_locked(w);
	pthread_mutex_unlock(&waiters_lock);
}

void fs_glue_locks_cancel(struct fs_volume *vol)
{
	pthread_mutex_lock(&waiters_lock);
	for (struct lock_waiter *w = waiters; w; w = w->next)
		if (w->vol == vol)
			cancel_locked(w);
	pthread_mutex_unlock(&waiters_lock);
}

static int blocking_call(struct lock_waiter *w)
{
	if (w->use_flock)
		return fs_lower_flock(w->vol->lower, w->fh, w->flock_op);
	return fs_lower_setlk(w->vol->lower, w->fh, &w->lk, true);
}

static void *waiter_main(void *arg)
{
	struct lock_waiter *w = arg;
	sigset_t wake;
	int err;

	sigemptyset(&wake);
	sigaddset(&wake, wake_signal());
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	/* A signal that is not a cancel (none is expected) just waits again. */
	do {
		pthread_mutex_lock(&waiters_lock);
		bool cancelled = w->cancelled;
		pthread_mutex_unlock(&waiters_lock);
		err = cancelled ? ECANCELED : blocking_call(w);
	} while (err == EINTR);
	flt_cancel_clear(w->d);
	pthread_mutex_lock(&waiters_lock);
	w->left = true;
	unlink_locked(w);
	pthread_cond_broadcast(&waiters_cv);
	PFLT_CALLBACK_DATA d = w->d;
	waiter_put_locked(w);
	pthread_mutex_unlock(&waiters_lock);
	struct fs_request *r = fs_glue_request_of(d);
	if (err == ECANCELED)
		done(d, STATUS_CANCELLED);
	else if (err)
		fs_glue_status(d, r ? &r->args : NULL, err, 0);
	else
		done(d, STATUS_SUCCESS);
	if (!err)
		mark_locked(d);
	flt_volume_complete(d);
	return NULL;
}

/*
 * Pends the lock: a thread waits for it.  The cancel routine is set before
 * the thread starts (a completed operation's record is not touched again),
 * and both under waiters_lock, so a cancel finds the thread's id.
 */
static NTSTATUS pend(struct fs_volume *vol, PFLT_CALLBACK_DATA d, uint64_t fh, bool use_flock,
		     int flock_op, const struct flock *lk)
{
	struct lock_waiter *w = calloc(1, sizeof(*w));
	pthread_attr_t attr;
	NTSTATUS s = STATUS_PENDING;

	if (!w)
		return done(d, STATUS_INSUFFICIENT_RESOURCES);
	pthread_once(&signal_once, install_signal);
	*w = (struct lock_waiter){ .d = d, .vol = vol, .fh = fh, .use_flock = use_flock,
				   .flock_op = flock_op & ~LOCK_NB, .lk = *lk, .refs = 1 };
	pthread_mutex_lock(&waiters_lock);
	w->next = waiters;
	waiters = w;
	if (!NT_SUCCESS(flt_cancel_set(d, cancel_routine))) {
		s = done(d, STATUS_CANCELLED);
		goto out;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&w->thread, &attr, waiter_main, w);
	pthread_attr_destroy(&attr);
	if (err) {
		/* A routine already running finds no waiter once we unlock. */
		flt_cancel_clear(d);
		s = done(d, STATUS_INSUFFICIENT_RESOURCES);
	}
out:
	if (s != STATUS_PENDING) {
		unlink_locked(w);
		free(w);
	}
	pthread_mutex_unlock(&waiters_lock);
	return s;
}

/* The POSIX range of a Windows lock; false for an offset POSIX cannot hold. */
static bool posix_range(PFLT_CALLBACK_DATA d, short type, struct flock *lk)
{
	ULONGLONG start = (ULONGLONG)d->Iopb->Parameters.LockControl.ByteOffset.QuadPart;
	ULONGLONG len = (ULONGLONG)d->Iopb->Parameters.LockControl.Length->QuadPart;

	if (start >= OFF_MAX)
		return false;
	*lk = (struct flock){ .l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)start };
	lk->l_len = len >= OFF_MAX - start ? 0 : (off_t)len;
	return true;
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EACCES || err == EWOULDBLOCK;
}

static NTSTATUS lock(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h, struct fs_glue_args *a)
{
	bool exclusive = d->Iopb->Parameters.LockControl.ExclusiveLock;
	bool use_flock = a && a->lock_call == FS_LOCK_FLOCK;
	int err;
	struct flock lk;

	if (!posix_range(d, exclusive ? F_WRLCK : F_RDLCK, &lk))
		return done(d, STATUS_INVALID_PARAMETER);
	if (d->Iopb->Parameters.LockControl.Length->QuadPart == 0 && !use_flock)
		return done(d, STATUS_SUCCESS);
	if (a && a->lock_call == FS_LOCK_TEST) {
		a->lock = lk;
		err = fs_lower_getlk(vol->lower, h->fh, &a->lock);
		return err ? fs_glue_status(d, a, err, 0) : done(d, STATUS_SUCCESS);
	}
	int flock_op = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
	if (use_flock)
		err = fs_lower_flock(vol->lower, h->fh, flock_op);
	else
		err = fs_lower_setlk(vol->lower, h->fh, &lk, false);
	if (!err) {
		mark_locked(d);
		return done(d, STATUS_SUCCESS);
	}
	if (!would_block(err))
		return fs_glue_status(d, a, err, 0);
	if (d->Iopb->Parameters.LockControl.FailImmediately)
		return done(d, STATUS_LOCK_NOT_GRANTED);
	return pend(vol, d, h->fh, use_flock, flock_op, &lk);
}

static NTSTATUS unlock(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h,
		       struct fs_glue_args *a, bool all)
{
	struct flock lk = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	int err;

	if (a && a->lock_call == FS_LOCK_FLOCK)
		err = fs_lower_flock(vol->lower, h->fh, LOCK_UN);
	else if (!all && !posix_range(d, F_UNLCK, &lk))
		return done(d, STATUS_INVALID_PARAMETER);
	else
		err = fs_lower_setlk(vol->lower, h->fh, &lk, false);
	return err ? fs_glue_status(d, a, err, 0) : done(d, STATUS_SUCCESS);
}

NTSTATUS fs_glue_lower_lock(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_glue_args *a = r ? &r->args : NULL;
	UCHAR minor = d->Iopb->MinorFunction;

	if (!h || h->fh == FS_NO_FH || h->dir)
		return done(d, h && h->dir ? STATUS_INVALID_PARAMETER : STATUS_INVALID_HANDLE);
	if ((minor == IRP_MN_LOCK || minor == IRP_MN_UNLOCK_SINGLE) && !d->Iopb->Parameters.LockControl.Length)
		return done(d, STATUS_INVALID_PARAMETER);
	switch (minor) {
	case IRP_MN_LOCK:
		return lock(vol, d, h, a);
	case IRP_MN_UNLOCK_SINGLE:
		return unlock(vol, d, h, a, false);
	case IRP_MN_UNLOCK_ALL:
		return unlock(vol, d, h, a, true);
	case IRP_MN_UNLOCK_ALL_BY_KEY:
		return done(d, STATUS_NOT_SUPPORTED);
	default:
		return done(d, STATUS_INVALID_DEVICE_REQUEST);
	}
}
