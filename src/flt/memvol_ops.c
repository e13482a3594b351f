/*
 * The memory volume as a lower file system: create, read, write, query and
 * set information, directory listing, volume information, flush, cleanup
 * and close.  Other operations get STATUS_INVALID_DEVICE_REQUEST.
 */

#include "flt/memvol.h"

#define MEMVOL_BYTES_PER_SECTOR 512
#define MEMVOL_SECTORS_PER_UNIT 8
#define MEMVOL_TOTAL_UNITS 262144

static struct memvol_handle *memvol_handle(PFLT_CALLBACK_DATA d)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;

	return f ? f->FsContext2 : NULL;
}

static NTSTATUS memvol_done(PFLT_CALLBACK_DATA d, NTSTATUS status, ULONG_PTR information)
{
	d->IoStatus.Status = status;
	d->IoStatus.Information = information;
	return status;
}

static NTSTATUS memvol_create_node(struct memvol_node *parent, const WCHAR *leaf, USHORT chars,
				   BOOLEAN dir, LONGLONG *next_id, struct memvol_node **out)
{
	if (!parent || !leaf)
		return STATUS_OBJECT_NAME_INVALID;
	*out = memvol_node_new(parent, leaf, chars, dir, (*next_id)++);
	return *out ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/* Applies the create disposition; *info gets FILE_OPENED, FILE_CREATED, ... */
static NTSTATUS memvol_disposition(struct memvol_node **node, struct memvol_node *parent,
				   const WCHAR *leaf, USHORT chars, ULONG disposition, BOOLEAN dir,
				   LONGLONG *next_id, ULONG_PTR *info)
{
	NTSTATUS s;

	if (*node && disposition == FILE_CREATE)
		return STATUS_OBJECT_NAME_COLLISION;
	if (!*node && (disposition == FILE_OPEN || disposition == FILE_OVERWRITE))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	if (!*node) {
		s = memvol_create_node(parent, leaf, chars, dir, next_id, node);
		*info = FILE_CREATED;
		return s;
	}
	if (disposition == FILE_OPEN || disposition == FILE_OPEN_IF) {
		*info = FILE_OPENED;
		return STATUS_SUCCESS;
	}
	if ((*node)->dir)
		return STATUS_INVALID_PARAMETER;
	*info = disposition == FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
	return memvol_node_resize(*node, 0);
}

static NTSTATUS memvol_create(struct memvol_node *root, LONGLONG *next_id, PFLT_CALLBACK_DATA d)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	ULONG options = d->Iopb->Parameters.Create.Options & FILE_VALID_OPTION_FLAGS;
	ULONG disposition = d->Iopb->Parameters.Create.Options >> 24;
	struct memvol_node *parent, *node;
	struct memvol_handle *h;
	const WCHAR *leaf;
	USHORT chars;
	ULONG_PTR info = 0;
	NTSTATUS s;

	if (!f || disposition > FILE_MAXIMUM_DISPOSITION)
		return memvol_done(d, STATUS_INVALID_PARAMETER, 0);
	node = memvol_lookup(root, f->FileName.Buffer, f->FileName.Length / sizeof(WCHAR), &parent,
			     &leaf, &chars);
	if (!node && !parent)
		return memvol_done(d, STATUS_OBJECT_PATH_NOT_FOUND, 0);
	if (node && node->delete_pending)
		return memvol_done(d, STATUS_DELETE_PENDING, 0);
	if (node && node->dir && (options & FILE_NON_DIRECTORY_FILE))
		return memvol_done(d, STATUS_FILE_IS_A_DIRECTORY, 0);
	if (node && !node->dir && (options & FILE_DIRECTORY_FILE))
		return memvol_done(d, STATUS_NOT_A_DIRECTORY, 0);
	h = flt_alloc(sizeof(*h), FLT_TAG_MEMVOL);
	if (!h)
		return memvol_done(d, STATUS_INSUFFICIENT_RESOURCES, 0);
	s = memvol_disposition(&node, parent, leaf, chars, disposition,
			       (options & FILE_DIRECTORY_FILE) != 0, next_id, &info);
	if (!NT_SUCCESS(s)) {
		flt_free(h, FLT_TAG_MEMVOL);
		return memvol_done(d, s, 0);
	}
	h->node = node;
	h->delete_on_close = (options & FILE_DELETE_ON_CLOSE) != 0;
	if (d->Iopb->Parameters.Create.SecurityContext)
		h->access = d->Iopb->Parameters.Create.SecurityContext->DesiredAccess;
	node->opens++;
	f->FsContext = node;
	f->FsContext2 = h;
	f->Flags |= FO_FILE_OPEN | FO_HANDLE_CREATED;
	f->ReadAccess = (h->access & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) != 0;
	f->WriteAccess = (h->access & (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | GENERIC_ALL)) != 0;
	f->DeleteAccess = (h->access & (DELETE | GENERIC_ALL)) != 0;
	return memvol_done(d, STATUS_SUCCESS, info);
}

