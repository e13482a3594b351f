/*
 * IRP_MJ_DIRECTORY_CONTROL / IRP_MN_QUERY_DIRECTORY of the lower dispatch:
 * FileBothDirectoryInformation and FileIdBothDirectoryInformation entries
 * as Windows fills them (times in 100 ns since 1601, sizes, attributes,
 * NextEntryOffset aligned to 8, no short names, FileId the inode number).
 *
 * Position: the glue's own query resumes at the FUSE offset of its request
 * (r->off; SL_RESTART_SCAN when it is 0), a filter-issued one at the
 * handle's cursor (SL_RESTART_SCAN rewinds it).  A pattern (FileName) is
 * matched with '*' and '?', case-sensitively, as the names are on Linux.
 *
 * Sizes and times need a lookup of each name (the directory stream only
 * has names and types); a name that cannot be looked up (gone, or no
 * search permission) is listed with its type's attribute and zero times.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fs/fuse/internal.h"

struct fill {
	struct fs_volume *vol;
	const struct fs_cred *cred;
	struct fs_handle *h;
	FILE_INFORMATION_CLASS cls;
	PCUNICODE_STRING pattern;
	PUCHAR buf;
	ULONG len;
	ULONG used;
	ULONG count;
	PULONG last_next;
	bool single;
	struct fs_dir_listing *li;
	off_t pos;
	NTSTATUS status;
};

static bool match(const WCHAR *p, size_t pn, const WCHAR *s, size_t sn)
{
	while (pn) {
		if (*p == L'*') {
			for (size_t k = 0; k <= sn; k++)
				if (match(p + 1, pn - 1, s + k, sn - k))
					return true;
			return false;
		}
		if (!sn || (*p != L'?' && *p != *s))
			return false;
		p++, pn--, s++, sn--;
	}
	return sn == 0;
}

static ULONG name_offset(FILE_INFORMATION_CLASS cls)
{
	if (cls == FileBothDirectoryInformation)
		return FIELD_OFFSET(FILE_BOTH_DIR_INFORMATION, FileName);
	if (cls == FileIdBothDirectoryInformation)
		return FIELD_OFFSET(FILE_ID_BOTH_DIR_INFORMATION, FileName);
	return 0;
}

static ULONG type_attributes(unsigned char type)
{
	if (type == DT_DIR)
		return FILE_ATTRIBUTE_DIRECTORY;
	return type == DT_LNK ? FILE_ATTRIBUTE_REPARSE_POINT : FILE_ATTRIBUTE_NORMAL;
}

/* The fields shared by both classes (FILE_BOTH_DIR_INFORMATION's prefix). */
static void fill_attributes(struct fill *f, PFILE_BOTH_DIR_INFORMATION e, const char *name,
			    unsigned char type)
{
	struct fs_entry found;
	struct stat st;
	int err;

	e->FileAttributes = type_attributes(type);
	if (strcmp(name, "..") == 0)
		return;
	if (strcmp(name, ".") == 0) {
		err = fs_lower_getattr(f->vol->lower, f->cred, f->h->ino, &st);
	} else {
		err = fs_lower_lookup(f->vol->lower, f->cred, f->h->ino, name, &found);
		if (!err) {
			st = found.attr;
			fs_lower_forget(f->vol->lower, found.ino, 1);
		}
	}
	if (err)
		return;
	e->CreationTime.QuadPart = fs_glue_nt_time(st.st_mtim);
	e->LastAccessTime.QuadPart = fs_glue_nt_time(st.st_atim);
	e->LastWriteTime.QuadPart = fs_glue_nt_time(st.st_mtim);
	e->ChangeTime.QuadPart = fs_glue_nt_time(st.st_ctim);
	e->EndOfFile.QuadPart = S_ISDIR(st.st_mode) ? 0 : st.st_size;
	e->AllocationSize.QuadPart = (LONGLONG)st.st_blocks * 512;
	e->FileAttributes = fs_glue_attributes(&st);
}

