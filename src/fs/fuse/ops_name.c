/* FUSE operations on names and inodes, passed to the lower file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

/* Replies with a new entry; if the kernel did not take it, drops the reference. */
static void reply_entry(struct fs_request *r, int err, const struct fs_entry *e)
{
	if (err) {
		fs_request_reply_err(r, err);
		return;
	}
	struct fs_lower *lower = fs_request_lower(r);
	if (fs_request_reply_entry(r, e) != 0)
		fs_lower_forget(lower, e->ino, 1);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_entry e = { 0 };
	int err = fs_lower_lookup(fs_request_lower(r), &r->cred, parent, name, &e);
	if (err == ENOENT && fs_fuse_cache_name(r->vol, &e)) {
		/* A negative entry (inode 0): the name's absence is cached too. */
		e.ino = 0;
		fs_request_reply_entry(r, &e);
		return;
	}
	reply_entry(r, err, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fs_volume *vol = fuse_req_userdata(req);
	fs_lower_forget(vol->lower, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs_volume *vol = fuse_req_userdata(req);
	for (size_t i = 0; i < count; i++)
		fs_lower_forget(vol->lower, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_fuse_getattr(r, ino, fi);
}

static unsigned setattr_valid(int to_set)
{
	static const struct {
		int fuse;
		unsigned ours;
	} map[] = {
		{ FUSE_SET_ATTR_MODE, FS_SET_MODE },	   { FUSE_SET_ATTR_UID, FS_SET_UID },
		{ FUSE_SET_ATTR_GID, FS_SET_GID },	   { FUSE_SET_ATTR_SIZE, FS_SET_SIZE },
		{ FUSE_SET_ATTR_ATIME, FS_SET_ATIME },	   { FUSE_SET_ATTR_MTIME, FS_SET_MTIME },
		{ FUSE_SET_ATTR_ATIME_NOW, FS_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME_NOW, FS_SET_MTIME_NOW },
	};
	unsigned valid = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (to_set & map[i].fuse)
			valid |= map[i].ours;
	return valid;
}

/* FUSE_SET_ATTR_CTIME comes with other changes, which set ctime themselves. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_setattr set = { .valid = setattr_valid(to_set),
				  .mode = attr->st_mode,
				  .uid = attr->st_uid,
				  .gid = attr->st_gid,
				  .size = attr->st_size,
				  .atime = attr->st_atim,
				  .mtime = attr->st_mtim };
	if (set.valid & FS_SET_SIZE) {
		fs_fuse_setattr_size(r, ino, &set, fi);
		return;
	}
	if (fs_fuse_setattr_times(r, ino, &set, fi) || fs_fuse_setattr_security(r, ino, &set, fi))
		return;
	struct stat st;
	uint64_t fh = fi ? fs_file_of(fi->fh)->h.fh : FS_NO_FH;
	int err = fs_lower_setattr(fs_request_lower(r), &r->cred, ino, fh, &set, &st);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	char buf[PATH_MAX + 1];
	int err = fs_lower_readlink(fs_request_lower(r), &r->cred, ino, buf, sizeof buf);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_readlink(r, buf);
}




/*
 * Name operations are what a Windows program does for them: an open of
 * the name (CREATE, DELETE access), SET_INFORMATION on it, CLEANUP and
 * CLOSE; mkdir/mknod/symlink are a CREATE that creates, then CLEANUP and
 * CLOSE.  The names live in libfuse's buffer: the handlers wait for the
 * reply (the sequence itself runs wherever the operations complete).
 */
static void name_closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	free(r->buf);
	r->buf = NULL;
	fs_request_reply_err(r, r->first_errno);
}

static void name_set(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, name_closed);
}

static void name_opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		free(r->buf);
		fs_request_reply_err(r, err);
		return;
	}
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_INFORMATION };
	iopb.Parameters.SetFileInformation.FileInformationClass = (FILE_INFORMATION_CLASS)r->aux;
	iopb.Parameters.SetFileInformation.Length = (ULONG)r->size;
	iopb.Parameters.SetFileInformation.InfoBuffer = r->buf;
	fs_glue_issue(r, r->file, &iopb, name_set);
}

