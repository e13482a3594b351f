/*
 * The passthrough lower file system: what the I/O sources (the FUSE front end
 * now, the filter stack's glue later) call to reach the real files of a
 * source directory.
 *
 * Inodes are addressed by 64-bit handles (FS_LOWER_ROOT is the source
 * directory itself, the same value as FUSE_ROOT_ID).  Each inode holds an
 * O_PATH|O_NOFOLLOW descriptor opened relative to its parent's descriptor,
 * and every operation works relative to those descriptors (the *at family,
 * /proc/self/fd re-opens), so no path is resolved twice and a symlink planted
 * inside the volume is never followed.
 *
 * Identity: every call takes the requester's credentials.  When the host runs
 * as root, the calling thread switches its file-system uid, gid and
 * supplementary groups to the requester's for the duration of the call
 * (setfsuid/setfsgid and the raw per-thread setgroups system call), so the
 * kernel itself applies the permission checks, the sticky-bit and
 * protected-link rules, the suid/sgid clearing and the ownership of new files
 * exactly as on the raw directory.  Dropping fsuid 0 also drops CAP_CHOWN,
 * CAP_DAC_OVERRIDE, CAP_FOWNER and the other file capabilities.  A thread that
 * calls in gets its own umask (set to 0, the modes given here are final) and
 * cwd (unshare(CLONE_FS)) on its first call.  A host that is not root cannot
 * switch identity and acts as itself.
 *
 * Every operation returns 0 or a positive errno value.
 */
#ifndef ALTITUDE_SRC_FS_LOWER_H
#define ALTITUDE_SRC_FS_LOWER_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#define FS_LOWER_ROOT 1

struct fs_lower;

/* The requester: groups are the supplementary groups (may be empty). */
struct fs_cred {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const gid_t *groups;
};

/*
 * A looked-up inode: its handle (one more lookup reference), attributes, and
 * whether the directory it was found in lets everyone search it (search
 * permission for owner, group and others, and no ACL), so that the name may
 * be cached without bypassing anyone's permission check.  Lookups that fail
 * with ENOENT also set public_parent, for caching the name's absence.
 * fs_lower_create sets `created` when it made the file (the others that
 * return an entry either always create it or never do).
 */
struct fs_entry {
	uint64_t ino;
	struct stat attr;
	bool public_parent;
	bool created;		/* create: the name did not exist and was created */
};

/* setattr: which fields of struct fs_setattr apply. */
enum {
	FS_SET_MODE = 1 << 0,
	FS_SET_UID = 1 << 1,
	FS_SET_GID = 1 << 2,
	FS_SET_SIZE = 1 << 3,
	FS_SET_ATIME = 1 << 4,
	FS_SET_MTIME = 1 << 5,
	FS_SET_ATIME_NOW = 1 << 6,
	FS_SET_MTIME_NOW = 1 << 7,
};

struct fs_setattr {
	unsigned valid;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec atime;
	struct timespec mtime;
};

/* No open file: setattr works on the inode only. */
#define FS_NO_FH UINT64_MAX

/*
 * readdir callback: one entry (name, inode number, DT_* type, offset of the
 * next entry).  Returns true to take the entry, false when the caller's buffer
 * is full; the entry is then returned again by the next readdir at that offset.
 */
typedef bool (*fs_dirent_fn)(void *ctx, const char *name, ino_t ino, unsigned char type,
			     off_t next);

/* Opens the lower file system over `source` (a directory path), or over
 * `dirfd` (an open directory descriptor, duplicated) when source is NULL. */
int fs_lower_new(const char *source, int dirfd, struct fs_lower **out);
void fs_lower_free(struct fs_lower *lower);
/* Number of inodes held (root included): for tests of lookup/forget. */
size_t fs_lower_inode_count(struct fs_lower *lower);

/*
 * The inode's current path relative to the source directory ("" for the
 * root, "dir/file" otherwise), NUL-terminated; ESTALE when it left it.
 */
