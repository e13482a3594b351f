/*
 * File objects of the glue: one per open handle, named by the volume-
 * relative path with backslashes ("\dir\file.txt"; the root is "\").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fuse/internal.h"

/* The UTF-8 path "/dir/leaf" of leaf in dir (leaf NULL: dir itself). */
static int utf8_path(struct fs_volume *vol, uint64_t dir, const char *leaf, char *buf, size_t size)
{
	int err = fs_lower_path(vol->lower, dir, buf + 1, size - 1);
	if (err)
		return err;
	buf[0] = '/';
	if (!leaf)
		return 0;
	size_t len = strlen(buf);
	int n = snprintf(buf + len, size - len, "%s%s", len > 1 ? "/" : "", leaf);
	return n < 0 || (size_t)n >= size - len ? ENAMETOOLONG : 0;
}

struct fs_file *fs_file_new(struct fs_volume *vol, uint64_t dir, const char *leaf)
{
	char path[PATH_MAX + NAME_MAX + 2];
	ULONG bytes = 0;

	if (utf8_path(vol, dir, leaf, path, sizeof path) != 0)
		return NULL;
	ULONG len = (ULONG)strlen(path);
	if (!NT_SUCCESS(RtlUTF8ToUnicodeN(NULL, 0, &bytes, path, len)) || bytes > 0xfffc)
		return NULL;
	struct fs_file *f = calloc(1, sizeof(*f) + bytes + sizeof(WCHAR));
	if (!f)
		return NULL;
	RtlUTF8ToUnicodeN(f->name, bytes, &bytes, path, len);
	for (ULONG i = 0; i < bytes / sizeof(WCHAR); i++)
		if (f->name[i] == L'/')
			f->name[i] = L'\\';
	f->fo.Type = 5; /* IO_TYPE_FILE */
	f->fo.Size = sizeof(FILE_OBJECT);
	f->fo.FileName.Buffer = f->name;
	f->fo.FileName.Length = (USHORT)bytes;
	f->fo.FileName.MaximumLength = (USHORT)(bytes + sizeof(WCHAR));
	f->h.fh = FS_NO_FH;
	return f;
}

void fs_handle_release(struct fs_lower *lower, struct fs_handle *h)
{
	if (h->fh != FS_NO_FH) {
		if (h->dir)
			fs_lower_releasedir(lower, h->fh);
		else
			fs_lower_release(lower, h->fh);
		h->fh = FS_NO_FH;
	}
	if (h->looked_up)
		fs_lower_forget(lower, h->ino, 1);
	if (h->parent_held)
		fs_lower_forget(lower, h->parent, 1);
	h->looked_up = false;
	h->parent_held = false;
	free(h->leaf);
	h->leaf = NULL;
}

void fs_file_free(struct fs_file *f)
{
	free(f);
}
