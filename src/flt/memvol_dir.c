/* The memory volume's directory listing and volume information. */
#include "flt/memvol.h"

NTSTATUS memvol_query_directory(PFLT_CALLBACK_DATA d);
NTSTATUS memvol_query_volume(PFLT_CALLBACK_DATA d);

static WCHAR memvol_up(WCHAR c)
{
	return (c >= L'a' && c <= L'z') ? (WCHAR)(c - (L'a' - L'A')) : c;
}

/* '*' and '?' wildcards, case-insensitive. */
static BOOLEAN memvol_match(const WCHAR *p, USHORT pn, const WCHAR *s, USHORT sn)
{
	if (pn == 0)
		return sn == 0;
	if (p[0] == L'*') {
		for (USHORT k = 0; k <= sn; k++) {
			if (memvol_match(p + 1, (USHORT)(pn - 1), s + k, (USHORT)(sn - k)))
				return TRUE;
		}
		return FALSE;
	}
	if (sn == 0)
		return FALSE;
	if (p[0] != L'?' && memvol_up(p[0]) != memvol_up(s[0]))
		return FALSE;
	return memvol_match(p + 1, (USHORT)(pn - 1), s + 1, (USHORT)(sn - 1));
}

static ULONG memvol_name_offset(FILE_INFORMATION_CLASS cls)
{
	switch (cls) {
	case FileDirectoryInformation:
		return FIELD_OFFSET(FILE_DIRECTORY_INFORMATION, FileName);
	case FileFullDirectoryInformation:
		return FIELD_OFFSET(FILE_FULL_DIR_INFORMATION, FileName);
	case FileBothDirectoryInformation:
		return FIELD_OFFSET(FILE_BOTH_DIR_INFORMATION, FileName);
	case FileIdBothDirectoryInformation:
		return FIELD_OFFSET(FILE_ID_BOTH_DIR_INFORMATION, FileName);
	case FileNamesInformation:
		return FIELD_OFFSET(FILE_NAMES_INFORMATION, FileName);
	default:
		return 0;
	}
}

/* Fills one entry (the fields shared by the directory classes come first). */
static void memvol_entry(PUCHAR at, FILE_INFORMATION_CLASS cls, const struct memvol_node *n,
			 ULONG index, ULONG name_offset)
{
	memset(at, 0, name_offset);
	if (cls == FileNamesInformation) {
		PFILE_NAMES_INFORMATION e = (PFILE_NAMES_INFORMATION)at;

		e->FileIndex = index;
		e->FileNameLength = n->name_chars * sizeof(WCHAR);
	} else {
		PFILE_DIRECTORY_INFORMATION e = (PFILE_DIRECTORY_INFORMATION)at;
		LONGLONG unit = 4096;

		e->FileIndex = index;
		e->CreationTime = n->times[0];
		e->LastAccessTime = n->times[1];
		e->LastWriteTime = n->times[2];
		e->ChangeTime = n->times[3];
		e->EndOfFile.QuadPart = (LONGLONG)n->size;
		e->AllocationSize.QuadPart = ((LONGLONG)n->size + unit - 1) / unit * unit;
		e->FileAttributes = n->attributes;
		e->FileNameLength = n->name_chars * sizeof(WCHAR);
		if (cls == FileIdBothDirectoryInformation)
			((PFILE_ID_BOTH_DIR_INFORMATION)at)->FileId.QuadPart = n->id;
	}
	memcpy(at + name_offset, n->name, n->name_chars * sizeof(WCHAR));
}

static const struct memvol_node *memvol_nth(const struct memvol_node *dir, ULONG index)
{
	const struct memvol_node *c = dir->children;

	while (c && index--)
		c = c->next;
	return c;
}

NTSTATUS memvol_query_directory(PFLT_CALLBACK_DATA d)
{
	PFILE_OBJECT f = d->Iopb->TargetFileObject;
	struct memvol_handle *h = f ? f->FsContext2 : NULL;
	FILE_INFORMATION_CLASS cls = d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass;
	PUNICODE_STRING pattern = d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileName;
	PUCHAR buf = d->Iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
	ULONG len = d->Iopb->Parameters.DirectoryControl.QueryDirectory.Length;
	ULONG name_offset = memvol_name_offset(cls), used = 0, count = 0;
	PULONG last_next = NULL;
	BOOLEAN first_call;

	d->IoStatus.Information = 0;
	if (!h)
		return d->IoStatus.Status = STATUS_INVALID_HANDLE;
	if (d->Iopb->MinorFunction != IRP_MN_QUERY_DIRECTORY || !h->node->dir)
		return d->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
	if (!name_offset)
		return d->IoStatus.Status = STATUS_INVALID_INFO_CLASS;
	if (d->Iopb->OperationFlags & SL_RESTART_SCAN)
		h->dir_started = FALSE;
	first_call = !h->dir_started;
	if (first_call)
		h->dir_index = 0;
	h->dir_started = TRUE;
	for (const struct memvol_node *n; (n = memvol_nth(h->node, h->dir_index)); h->dir_index++) {
		ULONG need = ALIGN_UP_BY(used, 8) - used + name_offset + n->name_chars * sizeof(WCHAR);

		if (pattern && pattern->Length &&
		    !memvol_match(pattern->Buffer, pattern->Length / 2, n->name, n->name_chars))
			continue;
		if (used + need > len) {
			if (count == 0)
				return d->IoStatus.Status = STATUS_BUFFER_TOO_SMALL;
			break;
		}
		used = (ULONG)ALIGN_UP_BY(used, 8);
		if (last_next)
			*last_next = (ULONG)(buf + used - (PUCHAR)last_next);
		memvol_entry(buf + used, cls, n, h->dir_index, name_offset);
		last_next = (PULONG)(buf + used);
		used += name_offset + n->name_chars * sizeof(WCHAR);
		count++;
		if (d->Iopb->OperationFlags & SL_RETURN_SINGLE_ENTRY) {
			h->dir_index++;
			break;
		}
	}
	d->IoStatus.Information = used;
	if (count)
		return d->IoStatus.Status = STATUS_SUCCESS;
	return d->IoStatus.Status = first_call ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES;
}