int fs_lower_path(struct fs_lower *l, uint64_t ino, char *buf, size_t size);

/* Names and inodes */
int fs_lower_lookup(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, struct fs_entry *out);
void fs_lower_forget(struct fs_lower *l, uint64_t ino, uint64_t nlookup);
int fs_lower_getattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		     struct stat *out);
int fs_lower_setattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t fh,
		     const struct fs_setattr *set, struct stat *out);
int fs_lower_access(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, int mask);
int fs_lower_statfs(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		    struct statvfs *out);
int fs_lower_mkdir(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name, mode_t mode, struct fs_entry *out);
int fs_lower_mknod(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name, mode_t mode, dev_t rdev, struct fs_entry *out);
int fs_lower_symlink(struct fs_lower *l, const struct fs_cred *c, const char *target,
		     uint64_t parent, const char *name, struct fs_entry *out);
/* Reads the link target into buf (NUL-terminated); ENAMETOOLONG if it does not fit. */
int fs_lower_readlink(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, char *buf,
		      size_t size);
int fs_lower_link(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t newparent,
		  const char *newname, struct fs_entry *out);
int fs_lower_unlink(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name);
int fs_lower_rmdir(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		   const char *name);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE. */
int fs_lower_rename(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, uint64_t newparent, const char *newname, unsigned flags);

/* Files: fh is the open file handle these return. */
int fs_lower_open(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, int flags,
		  uint64_t *fh);
int fs_lower_create(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, int flags, mode_t mode, struct fs_entry *out, uint64_t *fh);
int fs_lower_read(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, void *buf,
		  size_t size, off_t off, size_t *done);
int fs_lower_write(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, const void *buf,
		   size_t size, off_t off, size_t *done);
/* The close(2) of a descriptor: delayed write errors; with `unlock`, drops the record locks. */
int fs_lower_flush(struct fs_lower *l, uint64_t fh, bool unlock);
int fs_lower_release(struct fs_lower *l, uint64_t fh);
int fs_lower_fsync(struct fs_lower *l, uint64_t fh, bool datasync);
int fs_lower_fallocate(struct fs_lower *l, const struct fs_cred *c, uint64_t fh, int mode,
		       off_t off, off_t len);
int fs_lower_lseek(struct fs_lower *l, uint64_t fh, off_t off, int whence, off_t *out);
int fs_lower_copy_file_range(struct fs_lower *l, const struct fs_cred *c, uint64_t fh_in,
			     off_t off_in, uint64_t fh_out, off_t off_out, size_t len,
			     unsigned flags, size_t *done);

/* Locks: POSIX record locks as OFD locks of the open file, and flock. */
int fs_lower_getlk(struct fs_lower *l, uint64_t fh, struct flock *lock);
int fs_lower_setlk(struct fs_lower *l, uint64_t fh, const struct flock *lock, bool sleep);
int fs_lower_flock(struct fs_lower *l, uint64_t fh, int op);

/* Directories */
int fs_lower_opendir(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, uint64_t *dh);
int fs_lower_readdir(struct fs_lower *l, uint64_t dh, off_t off, fs_dirent_fn fn, void *ctx);
int fs_lower_releasedir(struct fs_lower *l, uint64_t dh);
int fs_lower_fsyncdir(struct fs_lower *l, uint64_t dh, bool datasync);

/* Extended attributes: get/list with size 0 store the needed size in *len. */
int fs_lower_setxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, const void *value, size_t size, int flags);
int fs_lower_getxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
		      const char *name, void *buf, size_t size, size_t *len);
int fs_lower_listxattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino, char *buf,
		       size_t size, size_t *len);
int fs_lower_removexattr(struct fs_lower *l, const struct fs_cred *c, uint64_t ino,
			 const char *name);

#endif /* ALTITUDE_SRC_FS_LOWER_H */
