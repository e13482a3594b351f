/* Internals of the FUSE front end: the volume, per-request records, ops. */
#ifndef ALTITUDE_SRC_FS_FUSE_INTERNAL_H
#define ALTITUDE_SRC_FS_FUSE_INTERNAL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>

#include "fs/flt/glue.h"
#include "fs/lower.h"
#include "fs/volume.h"

/*
 * Cache choices (each so that filters still see what they must):
 * - Opens are never cached: every open and create reaches the volume (and
 *   the filters, which may deny it), whatever the timeouts below.
 * - Names are cached for one second only when found in a directory that
 *   everyone may search.  We enforce permissions ourselves (no
 *   default_permissions), and the kernel does not check search permission
 *   on a cached name; elsewhere the timeout is 0, so every path walk
 *   revalidates the name with a LOOKUP as the walking requester, and
 *   someone without search permission cannot reach entries another
 *   requester looked up.  Absent names in such directories are cached as
 *   well: a file created on the raw directory (not through the volume)
 *   appears within that second.  A chmod that takes search permission away
 *   from a directory applies to names cached below it once they expire.
 * - Attributes are cached for one second: they carry no permission decision
 *   (the kernel does not check modes with default_permissions off), writes
 *   through the volume invalidate them, and a stat storm need not reach the
 *   filters every time.
 */
#define FS_FUSE_ENTRY_TIMEOUT 1.0
#define FS_FUSE_ATTR_TIMEOUT 1.0

struct fs_volume {
	struct fuse_lowlevel_ops ops;
	struct fs_lower *lower;
	struct fuse_session *se;
	char *mountpoint;
	int connection;		/* FUSE connection number, -1 if unknown */
	ino_t connection_dir;	/* inode of its fuse control directory */
	unsigned max_threads;
	bool shared;		/* allow_other: users other than the mounter */
	pthread_t loop;
	bool loop_running;
	int loop_result;
	atomic_ulong interrupts;
	PFLT_VOLUME flt;	/* the Filter Manager volume */
	ULONG number;		/* N of \Device\AltitudeVolumeN */
	char name[40];		/* that NT device name */
	struct fs_cred host;	/* identity of filter-issued I/O */
};

/*
 * One FUSE request in flight.  It holds the fuse_req_t, so the reply can be
 * sent later from any thread (pended operations), and the requester's
 * identity: pid, uid, gid and supplementary groups.  FUSE does not carry the
 * requesting thread; tid is the pid.
 */
#define FS_REQUEST_GROUPS 32

struct fs_request;
/* Called once when the requester interrupts the request (FUSE INTERRUPT). */
typedef void (*fs_request_cancel_fn)(struct fs_request *r, void *ctx);

struct fs_request {
	fuse_req_t req;
	struct fs_volume *vol;
	pid_t pid;
	pid_t tid;
	mode_t umask;
	struct fs_cred cred;
	gid_t groups[FS_REQUEST_GROUPS];
	pthread_mutex_t lock;
	pthread_cond_t cv;
	atomic_int refs;	/* the reply, and a queued cancel */
	bool interrupted;
	bool replied;
	fs_request_cancel_fn on_cancel;
	void *cancel_ctx;
	/* The Filter Manager operation in flight (issue.c). */
	PFLT_CALLBACK_DATA current;
	bool cancelling;
	pthread_t canceller;
	struct flt_work cancel_work;
	fs_glue_next_fn next;
	/* Sequences (sequence.c) and the ops' own state. */
	struct fs_glue_args args;
	struct fs_file *file;
	fs_glue_next_fn then;
	NTSTATUS first_status;
	int first_errno;
	void *buf;
	size_t size;
	off_t off;
	uint64_t aux;
	uint64_t aux2;
	struct fuse_file_info fi;
	FILE_NETWORK_OPEN_INFORMATION netinfo;	/* getattr (ops_getattr.c) */
};

/* A record for req, or NULL after replying ENOMEM itself. */
struct fs_request *fs_request_begin(fuse_req_t req);
/* Installs the cancel hook; runs it at once if already interrupted. */
void fs_request_set_cancel(struct fs_request *r, fs_request_cancel_fn fn, void *ctx);
bool fs_request_interrupted(struct fs_request *r);
/* References keep the record (not the FUSE request) alive past the reply. */
void fs_request_hold(struct fs_request *r);
void fs_request_put(struct fs_request *r);
/*
 * For handlers whose arguments live in libfuse's buffer (names, write
 * data): waits until the request was replied (from whichever thread), then
 * drops the reference the handler took with fs_request_hold.
 */
void fs_request_wait_reply(struct fs_request *r);

