/*
 * The glue between the FUSE front end and the Filter Manager.
 *
 * Each mounted volume is a Filter Manager volume (\Device\AltitudeVolumeN)
 * whose lower file system is the passthrough lower file system.  A FUSE
 * request becomes the IRP major functions a Windows file system would see;
 * the FUSE request is answered from the operation's done callback, on the
 * thread that completes it (later, when a filter pended it).
 *
 * File objects: one per open handle (open, create, opendir), and one for
 * the short-lived opens Windows programs make around name operations
 * (unlink: CREATE for DELETE, SET_INFORMATION disposition, CLEANUP, CLOSE).
 * FsContext is the lower inode handle (one stream per inode, so stream
 * contexts are per inode), FsContext2 the struct fs_handle of the open.
 *
 * Mapping (FUSE -> what the filters see):
 *   open, create       CREATE (access from O_ACCMODE/O_APPEND/O_TRUNC,
 *                      disposition FILE_OPEN/OPEN_IF/CREATE/OVERWRITE(_IF)
 *                      from O_CREAT/O_EXCL/O_TRUNC, FILE_NON_DIRECTORY_FILE,
 *                      FILE_WRITE_THROUGH for O_SYNC/O_DSYNC,
 *                      FILE_NO_INTERMEDIATE_BUFFERING for O_DIRECT,
 *                      FILE_OPEN_REPARSE_POINT for O_NOFOLLOW; share all)
 *   opendir            CREATE with FILE_DIRECTORY_FILE
 *   mkdir/mknod/symlink CREATE (FILE_CREATE; FILE_OPEN_REPARSE_POINT for a
 *                      symlink), CLEANUP, CLOSE
 *   read, write        READ, WRITE (ByteOffset, Length, buffer; writes of
 *                      FUSE_WRITE_CACHE pages are IRP_PAGING_IO|IRP_NOCACHE)
 *   release(dir)       CLEANUP, CLOSE
 *   fsync(dir)         FLUSH_BUFFERS
 *   unlink, rmdir      CREATE (DELETE), SET_INFORMATION
 *                      FileDispositionInformationEx (DELETE|POSIX_SEMANTICS),
 *                      CLEANUP, CLOSE
 *   rename             CREATE (DELETE), SET_INFORMATION FileRenameInformationEx
 *                      (REPLACE_IF_EXISTS unless RENAME_NOREPLACE), CLEANUP, CLOSE
 *   link               CREATE (FILE_WRITE_ATTRIBUTES), SET_INFORMATION
 *                      FileLinkInformationEx (POSIX_SEMANTICS, never
 *                      REPLACE_IF_EXISTS), CLEANUP, CLOSE
 *   setattr size       SET_INFORMATION FileEndOfFileInformation (truncate(2):
 *                      inside CREATE for FILE_WRITE_DATA ... CLOSE)
 *   setattr times      SET_INFORMATION FileBasicInformation (Last{Access,Write}Time;
 *                      "now" as the current time) inside CREATE
 *                      (FILE_WRITE_ATTRIBUTES) ... CLOSE, or on the open file;
 *                      mode/uid/gid in the same setattr follow it without an IRP
 *   chmod, chown       SET_SECURITY (DACL / OWNER / GROUP_SECURITY_INFORMATION,
 *                      a self-relative descriptor: S-1-22-1-uid, S-1-22-2-gid,
 *                      ACEs for owner/group/Everyone) inside CREATE
 *                      (WRITE_DAC / WRITE_OWNER) ... CLOSE (security.c)
 *   statfs             CREATE (FILE_READ_ATTRIBUTES), QUERY_VOLUME_INFORMATION
 *                      FileFsSizeInformation, CLEANUP, CLOSE
 *   getattr            QUERY_INFORMATION FileNetworkOpenInformation on the open
 *                      file (fi), else inside CREATE (FILE_READ_ATTRIBUTES) ...
 *                      CLEANUP, CLOSE; times and sizes from the filtered
 *                      information, mode/owner/links the lower's
 *   readdir(plus)      DIRECTORY_CONTROL / QUERY_DIRECTORY FileIdBothDirectoryInformation
 *                      on the opendir file object, SL_RESTART_SCAN at offset 0;
 *                      the entries left in the buffer after the post callbacks
 *                      are the listing (a filter hides a name by removing it)
 *   getxattr, listxattr QUERY_EA (an EaList naming the xattr; a scan) inside
 *                      CREATE (FILE_READ_EA) ... CLOSE (lower_ea.c: names, limits)
 *   setxattr, removexattr SET_EA (one FILE_FULL_EA_INFORMATION; EaValueLength 0
 *                      removes) inside CREATE (FILE_WRITE_EA) ... CLOSE
 *   setlk, getlk, flock LOCK_CONTROL IRP_MN_LOCK / UNLOCK_SINGLE / UNLOCK_ALL on
 *                      the open file (ops_lock.c, lower_lock.c)
 *   flush              LOCK_CONTROL IRP_MN_UNLOCK_ALL when the closing owner
 *                      holds record locks, then the lower's flush
 *   fallocate          SET_INFORMATION FileAllocationInformation (mode 0,
 *                      KEEP_SIZE); FILE_SYSTEM_CONTROL FSCTL_SET_ZERO_DATA
 *                      (PUNCH_HOLE, ZERO_RANGE); other modes EOPNOTSUPP
 *   lseek              FSCTL_QUERY_ALLOCATED_RANGES (SEEK_DATA, SEEK_HOLE)
 *   copy_file_range    READ on the source, WRITE on the target (ops_space.c)
 *   create's result    IoStatus.Information FILE_CREATED / OPENED / OVERWRITTEN /
 *                      SUPERSEDED, FILE_EXISTS / FILE_DOES_NOT_EXIST on failure
 * Lookup issues no IRP: every open of the name is a CREATE the filters see
 * (opens are never cached), and names the Filter Manager reports come from
 * the file system (FileNameInformation: the inode's current path), so the
 * name cache stays right across renames it observes.  Passed to the lower
 * file system without callbacks: readlink, access, the kernel's own read of
 * security.capability before each write (ops_xattr.c), and mode/owner
 * changes riding on a size or time setattr.
 */
