/*
 * FUSE extended-attribute operations are the EA operations a Windows
 * program makes, each on a handle opened for it (CREATE for FILE_READ_EA
 * or FILE_WRITE_EA, then CLEANUP and CLOSE):
 *   getxattr     QUERY_EA with an EaList naming the xattr (SL_RESTART_SCAN |
 *                SL_RETURN_SINGLE_ENTRY), a buffer for the caller's size
 *                (the largest EA for a size query)
 *   listxattr    QUERY_EA scans (SL_RESTART_SCAN first, then resuming while
 *                the status is STATUS_BUFFER_OVERFLOW); the names are the list
 *   setxattr     SET_EA with one FILE_FULL_EA_INFORMATION entry
 *   removexattr  SET_EA with that entry's EaValueLength 0
 * Names are the xattr names (lower_ea.c explains the mapping and limits).
 * One read is not an EA query: security.capability, which the kernel reads
 * itself before every write to decide whether the write clears file
 * capabilities (FUSE does not let it skip that probe).  It is no operation
 * of the program, Windows has nothing like it, and four IRPs per write
 * would be its cost: it goes to the lower file system directly (setting
 * and removing it are SET_EA as any other name).
 * A name over 255 bytes is ERANGE and a value over 65535 bytes E2BIG before
 * any IRP: an EA cannot carry them.  The errno is the status's: ERANGE for
 * STATUS_BUFFER_TOO_SMALL/OVERFLOW, ENODATA for STATUS_NONEXISTENT_EA_ENTRY,
 * E2BIG for STATUS_EA_TOO_LARGE, EACCES for a filter's STATUS_ACCESS_DENIED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

#define EA_FIXED FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName)
#define GET_EA_FIXED FIELD_OFFSET(FILE_GET_EA_INFORMATION, EaName)
#define EA_NAME_MAX 255u
#define EA_VALUE_MAX 65535u
#define XATTR_LIST_BYTES 65536u

enum ea_kind { EA_GET, EA_LIST, EA_SET };

/* One xattr call: the EA list of a get, the EA buffer, and a list's names. */
struct ea_call {
	enum ea_kind kind;
	size_t size;		/* the caller's buffer (0: a size query) */
	ULONG out_len;
	size_t names_len;
	char *names;		/* listxattr: after out[] */
	union {
		FILE_GET_EA_INFORMATION get;
		UCHAR get_bytes[GET_EA_FIXED + EA_NAME_MAX + 1];
	};
	UCHAR out[] __attribute__((aligned(8)));
};

static struct ea_call *ea_call_new(enum ea_kind kind, size_t size, ULONG out_len)
{
	size_t names = kind == EA_LIST ? XATTR_LIST_BYTES : 0;
	struct ea_call *c = calloc(1, sizeof(*c) + out_len + names);

	if (!c)
		return NULL;
	c->kind = kind;
	c->size = size;
	c->out_len = out_len;
	c->names = kind == EA_LIST ? (char *)c->out + out_len : NULL;
	return c;
}

static void reply_get(struct fs_request *r, struct ea_call *c)
{
	PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)c->out;

	if (c->size == 0)
		fs_request_reply_xattr(r, e->EaValueLength);
	else if (e->EaValueLength > c->size)
		fs_request_reply_err(r, ERANGE);
	else
		fs_request_reply_buf(r, e->EaName + e->EaNameLength + 1, e->EaValueLength);
}

static void reply_list(struct fs_request *r, struct ea_call *c)
{
	if (c->size == 0)
		fs_request_reply_xattr(r, c->names_len);
	else if (c->names_len > c->size)
		fs_request_reply_err(r, ERANGE);
	else
		fs_request_reply_buf(r, c->names, c->names_len);
}

static void closed(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	(void)d;
	struct ea_call *c = r->buf;
	int err = r->first_errno;

	r->buf = NULL;
	if (err)
		fs_request_reply_err(r, err);
	else if (c->kind == EA_GET)
		reply_get(r, c);
	else if (c->kind == EA_LIST)
		reply_list(r, c);
	else
		fs_request_reply_err(r, 0);
	free(c);
}

static void query(struct fs_request *r, bool restart);

/* Appends the names of the entries a scan returned; false when they overflow the list. */
static bool gather_names(struct ea_call *c, PFLT_CALLBACK_DATA d)
{
	ULONG len = (ULONG)d->IoStatus.Information;

	if (len == 0)
		return true;
	for (ULONG at = 0; at + EA_FIXED <= len && at + EA_FIXED <= c->out_len;) {
		PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)(c->out + at);
		size_t n = e->EaNameLength;
		if (at + EA_FIXED + n > c->out_len || c->names_len + n + 1 > XATTR_LIST_BYTES)
			return false;
		memcpy(c->names + c->names_len, e->EaName, n);
		c->names[c->names_len + n] = '\0';
		c->names_len += n + 1;
		if (!e->NextEntryOffset)
			break;
		at += e->NextEntryOffset;
	}
	return true;
}

static void queried(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct ea_call *c = r->buf;
	NTSTATUS s = d->IoStatus.Status;

	r->first_errno = fs_glue_errno(r, d);
	if (c->kind == EA_LIST) {
		bool more = s == STATUS_BUFFER_OVERFLOW;
		if (s == STATUS_NO_EAS_ON_FILE || s == STATUS_NO_MORE_EAS)
			r->first_errno = 0;
		else if (NT_SUCCESS(s) || more)
			r->first_errno = gather_names(c, d) ? 0 : E2BIG;
		if (more && !r->first_errno) {
			query(r, false);
			return;
		}
	}
	fs_glue_close(r, r->file, closed);
}

