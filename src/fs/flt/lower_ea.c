/*
 * QUERY_EA and SET_EA of the lower dispatch: a file's extended attributes
 * (EAs) are its Linux xattrs.
 *
 * Names: an EA name is the xattr name byte for byte, namespace included
 * ("user.color" is the EA "user.color"; Linux programs only reach user.*,
 * security.*, trusted.* and system.* names, and so do filters).  Windows
 * compares EA names without case and NTFS stores them in upper case; here
 * they keep their case and compare exactly, as the xattrs do.  Limits are
 * the EA ones where they are tighter: a name has at most 255 bytes (the
 * xattr limit too), a value at most 65535 (EaValueLength is a USHORT; an
 * xattr of 65536 bytes cannot be returned: STATUS_EA_TOO_LARGE).
 *
 * QUERY_EA: with an EaList, the named EAs in that order (a name the file
 * does not have fails the query with STATUS_NONEXISTENT_EA_ENTRY: Linux
 * tells a missing xattr from an empty one, and a zero-length entry would
 * not); without one, a scan of the file's EAs in listxattr order that
 * resumes where the previous query on the file object stopped, restarts
 * with SL_RESTART_SCAN, and starts at EaIndex (1 is the first EA) with
 * SL_INDEX_SPECIFIED (a value the requester may not read, which Linux
 * still lists, comes back empty).  Only whole entries are returned, each
 * at a 4-byte aligned offset; SL_RETURN_SINGLE_ENTRY stops after one.  Status as the
 * Windows object store sets it: STATUS_BUFFER_TOO_SMALL when not even the
 * first entry fits (nothing returned), STATUS_BUFFER_OVERFLOW when some did
 * and more remain, STATUS_NO_EAS_ON_FILE for a file without EAs,
 * STATUS_NO_MORE_EAS for a scan past the last one.
 *
 * SET_EA: each entry in order sets the xattr, or removes it when
 * EaValueLength is 0 (removing one the file does not have succeeds, as on
 * Windows); the first failure stops the list (earlier entries stay set).
 * The glue's own SET_EA (setxattr, removexattr) carries the Linux call's
 * meaning in its request: XATTR_CREATE/XATTR_REPLACE apply, an empty value
 * is set (not removed) unless the request is a removexattr, and removing a
 * missing xattr is ENODATA.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs/fuse/internal.h"

#define EA_FIXED FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName)
#define GET_EA_FIXED FIELD_OFFSET(FILE_GET_EA_INFORMATION, EaName)
#define EA_VALUE_MAX 65535u
#define XATTR_LIST_BYTES 65536u

static NTSTATUS done(PFLT_CALLBACK_DATA d, NTSTATUS s, ULONG_PTR info)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = info;
	return s;
}

static ULONG align4(ULONG n)
{
	return (n + 3u) & ~3u;
}

/* Where an EA query writes its entries, and how far it got. */
struct ea_out {
	PUCHAR buf;
	ULONG len;
	ULONG used;	/* end of the last entry */
	ULONG count;
	PFILE_FULL_EA_INFORMATION last;
};

static int value_size(struct fs_volume *vol, const struct fs_cred *c, uint64_t ino, const char *name,
		      size_t *size)
{
	return fs_lower_getxattr(vol->lower, c, ino, name, NULL, 0, size);
}

/*
 * Appends the EA `name`: 0, ERANGE when it does not fit, E2BIG when its
 * value is too long for an EA, or the lower file system's errno.  In a
 * scan, a value the requester may not read is an empty one.
 */
static int put_entry(struct fs_volume *vol, const struct fs_cred *c, uint64_t ino, const char *name,
		     struct ea_out *o, bool scan)
{
	size_t name_len = strlen(name), vlen = 0;
	ULONG at = o->count ? align4(o->used) : 0;
	ULONG fixed = EA_FIXED + (ULONG)name_len + 1;

	if (name_len > 255)
		return E2BIG;
	if (at > o->len || o->len - at < fixed)
		return ERANGE;
	ULONG room = o->len - at - fixed;
	if (room > EA_VALUE_MAX)
		room = EA_VALUE_MAX;
	int err = room ? fs_lower_getxattr(vol->lower, c, ino, name, o->buf + at + fixed, room, &vlen)
		       : value_size(vol, c, ino, name, &vlen);
	if (!room && !err && vlen)
		err = ERANGE;
	if (err == ERANGE && value_size(vol, c, ino, name, &vlen) == 0 && vlen > EA_VALUE_MAX)
		return E2BIG;
	if (scan && (err == EACCES || err == EPERM)) {
		err = 0;
		vlen = 0;
	}
	if (err)
		return err;
	PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)(o->buf + at);
	e->NextEntryOffset = 0;
	e->Flags = 0;
	e->EaNameLength = (UCHAR)name_len;
	e->EaValueLength = (USHORT)vlen;
	memcpy(e->EaName, name, name_len + 1);
	if (o->last)
		o->last->NextEntryOffset = (ULONG)((PUCHAR)e - (PUCHAR)o->last);
	o->last = e;
	o->used = at + fixed + (ULONG)vlen;
	o->count++;
	return 0;
}

