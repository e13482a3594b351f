/*
 * FltGetFileNameInformation, FltGetFileNameInformationUnsafe,
 * FltGetDestinationFileNameInformation and FltGetTunneledName (see
 * include/km/flt/names.h for the behaviour).  File system queries go
 * straight to the lower file system, below every minifilter.
 */
#include "flt/name.h"

static void *flt_name_alloc(SIZE_T size)
{
	return ExAllocatePoolWithTag(PagedPool, size, FLT_NAME_TAG);
}

static void flt_name_free(void *p)
{
	if (p)
		ExFreePoolWithTag(p, FLT_NAME_TAG);
}

struct flt_name_request {
	PFLT_VOLUME volume;
	PFLT_INSTANCE instance;
	PFILE_OBJECT file;
	FLT_FILE_NAME_OPTIONS options;
	BOOLEAN pre_create;  /* the name comes from FileObject->FileName */
	BOOLEAN target_dir;  /* SL_OPEN_TARGET_DIRECTORY: the parent's name */
	BOOLEAN unsafe;      /* paging I/O or a top-level IRP: no file system query */
	BOOLEAN post_close;
};

/* Asks the file system for `cls` (FileNameInformation, FileAlternateNameInformation). */
static NTSTATUS flt_name_fs_query(const struct flt_name_request *r, FILE_INFORMATION_CLASS cls,
				  WCHAR **path, USHORT *chars)
{
	ULONG len = FIELD_OFFSET(FILE_NAME_INFORMATION, FileName) + 256 * sizeof(WCHAR);
	PFILE_NAME_INFORMATION ni = NULL;
	PFLT_CALLBACK_DATA d = NULL;
	NTSTATUS s;

	for (int attempt = 0; attempt < 2; attempt++) {
		flt_name_free(ni);
		ni = flt_name_alloc(len);
		s = ni ? flt_io_allocate(r->volume, r->instance, r->file, &d)
		       : STATUS_INSUFFICIENT_RESOURCES;
		if (!NT_SUCCESS(s))
			goto out;
		d->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
		d->Iopb->Parameters.QueryFileInformation.Length = len;
		d->Iopb->Parameters.QueryFileInformation.FileInformationClass = cls;
		d->Iopb->Parameters.QueryFileInformation.InfoBuffer = ni;
		s = flt_io_run(d, TRUE);
		FltFreeCallbackData(d);
		if (s != STATUS_BUFFER_OVERFLOW)
			break;
		len = FIELD_OFFSET(FILE_NAME_INFORMATION, FileName) + ni->FileNameLength;
	}
	if (!NT_SUCCESS(s) || s == STATUS_BUFFER_OVERFLOW) {
		if (s == STATUS_BUFFER_OVERFLOW)
			s = STATUS_FLT_INTERNAL_ERROR;
		goto out;
	}
	if (ni->FileNameLength > 0xfffe) {
		s = STATUS_OBJECT_NAME_INVALID;
		goto out;
	}
	*chars = (USHORT)(ni->FileNameLength / sizeof(WCHAR));
	*path = flt_name_alloc(((size_t)*chars + 1) * sizeof(WCHAR));
	if (!*path) {
		s = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	memcpy(*path, ni->FileName, *chars * sizeof(WCHAR));
	s = STATUS_SUCCESS;
out:
	flt_name_free(ni);
	return s;
}

/* Cuts the final component (SL_OPEN_TARGET_DIRECTORY); keeps the root. */
static USHORT flt_name_parent_chars(const WCHAR *path, USHORT chars)
{
	while (chars > 1 && path[chars - 1] != L'\\')
		chars--;
	return chars > 1 ? (USHORT)(chars - 1) : chars;
}

/* Volume + normalized(path) + the stream of `stream_src`. */
static NTSTATUS flt_name_build(const struct flt_name_request *r, const WCHAR *path, USHORT chars,
			       const WCHAR *stream_src, USHORT stream_src_chars, BOOLEAN verbatim,
			       PFLT_FILE_NAME_INFORMATION *out)
{
	USHORT stream = flt_name_stream_chars(stream_src, stream_src_chars);
	USHORT base = path == stream_src ? (USHORT)(chars - stream) : chars;
	WCHAR *norm = flt_name_alloc(((size_t)base + 2) * sizeof(WCHAR));
	USHORT n;
	NTSTATUS s;

	if (!norm)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (verbatim) {
		memcpy(norm, path, base * sizeof(WCHAR));
		n = base;
	} else {
		n = flt_name_normalize(path, base, norm);
	}
	if (r->target_dir) {
		n = flt_name_parent_chars(norm, n);
		stream = 0;
	}
	s = flt_name_new(&r->volume->name, norm, n, stream_src + stream_src_chars - stream, stream,
			 FltGetFileNameFormat(r->options), out);
	flt_name_free(norm);
	return s;
}

static NTSTATUS flt_name_from_fs(const struct flt_name_request *r, PFLT_FILE_NAME_INFORMATION *out)
{
	const UNICODE_STRING *fn = &r->file->FileName;
	USHORT chars = 0;
	WCHAR *path = NULL;
	NTSTATUS s;

	if (FltGetFileNameFormat(r->options) == FLT_FILE_NAME_SHORT) {
		s = flt_name_fs_query(r, FileAlternateNameInformation, &path, &chars);
		if (s == STATUS_INVALID_INFO_CLASS || s == STATUS_INVALID_PARAMETER ||
		    s == STATUS_INVALID_DEVICE_REQUEST || s == STATUS_NOT_IMPLEMENTED)
			s = STATUS_NOT_SUPPORTED;
		if (NT_SUCCESS(s))
			s = flt_name_new(NULL, path, chars, NULL, 0, FLT_FILE_NAME_SHORT, out);
		flt_name_free(path);
		return s;
	}
	s = flt_name_fs_query(r, FileNameInformation, &path, &chars);
	if (NT_SUCCESS(s))
		s = flt_name_build(r, path, chars, fn->Buffer, fn->Length / sizeof(WCHAR), FALSE, out);
	flt_name_free(path);
	return s;
}

/* A relative open: the related (open) file's path, a separator, then FileName. */
static NTSTATUS flt_name_from_related(const struct flt_name_request *r,
				      PFLT_FILE_NAME_INFORMATION *out)
{
	const UNICODE_STRING *fn = &r->file->FileName;
	USHORT chars = fn->Length / sizeof(WCHAR), base_chars = 0;
	struct flt_name_request related = *r;
	WCHAR *base = NULL, *path;
	NTSTATUS s;

	related.file = r->file->RelatedFileObject;
	s = flt_name_fs_query(&related, FileNameInformation, &base, &base_chars);
	if (!NT_SUCCESS(s))
		return s;
	path = flt_name_alloc(((size_t)base_chars + chars + 1) * sizeof(WCHAR));
	if (!path) {
		flt_name_free(base);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	memcpy(path, base, base_chars * sizeof(WCHAR));
	path[base_chars] = L'\\';
	if (chars)
		memcpy(path + base_chars + 1, fn->Buffer, chars * sizeof(WCHAR));
	s = flt_name_build(r, path, (USHORT)(base_chars + 1 + chars), path,
			   (USHORT)(base_chars + 1 + chars),
			   FltGetFileNameFormat(r->options) == FLT_FILE_NAME_OPENED, out);
	flt_name_free(path);
	flt_name_free(base);
	return s;
}

static NTSTATUS flt_name_from_file_object(const struct flt_name_request *r,
					  PFLT_FILE_NAME_INFORMATION *out)
{
	const UNICODE_STRING *fn = &r->file->FileName;
	USHORT chars = fn->Length / sizeof(WCHAR);

	if (r->file->RelatedFileObject && r->file->RelatedFileObject->FsContext &&
	    !(chars && fn->Buffer[0] == L'\\'))
		return flt_name_from_related(r, out);
	return flt_name_build(r, fn->Buffer, chars, fn->Buffer, chars,
			      FltGetFileNameFormat(r->options) == FLT_FILE_NAME_OPENED, out);
}

static NTSTATUS flt_name_check_options(FLT_FILE_NAME_OPTIONS o)
{
	ULONG format = FltGetFileNameFormat(o), method = FltGetFileNameQueryMethod(o);

	if (format < FLT_FILE_NAME_NORMALIZED || format > FLT_FILE_NAME_SHORT)
		return STATUS_INVALID_PARAMETER;
	if (method < FLT_FILE_NAME_QUERY_DEFAULT || method > FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP)
		return STATUS_INVALID_PARAMETER;
	if (o & ~(FLT_VALID_FILE_NAME_FORMATS | FLT_VALID_FILE_NAME_QUERY_METHODS | FLT_VALID_FILE_NAME_FLAGS))
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

static NTSTATUS flt_name_pre_create(const struct flt_name_request *r, ULONG method,
				    PFLT_FILE_NAME_INFORMATION *out)
{
	if (FltGetFileNameFormat(r->options) == FLT_FILE_NAME_SHORT)
		return STATUS_FLT_INVALID_NAME_REQUEST;
	if (method == FLT_FILE_NAME_QUERY_CACHE_ONLY ||
	    (r->unsafe && method == FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP))
		return STATUS_FLT_NAME_CACHE_MISS;
	if (r->unsafe)
		return STATUS_FLT_INVALID_NAME_REQUEST;
	return flt_name_from_file_object(r, out);
}

static NTSTATUS flt_name_get(const struct flt_name_request *r, PFLT_FILE_NAME_INFORMATION *out)
{
	ULONG format = FltGetFileNameFormat(r->options), method = FltGetFileNameQueryMethod(r->options);
	BOOLEAN use_cache = format != FLT_FILE_NAME_SHORT && method != FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY;
	PVOID stream = r->file->FsContext;
	ULONGLONG epoch;
	NTSTATUS s;

	if (r->post_close)
		return STATUS_FLT_INVALID_NAME_REQUEST;
	if (r->pre_create)
		return flt_name_pre_create(r, method, out);
	if (r->unsafe && method == FLT_FILE_NAME_QUERY_DEFAULT)
		return STATUS_FLT_INVALID_NAME_REQUEST;
	if (use_cache) {
		*out = flt_name_cache_lookup(r->volume, stream, format);
		if (*out)
			return STATUS_SUCCESS;
	}
	if (method == FLT_FILE_NAME_QUERY_CACHE_ONLY ||
	    (r->unsafe && method == FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP))
		return STATUS_FLT_NAME_CACHE_MISS;
	if (r->unsafe)
		return STATUS_FLT_INVALID_NAME_REQUEST;
	epoch = flt_name_cache_epoch(r->volume);
	s = flt_name_from_fs(r, out);
	if (NT_SUCCESS(s) && use_cache && !(r->options & FLT_FILE_NAME_DO_NOT_CACHE))
		flt_name_cache_insert(r->volume, stream, format, epoch, *out);
	return s;
}

NTSTATUS FLTAPI FltGetFileNameInformation(PFLT_CALLBACK_DATA CallbackData,
					  FLT_FILE_NAME_OPTIONS NameOptions,
					  PFLT_FILE_NAME_INFORMATION *FileNameInformation)
{
	struct flt_name_request r;
	PFLT_IO_PARAMETER_BLOCK iopb;
	NTSTATUS s;

	if (!CallbackData || !FileNameInformation)
		return STATUS_INVALID_PARAMETER;
	*FileNameInformation = NULL;
	s = flt_name_check_options(NameOptions);
	if (!NT_SUCCESS(s))
		return s;
	if (!ke_irql_at_most(APC_LEVEL, "FltGetFileNameInformation"))
		return STATUS_UNSUCCESSFUL;
	iopb = CallbackData->Iopb;
	if (!iopb->TargetFileObject)
		return STATUS_INVALID_PARAMETER;
	memset(&r, 0, sizeof(r));
	r.volume = flt_op_from_data(CallbackData)->volume;
	r.instance = iopb->TargetInstance;
	r.file = iopb->TargetFileObject;
	r.options = NameOptions;
	r.pre_create = iopb->MajorFunction == IRP_MJ_CREATE && !r.file->FsContext;
	r.target_dir = r.pre_create && (iopb->OperationFlags & SL_OPEN_TARGET_DIRECTORY);
	r.unsafe = (iopb->IrpFlags & IRP_PAGING_IO) || IoGetTopLevelIrp() != NULL;
	r.post_close = iopb->MajorFunction == IRP_MJ_CLOSE && !r.file->FsContext;
	return flt_name_get(&r, FileNameInformation);
}

NTSTATUS FLTAPI FltGetFileNameInformationUnsafe(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance,
						FLT_FILE_NAME_OPTIONS NameOptions,
						PFLT_FILE_NAME_INFORMATION *FileNameInformation)
{
	struct flt_name_request r;
	NTSTATUS s;

	if (!FileObject || !FileNameInformation)
		return STATUS_INVALID_PARAMETER;
	*FileNameInformation = NULL;
	s = flt_name_check_options(NameOptions);
	if (!NT_SUCCESS(s))
		return s;
	if (!ke_irql_at_most(APC_LEVEL, "FltGetFileNameInformationUnsafe"))
		return STATUS_UNSUCCESSFUL;
	memset(&r, 0, sizeof(r));
	r.volume = Instance ? Instance->volume : flt_io_file_volume(FileObject);
	if (!r.volume)
		return STATUS_INVALID_PARAMETER;
	r.instance = Instance;
	r.file = FileObject;
	r.options = NameOptions;
	r.pre_create = !FileObject->FsContext;
	r.unsafe = IoGetTopLevelIrp() != NULL;
	return flt_name_get(&r, FileNameInformation);
}

NTSTATUS FLTAPI FltGetTunneledName(PFLT_CALLBACK_DATA CallbackData,
				   PFLT_FILE_NAME_INFORMATION FileNameInformation,
				   PFLT_FILE_NAME_INFORMATION *RetTunneledFileNameInformation)
{
	if (!CallbackData || !FileNameInformation || !RetTunneledFileNameInformation)
		return STATUS_INVALID_PARAMETER;
	*RetTunneledFileNameInformation = NULL;
	if (FltGetFileNameFormat(FileNameInformation->Format) != FLT_FILE_NAME_NORMALIZED)
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

/*
 * The normalized path (volume-relative, from pool) of `file`, by the query
 * method of `options` (so CACHE_ONLY answers from the cache or misses).
 */
static NTSTATUS flt_name_path_of(PFLT_INSTANCE inst, PFILE_OBJECT file, FLT_FILE_NAME_OPTIONS options,
				 WCHAR **path, USHORT *chars)
{
	PFLT_FILE_NAME_INFORMATION info = NULL;
	struct flt_name_request r;
	USHORT vol;
	NTSTATUS s;

	memset(&r, 0, sizeof(r));
	r.volume = inst->volume;
	r.instance = inst;
	r.file = file;
	r.options = FLT_FILE_NAME_NORMALIZED | (options & ~FLT_VALID_FILE_NAME_FORMATS);
	r.pre_create = !file->FsContext;
	s = flt_name_get(&r, &info);
	if (!NT_SUCCESS(s))
		return s;
	vol = info->Volume.Length / sizeof(WCHAR);
	*chars = (USHORT)(info->Name.Length / sizeof(WCHAR) - vol);
	*path = flt_name_alloc(((size_t)*chars + 1) * sizeof(WCHAR));
	if (*path)
		memcpy(*path, info->Name.Buffer + vol, *chars * sizeof(WCHAR));
	FltReleaseFileNameInformation(info);
	return *path ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/* Base directory path (pool, volume-relative) the destination name is relative to. */
static NTSTATUS flt_name_dest_base(PFLT_INSTANCE inst, PFILE_OBJECT file, HANDLE root,
				   FLT_FILE_NAME_OPTIONS options, WCHAR **base, USHORT *chars)
{
	PFILE_OBJECT dir;
	NTSTATUS s;

	if (!root) {
		s = flt_name_path_of(inst, file, options, base, chars);
		if (NT_SUCCESS(s))
			*chars = flt_name_parent_chars(*base, *chars);
		return s;
	}
	s = ObReferenceObjectByHandle(root, 0, *IoFileObjectType, KernelMode, (PVOID *)&dir, NULL);
	if (!NT_SUCCESS(s))
		return s;
	s = flt_name_path_of(inst, dir, options, base, chars);
	ObDereferenceObject(dir);
	return s;
}

static BOOLEAN flt_name_on_volume(PFLT_VOLUME v, const WCHAR *name, USHORT chars)
{
	UNICODE_STRING head;
	USHORT vol = v->name.Length / sizeof(WCHAR);

	if (chars < vol || (chars > vol && name[vol] != L'\\'))
		return FALSE;
	head.Buffer = (PWCH)name;
	head.Length = head.MaximumLength = v->name.Length;
	return flt_string_equal(&head, &v->name, TRUE);
}

/* The destination as a volume-relative path (from pool). */
static NTSTATUS flt_name_dest_path(PFLT_INSTANCE inst, PFILE_OBJECT file, HANDLE root,
				   FLT_FILE_NAME_OPTIONS options, const WCHAR *name, USHORT chars,
				   WCHAR **path, USHORT *out_chars)
{
	USHORT vol = inst->volume->name.Length / sizeof(WCHAR), base_chars = 0;
	WCHAR *base = NULL, *p;
	NTSTATUS s;

	if (!root && flt_name_on_volume(inst->volume, name, chars)) {
		name += vol;
		chars = (USHORT)(chars - vol);
	} else if (!root && chars >= 8 && !memcmp(name, L"\\Device\\", 8 * sizeof(WCHAR))) {
		return STATUS_NOT_SAME_DEVICE;
	} else if (root || chars == 0 || name[0] != L'\\') {
		s = flt_name_dest_base(inst, file, root, options, &base, &base_chars);
		if (!NT_SUCCESS(s))
			return s;
	}
	p = flt_name_alloc(((size_t)base_chars + chars + 2) * sizeof(WCHAR));
	if (!p) {
		flt_name_free(base);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	if (base_chars)
		memcpy(p, base, base_chars * sizeof(WCHAR));
	p[base_chars] = L'\\';
	if (chars)
		memcpy(p + base_chars + 1, name, chars * sizeof(WCHAR));
	*path = p;
	*out_chars = (USHORT)(base_chars + 1 + chars);
	flt_name_free(base);
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetDestinationFileNameInformation(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
						     HANDLE RootDirectory, PWSTR FileName,
						     ULONG FileNameLength,
						     FLT_FILE_NAME_OPTIONS NameOptions,
						     PFLT_FILE_NAME_INFORMATION *RetFileNameInformation)
{
	struct flt_name_request r;
	WCHAR *path = NULL;
	USHORT chars;
	NTSTATUS s;

	if (!Instance || !FileObject || !RetFileNameInformation || (FileNameLength && !FileName) ||
	    FileNameLength > 0xfff0 || (FileNameLength & 1))
		return STATUS_INVALID_PARAMETER;
	*RetFileNameInformation = NULL;
	s = flt_name_check_options(NameOptions);
	if (!NT_SUCCESS(s))
		return s;
	if (FltGetFileNameFormat(NameOptions) == FLT_FILE_NAME_SHORT || IoGetTopLevelIrp())
		return STATUS_FLT_INVALID_NAME_REQUEST;
	if (!ke_irql_at_most(APC_LEVEL, "FltGetDestinationFileNameInformation"))
		return STATUS_UNSUCCESSFUL;
	s = flt_name_dest_path(Instance, FileObject, RootDirectory, NameOptions, FileName,
			       (USHORT)(FileNameLength / sizeof(WCHAR)), &path, &chars);
	if (!NT_SUCCESS(s))
		return s;
	memset(&r, 0, sizeof(r));
	r.volume = Instance->volume;
	r.options = NameOptions;
	s = flt_name_build(&r, path, chars, path, chars, FALSE, RetFileNameInformation);
	flt_name_free(path);
	return s;
}