static NTSTATUS memvol_fs_attribute(PFLT_CALLBACK_DATA d, PVOID buf, ULONG len)
{
	static const WCHAR fs[] = L"AltitudeMemory";
	PFILE_FS_ATTRIBUTE_INFORMATION a = buf;
	ULONG fixed = FIELD_OFFSET(FILE_FS_ATTRIBUTE_INFORMATION, FileSystemName);
	ULONG name = sizeof(fs) - sizeof(WCHAR), fit;

	if (len < fixed)
		return d->IoStatus.Status = STATUS_INFO_LENGTH_MISMATCH;
	a->FileSystemAttributes = FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
	a->MaximumComponentNameLength = 255;
	a->FileSystemNameLength = name;
	fit = len - fixed < name ? (len - fixed) & ~1u : name;
	memcpy(a->FileSystemName, fs, fit);
	d->IoStatus.Information = fixed + fit;
	return d->IoStatus.Status = fit < name ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS memvol_fs_volume(PFLT_CALLBACK_DATA d, PVOID buf, ULONG len)
{
	static const WCHAR label[] = L"ALTITUDE";
	PFILE_FS_VOLUME_INFORMATION v = buf;
	ULONG fixed = FIELD_OFFSET(FILE_FS_VOLUME_INFORMATION, VolumeLabel);
	ULONG name = sizeof(label) - sizeof(WCHAR), fit;

	if (len < fixed)
		return d->IoStatus.Status = STATUS_INFO_LENGTH_MISMATCH;
	memset(v, 0, fixed);
	v->VolumeSerialNumber = 0x414c5449;
	v->VolumeLabelLength = name;
	fit = len - fixed < name ? (len - fixed) & ~1u : name;
	memcpy(v->VolumeLabel, label, fit);
	d->IoStatus.Information = fixed + fit;
	return d->IoStatus.Status = fit < name ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS memvol_query_volume(PFLT_CALLBACK_DATA d)
{
	PVOID buf = d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer;
	ULONG len = d->Iopb->Parameters.QueryVolumeInformation.Length;

	d->IoStatus.Information = 0;
	switch (d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass) {
	case FileFsSizeInformation: {
		PFILE_FS_SIZE_INFORMATION s = buf;

		if (len < sizeof(*s))
			break;
		s->TotalAllocationUnits.QuadPart = 262144;
		s->AvailableAllocationUnits.QuadPart = 131072;
		s->SectorsPerAllocationUnit = 8;
		s->BytesPerSector = 512;
		d->IoStatus.Information = sizeof(*s);
		return d->IoStatus.Status = STATUS_SUCCESS;
	}
	case FileFsFullSizeInformation: {
		PFILE_FS_FULL_SIZE_INFORMATION s = buf;

		if (len < sizeof(*s))
			break;
		s->TotalAllocationUnits.QuadPart = 262144;
		s->CallerAvailableAllocationUnits.QuadPart = 131072;
		s->ActualAvailableAllocationUnits.QuadPart = 131072;
		s->SectorsPerAllocationUnit = 8;
		s->BytesPerSector = 512;
		d->IoStatus.Information = sizeof(*s);
		return d->IoStatus.Status = STATUS_SUCCESS;
	}
	case FileFsDeviceInformation: {
		PFILE_FS_DEVICE_INFORMATION s = buf;

		if (len < sizeof(*s))
			break;
		s->DeviceType = FILE_DEVICE_DISK_FILE_SYSTEM;
		s->Characteristics = 0;
		d->IoStatus.Information = sizeof(*s);
		return d->IoStatus.Status = STATUS_SUCCESS;
	}
	case FileFsAttributeInformation:
		return memvol_fs_attribute(d, buf, len);
	case FileFsVolumeInformation:
		return memvol_fs_volume(d, buf, len);
	default:
		return d->IoStatus.Status = STATUS_INVALID_INFO_CLASS;
	}
	return d->IoStatus.Status = STATUS_INFO_LENGTH_MISMATCH;
}