#define MEMVOL_USE_FILE_POINTER 0xfffffffe
#define MEMVOL_WRITE_TO_END 0xffffffff

static LONGLONG memvol_offset(PFLT_CALLBACK_DATA d, LARGE_INTEGER off, struct memvol_node *n)
{
	if (off.HighPart == -1 && off.LowPart == MEMVOL_USE_FILE_POINTER)
		return d->Iopb->TargetFileObject->CurrentByteOffset.QuadPart;
	if (off.HighPart == -1 && off.LowPart == MEMVOL_WRITE_TO_END)
		return (LONGLONG)n->size;
	return off.QuadPart;
}

static NTSTATUS memvol_read(PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);
	LONGLONG off;
	SIZE_T n;

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	if (h->node->dir)
		return memvol_done(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	off = memvol_offset(d, d->Iopb->Parameters.Read.ByteOffset, h->node);
	if (off < 0)
		return memvol_done(d, STATUS_INVALID_PARAMETER, 0);
	if ((SIZE_T)off >= h->node->size)
		return memvol_done(d, STATUS_END_OF_FILE, 0);
	n = h->node->size - (SIZE_T)off;
	if (n > d->Iopb->Parameters.Read.Length)
		n = d->Iopb->Parameters.Read.Length;
	memcpy(d->Iopb->Parameters.Read.ReadBuffer, h->node->data + off, n);
	h->node->times[1].QuadPart = memvol_now();
	d->Iopb->TargetFileObject->CurrentByteOffset.QuadPart = off + (LONGLONG)n;
	return memvol_done(d, STATUS_SUCCESS, n);
}

static NTSTATUS memvol_write(PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);
	ULONG len = d->Iopb->Parameters.Write.Length;
	LONGLONG off;
	NTSTATUS s;

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	if (h->node->dir)
		return memvol_done(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	off = memvol_offset(d, d->Iopb->Parameters.Write.ByteOffset, h->node);
	if (off < 0)
		return memvol_done(d, STATUS_INVALID_PARAMETER, 0);
	/* Paging writes never extend the file. */
	if ((d->Iopb->IrpFlags & IRP_PAGING_IO) && (SIZE_T)off >= h->node->size)
		return memvol_done(d, STATUS_SUCCESS, 0);
	if ((d->Iopb->IrpFlags & IRP_PAGING_IO) && (SIZE_T)off + len > h->node->size)
		len = (ULONG)(h->node->size - (SIZE_T)off);
	if ((SIZE_T)off + len > h->node->size) {
		s = memvol_node_resize(h->node, (SIZE_T)off + len);
		if (!NT_SUCCESS(s))
			return memvol_done(d, s, 0);
	}
	memcpy(h->node->data + off, d->Iopb->Parameters.Write.WriteBuffer, len);
	h->node->times[2].QuadPart = h->node->times[3].QuadPart = memvol_now();
	d->Iopb->TargetFileObject->CurrentByteOffset.QuadPart = off + len;
	return memvol_done(d, STATUS_SUCCESS, len);
}

static LONGLONG memvol_allocation(const struct memvol_node *n)
{
	LONGLONG unit = MEMVOL_BYTES_PER_SECTOR * MEMVOL_SECTORS_PER_UNIT;

	return ((LONGLONG)n->size + unit - 1) / unit * unit;
}

static void memvol_fill_basic(const struct memvol_node *n, FILE_BASIC_INFORMATION *b)
{
	b->CreationTime = n->times[0];
	b->LastAccessTime = n->times[1];
	b->LastWriteTime = n->times[2];
	b->ChangeTime = n->times[3];
	b->FileAttributes = n->attributes;
}

static ULONG memvol_path_chars(const struct memvol_node *n)
{
	ULONG chars = 0;

	for (; n && n->parent; n = n->parent)
		chars += 1u + n->name_chars;
	return chars ? chars : 1;
}

