/*
 * A setattr that changes only the mode, owner or group (chmod, chown,
 * fchmod, fchown) is IRP_MJ_SET_SECURITY, as a Windows program's
 * SetFileSecurity: CREATE for WRITE_DAC (mode) and/or WRITE_OWNER (owner,
 * group), SET_SECURITY with SecurityInformation DACL / OWNER / GROUP and a
 * self-relative descriptor of the new values (security.c maps uids, gids
 * and permission bits to SIDs and ACEs), CLEANUP, CLOSE.  Untouched by the
 * filters, the lower file system applies the program's call itself (its
 * setuid/setgid/sticky bits, and the kernel's rules on who may chown); a
 * filter may deny it (EACCES) or change the descriptor.  Mode, owner or
 * group in a setattr that also sets the size or times (the kernel's own
 * clearing of setuid bits) follow that operation without an IRP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

#define IDS (FS_SET_MODE | FS_SET_UID | FS_SET_GID)

static void finish(struct fs_request *r, int err)
{
	struct fs_set_security *t = r->buf;
	struct stat st;

	r->buf = NULL;
	if (!err)
		err = fs_lower_getattr(fs_request_lower(r), &r->cred, t->ino, &st);
	free(t);
	if (err)
		fs_request_reply_err(r, err);
	else
		fs_request_reply_attr(r, &st);
}

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	finish(r, r->first_errno);
}

static void set(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct fs_set_security *t = r->buf;
	int err = fs_glue_errno(r, d);
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_SECURITY };

	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		finish(r, err);
		return;
	}
	iopb.Parameters.SetSecurity.SecurityInformation = t->info;
	iopb.Parameters.SetSecurity.SecurityDescriptor = t->sd;
	fs_glue_issue(r, r->file, &iopb, set);
}

bool fs_fuse_setattr_security(struct fs_request *r, fuse_ino_t ino, const struct fs_setattr *s,
			      struct fuse_file_info *fi)
{
	struct stat st;

	if (!(s->valid & IDS) || (s->valid & ~(unsigned)IDS))
		return false;
	struct fs_set_security *t = calloc(1, sizeof(*t));
	struct fs_file *file = t ? fs_file_new(r->vol, ino, NULL) : NULL;
	int err = file ? fs_lower_getattr(fs_request_lower(r), &r->cred, ino, &st) : ENOMEM;
	if (err) {
		fs_file_free(file);
		free(t);
		fs_request_reply_err(r, err);
		return true;
	}
	t->set = *s;
	t->ino = ino;
	t->fh = fi ? fs_file_of(fi->fh)->h.fh : FS_NO_FH;
	t->info = ((s->valid & FS_SET_MODE) ? DACL_SECURITY_INFORMATION : 0) |
		  ((s->valid & FS_SET_UID) ? OWNER_SECURITY_INFORMATION : 0) |
		  ((s->valid & FS_SET_GID) ? GROUP_SECURITY_INFORMATION : 0);
	t->len = fs_glue_sd_build(t->sd, t->info, (s->valid & FS_SET_UID) ? s->uid : st.st_uid,
				  (s->valid & FS_SET_GID) ? s->gid : st.st_gid,
				  (s->valid & FS_SET_MODE) ? s->mode : st.st_mode);
	memcpy(t->sent, t->sd, t->len);
	r->buf = t;
	r->file = file;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	ACCESS_MASK access = ((t->info & DACL_SECURITY_INFORMATION) ? WRITE_DAC : 0) |
			     ((t->info & ~DACL_SECURITY_INFORMATION) ? WRITE_OWNER : 0);
	fs_glue_create(r, file, access | SYNCHRONIZE, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, opened);
	return true;
}