#ifndef ALTITUDE_SRC_FS_FLT_GLUE_H
#define ALTITUDE_SRC_FS_FLT_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <altitude/status.h>

#include "flt/flt.h"
#include "fs/lower.h"

struct fs_volume;
struct fs_request;

/* What a CREATE does at the lower file system. */
enum fs_create_kind {
	FS_CREATE_OPEN_INODE,	/* open an inode FUSE already looked up (hint.ino) */
	FS_CREATE_BY_NAME,	/* open, or create, hint.name in hint.parent */
	FS_CREATE_MKDIR,
	FS_CREATE_MKNOD,
	FS_CREATE_SYMLINK,
	FS_CREATE_NAME_ONLY,	/* look the name up, no data access (delete, rename) */
	FS_CREATE_INODE_ONLY,	/* hint.ino, no data access (attribute and volume queries) */
};

/* What the glue's own LOCK_CONTROL stands for (lower_lock.c). */
enum fs_lock_call {
	FS_LOCK_POSIX,		/* setlk, and the flush's IRP_MN_UNLOCK_ALL */
	FS_LOCK_FLOCK,		/* flock(2) */
	FS_LOCK_TEST,		/* getlk: test the lock, take nothing */
};

#define FS_LOCK_OWNERS 4

/* The lower file system's state of one open (FILE_OBJECT FsContext2). */
struct fs_handle {
	uint64_t ino;		/* lower inode, with one lookup reference when `looked_up` */
	uint64_t fh;		/* lower open file or directory, FS_NO_FH when none */
	uint64_t parent;	/* the name's directory (0: unknown) */
	char *leaf;		/* the name in `parent` (owned), NULL when unknown */
	bool dir;
	bool looked_up;
	bool parent_held;	/* one lookup reference on `parent` is this handle's */
	bool deleted;
	bool owned;		/* allocated by the lower dispatch (not in a struct fs_file) */
	bool dir_started;	/* a QUERY_DIRECTORY ran since the open or the last restart */
	off_t dir_pos;		/* where a filter-issued QUERY_DIRECTORY resumes */
	ULONG ea_next;		/* where a QUERY_EA scan resumes (0: the first EA) */
	/* FUSE lock owners that took record locks on this open (ops_lock.c) */
	uint64_t lock_owner[FS_LOCK_OWNERS];
	unsigned lock_owners;	/* more than FS_LOCK_OWNERS: too many to tell apart */
};