/* The status of an entry that did not go in, given what went in before. */
static NTSTATUS entry_status(struct ea_out *o, int err)
{
	if (err == ERANGE)
		return o->count ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
	if (err == E2BIG)
		return STATUS_EA_TOO_LARGE;
	return err == ENODATA ? STATUS_NONEXISTENT_EA_ENTRY : altitude_errno_to_status(err);
}

static NTSTATUS finish_entry(PFLT_CALLBACK_DATA d, struct fs_glue_args *a, struct ea_out *o, int err)
{
	NTSTATUS s = entry_status(o, err);

	/* Errors of the lower file system keep their errno for the requester. */
	if (a && err != ERANGE && err != E2BIG && err != ENODATA) {
		a->lower_err = err;
		a->lower_status = s;
	}
	return done(d, s, NT_SUCCESS(s) || s == STATUS_BUFFER_OVERFLOW ? o->used : 0);
}

static NTSTATUS query_listed(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			     struct fs_handle *h, struct ea_out *o, struct fs_glue_args *a)
{
	PUCHAR list = d->Iopb->Parameters.QueryEa.EaList;
	ULONG list_len = d->Iopb->Parameters.QueryEa.EaListLength;
	bool single = d->Iopb->OperationFlags & SL_RETURN_SINGLE_ENTRY;
	char name[256];

	for (ULONG at = 0;;) {
		if (list_len - at < GET_EA_FIXED)
			return done(d, STATUS_EA_LIST_INCONSISTENT, 0);
		PFILE_GET_EA_INFORMATION g = (PFILE_GET_EA_INFORMATION)(list + at);
		if (list_len - at - GET_EA_FIXED < (ULONG)g->EaNameLength + 1 ||
		    g->EaName[g->EaNameLength] != '\0' || memchr(g->EaName, 0, g->EaNameLength))
			return done(d, STATUS_EA_LIST_INCONSISTENT, 0);
		memcpy(name, g->EaName, (size_t)g->EaNameLength + 1);
		int err = put_entry(vol, c, h->ino, name, o, false);
		if (err)
			return finish_entry(d, a, o, err);
		if (!g->NextEntryOffset || single)
			break;
		if (g->NextEntryOffset > list_len - at)
			return done(d, STATUS_EA_LIST_INCONSISTENT, 0);
		at += g->NextEntryOffset;
	}
	return done(d, STATUS_SUCCESS, o->used);
}

/* The requester's xattr names (NUL-separated) into a fresh buffer. */
static int list_names(struct fs_volume *vol, const struct fs_cred *c, uint64_t ino, char **names,
		      size_t *len)
{
	*names = malloc(XATTR_LIST_BYTES);
	if (!*names)
		return ENOMEM;
	int err = fs_lower_listxattr(vol->lower, c, ino, *names, XATTR_LIST_BYTES, len);
	if (err) {
		free(*names);
		*names = NULL;
	}
	return err;
}

static NTSTATUS query_scan(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			   struct fs_handle *h, struct ea_out *o, struct fs_glue_args *a)
{
	UCHAR flags = d->Iopb->OperationFlags;
	char *names;
	size_t len;
	NTSTATUS s;

	int err = list_names(vol, c, h->ino, &names, &len);
	if (err)
		return fs_glue_status(d, a, err, 0);
	if (flags & SL_INDEX_SPECIFIED)
		h->ea_next = d->Iopb->Parameters.QueryEa.EaIndex ? d->Iopb->Parameters.QueryEa.EaIndex - 1 : MAXULONG;
	else if (flags & SL_RESTART_SCAN)
		h->ea_next = 0;
	ULONG index = 0;
	size_t at = 0;
	for (; at < len && index < h->ea_next; index++)
		at += strnlen(names + at, len - at) + 1;
	if (len == 0) {
		s = done(d, STATUS_NO_EAS_ON_FILE, 0);
		goto out;
	}
	if (at >= len) {
		s = done(d, (flags & SL_INDEX_SPECIFIED) ? STATUS_NONEXISTENT_EA_ENTRY : STATUS_NO_MORE_EAS, 0);
		goto out;
	}
	for (; at < len; at += strnlen(names + at, len - at) + 1) {
		err = put_entry(vol, c, h->ino, names + at, o, true);
		if (err == ENODATA)
			continue;	/* removed since the list was read */
		if (err) {
			s = finish_entry(d, a, o, err);
			goto out;
		}
		h->ea_next++;
		if (flags & SL_RETURN_SINGLE_ENTRY)
			break;
	}
	s = done(d, STATUS_SUCCESS, o->used);
out:
	free(names);
	return s;
}