static void memvol_path_fill(const struct memvol_node *n, WCHAR *out, ULONG chars)
{
	ULONG at = chars;

	out[0] = L'\\';
	for (; n && n->parent; n = n->parent) {
		at -= n->name_chars;
		memcpy(out + at, n->name, n->name_chars * sizeof(WCHAR));
		out[--at] = L'\\';
	}
}

static NTSTATUS memvol_query_name(PFLT_CALLBACK_DATA d, struct memvol_node *n, PVOID buf, ULONG len)
{
	PFILE_NAME_INFORMATION ni = buf;
	ULONG chars = memvol_path_chars(n), fixed = FIELD_OFFSET(FILE_NAME_INFORMATION, FileName);
	WCHAR *tmp;
	ULONG fit;

	if (len < fixed)
		return memvol_done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
	tmp = flt_alloc(chars * sizeof(WCHAR), FLT_TAG_MEMVOL);
	if (!tmp)
		return memvol_done(d, STATUS_INSUFFICIENT_RESOURCES, 0);
	memvol_path_fill(n, tmp, chars);
	ni->FileNameLength = chars * sizeof(WCHAR);
	fit = (len - fixed) / sizeof(WCHAR);
	if (fit > chars)
		fit = chars;
	memcpy(ni->FileName, tmp, fit * sizeof(WCHAR));
	flt_free(tmp, FLT_TAG_MEMVOL);
	return memvol_done(d, fit < chars ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS,
			   fixed + fit * sizeof(WCHAR));
}

static NTSTATUS memvol_query_info(PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);
	PVOID buf = d->Iopb->Parameters.QueryFileInformation.InfoBuffer;
	ULONG len = d->Iopb->Parameters.QueryFileInformation.Length;
	struct memvol_node *n;
	ULONG need;

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	n = h->node;
	switch (d->Iopb->Parameters.QueryFileInformation.FileInformationClass) {
	case FileBasicInformation:
		need = sizeof(FILE_BASIC_INFORMATION);
		if (len < need)
			break;
		memset(buf, 0, need);
		memvol_fill_basic(n, buf);
		return memvol_done(d, STATUS_SUCCESS, need);
	case FileStandardInformation: {
		PFILE_STANDARD_INFORMATION s = buf;

		need = sizeof(*s);
		if (len < need)
			break;
		memset(s, 0, need);
		s->AllocationSize.QuadPart = memvol_allocation(n);
		s->EndOfFile.QuadPart = (LONGLONG)n->size;
		s->NumberOfLinks = n->unlinked ? 0 : 1;
		s->DeletePending = n->delete_pending;
		s->Directory = n->dir;
		return memvol_done(d, STATUS_SUCCESS, need);
	}
	case FileInternalInformation:
		need = sizeof(FILE_INTERNAL_INFORMATION);
		if (len < need)
			break;
		((PFILE_INTERNAL_INFORMATION)buf)->IndexNumber.QuadPart = n->id;
		return memvol_done(d, STATUS_SUCCESS, need);
	case FileEaInformation:
		need = sizeof(FILE_EA_INFORMATION);
		if (len < need)
			break;
		((PFILE_EA_INFORMATION)buf)->EaSize = 0;
		return memvol_done(d, STATUS_SUCCESS, need);
	case FileAccessInformation:
		need = sizeof(FILE_ACCESS_INFORMATION);
		if (len < need)
			break;
		((PFILE_ACCESS_INFORMATION)buf)->AccessFlags = h->access;
		return memvol_done(d, STATUS_SUCCESS, need);
	case FilePositionInformation:
		need = sizeof(FILE_POSITION_INFORMATION);
		if (len < need)
			break;
		((PFILE_POSITION_INFORMATION)buf)->CurrentByteOffset =
			d->Iopb->TargetFileObject->CurrentByteOffset;
		return memvol_done(d, STATUS_SUCCESS, need);
	case FileNameInformation:
		return memvol_query_name(d, n, buf, len);
	case FileNetworkOpenInformation: {
		PFILE_NETWORK_OPEN_INFORMATION o = buf;
		FILE_BASIC_INFORMATION b;

		need = sizeof(*o);
		if (len < need)
			break;
		memset(o, 0, need);
		memvol_fill_basic(n, &b);
		o->CreationTime = b.CreationTime;
		o->LastAccessTime = b.LastAccessTime;
		o->LastWriteTime = b.LastWriteTime;
		o->ChangeTime = b.ChangeTime;
		o->AllocationSize.QuadPart = memvol_allocation(n);
		o->EndOfFile.QuadPart = (LONGLONG)n->size;
		o->FileAttributes = n->attributes;
		return memvol_done(d, STATUS_SUCCESS, need);
	}
	case FileAttributeTagInformation:
		need = sizeof(FILE_ATTRIBUTE_TAG_INFORMATION);
		if (len < need)
			break;
		((PFILE_ATTRIBUTE_TAG_INFORMATION)buf)->FileAttributes = n->attributes;
		((PFILE_ATTRIBUTE_TAG_INFORMATION)buf)->ReparseTag = 0;
		return memvol_done(d, STATUS_SUCCESS, need);
	default:
		return memvol_done(d, STATUS_INVALID_INFO_CLASS, 0);
	}
	return memvol_done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
}