/* A FILE_OBJECT the glue issues operations on, with its handle and name. */
struct fs_file {
	FILE_OBJECT fo;
	struct fs_handle h;
	WCHAR name[];
};

/*
 * The FUSE-side arguments of a request's operations, read by the lower
 * dispatch when the operation is the request's own (not filter-issued).
 */
struct fs_glue_args {
	enum fs_create_kind kind;
	uint64_t ino;
	uint64_t parent;
	const char *name;
	const char *link;
	int flags;		/* open(2) flags; XATTR_CREATE/REPLACE for SET_EA */
	bool ea_remove;		/* SET_EA: the request is a removexattr */
	enum fs_lock_call lock_call;
	LARGE_INTEGER lock_length;	/* LOCK_CONTROL's Length points here */
	struct flock lock;	/* FS_LOCK_TEST: the conflicting lock (F_UNLCK: none) */
	off_t range_off;	/* fallocate: the offset (flags holds the mode) */
	mode_t mode;
	dev_t rdev;
	struct fs_entry entry;	/* out: the created or opened entry */
	IO_SECURITY_CONTEXT security;
	int lower_err;		/* the lower's errno for lower_status */
	NTSTATUS lower_status;
};

/*
 * A setattr of times (ops_setattr.c): the FileBasicInformation issued, a
 * copy of it as sent, and the FUSE request's fields.  The lower dispatch
 * applies `set`'s times when the filters left the information as sent.
 */
struct fs_set_times {
	FILE_BASIC_INFORMATION basic;
	FILE_BASIC_INFORMATION sent;
	struct fs_setattr set;
	uint64_t ino;
	uint64_t fh;
};

/*
 * A chmod/chown (ops_security.c): the descriptor issued with SET_SECURITY, a
 * copy of it as sent, and the FUSE request's fields.  The lower dispatch
 * applies `set` when the filters left the descriptor as sent (security.c).
 */
#define FS_SD_MAX 256
struct fs_set_security {
	struct fs_setattr set;
	uint64_t ino;
	uint64_t fh;
	ULONG info;
	ULONG len;
	UCHAR sd[FS_SD_MAX] __attribute__((aligned(8)));
	UCHAR sent[FS_SD_MAX];
};

/* Volumes (volume.c). */
int fs_glue_volume_create(struct fs_volume *vol);
void fs_glue_volume_destroy(struct fs_volume *vol);
const char *fs_glue_mount_path(PFLT_VOLUME volume);

/* The lower dispatch (lower_dispatch.c, lower_info.c). */
extern const struct flt_lower_ops fs_glue_lower_ops;
NTSTATUS fs_glue_lower_info(struct fs_volume *vol, const struct fs_cred *cred,
			    PFLT_CALLBACK_DATA d, struct fs_handle *h);
NTSTATUS fs_glue_status(PFLT_CALLBACK_DATA d, struct fs_glue_args *a, int err, ULONG_PTR info);
NTSTATUS fs_glue_lower_dir(struct fs_volume *vol, const struct fs_cred *cred, PFLT_CALLBACK_DATA d,
			   struct fs_handle *h);
/* LOCK_CONTROL (lower_lock.c); fs_glue_locks_cancel cancels the volume's waiting locks. */
NTSTATUS fs_glue_lower_lock(struct fs_volume *vol, PFLT_CALLBACK_DATA d, struct fs_handle *h);
void fs_glue_locks_cancel(struct fs_volume *vol);
/* FileAllocationInformation and FILE_SYSTEM_CONTROL (lower_space.c). */
NTSTATUS fs_glue_set_allocation(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				struct fs_handle *h, const FILE_ALLOCATION_INFORMATION *info);
NTSTATUS fs_glue_lower_fsctl(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			     struct fs_handle *h);
/* SET_SECURITY, and descriptors for owners, groups and modes (security.c). */
NTSTATUS fs_glue_lower_security(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
				struct fs_handle *h);
