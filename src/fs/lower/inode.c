/*
 * Inode table of the lower file system: handles to O_PATH descriptors,
 * looked up by (device, inode number) to share one handle per file, and by
 * handle.  Handles are never reused, so a stale handle is detected (ESTALE)
 * instead of reaching another file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/lower/internal.h"

#define INITIAL_BUCKETS 256

void fs_proc_path(char buf[FS_PROC_PATH_MAX], int fd)
{
	snprintf(buf, FS_PROC_PATH_MAX, "/proc/self/fd/%d", fd);
}

int fs_name_check(const char *name)
{
	if (!name || !name[0] || strchr(name, '/'))
		return EINVAL;
	return strlen(name) > NAME_MAX ? ENAMETOOLONG : 0;
}

int fs_fd_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

int fs_op_begin(struct fs_lower *l, const struct fs_cred *c, uint64_t id, struct fs_op *op)
{
	op->inode = fs_inode_get(l, id);
	if (!op->inode)
		return ESTALE;
	int err = fs_cred_enter(c, &op->cred);
	if (err) {
		fs_inode_put(l, op->inode);
		op->inode = NULL;
	}
	return err;
}

void fs_op_end(struct fs_lower *l, struct fs_op *op)
{
	fs_cred_leave(&op->cred);
	fs_inode_put(l, op->inode);
}

static size_t key_bucket(const struct fs_lower *l, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29)) & (l->nbuckets - 1);
}

static size_t id_bucket(const struct fs_lower *l, uint64_t id)
{
	return (size_t)id & (l->nbuckets - 1);
}

static void table_insert(struct fs_lower *l, struct fs_inode *n)
{
	size_t k = key_bucket(l, n->dev, n->ino);
	size_t i = id_bucket(l, n->id);
	n->next_key = l->by_key[k];
	l->by_key[k] = n;
	n->next_id = l->by_id[i];
	l->by_id[i] = n;
	l->count++;
}

static void table_remove(struct fs_lower *l, struct fs_inode *n)
{
	struct fs_inode **p = &l->by_key[key_bucket(l, n->dev, n->ino)];
	while (*p != n)
		p = &(*p)->next_key;
	*p = n->next_key;
	p = &l->by_id[id_bucket(l, n->id)];
	while (*p != n)
		p = &(*p)->next_id;
	*p = n->next_id;
	l->count--;
}

/* Doubles the bucket arrays when the table is dense; on ENOMEM keeps them. */
static void table_grow(struct fs_lower *l)
{
	if (l->count < l->nbuckets * 2)
		return;
	size_t old = l->nbuckets;
	struct fs_inode **key = calloc(old * 2, sizeof(*key));
	struct fs_inode **id = calloc(old * 2, sizeof(*id));
	if (!key || !id) {
		free(key);
		free(id);
		return;
	}
	struct fs_inode **old_key = l->by_key;
	l->by_key = key;
	free(l->by_id);
	l->by_id = id;
	l->nbuckets = old * 2;
	l->count = 0;
	for (size_t b = 0; b < old; b++) {
		struct fs_inode *n = old_key[b];
		while (n) {
			struct fs_inode *next = n->next_key;
			table_insert(l, n);
			n = next;
		}
	}
	free(old_key);
}

