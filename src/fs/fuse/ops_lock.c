/*
 * FUSE lock operations are IRP_MJ_LOCK_CONTROL on the open file's object,
 * as LockFileEx/UnlockFileEx make them:
 *   setlk F_RDLCK/F_WRLCK  IRP_MN_LOCK (ByteOffset l_start, *Length l_len,
 *                          or MAXLONGLONG - l_start for l_len 0 "to the
 *                          end"; ExclusiveLock for F_WRLCK; FailImmediately
 *                          unless F_SETLKW; Key 0; ProcessId the requester)
 *   setlk F_UNLCK          IRP_MN_UNLOCK_SINGLE over the range
 *   getlk                  IRP_MN_LOCK with FailImmediately that only tests
 *                          (lower_lock.c): the answer is the conflicting lock
 *   flock LOCK_SH/LOCK_EX  IRP_MN_LOCK over the whole file (FailImmediately
 *                          with LOCK_NB); LOCK_UN is IRP_MN_UNLOCK_ALL
 *   flush                  IRP_MN_UNLOCK_ALL when the file object has held
 *                          a lock (FILE_OBJECT LockOperation), as the I/O
 *                          manager sends at a handle's close
 * A blocking lock pends in the lower file system; the requester's signal
 * (FUSE INTERRUPT) cancels it and the call fails with EINTR.  A conflict is
 * STATUS_LOCK_NOT_GRANTED (EAGAIN), a filter's denial EACCES.
 *
 * flush is the close(2) of one descriptor; FUSE sends one per close, also
 * of a dup, while CLEANUP and CLOSE come once, at the release of the open.
 * Windows has no IRP for closing one duplicate handle; what a close must do
 * at once (drop the closing process's record locks, as POSIX wants, and
 * report the delayed write errors a close reports) is the UNLOCK_ALL and
 * the lower file system's flush.  The UNLOCK_ALL is sent when the flush's
 * lock owner (the closing process) took record locks on the open: a forked
 * child closing its inherited descriptor leaves its parent's locks alone.
 * The locks are per open below (OFD), so when several owners locked
 * through one open any owner's close drops them all.  A close cannot be
 * refused: a filter that fails the UNLOCK_ALL does not keep the locks.
 * flock locks are not record locks: they stay until the release.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/file.h>

#include "fs/fuse/internal.h"

static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;

/* Remembers that `owner` took record locks on the open. */
static void owner_add(struct fs_handle *h, uint64_t owner)
{
	pthread_mutex_lock(&owners_lock);
	bool known = false;
	for (unsigned i = 0; i < h->lock_owners && i < FS_LOCK_OWNERS; i++)
		known |= h->lock_owner[i] == owner;
	if (!known && h->lock_owners < FS_LOCK_OWNERS)
		h->lock_owner[h->lock_owners] = owner;
	if (!known && h->lock_owners <= FS_LOCK_OWNERS)
		h->lock_owners++;
	pthread_mutex_unlock(&owners_lock);
}

/* Whether `owner` may hold record locks on the open (always, past the table). */
static bool owner_held(struct fs_handle *h, uint64_t owner)
{
	pthread_mutex_lock(&owners_lock);
	bool held = h->lock_owners > FS_LOCK_OWNERS;
	for (unsigned i = 0; i < h->lock_owners && i < FS_LOCK_OWNERS; i++)
		held |= h->lock_owner[i] == owner;
	pthread_mutex_unlock(&owners_lock);
	return held;
}

static void lock_iopb(FLT_IO_PARAMETER_BLOCK *iopb, struct fs_request *r, UCHAR minor, off_t start,
		      off_t len, bool exclusive, bool fail_immediately)
{
	*iopb = (FLT_IO_PARAMETER_BLOCK){ .MajorFunction = IRP_MJ_LOCK_CONTROL, .MinorFunction = minor };
	if (fail_immediately)
		iopb->OperationFlags |= SL_FAIL_IMMEDIATELY;
	if (exclusive)
		iopb->OperationFlags |= SL_EXCLUSIVE_LOCK;
	r->args.lock_length.QuadPart = len ? (LONGLONG)len : INT64_MAX - (LONGLONG)start;
	iopb->Parameters.LockControl.Length = &r->args.lock_length;
	iopb->Parameters.LockControl.ByteOffset.QuadPart = start;
	iopb->Parameters.LockControl.Key = 0;
	iopb->Parameters.LockControl.FailImmediately = fail_immediately;
	iopb->Parameters.LockControl.ExclusiveLock = exclusive;
}

static void reply_tested(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);

	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_lock(r, &r->args.lock);
}

static void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	FLT_IO_PARAMETER_BLOCK iopb;

	if (!r)
		return;
	r->args.lock_call = FS_LOCK_TEST;
	lock_iopb(&iopb, r, IRP_MN_LOCK, lock->l_start, lock->l_len, lock->l_type == F_WRLCK, true);
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, reply_tested);
}

static void reply_locked(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);

	if (!err && d->Iopb->MinorFunction == IRP_MN_LOCK)
		owner_add(&fs_file_of(r->fi.fh)->h, r->fi.lock_owner);
	fs_request_reply_err(r, err);
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
		     int sleep)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	FLT_IO_PARAMETER_BLOCK iopb;

	if (!r)
		return;
	r->fi = *fi;
	r->args.lock_call = FS_LOCK_POSIX;
	if (lock->l_type == F_UNLCK)
		lock_iopb(&iopb, r, IRP_MN_UNLOCK_SINGLE, lock->l_start, lock->l_len, false, true);
	else
		lock_iopb(&iopb, r, IRP_MN_LOCK, lock->l_start, lock->l_len, lock->l_type == F_WRLCK, !sleep);
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, reply_locked);
}

static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	FLT_IO_PARAMETER_BLOCK iopb;

	if (!r)
		return;
	r->args.lock_call = FS_LOCK_FLOCK;
	if (op & LOCK_UN)
		lock_iopb(&iopb, r, IRP_MN_UNLOCK_ALL, 0, 0, false, true);
	else
		lock_iopb(&iopb, r, IRP_MN_LOCK, 0, 0, (op & LOCK_EX) != 0, (op & LOCK_NB) != 0);
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, fs_fuse_reply_status);
}

/* The lower's flush; it drops the locks itself when the UNLOCK_ALL did not. */
static void flush_lower(struct fs_request *r, bool unlock)
{
	struct fs_file *file = fs_file_of(r->fi.fh);

	fs_request_reply_err(r, fs_lower_flush(fs_request_lower(r), file->h.fh, unlock));
}

static void unlocked(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	flush_lower(r, !NT_SUCCESS(d->IoStatus.Status));
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	struct fs_file *file;
	FLT_IO_PARAMETER_BLOCK iopb;

	if (!r)
		return;
	r->fi = *fi;
	file = fs_file_of(fi->fh);
	if (!__atomic_load_n(&file->fo.LockOperation, __ATOMIC_ACQUIRE) || !owner_held(&file->h, fi->lock_owner)) {
		flush_lower(r, false);
		return;
	}
	r->args.lock_call = FS_LOCK_POSIX;
	lock_iopb(&iopb, r, IRP_MN_UNLOCK_ALL, 0, 0, false, true);
	fs_glue_issue(r, file, &iopb, unlocked);
}

void fs_fuse_lock_ops(struct fuse_lowlevel_ops *ops)
{
	ops->getlk = op_getlk;
	ops->setlk = op_setlk;
	ops->flock = op_flock;
	ops->flush = op_flush;
}