static NTSTATUS memvol_rename(struct memvol_node *root, struct memvol_node *n,
			      const FILE_RENAME_INFORMATION *r, ULONG len, BOOLEAN ex)
{
	BOOLEAN replace = ex ? (r->Flags & FILE_RENAME_REPLACE_IF_EXISTS) != 0 : r->ReplaceIfExists;
	struct memvol_node *parent, *target;
	const WCHAR *leaf;
	USHORT chars;
	WCHAR *name;

	if (len < FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) ||
	    len < FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) + r->FileNameLength || !n->parent)
		return STATUS_INVALID_PARAMETER;
	target = memvol_lookup(root, r->FileName, (USHORT)(r->FileNameLength / sizeof(WCHAR)),
			       &parent, &leaf, &chars);
	if (!parent || !leaf)
		return STATUS_OBJECT_PATH_NOT_FOUND;
	if (target == n)
		return STATUS_SUCCESS;
	if (target && (!replace || target->dir || target->opens))
		return target->opens ? STATUS_ACCESS_DENIED : STATUS_OBJECT_NAME_COLLISION;
	for (struct memvol_node *p = parent; p; p = p->parent) {
		if (p == n)
			return STATUS_INVALID_PARAMETER; /* into its own subtree */
	}
	name = flt_alloc(((size_t)chars + 1) * sizeof(WCHAR), FLT_TAG_MEMVOL);
	if (!name)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (target) {
		memvol_node_unlink(target);
		memvol_node_free(target);
	}
	memcpy(name, leaf, chars * sizeof(WCHAR));
	name[chars] = 0;
	memvol_node_unlink(n);
	n->unlinked = FALSE;
	flt_free(n->name, FLT_TAG_MEMVOL);
	n->name = name;
	n->name_chars = chars;
	n->parent = parent;
	n->next = parent->children;
	parent->children = n;
	return STATUS_SUCCESS;
}

static NTSTATUS memvol_set_disposition(struct memvol_node *n, BOOLEAN del)
{
	if (del && n->dir && n->children)
		return STATUS_DIRECTORY_NOT_EMPTY;
	if (del && !n->parent)
		return STATUS_ACCESS_DENIED;
	n->delete_pending = del;
	return STATUS_SUCCESS;
}