/* A self-relative descriptor of the `info` parts into buf (FS_SD_MAX bytes); returns its size. */
ULONG fs_glue_sd_build(void *buf, ULONG info, uid_t uid, gid_t gid, mode_t mode);
/* The owner, group and mode a descriptor sets (set->valid says which), given the file's stat. */
NTSTATUS fs_glue_sd_parse(const void *sd, ULONG info, const struct stat *now, struct fs_setattr *set);
/* QUERY_EA and SET_EA (lower_ea.c). */
NTSTATUS fs_glue_lower_ea(struct fs_volume *vol, const struct fs_cred *cred, PFLT_CALLBACK_DATA d,
			  struct fs_handle *h);
/* Times in 100 ns since 1601, and FILE_ATTRIBUTE_* of a stat (lower_info.c). */
LONGLONG fs_glue_nt_time(struct timespec t);
struct timespec fs_glue_unix_time(LONGLONG t);
ULONG fs_glue_attributes(const struct stat *st);

/*
 * The glue's own QUERY_DIRECTORY: the lower dispatch records, for the entry
 * whose FileIndex is i, the FUSE offset of the entry after it and its DT_*
 * type in slot[i] (the entries' FileIndex is their index in the query's
 * output), so the glue can resume after any entry a filter left in place.
 */
struct fs_dir_slot {
	off_t next;
	unsigned char type;
};
struct fs_dir_listing {
	ULONG cap;
	ULONG count;
	struct fs_dir_slot slot[];
};

/* File objects (file.c): name = the volume-relative path of `dir`/`leaf`. */
struct fs_file *fs_file_new(struct fs_volume *vol, uint64_t dir, const char *leaf);
void fs_file_free(struct fs_file *f);
static inline struct fs_file *fs_file_of(uint64_t fh)
{
	return (struct fs_file *)(uintptr_t)fh;
}
/* Frees the lower state of a handle: open file, lookup reference, name. */
void fs_handle_release(struct fs_lower *lower, struct fs_handle *h);
/*
 * The directory and leaf of a volume-relative path (walked as the host):
 * *parent carries a lookup reference when *held, *leaf is allocated.
 */
int fs_glue_walk(struct fs_volume *vol, PCUNICODE_STRING path, uint64_t *parent, bool *held,
		 char **leaf);

/*
 * Issuing (issue.c).  fs_glue_issue takes a record, lets `fill` set the
 * Iopb (MajorFunction and Parameters; TargetFileObject is `file`), and runs
 * it; `next` runs once from the done callback with the final data.  The
 * requester's pid is the operation's; a FUSE INTERRUPT cancels it.
 */
typedef void (*fs_glue_next_fn)(struct fs_request *r, PFLT_CALLBACK_DATA d);
void fs_glue_issue(struct fs_request *r, struct fs_file *file, const FLT_IO_PARAMETER_BLOCK *iopb,
		   fs_glue_next_fn next);
/* The request of an operation the glue issued, or NULL (filter-issued I/O). */
struct fs_request *fs_glue_request_of(PFLT_CALLBACK_DATA d);
/* The errno for the operation's final status (the lower's own when unchanged). */
int fs_glue_errno(struct fs_request *r, PFLT_CALLBACK_DATA d);

/* CREATE parameters for open(2) flags (create_params.c). */
ACCESS_MASK fs_glue_access(int flags);
ULONG fs_glue_disposition(int flags);
ULONG fs_glue_options(int flags, bool directory);

/* Common sequences (sequence.c). */
/* CREATE for `access` on file; next runs after it (and after its CLOSE when it failed). */
void fs_glue_create(struct fs_request *r, struct fs_file *file, ACCESS_MASK access,
		    ULONG disposition, ULONG options, fs_glue_next_fn next);
/* CLEANUP then CLOSE of file, then frees it; next runs with the CLOSE. */
void fs_glue_close(struct fs_request *r, struct fs_file *file, fs_glue_next_fn next);

#endif /* ALTITUDE_SRC_FS_FLT_GLUE_H */
