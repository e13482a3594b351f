/* FUSE directory operations: opendir, readdir(plus), releasedir, fsyncdir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

/* opendir -> IRP_MJ_CREATE of a directory; readdir reads the lower handle. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct fs_file *file = fs_file_new(r->vol, ino, NULL);
	if (!file) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->fi = *fi;
	r->file = file;
	r->args.kind = FS_CREATE_OPEN_INODE;
	r->args.ino = ino;
	r->args.flags = O_RDONLY | O_DIRECTORY;
	fs_glue_create(r, file, fs_glue_access(O_RDONLY), FILE_OPEN, fs_glue_options(O_RDONLY, true),
		       fs_fuse_reply_opened);
}

struct listing {
	struct fs_request *r;
	fuse_ino_t dir;
	bool plus;
	char *buf;
	size_t size;
	size_t used;
};

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static bool add_plain(struct listing *li, const char *name, ino_t ino, unsigned char type,
		      off_t next)
{
	struct stat st = { .st_ino = ino, .st_mode = (mode_t)type << 12 };
	size_t room = li->size - li->used;
	size_t n = fuse_add_direntry(li->r->req, li->buf + li->used, room, name, &st, next);
	if (n > room)
		return false;
	li->used += n;
	return true;
}

/*
 * readdirplus hands the kernel an entry (a lookup reference) per name; an
 * entry that cannot be looked up (gone, or no search permission) is sent
 * without one, as for "." and "..", and the kernel looks it up itself.
 */
static bool add_plus(struct listing *li, const char *name, ino_t ino, unsigned char type,
		     off_t next)
{
	struct fs_lower *lower = fs_request_lower(li->r);
	struct fuse_entry_param p = { .attr = { .st_ino = ino, .st_mode = (mode_t)type << 12 } };
	struct fs_entry e;
	if (!is_dot(name) && fs_lower_lookup(lower, &li->r->cred, li->dir, name, &e) == 0)
		p = (struct fuse_entry_param){ .ino = e.ino,
					       .attr = e.attr,
					       .attr_timeout = FS_FUSE_ATTR_TIMEOUT,
					       .entry_timeout = fs_fuse_entry_timeout(li->r->vol, &e) };
	size_t room = li->size - li->used;
	size_t n = fuse_add_direntry_plus(li->r->req, li->buf + li->used, room, name, &p, next);
	if (n > room) {
		if (p.ino)
			fs_lower_forget(lower, p.ino, 1);
		return false;
	}
	li->used += n;
	return true;
}

static bool add_entry(void *ctx, const char *name, ino_t ino, unsigned char type, off_t next)
{
	struct listing *li = ctx;
	return li->plus ? add_plus(li, name, ino, type, next) : add_plain(li, name, ino, type, next);
}

/*
 * readdir(plus) -> DIRECTORY_CONTROL / QUERY_DIRECTORY FileIdBothDirectoryInformation
 * on the directory's file object, resuming at the FUSE offset (SL_RESTART_SCAN at 0).
 * The entries the filters leave in the buffer become the FUSE entries; each
 * carries the offset after it through its FileIndex (struct fs_dir_listing), and
 * an entry a filter added resumes where the entry before it does.  One block holds
 * the slots, the Windows buffer (room for the FUSE buffer's worth of short names)
 * and the FUSE buffer.
 */
#define ENTRY_FIXED FIELD_OFFSET(FILE_ID_BOTH_DIR_INFORMATION, FileName)

/* Room for cap short names, and at least for one of the longest. */
static ULONG wide_length(ULONG cap)
{
	ULONG room = cap * (ULONG)ALIGN_UP_BY(ENTRY_FIXED + 16, 8);
	ULONG longest = (ULONG)ALIGN_UP_BY(ENTRY_FIXED + NAME_MAX * sizeof(WCHAR), 8);

	return room > longest ? room : longest;
}

struct dir_query {
	struct fs_dir_listing *li;
	PUCHAR wbuf;
	ULONG wlen;
};

static struct dir_query query_of(struct fs_request *r)
{
	struct fs_dir_listing *li = r->buf;
	PUCHAR wbuf = (PUCHAR)ALIGN_UP_BY((uintptr_t)&li->slot[li->cap], 8);

	return (struct dir_query){ li, wbuf, wide_length(li->cap) };
}