/* Opens parent/name for DELETE, then sets `cls` with the r->buf information. */
static void name_operation(struct fs_request *r, fuse_ino_t parent, const char *name, bool dir,
			   FILE_INFORMATION_CLASS cls)
{
	struct fs_file *file = fs_file_new(r->vol, parent, name);
	if (!file) {
		free(r->buf);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->file = file;
	r->aux = cls;
	r->args.kind = FS_CREATE_NAME_ONLY;
	r->args.parent = parent;
	r->args.name = name;
	ULONG options = FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT |
			(dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE);
	fs_request_hold(r);
	fs_glue_create(r, file, DELETE | SYNCHRONIZE | FILE_READ_ATTRIBUTES, FILE_OPEN, options,
		       name_opened);
	fs_request_wait_reply(r);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	PFILE_DISPOSITION_INFORMATION_EX info = malloc(sizeof(*info));
	if (!info) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	info->Flags = FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS;
	r->buf = info;
	r->size = sizeof(*info);
	name_operation(r, parent, name, dir, FileDispositionInformationEx);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

/* FileRenameInformationEx with the target's volume-relative path. */
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_file *target = fs_file_new(r->vol, newparent, newname);
	ULONG fixed = FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName);
	PFILE_RENAME_INFORMATION info = target ? calloc(1, fixed + target->fo.FileName.Length) : NULL;
	if (!info) {
		fs_file_free(target);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	info->Flags = FILE_RENAME_POSIX_SEMANTICS |
		      ((flags & RENAME_NOREPLACE) ? 0 : FILE_RENAME_REPLACE_IF_EXISTS);
	info->FileNameLength = target->fo.FileName.Length;
	memcpy(info->FileName, target->fo.FileName.Buffer, info->FileNameLength);
	fs_file_free(target);
	r->buf = info;
	r->size = fixed + info->FileNameLength;
	r->aux2 = newparent;
	r->args.link = newname;
	r->args.flags = (int)flags;
	/* The directory-ness of the source does not matter to a rename. */
	name_operation(r, parent, name, false, FileRenameInformationEx);
}

static void made_closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	struct fs_entry e = r->args.entry;
	reply_entry(r, 0, &e);
}

static void made(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	int err = fs_glue_errno(r, d);
	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		fs_request_reply_err(r, err);
		return;
	}
	fs_glue_close(r, r->file, made_closed);
}

/* mkdir, mknod, symlink: a CREATE that creates (FILE_CREATE), then CLEANUP and CLOSE. */
static void make_name(fuse_req_t req, fuse_ino_t parent, const char *name, enum fs_create_kind kind,
		      mode_t mode, dev_t rdev, const char *link)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_file *file = fs_file_new(r->vol, parent, name);
	if (!file) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->file = file;
	r->args.kind = kind;
	r->args.parent = parent;
	r->args.name = name;
	r->args.mode = mode;
	r->args.rdev = rdev;
	r->args.link = link;
	ULONG options = FILE_SYNCHRONOUS_IO_NONALERT;
	options |= kind == FS_CREATE_MKDIR ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE;
	if (kind == FS_CREATE_SYMLINK)
		options |= FILE_OPEN_REPARSE_POINT;
	fs_request_hold(r);
	fs_glue_create(r, file, FILE_GENERIC_WRITE | SYNCHRONIZE, FILE_CREATE, options, made);
	fs_request_wait_reply(r);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	make_name(req, parent, name, FS_CREATE_MKNOD, mode, rdev, NULL);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_name(req, parent, name, FS_CREATE_MKDIR, mode, 0, NULL);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	make_name(req, parent, name, FS_CREATE_SYMLINK, 0, 0, link);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_fuse_link(r, ino, newparent, newname);
}




static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_fuse_statfs(r, ino);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_request_reply_err(r, fs_lower_access(fs_request_lower(r), &r->cred, ino, mask));
}

void fs_fuse_name_ops(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->link = op_link;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->statfs = op_statfs;
	ops->access = op_access;
}