static void *mapped(PMDL mdl, PVOID buffer)
{
	return mdl ? MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) : buffer;
}

static NTSTATUS query_ea(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
			 struct fs_handle *h, struct fs_glue_args *a)
{
	struct ea_out o = { .buf = mapped(d->Iopb->Parameters.QueryEa.MdlAddress,
					  d->Iopb->Parameters.QueryEa.EaBuffer),
			    .len = d->Iopb->Parameters.QueryEa.Length };

	if (!o.buf && o.len)
		return done(d, STATUS_INVALID_PARAMETER, 0);
	if (d->Iopb->Parameters.QueryEa.EaList && d->Iopb->Parameters.QueryEa.EaListLength)
		return query_listed(vol, c, d, h, &o, a);
	return query_scan(vol, c, d, h, &o, a);
}

/* The entries of a SET_EA buffer are well formed (MS-FSCC 2.4.15). */
static bool ea_list_valid(PUCHAR buf, ULONG len)
{
	for (ULONG at = 0;;) {
		if (len - at < EA_FIXED)
			return false;
		PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)(buf + at);
		ULONG size = EA_FIXED + e->EaNameLength + 1u + e->EaValueLength;
		if (size > len - at || e->EaNameLength == 0 || e->EaName[e->EaNameLength] != '\0' ||
		    memchr(e->EaName, 0, e->EaNameLength) || (e->Flags & ~FILE_NEED_EA))
			return false;
		if (!e->NextEntryOffset)
			return true;
		if (e->NextEntryOffset < size || e->NextEntryOffset > len - at || (e->NextEntryOffset & 3))
			return false;
		at += e->NextEntryOffset;
	}
}

static int set_entry(struct fs_volume *vol, const struct fs_cred *c, struct fs_handle *h,
		     PFILE_FULL_EA_INFORMATION e, struct fs_glue_args *a)
{
	const char *name = e->EaName;
	const char *value = e->EaName + e->EaNameLength + 1;

	if (a && a->ea_remove)
		return fs_lower_removexattr(vol->lower, c, h->ino, name);
	if (a)
		return fs_lower_setxattr(vol->lower, c, h->ino, name, value, e->EaValueLength, a->flags);
	if (e->EaValueLength)
		return fs_lower_setxattr(vol->lower, c, h->ino, name, value, e->EaValueLength, 0);
	int err = fs_lower_removexattr(vol->lower, c, h->ino, name);
	return err == ENODATA ? 0 : err;
}

static NTSTATUS set_ea(struct fs_volume *vol, const struct fs_cred *c, PFLT_CALLBACK_DATA d,
		       struct fs_handle *h, struct fs_glue_args *a)
{
	PUCHAR buf = mapped(d->Iopb->Parameters.SetEa.MdlAddress, d->Iopb->Parameters.SetEa.EaBuffer);
	ULONG len = d->Iopb->Parameters.SetEa.Length;

	if (!buf || !ea_list_valid(buf, len))
		return done(d, STATUS_EA_LIST_INCONSISTENT, 0);
	for (ULONG at = 0;;) {
		PFILE_FULL_EA_INFORMATION e = (PFILE_FULL_EA_INFORMATION)(buf + at);
		int err = set_entry(vol, c, h, e, a);
		if (err)
			return fs_glue_status(d, a, err, 0);
		if (!e->NextEntryOffset)
			break;
		at += e->NextEntryOffset;
	}
	return done(d, STATUS_SUCCESS, 0);
}

NTSTATUS fs_glue_lower_ea(struct fs_volume *vol, const struct fs_cred *cred, PFLT_CALLBACK_DATA d,
			  struct fs_handle *h)
{
	struct fs_request *r = fs_glue_request_of(d);
	struct fs_glue_args *a = r ? &r->args : NULL;

	if (!h)
		return done(d, STATUS_INVALID_HANDLE, 0);
	if (d->Iopb->MajorFunction == IRP_MJ_QUERY_EA)
		return query_ea(vol, cred, d, h, a);
	return set_ea(vol, cred, d, h, a);
}
