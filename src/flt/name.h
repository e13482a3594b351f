/* Internal interface of the file name services (name_*.c). */
#ifndef ALTITUDE_SRC_FLT_NAME_H
#define ALTITUDE_SRC_FLT_NAME_H

#include "flt/flt.h"

/* Name information objects and the name code's temporary buffers; the cache. */
#define FLT_NAME_TAG FLT_TAG('F', 'M', 'n', 'm')
#define FLT_NAME_CACHE_TAG FLT_TAG('F', 'M', 'n', 'c')

/* A path being built: UTF-16 characters, no terminator. */
struct flt_path {
	WCHAR *buf;
	USHORT chars;
	USHORT capacity;
};

/*
 * A new name information (one reference): volume + path + stream, with
 * Volume set; Format as given.  STATUS_INSUFFICIENT_RESOURCES, or
 * STATUS_OBJECT_NAME_INVALID when the name exceeds a UNICODE_STRING.
 */
NTSTATUS flt_name_new(PCUNICODE_STRING volume, const WCHAR *path, USHORT path_chars,
		      const WCHAR *stream, USHORT stream_chars, FLT_FILE_NAME_OPTIONS format,
		      PFLT_FILE_NAME_INFORMATION *out);
/*
 * Lexical normalization of a volume-relative path into out (capacity at
 * least chars + 1): separators collapsed, "." dropped, ".." removes the
 * previous component (never above the root); always starts with '\'.
 * The stream part of the last component (from its first ':') is not
 * touched by this: callers split it first.
 */
USHORT flt_name_normalize(const WCHAR *in, USHORT chars, WCHAR *out);
/* Characters of the stream suffix (":s:$DATA") of a path's final component, 0 if none. */
USHORT flt_name_stream_chars(const WCHAR *path, USHORT chars);

/* The cache (name_cache.c). */
ULONGLONG flt_name_cache_epoch(PFLT_VOLUME volume);
/* A referenced cached name of the stream in `format`, or NULL. */
PFLT_FILE_NAME_INFORMATION flt_name_cache_lookup(PFLT_VOLUME volume, PVOID stream, ULONG format);
/* Caches `info` (takes a reference) unless the epoch moved since `epoch`. */
void flt_name_cache_insert(PFLT_VOLUME volume, PVOID stream, ULONG format, ULONGLONG epoch,
			   PFLT_FILE_NAME_INFORMATION info);

#endif /* ALTITUDE_SRC_FLT_NAME_H */
