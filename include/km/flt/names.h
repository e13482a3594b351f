/*
 * File name information: FltGetFileNameInformation and its relatives, the
 * parsed FLT_FILE_NAME_INFORMATION, and the Filter Manager's name cache.
 *
 * Names are "\Device\AltitudeVolume1\dir\file.txt"; the volume root is
 * "\Device\AltitudeVolume1\".  Normalized and opened names are asked of
 * the lower file system (bypassing every minifilter): the memory volume
 * has no short names, so both are the full path with the case as stored;
 * a stream in the file object's name (":s:$DATA") is appended.  In the
 * pre-create path (and for a create that failed) both come from the file
 * object's FileName (after the RelatedFileObject's path for a relative
 * open): the opened name as given, the normalized name with "." and ".."
 * removed and separators collapsed (the final component may not exist
 * yet); with SL_OPEN_TARGET_DIRECTORY, the parent directory's name.
 *
 * The cache is per volume, keyed by the stream (FILE_OBJECT FsContext)
 * and the format.  Every successful rename, hard link or delete on the
 * volume (FileRename/Link/Disposition information, or a create with
 * FILE_DELETE_ON_CLOSE) bumps the volume's epoch, which invalidates every
 * cached name: this covers renames of a parent directory.  A close drops
 * the entries of its stream.
 *
 * The runtime has no name provider minifilters (GenerateFileNameCallback
 * is not called): FLT_FILE_NAME_REQUEST_FROM_CURRENT_PROVIDER queries the
 * file system like any other query.  FLT_FILE_NAME_SHORT asks the lower
 * file system for FileAlternateNameInformation; a file system without
 * short names (the memory volume) gives STATUS_NOT_SUPPORTED.
 */
#ifndef ALTITUDE_FLT_NAMES_H
#define ALTITUDE_FLT_NAMES_H

#include <flt/types.h>
#include <flt/callback_data.h>

typedef ULONG FLT_FILE_NAME_OPTIONS;

#define FLT_VALID_FILE_NAME_FORMATS 0x000000ff
#define FLT_FILE_NAME_NORMALIZED 0x00000001
#define FLT_FILE_NAME_OPENED 0x00000002
#define FLT_FILE_NAME_SHORT 0x00000003
#define FltGetFileNameFormat(_NameOptions) ((_NameOptions) & FLT_VALID_FILE_NAME_FORMATS)

#define FLT_VALID_FILE_NAME_QUERY_METHODS 0x0000ff00
#define FLT_FILE_NAME_QUERY_DEFAULT 0x00000100
#define FLT_FILE_NAME_QUERY_CACHE_ONLY 0x00000200
#define FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY 0x00000300
#define FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP 0x00000400
#define FltGetFileNameQueryMethod(_NameOptions) ((_NameOptions) & FLT_VALID_FILE_NAME_QUERY_METHODS)

#define FLT_VALID_FILE_NAME_FLAGS 0xff000000
#define FLT_FILE_NAME_REQUEST_FROM_CURRENT_PROVIDER 0x01000000
#define FLT_FILE_NAME_DO_NOT_CACHE 0x02000000
#define FLT_FILE_NAME_ALLOW_QUERY_ON_REPARSE 0x04000000

typedef USHORT FLT_FILE_NAME_PARSED_FLAGS;
#define FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT 0x0001
#define FLTFL_FILE_NAME_PARSED_EXTENSION 0x0002
#define FLTFL_FILE_NAME_PARSED_STREAM 0x0004
#define FLTFL_FILE_NAME_PARSED_PARENT_DIR 0x0008

typedef struct _FLT_FILE_NAME_INFORMATION {
	USHORT Size;
	FLT_FILE_NAME_PARSED_FLAGS NamesParsed;
	FLT_FILE_NAME_OPTIONS Format;
	UNICODE_STRING Name;
	UNICODE_STRING Volume;
	UNICODE_STRING Share;
	UNICODE_STRING Extension;
	UNICODE_STRING Stream;
	UNICODE_STRING FinalComponent;
	UNICODE_STRING ParentDir;
} FLT_FILE_NAME_INFORMATION, *PFLT_FILE_NAME_INFORMATION;
_Static_assert(sizeof(FLT_FILE_NAME_INFORMATION) == 120, "FLT_FILE_NAME_INFORMATION is 120 bytes on x64");
_Static_assert(__builtin_offsetof(FLT_FILE_NAME_INFORMATION, Name) == 8, "Name at 8");