static void query(struct fs_request *r, bool restart)
{
	struct ea_call *c = r->buf;
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_QUERY_EA };

	iopb.OperationFlags = restart ? SL_RESTART_SCAN : 0;
	iopb.Parameters.QueryEa.Length = c->out_len;
	iopb.Parameters.QueryEa.EaBuffer = c->out;
	if (c->kind == EA_GET) {
		iopb.OperationFlags |= SL_RETURN_SINGLE_ENTRY;
		iopb.Parameters.QueryEa.EaList = &c->get;
		iopb.Parameters.QueryEa.EaListLength = GET_EA_FIXED + c->get.EaNameLength + 1u;
	}
	fs_glue_issue(r, r->file, &iopb, queried);
}

static void set_done(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	r->first_errno = fs_glue_errno(r, d);
	fs_glue_close(r, r->file, closed);
}

static void opened(struct fs_request *r, PFLT_CALLBACK_DATA d)
{
	struct ea_call *c = r->buf;
	int err = fs_glue_errno(r, d);

	if (err) {
		fs_handle_release(r->vol->lower, &r->file->h);
		fs_file_free(r->file);
		r->buf = NULL;
		free(c);
		fs_request_reply_err(r, err);
		return;
	}
	if (c->kind != EA_SET) {
		query(r, true);
		return;
	}
	FLT_IO_PARAMETER_BLOCK iopb = { .MajorFunction = IRP_MJ_SET_EA };
	iopb.Parameters.SetEa.Length = c->out_len;
	iopb.Parameters.SetEa.EaBuffer = c->out;
	fs_glue_issue(r, r->file, &iopb, set_done);
}

/* Opens the inode for `access` and runs the call; takes c. */
static void ea_start(struct fs_request *r, fuse_ino_t ino, struct ea_call *c, ACCESS_MASK access)
{
	struct fs_file *file = c ? fs_file_new(r->vol, ino, NULL) : NULL;

	if (!file) {
		free(c);
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	r->buf = c;
	r->file = file;
	r->args.kind = FS_CREATE_INODE_ONLY;
	r->args.ino = ino;
	fs_glue_create(r, file, access | SYNCHRONIZE, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, opened);
}

/* A SET_EA buffer of one entry. */
static struct ea_call *set_call(const char *name, const char *value, size_t size)
{
	size_t n = strlen(name);
	struct ea_call *c = ea_call_new(EA_SET, 0, (ULONG)(EA_FIXED + n + 1 + size));
	if (!c)
		return NULL;
	PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)c->out;
	e->EaNameLength = (UCHAR)n;
	e->EaValueLength = (USHORT)size;
	memcpy(e->EaName, name, n + 1);
	if (size)
		memcpy(e->EaName + n + 1, value, size);
	return c;
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	if (strlen(name) > EA_NAME_MAX || size > EA_VALUE_MAX) {
		fs_request_reply_err(r, strlen(name) > EA_NAME_MAX ? ERANGE : E2BIG);
		return;
	}
	r->args.flags = flags;
	r->args.ea_remove = false;
	ea_start(r, ino, set_call(name, value, size), FILE_WRITE_EA);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	if (strlen(name) > EA_NAME_MAX) {
		fs_request_reply_err(r, ERANGE);
		return;
	}
	r->args.flags = 0;
	r->args.ea_remove = true;
	ea_start(r, ino, set_call(name, NULL, 0), FILE_WRITE_EA);
}

/* The kernel's own capability probe (see the top of the file). */
static void get_capability(struct fs_request *r, fuse_ino_t ino, const char *name, size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	size_t len = 0;

	if (size && !buf) {
		fs_request_reply_err(r, ENOMEM);
		return;
	}
	int err = fs_lower_getxattr(fs_request_lower(r), &r->cred, ino, name, buf, size, &len);
	if (err)
		fs_request_reply_err(r, err);
	else if (size == 0)
		fs_request_reply_xattr(r, len);
	else
		fs_request_reply_buf(r, buf, len);
	free(buf);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	if (strcmp(name, "security.capability") == 0) {
		get_capability(r, ino, name, size);
		return;
	}
	size_t n = strlen(name);
	if (n > EA_NAME_MAX) {
		fs_request_reply_err(r, ERANGE);
		return;
	}
	size_t room = size && size < EA_VALUE_MAX ? size : EA_VALUE_MAX;
	struct ea_call *c = ea_call_new(EA_GET, size, (ULONG)(EA_FIXED + n + 1 + room));
	if (c) {
		c->get.EaNameLength = (UCHAR)n;
		memcpy(c->get.EaName, name, n + 1);
	}
	ea_start(r, ino, c, FILE_READ_EA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs_request *r = fs_request_begin(req);
	if (r)
		ea_start(r, ino, ea_call_new(EA_LIST, size, EA_FIXED + EA_NAME_MAX + 1 + EA_VALUE_MAX),
			 FILE_READ_EA);
}

void fs_fuse_xattr_ops(struct fuse_lowlevel_ops *ops)
{
	ops->setxattr = op_setxattr;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->removexattr = op_removexattr;
}