static void listed(struct fs_request *r, PFLT_CALLBACK_DATA d);

static void query(struct fs_request *r)
{
	struct dir_query q = query_of(r);
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_DIRECTORY_CONTROL,
					.MinorFunction = IRP_MN_QUERY_DIRECTORY,
					.OperationFlags = r->off == 0 ? SL_RESTART_SCAN : 0 };

	iopb.Parameters.DirectoryControl.QueryDirectory.Length = q.wlen;
	iopb.Parameters.DirectoryControl.QueryDirectory.FileInformationClass = FileIdBothDirectoryInformation;
	iopb.Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = q.wbuf;
	fs_glue_issue(r, fs_file_of(r->fi.fh), &iopb, listed);
}

/* One entry of the filtered buffer to the FUSE buffer; false when it is full. */
static bool add_listed(struct listing *li, PFILE_ID_BOTH_DIR_INFORMATION e, const struct fs_dir_slot *s)
{
	char name[NAME_MAX * 3 + 1];
	ULONG n = 0;

	if (!NT_SUCCESS(RtlUnicodeToUTF8N(name, sizeof name - 1, &n, e->FileName, e->FileNameLength)))
		return true;
	name[n] = '\0';
	if (n == 0 || memchr(name, '/', n) || memchr(name, '\0', n))
		return true;
	return add_entry(li, name, (ino_t)e->FileId.QuadPart, s->type, s->next);
}

static void listed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct dir_query q = query_of(r);
	NTSTATUS s = d->IoStatus.Status;
	struct listing li = { .r = r, .dir = r->aux, .plus = r->args.flags != 0, .size = r->size };
	ULONG len = (ULONG)(d->IoStatus.Information < q.wlen ? d->IoStatus.Information : q.wlen);
	struct fs_dir_slot resume = { .next = r->off };

	li.buf = (char *)q.wbuf + q.wlen;
	if (!NT_SUCCESS(s) || s == STATUS_NO_MORE_FILES || s == STATUS_NO_SUCH_FILE) {
		int err = (s == STATUS_NO_MORE_FILES || s == STATUS_NO_SUCH_FILE) ? 0 : fs_glue_errno(r, d);
		free(r->buf);
		r->buf = NULL;
		if (err)
			fs_request_reply_err(r, err);
		else
			fs_request_reply_buf(r, NULL, 0);
		return;
	}
	for (ULONG at = 0; len >= ENTRY_FIXED && at <= len - ENTRY_FIXED;) {
		PFILE_ID_BOTH_DIR_INFORMATION e = (PFILE_ID_BOTH_DIR_INFORMATION)(q.wbuf + at);
		if (e->FileNameLength > len - at - ENTRY_FIXED)
			break;
		if (e->FileIndex < q.li->count)
			resume = q.li->slot[e->FileIndex];
		if (!add_listed(&li, e, &resume))
			break;
		if (e->NextEntryOffset == 0 || e->NextEntryOffset % 8 || e->NextEntryOffset > len - at)
			break;
		at += e->NextEntryOffset;
	}
	/* The filters took every entry of this batch: list on from after its last one. */
	if (li.used == 0 && q.li->count) {
		r->off = q.li->slot[q.li->count - 1].next;
		query(r);
		return;
	}
	/* The reply ends the record: the block is freed after it. */
	r->buf = NULL;
	fs_request_reply_buf(r, li.buf, li.used);
	free(q.li);
}

static void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi, bool plus)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	/* A FUSE entry takes at least 32 bytes: one slot per 32 bytes of the FUSE buffer. */
	ULONG cap = (ULONG)(size / 32 + 1);
	size_t wlen = wide_length(cap);
	struct fs_dir_listing *li = malloc(sizeof(*li) + cap * sizeof(li->slot[0]) + 8 + wlen + size);
	if (!li) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	li->cap = cap;
	li->count = 0;
	r->buf = li;
	r->size = size;
	r->off = off;
	r->aux = ino;
	r->fi = *fi;
	r->args.flags = plus;
	query(r);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	list(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	list(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		fs_glue_close(r, fs_file_of(fi->fh), fs_fuse_reply_closed);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_FLUSH_BUFFERS };
	r->args.flags = datasync;
	fs_glue_issue(r, fs_file_of(fi->fh), &iopb, fs_fuse_reply_status);
}

void fs_fuse_dir_ops(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
}