static NTSTATUS memvol_set_info(struct memvol_node *root, PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);
	PVOID buf = d->Iopb->Parameters.SetFileInformation.InfoBuffer;
	ULONG len = d->Iopb->Parameters.SetFileInformation.Length;
	FILE_INFORMATION_CLASS cls = d->Iopb->Parameters.SetFileInformation.FileInformationClass;
	struct memvol_node *n;

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	n = h->node;
	switch (cls) {
	case FileBasicInformation: {
		const FILE_BASIC_INFORMATION *b = buf;

		if (len < sizeof(*b))
			break;
		for (int i = 0; i < 4; i++) {
			const LARGE_INTEGER *t = &b->CreationTime + i;

			if (t->QuadPart > 0)
				n->times[i] = *t;
		}
		if (b->FileAttributes)
			n->attributes = (b->FileAttributes & FILE_ATTRIBUTE_VALID_SET_FLAGS) |
					(n->dir ? FILE_ATTRIBUTE_DIRECTORY : 0);
		return memvol_done(d, STATUS_SUCCESS, 0);
	}
	case FileDispositionInformation:
		if (len < sizeof(FILE_DISPOSITION_INFORMATION))
			break;
		return memvol_done(d, memvol_set_disposition(n, ((PFILE_DISPOSITION_INFORMATION)buf)->DeleteFile), 0);
	case FileDispositionInformationEx:
		if (len < sizeof(FILE_DISPOSITION_INFORMATION_EX))
			break;
		return memvol_done(d, memvol_set_disposition(n, (((PFILE_DISPOSITION_INFORMATION_EX)buf)->Flags & FILE_DISPOSITION_DELETE) != 0), 0);
	case FilePositionInformation:
		if (len < sizeof(FILE_POSITION_INFORMATION))
			break;
		d->Iopb->TargetFileObject->CurrentByteOffset = ((PFILE_POSITION_INFORMATION)buf)->CurrentByteOffset;
		return memvol_done(d, STATUS_SUCCESS, 0);
	case FileEndOfFileInformation:
	case FileAllocationInformation: {
		LONGLONG size = ((PLARGE_INTEGER)buf)->QuadPart;

		if (len < sizeof(LARGE_INTEGER))
			break;
		if (n->dir || size < 0)
			return memvol_done(d, STATUS_INVALID_PARAMETER, 0);
		if (cls == FileAllocationInformation && (SIZE_T)size >= n->size)
			return memvol_done(d, STATUS_SUCCESS, 0);
		return memvol_done(d, memvol_node_resize(n, (SIZE_T)size), 0);
	}
	case FileRenameInformation:
	case FileRenameInformationEx:
		return memvol_done(d, memvol_rename(root, n, buf, len, cls == FileRenameInformationEx), 0);
	default:
		return memvol_done(d, STATUS_INVALID_INFO_CLASS, 0);
	}
	return memvol_done(d, STATUS_INFO_LENGTH_MISMATCH, 0);
}

static NTSTATUS memvol_cleanup(PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	if (h->delete_on_close)
		h->node->delete_pending = TRUE;
	/* The last handle of a file marked for deletion removes its name. */
	if (h->node->delete_pending && h->node->opens == 1 && !h->node->unlinked)
		memvol_node_unlink(h->node);
	d->Iopb->TargetFileObject->Flags |= FO_CLEANUP_COMPLETE;
	return memvol_done(d, STATUS_SUCCESS, 0);
}

static NTSTATUS memvol_close(PFLT_CALLBACK_DATA d)
{
	struct memvol_handle *h = memvol_handle(d);
	struct memvol_node *n;

	if (!h)
		return memvol_done(d, STATUS_INVALID_HANDLE, 0);
	n = h->node;
	if (--n->opens == 0 && n->unlinked)
		memvol_node_free(n);
	flt_free(h, FLT_TAG_MEMVOL);
	d->Iopb->TargetFileObject->FsContext = NULL;
	d->Iopb->TargetFileObject->FsContext2 = NULL;
	return memvol_done(d, STATUS_SUCCESS, 0);
}

NTSTATUS memvol_query_directory(PFLT_CALLBACK_DATA d);
NTSTATUS memvol_query_volume(PFLT_CALLBACK_DATA d);

NTSTATUS memvol_perform(struct memvol_node *root, LONGLONG *next_id, PFLT_CALLBACK_DATA d)
{
	switch (d->Iopb->MajorFunction) {
	case IRP_MJ_CREATE:
		return memvol_create(root, next_id, d);
	case IRP_MJ_READ:
		return memvol_read(d);
	case IRP_MJ_WRITE:
		return memvol_write(d);
	case IRP_MJ_QUERY_INFORMATION:
		return memvol_query_info(d);
	case IRP_MJ_SET_INFORMATION:
		return memvol_set_info(root, d);
	case IRP_MJ_DIRECTORY_CONTROL:
		return memvol_query_directory(d);
	case IRP_MJ_QUERY_VOLUME_INFORMATION:
		return memvol_query_volume(d);
	case IRP_MJ_FLUSH_BUFFERS:
		return memvol_done(d, memvol_handle(d) ? STATUS_SUCCESS : STATUS_INVALID_HANDLE, 0);
	case IRP_MJ_CLEANUP:
		return memvol_cleanup(d);
	case IRP_MJ_CLOSE:
		return memvol_close(d);
	default:
		return memvol_done(d, STATUS_INVALID_DEVICE_REQUEST, 0);
	}
}