/*
 * Replies end the record: they detach the interrupt hook, reply, and free
 * it.  Those that hand the kernel a reference return libfuse's result so
 * the caller can undo it when the reply did not arrive.
 */
void fs_request_reply_err(struct fs_request *r, int err);
void fs_request_reply_none(struct fs_request *r);
int fs_request_reply_entry(struct fs_request *r, const struct fs_entry *e);
int fs_request_reply_create(struct fs_request *r, const struct fs_entry *e,
			    const struct fuse_file_info *fi);
int fs_request_reply_open(struct fs_request *r, const struct fuse_file_info *fi);
void fs_request_reply_attr(struct fs_request *r, const struct stat *st);
void fs_request_reply_buf(struct fs_request *r, const void *buf, size_t size);
void fs_request_reply_write(struct fs_request *r, size_t count);
void fs_request_reply_readlink(struct fs_request *r, const char *link);
void fs_request_reply_statfs(struct fs_request *r, const struct statvfs *st);
void fs_request_reply_xattr(struct fs_request *r, size_t size);
void fs_request_reply_lock(struct fs_request *r, const struct flock *lock);
void fs_request_reply_lseek(struct fs_request *r, off_t off);

/* The kernel may keep the name (or its absence) only if whoever can walk the mount may search its directory. */
static inline bool fs_fuse_cache_name(const struct fs_volume *vol, const struct fs_entry *e)
{
	return e->public_parent || !vol->shared;
}

static inline double fs_fuse_entry_timeout(const struct fs_volume *vol, const struct fs_entry *e)
{
	return fs_fuse_cache_name(vol, e) ? FS_FUSE_ENTRY_TIMEOUT : 0.0;
}

static inline struct fs_lower *fs_request_lower(const struct fs_request *r)
{
	return r->vol->lower;
}

/* Replies shared by the tables (ops_file.c): an open (reply_open or reply_create), a release, a status. */
void fs_fuse_reply_opened(struct fs_request *r, PFLT_CALLBACK_DATA d);
void fs_fuse_reply_closed(struct fs_request *r, PFLT_CALLBACK_DATA d);
void fs_fuse_reply_status(struct fs_request *r, PFLT_CALLBACK_DATA d);

/* setattr with a new size: SET_INFORMATION FileEndOfFileInformation (ops_truncate.c). */
void fs_fuse_setattr_size(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *set,
			  struct fuse_file_info *fi);

/*
 * Page-aligned read buffers of at least `size` bytes (read_buf.c); *cap is
 * the buffer's capacity, to give back with it.  NULL when out of memory.
 */
void *fs_read_buf_get(size_t size, size_t *cap);
void fs_read_buf_put(void *buf, size_t cap);

/* The default operation table: every operation through the filter stack to the lower file system. */
void fs_fuse_passthrough_ops(struct fuse_lowlevel_ops *ops);

/*
 * setattr of times: SET_INFORMATION FileBasicInformation (ops_setattr.c);
 * false (nothing done) when the setattr changes no time.
 */
bool fs_fuse_setattr_times(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *set,
			   struct fuse_file_info *fi);

/*
 * setattr of mode/owner/group alone: SET_SECURITY (ops_security.c); false
 * (nothing done) when the setattr changes anything else or none of them.
 */
bool fs_fuse_setattr_security(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *set,
			      struct fuse_file_info *fi);

/* link: SET_INFORMATION FileLinkInformationEx (ops_link.c); waits for the reply. */
void fs_fuse_link(struct fs_request *r, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);

/* getattr: QUERY_INFORMATION FileNetworkOpenInformation (ops_getattr.c). */
void fs_fuse_getattr(struct fs_request *r, fuse_ino_t ino, struct fuse_file_info *fi);

/* statfs: QUERY_VOLUME_INFORMATION FileFsSizeInformation (ops_statfs.c). */
void fs_fuse_statfs(struct fs_request *r, fuse_ino_t ino);

/* The operation tables' parts, one file each. */
void fs_fuse_name_ops(struct fuse_lowlevel_ops *ops);
void fs_fuse_file_ops(struct fuse_lowlevel_ops *ops);
void fs_fuse_dir_ops(struct fuse_lowlevel_ops *ops);
void fs_fuse_xattr_ops(struct fuse_lowlevel_ops *ops);
void fs_fuse_lock_ops(struct fuse_lowlevel_ops *ops);
void fs_fuse_space_ops(struct fuse_lowlevel_ops *ops);

/* Lazy unmount of a mount point (umount2 MNT_DETACH, or fusermount3 -u -z). */
int fs_fuse_detach(const char *mountpoint);

#endif /* ALTITUDE_SRC_FS_FUSE_INTERNAL_H */