static bool take(void *ctx, const char *name, ino_t ino, unsigned char type, off_t next)
{
	struct fill *f = ctx;
	WCHAR wide[NAME_MAX + 1];	/* a UTF-8 byte is at most one UTF-16 unit */
	ULONG bytes = 0, fixed = name_offset(f->cls);

	if (!NT_SUCCESS(RtlUTF8ToUnicodeN(wide, sizeof wide, &bytes, name, (ULONG)strlen(name))) ||
	    (f->pattern && f->pattern->Length &&
	     !match(f->pattern->Buffer, f->pattern->Length / sizeof(WCHAR), wide, bytes / sizeof(WCHAR)))) {
		f->pos = next;
		return true;
	}
	ULONG at = (ULONG)ALIGN_UP_BY(f->used, 8);
	if ((f->li && f->li->count == f->li->cap) || at > f->len || f->len - at < fixed + bytes) {
		if (f->count == 0)
			f->status = STATUS_BUFFER_TOO_SMALL;
		return false;
	}
	PFILE_BOTH_DIR_INFORMATION e = (PFILE_BOTH_DIR_INFORMATION)(f->buf + at);
	memset(e, 0, fixed);
	fill_attributes(f, e, name, type);
	e->FileIndex = f->count;
	e->FileNameLength = bytes;
	if (f->cls == FileIdBothDirectoryInformation)
		((PFILE_ID_BOTH_DIR_INFORMATION)e)->FileId.QuadPart = (LONGLONG)ino;
	memcpy((PUCHAR)e + fixed, wide, bytes);
	if (f->last_next)
		*f->last_next = (ULONG)((PUCHAR)e - (PUCHAR)f->last_next);
	f->last_next = &e->NextEntryOffset;
	f->used = at + fixed + bytes;
	if (f->li)
		f->li->slot[f->li->count++] = (struct fs_dir_slot){ .next = next, .type = type };
	f->count++;
	f->pos = next;
	return !f->single;
}

static NTSTATUS finish(PFLT_CALLBACK_DATA d, NTSTATUS s, ULONG_PTR info)
{
	d->IoStatus.Status = s;
	d->IoStatus.Information = NT_SUCCESS(s) ? info : 0;
	return s;
}

NTSTATUS fs_glue_lower_dir(struct fs_volume *vol, const struct fs_cred *cred, PFLT_CALLBACK_DATA d,
			   struct fs_handle *h)
{
	struct fs_request *r = fs_glue_request_of(d);
	PFLT_IO_PARAMETER_BLOCK io = d->Iopb;
	PMDL mdl = io->Parameters.DirectoryControl.QueryDirectory.MdlAddress;
	struct fill f = { .vol = vol, .cred = cred, .h = h, .status = STATUS_SUCCESS };

	if (!h)
		return finish(d, STATUS_INVALID_HANDLE, 0);
	if (io->MinorFunction != IRP_MN_QUERY_DIRECTORY || !h->dir || h->fh == FS_NO_FH)
		return finish(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	f.cls = io->Parameters.DirectoryControl.QueryDirectory.FileInformationClass;
	if (!name_offset(f.cls))
		return finish(d, STATUS_INVALID_INFO_CLASS, 0);
	f.buf = mdl ? MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)
		    : io->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
	f.len = io->Parameters.DirectoryControl.QueryDirectory.Length;
	if (!f.buf)
		return finish(d, STATUS_INVALID_PARAMETER, 0);
	f.pattern = io->Parameters.DirectoryControl.QueryDirectory.FileName;
	f.single = (io->OperationFlags & SL_RETURN_SINGLE_ENTRY) != 0;
	if (io->OperationFlags & SL_RESTART_SCAN)
		h->dir_started = false;
	bool first = !h->dir_started;
	if (r) {
		f.li = r->buf;
		f.li->count = 0;
		f.pos = r->off;
	} else {
		f.pos = first ? 0 : h->dir_pos;
	}
	h->dir_started = true;
	int err = fs_lower_readdir(vol->lower, h->fh, f.pos, take, &f);
	h->dir_pos = f.pos;
	if (f.count)
		return finish(d, STATUS_SUCCESS, f.used);
	if (err)
		return fs_glue_status(d, r ? &r->args : NULL, err, 0);
	if (!NT_SUCCESS(f.status))
		return finish(d, f.status, 0);
	return finish(d, first ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES, 0);
}
