/*
 * Per-request records of the FUSE front end: the requester's identity, the
 * interrupt hook, and the replies, which may come from any thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

static void on_interrupt(fuse_req_t req, void *data)
{
	(void)req;
	struct fs_request *r = data;
	pthread_mutex_lock(&r->lock);
	bool first = !r->interrupted;
	r->interrupted = true;
	fs_request_cancel_fn fn = first ? r->on_cancel : NULL;
	pthread_mutex_unlock(&r->lock);
	if (first)
		atomic_fetch_add(&r->vol->interrupts, 1);
	if (fn)
		fn(r, r->cancel_ctx);
}

/*
 * Supplementary groups come from /proc (FUSE does not carry them), so they
 * are read only for requesters that are not root: root's permission checks
 * never depend on them.  Beyond FS_REQUEST_GROUPS groups the extra ones are
 * not applied, which can only deny, never grant, access.
 */
static void read_groups(struct fs_request *r)
{
	r->cred.ngroups = 0;
	r->cred.groups = r->groups;
	if (r->cred.uid == 0 || r->pid == 0)
		return;
	int n = fuse_req_getgroups(r->req, FS_REQUEST_GROUPS, r->groups);
	if (n > 0)
		r->cred.ngroups = (size_t)(n < FS_REQUEST_GROUPS ? n : FS_REQUEST_GROUPS);
}

struct fs_request *fs_request_begin(fuse_req_t req)
{
	struct fs_request *r = calloc(1, sizeof(*r));
	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	r->req = req;
	r->vol = fuse_req_userdata(req);
	r->pid = ctx->pid;
	r->tid = ctx->pid;
	r->umask = ctx->umask;
	r->cred.uid = ctx->uid;
	r->cred.gid = ctx->gid;
	read_groups(r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cv, NULL);
	atomic_init(&r->refs, 1);
	fuse_req_interrupt_func(req, on_interrupt, r);
	return r;
}

void fs_request_set_cancel(struct fs_request *r, fs_request_cancel_fn fn, void *ctx)
{
	pthread_mutex_lock(&r->lock);
	r->on_cancel = fn;
	r->cancel_ctx = ctx;
	bool now = r->interrupted;
	pthread_mutex_unlock(&r->lock);
	if (now && fn)
		fn(r, ctx);
}

bool fs_request_interrupted(struct fs_request *r)
{
	pthread_mutex_lock(&r->lock);
	bool v = r->interrupted;
	pthread_mutex_unlock(&r->lock);
	return v;
}

void fs_request_hold(struct fs_request *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void fs_request_put(struct fs_request *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/*
 * Detaching the hook takes libfuse's per-request lock, which its interrupt
 * path holds while calling the hook: once this returns, no hook runs.
 */
static fuse_req_t request_end(struct fs_request *r)
{
	fuse_req_t req = r->req;
	fuse_req_interrupt_func(req, NULL, NULL);
	pthread_mutex_lock(&r->lock);
	r->replied = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->lock);
	fs_request_put(r);
	return req;
}

void fs_request_wait_reply(struct fs_request *r)
{
	pthread_mutex_lock(&r->lock);
	while (!r->replied)
		pthread_cond_wait(&r->cv, &r->lock);
	pthread_mutex_unlock(&r->lock);
	fs_request_put(r);
}

void fs_request_reply_err(struct fs_request *r, int err)
{
	fuse_reply_err(request_end(r), err);
}

void fs_request_reply_none(struct fs_request *r)
{
	fuse_reply_none(request_end(r));
}

static void fill_entry(struct fuse_entry_param *p, const struct fs_volume *vol, const struct fs_entry *e)
{
	*p = (struct fuse_entry_param){ .ino = e->ino,
					.attr = e->attr,
					.attr_timeout = FS_FUSE_ATTR_TIMEOUT,
					.entry_timeout = fs_fuse_entry_timeout(vol, e) };
}

int fs_request_reply_entry(struct fs_request *r, const struct fs_entry *e)
{
	struct fuse_entry_param p;
	fill_entry(&p, r->vol, e);
	return fuse_reply_entry(request_end(r), &p);
}

int fs_request_reply_create(struct fs_request *r, const struct fs_entry *e,
			    const struct fuse_file_info *fi)
{
	struct fuse_entry_param p;
	fill_entry(&p, r->vol, e);
	return fuse_reply_create(request_end(r), &p, fi);
}

int fs_request_reply_open(struct fs_request *r, const struct fuse_file_info *fi)
{
	return fuse_reply_open(request_end(r), fi);
}

void fs_request_reply_attr(struct fs_request *r, const struct stat *st)
{
	fuse_reply_attr(request_end(r), st, FS_FUSE_ATTR_TIMEOUT);
}

void fs_request_reply_buf(struct fs_request *r, const void *buf, size_t size)
{
	fuse_reply_buf(request_end(r), buf, size);
}

void fs_request_reply_write(struct fs_request *r, size_t count)
{
	fuse_reply_write(request_end(r), count);
}

void fs_request_reply_readlink(struct fs_request *r, const char *link)
{
	fuse_reply_readlink(request_end(r), link);
}

void fs_request_reply_statfs(struct fs_request *r, const struct statvfs *st)
{
	fuse_reply_statfs(request_end(r), st);
}

void fs_request_reply_xattr(struct fs_request *r, size_t size)
{
	fuse_reply_xattr(request_end(r), size);
}

void fs_request_reply_lock(struct fs_request *r, const struct flock *lock)
{
	fuse_reply_lock(request_end(r), lock);
}

void fs_request_reply_lseek(struct fs_request *r, off_t off)
{
	fuse_reply_lseek(request_end(r), off);
}