/*
 * STATUS_INVALID_PARAMETER: NULL arguments, no or several formats or
 * query methods, no target file object.  STATUS_FLT_INVALID_NAME_REQUEST:
 * paging I/O, a top-level IRP on the thread (unless the cache answers),
 * post-close, a short name in pre-create.  STATUS_FLT_NAME_CACHE_MISS:
 * QUERY_CACHE_ONLY not in the cache, or ALWAYS_ALLOW_CACHE_LOOKUP not in
 * the cache when the file system cannot be queried.  IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltGetFileNameInformation(PFLT_CALLBACK_DATA CallbackData,
					  FLT_FILE_NAME_OPTIONS NameOptions,
					  PFLT_FILE_NAME_INFORMATION *FileNameInformation);
/*
 * As above for a file object outside an operation.  Instance may be NULL
 * only for a file object opened by FltCreateFile(Ex/Ex2) (it knows its
 * volume); otherwise STATUS_INVALID_PARAMETER.
 */
NTSTATUS FLTAPI FltGetFileNameInformationUnsafe(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance,
						FLT_FILE_NAME_OPTIONS NameOptions,
						PFLT_FILE_NAME_INFORMATION *FileNameInformation);
/*
 * The name a rename or hard link (FILE_RENAME_INFORMATION or
 * FILE_LINK_INFORMATION) would give FileObject: relative to RootDirectory
 * (a handle from FltCreateFile), a full name ("\Device\...\x"), a
 * volume-relative path ("\dir\x") or a simple name (same directory).
 * The directory part comes from the file's (or RootDirectory's) normalized
 * name, looked up by the query method of NameOptions; the rest is
 * normalized lexically (the destination need not exist), so NORMALIZED and
 * OPENED give the same name.  STATUS_FLT_INVALID_NAME_REQUEST for
 * FLT_FILE_NAME_SHORT or a top-level IRP on the thread;
 * STATUS_NOT_SAME_DEVICE for a name on another volume; the status of
 * ObReferenceObjectByHandle for a bad RootDirectory;
 * STATUS_FLT_NAME_CACHE_MISS as for FltGetFileNameInformation.
 */
NTSTATUS FLTAPI FltGetDestinationFileNameInformation(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
						     HANDLE RootDirectory, PWSTR FileName,
						     ULONG FileNameLength,
						     FLT_FILE_NAME_OPTIONS NameOptions,
						     PFLT_FILE_NAME_INFORMATION *RetFileNameInformation);
/*
 * The runtime does no file name tunneling: on success
 * *RetTunneledFileNameInformation is always NULL ("no tunneled name").
 * STATUS_INVALID_PARAMETER for NULL arguments or a name that is not
 * normalized.
 */
NTSTATUS FLTAPI FltGetTunneledName(PFLT_CALLBACK_DATA CallbackData,
				   PFLT_FILE_NAME_INFORMATION FileNameInformation,
				   PFLT_FILE_NAME_INFORMATION *RetTunneledFileNameInformation);

/* Sets Extension, Stream, FinalComponent and ParentDir (absent: Length 0, Buffer NULL). */
NTSTATUS FLTAPI FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation);
/* Extension, stream and final component of any name string; each out is optional. */
NTSTATUS FLTAPI FltParseFileName(PCUNICODE_STRING FileName, PUNICODE_STRING Extension,
				 PUNICODE_STRING Stream, PUNICODE_STRING FinalComponent);
VOID FLTAPI FltReferenceFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation);
VOID FLTAPI FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation);

/* Asks the file system below Instance (FileStandardInformation). */
NTSTATUS FLTAPI FltIsDirectory(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance,
			       PBOOLEAN IsDirectory);

#endif /* ALTITUDE_FLT_NAMES_H */