static struct fs_inode *find_key(struct fs_lower *l, dev_t dev, ino_t ino)
{
	for (struct fs_inode *n = l->by_key[key_bucket(l, dev, ino)]; n; n = n->next_key)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

static struct fs_inode *find_id(struct fs_lower *l, uint64_t id)
{
	for (struct fs_inode *n = l->by_id[id_bucket(l, id)]; n; n = n->next_id)
		if (n->id == id)
			return n;
	return NULL;
}

static void inode_free(struct fs_inode *n)
{
	close(n->fd);
	free(n);
}

int fs_lower_new(const char *source, int dirfd, struct fs_lower **out)
{
	int err = ENOMEM;
	struct stat st;
	struct fs_lower *l = calloc(1, sizeof(*l));
	struct fs_inode *root = calloc(1, sizeof(*root));
	int fd = -1;
	if (!l || !root)
		goto out;
	l->nbuckets = INITIAL_BUCKETS;
	l->by_key = calloc(l->nbuckets, sizeof(*l->by_key));
	l->by_id = calloc(l->nbuckets, sizeof(*l->by_id));
	if (!l->by_key || !l->by_id)
		goto out;
	if (source)
		fd = open(source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = errno;
		goto out;
	}
	pthread_mutex_init(&l->lock, NULL);
	*root = (struct fs_inode){ .id = FS_LOWER_ROOT, .dev = st.st_dev, .ino = st.st_ino,
				   .fd = fd, .type = S_IFDIR, .nlookup = 1 };
	l->root = root;
	l->next_id = FS_LOWER_ROOT + 1;
	table_insert(l, root);
	*out = l;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	if (l) {
		free(l->by_key);
		free(l->by_id);
	}
	free(root);
	free(l);
	return err;
}

void fs_lower_free(struct fs_lower *l)
{
	if (!l)
		return;
	for (size_t b = 0; b < l->nbuckets; b++) {
		struct fs_inode *n = l->by_key[b];
		while (n) {
			struct fs_inode *next = n->next_key;
			inode_free(n);
			n = next;
		}
	}
	pthread_mutex_destroy(&l->lock);
	free(l->by_key);
	free(l->by_id);
	free(l);
}

size_t fs_lower_inode_count(struct fs_lower *l)
{
	pthread_mutex_lock(&l->lock);
	size_t n = l->count;
	pthread_mutex_unlock(&l->lock);
	return n;
}

struct fs_inode *fs_inode_get(struct fs_lower *l, uint64_t id)
{
	pthread_mutex_lock(&l->lock);
	struct fs_inode *n = find_id(l, id);
	if (n)
		n->users++;
	pthread_mutex_unlock(&l->lock);
	return n;
}

void fs_inode_put(struct fs_lower *l, struct fs_inode *n)
{
	pthread_mutex_lock(&l->lock);
	bool last = --n->users == 0 && n->nlookup == 0;
	pthread_mutex_unlock(&l->lock);
	if (last)
		inode_free(n);
}

int fs_inode_ref(struct fs_lower *l, int fd, const struct stat *st, uint64_t *id)
{
	pthread_mutex_lock(&l->lock);
	struct fs_inode *n = find_key(l, st->st_dev, st->st_ino);
	if (n) {
		n->nlookup++;
		*id = n->id;
		pthread_mutex_unlock(&l->lock);
		close(fd);
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		pthread_mutex_unlock(&l->lock);
		close(fd);
		return ENOMEM;
	}
	*n = (struct fs_inode){ .id = l->next_id++, .dev = st->st_dev, .ino = st->st_ino,
				.fd = fd, .type = st->st_mode & S_IFMT, .nlookup = 1 };
	table_grow(l);
	table_insert(l, n);
	*id = n->id;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

static bool dir_public_now(struct fs_inode *dir)
{
	struct stat st;
	char path[FS_PROC_PATH_MAX];
	if (fs_fd_stat(dir->fd, &st) != 0 || (st.st_mode & 0111) != 0111)
		return false;
	fs_proc_path(path, dir->fd);
	/* With an ACL, named entries may deny what the mode bits show. */
	return getxattr(path, "system.posix_acl_access", NULL, 0) < 0 &&
	       (errno == ENODATA || errno == EOPNOTSUPP);
}

bool fs_dir_public(struct fs_inode *dir)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	uint64_t state = atomic_load_explicit(&dir->public_state, memory_order_relaxed);
	if (state && (state >> 1) > now)
		return state & 1;
	bool pub = dir_public_now(dir);
	state = ((now + FS_PUBLIC_CACHE_NS) << 1) | pub;
	atomic_store_explicit(&dir->public_state, state, memory_order_relaxed);
	return pub;
}

void fs_dir_public_forget(struct fs_inode *dir)
{
	atomic_store_explicit(&dir->public_state, 0, memory_order_relaxed);
}

/*
 * A lookup reference on the inode (st_dev, st_ino) if the table has it.  Its
 * O_PATH descriptor keeps that inode alive, so the number cannot have been
 * reused: a name whose stat shows it names that very file.
 */
static bool ref_known(struct fs_lower *l, const struct stat *st, uint64_t *id)
{
	pthread_mutex_lock(&l->lock);
	struct fs_inode *n = find_key(l, st->st_dev, st->st_ino);
	if (n) {
		n->nlookup++;
		*id = n->id;
	}
	pthread_mutex_unlock(&l->lock);
	return n != NULL;
}

/*
 * Most lookups revalidate names the kernel already has (the entry timeout
 * is short, or 0): a stat of the name finds the inode in the table and
 * answers with one system call; only a file new to the table is opened.
 */
int fs_inode_lookup(struct fs_lower *l, struct fs_inode *parent, const char *name,
		    struct fs_entry *out)
{
	/* ".." of the root stays at the root: the volume never reaches above it. */
	bool dotdot = strcmp(name, "..") == 0;
	int dirfd = dotdot && parent == l->root ? l->root->fd : parent->fd;
	const char *path = dotdot && parent == l->root ? "." : name;
	int err = 0;
	if (fstatat(dirfd, path, &out->attr, AT_SYMLINK_NOFOLLOW) != 0) {
		err = errno;
		goto out;
	}
	if (ref_known(l, &out->attr, &out->ino))
		goto out;
	int fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	err = fs_fd_stat(fd, &out->attr);
	if (err)
		close(fd);
	else
		err = fs_inode_ref(l, fd, &out->attr, &out->ino);
out:
	out->public_parent = fs_dir_public(parent);
	return err;
}

int fs_lower_lookup(struct fs_lower *l, const struct fs_cred *c, uint64_t parent,
		    const char *name, struct fs_entry *out)
{
	int err = fs_name_check(name);
	if (err)
		return err;
	struct fs_op op;
	err = fs_op_begin(l, c, parent, &op);
	if (err)
		return err;
	err = op.inode->type == S_IFDIR ? fs_inode_lookup(l, op.inode, name, out) : ENOTDIR;
	fs_op_end(l, &op);
	return err;
}

void fs_lower_forget(struct fs_lower *l, uint64_t id, uint64_t nlookup)
{
	if (id == FS_LOWER_ROOT)
		return;
	pthread_mutex_lock(&l->lock);
	struct fs_inode *n = find_id(l, id);
	bool gone = false;
	if (n) {
		n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
		if (n->nlookup == 0) {
			table_remove(l, n);
			gone = n->users == 0;
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (gone)
		inode_free(n);
}
