/* Internals shared by the files of the passthrough lower file system. */
#ifndef ALTITUDE_SRC_FS_LOWER_INTERNAL_H
#define ALTITUDE_SRC_FS_LOWER_INTERNAL_H

#include <pthread.h>

#include "fs/lower.h"

struct fs_inode {
	uint64_t id;
	dev_t dev;
	ino_t ino;
	int fd;			/* O_PATH | O_NOFOLLOW */
	mode_t type;		/* S_IFMT bits */
	uint64_t nlookup;	/* lookup references held by the I/O source */
	uint64_t users;		/* operations in progress on this inode */
	struct fs_inode *next_key;
	struct fs_inode *next_id;
};

struct fs_lower {
	pthread_mutex_t lock;
	struct fs_inode **by_key;
	struct fs_inode **by_id;
	size_t nbuckets;
	size_t count;
	uint64_t next_id;
	struct fs_inode *root;
};

/* "/proc/self/fd/<fd>", the path that re-opens an O_PATH descriptor. */
#define FS_PROC_PATH_MAX 32
void fs_proc_path(char buf[FS_PROC_PATH_MAX], int fd);

/* The inode for a handle, with one more user; NULL for an unknown handle. */
struct fs_inode *fs_inode_get(struct fs_lower *l, uint64_t id);
void fs_inode_put(struct fs_lower *l, struct fs_inode *inode);

/* True when everyone may search directory `dir` (see struct fs_entry). */
bool fs_dir_public(struct fs_inode *dir);

/* Takes a lookup reference on the inode of O_PATH descriptor fd (consumed). */
int fs_inode_ref(struct fs_lower *l, int fd, const struct stat *st, uint64_t *id);

/*
 * Looks up `name` in `parent` (already switched to the requester's identity)
 * and fills `out`, taking one lookup reference.
 */
int fs_inode_lookup(struct fs_lower *l, struct fs_inode *parent, const char *name,
		    struct fs_entry *out);

/* 0 for a valid single component; EINVAL (empty, "/" inside) or ENAMETOOLONG. */
int fs_name_check(const char *name);

/*
 * Switches the calling thread to the requester's file-system identity;
 * fs_cred_leave switches back.  Both keep errno.
 */
struct fs_cred_state {
	bool switched;
};
int fs_cred_enter(const struct fs_cred *c, struct fs_cred_state *st);
void fs_cred_leave(struct fs_cred_state *st);

/* An operation on one inode under the requester's identity. */
struct fs_op {
	struct fs_inode *inode;
	struct fs_cred_state cred;
};
int fs_op_begin(struct fs_lower *l, const struct fs_cred *c, uint64_t id, struct fs_op *op);
void fs_op_end(struct fs_lower *l, struct fs_op *op);

/* The attributes of an open descriptor, or of an O_PATH one. */
int fs_fd_stat(int fd, struct stat *st);

#endif /* ALTITUDE_SRC_FS_LOWER_INTERNAL_H */
