/*
 * FLT_FILE_NAME_INFORMATION objects: allocation with the name text in the
 * same block, references, parsing (FltParseFileNameInformation,
 * FltParseFileName) and lexical normalization.
 *
 * Parsing, as Windows does it: Volume is "\Device\<name>"; for the
 * network redirectors (\Device\Mup, \Device\LanmanRedirector) Share is the
 * next two components ("\server\share").  ParentDir runs from the first
 * separator after the volume (and share) through the last separator
 * (so "\dir\" or "\"); FinalComponent is what follows it, stream included;
 * Stream starts at the final component's first ':'; Extension follows the
 * last '.' of the final component before its stream.  A component that is
 * absent (the volume root has no ParentDir or FinalComponent beyond "\")
 * gets Length 0 and Buffer NULL.
 */
#include <stdatomic.h>

#include "flt/name.h"

struct flt_name {
	atomic_long refs;
	pthread_mutex_t parse_lock;
	FLT_FILE_NAME_INFORMATION info;
	WCHAR text[];
};

static struct flt_name *flt_name_of(PFLT_FILE_NAME_INFORMATION info)
{
	return CONTAINING_RECORD(info, struct flt_name, info);
}

static void flt_ustr(UNICODE_STRING *u, const WCHAR *buf, USHORT chars)
{
	u->Buffer = chars ? (PWCH)buf : NULL;
	u->Length = (USHORT)(chars * sizeof(WCHAR));
	u->MaximumLength = u->Length;
}

NTSTATUS flt_name_new(PCUNICODE_STRING volume, const WCHAR *path, USHORT path_chars,
		      const WCHAR *stream, USHORT stream_chars, FLT_FILE_NAME_OPTIONS format,
		      PFLT_FILE_NAME_INFORMATION *out)
{
	USHORT vol_chars = volume ? volume->Length / sizeof(WCHAR) : 0;
	ULONG chars = (ULONG)vol_chars + path_chars + stream_chars;
	struct flt_name *n;

	if (chars * sizeof(WCHAR) > 0xfffe)
		return STATUS_OBJECT_NAME_INVALID;
	n = ExAllocatePoolWithTag(PagedPool, sizeof(*n) + (chars + 1) * sizeof(WCHAR), FLT_NAME_TAG);
	if (!n)
		return STATUS_INSUFFICIENT_RESOURCES;
	memset(n, 0, sizeof(*n));
	atomic_init(&n->refs, 1);
	pthread_mutex_init(&n->parse_lock, NULL);
	if (vol_chars)
		memcpy(n->text, volume->Buffer, vol_chars * sizeof(WCHAR));
	if (path_chars)
		memcpy(n->text + vol_chars, path, path_chars * sizeof(WCHAR));
	if (stream_chars)
		memcpy(n->text + vol_chars + path_chars, stream, stream_chars * sizeof(WCHAR));
	n->text[chars] = 0;
	n->info.Size = sizeof(FLT_FILE_NAME_INFORMATION);
	n->info.Format = format;
	flt_ustr(&n->info.Name, n->text, (USHORT)chars);
	n->info.Name.MaximumLength = (USHORT)(chars * sizeof(WCHAR));
	flt_ustr(&n->info.Volume, n->text, vol_chars);
	*out = &n->info;
	return STATUS_SUCCESS;
}

VOID FLTAPI FltReferenceFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
	if (FileNameInformation)
		atomic_fetch_add(&flt_name_of(FileNameInformation)->refs, 1);
}

VOID FLTAPI FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
	struct flt_name *n;

	if (!FileNameInformation)
		return;
	n = flt_name_of(FileNameInformation);
	if (atomic_fetch_sub(&n->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&n->parse_lock);
	ExFreePoolWithTag(n, FLT_NAME_TAG);
}

static WCHAR flt_up(WCHAR c)
{
	return (c >= L'a' && c <= L'z') ? (WCHAR)(c - (L'a' - L'A')) : c;
}

static BOOLEAN flt_prefix_ci(const WCHAR *s, USHORT chars, const WCHAR *prefix)
{
	USHORT i = 0;

	for (; prefix[i]; i++) {
		if (i >= chars || flt_up(s[i]) != flt_up(prefix[i]))
			return FALSE;
	}
	return i == chars || s[i] == L'\\';
}

/* Index just past `count` more components starting at `at` (each "\x"). */
static USHORT flt_skip_components(const WCHAR *s, USHORT chars, USHORT at, int count)
{
	while (count-- > 0 && at < chars) {
		at++;
		while (at < chars && s[at] != L'\\')
			at++;
	}
	return at;
}

struct flt_name_parts {
	USHORT volume, share_end; /* volume = characters of the volume name */
	const WCHAR *final, *ext, *stream, *parent;
	USHORT final_chars, ext_chars, stream_chars, parent_chars;
};

/* Extension and stream of a final component. */
static void flt_split_final(struct flt_name_parts *p)
{
	USHORT base = p->final_chars;

	for (USHORT i = 0; i < p->final_chars; i++) {
		if (p->final[i] == L':') {
			base = i;
			break;
		}
	}
	p->stream = p->final + base;
	p->stream_chars = (USHORT)(p->final_chars - base);
	p->ext = NULL;
	p->ext_chars = 0;
	for (USHORT i = base; i > 0; i--) {
		if (p->final[i - 1] == L'.') {
			p->ext = p->final + i;
			p->ext_chars = (USHORT)(base - i);
			break;
		}
	}
}

/* Final component (and parent directory from `start`) of s[start, chars). */
static void flt_split_path(const WCHAR *s, USHORT chars, USHORT start, struct flt_name_parts *p)
{
	USHORT last = chars;

	for (USHORT i = chars; i > start; i--) {
		if (s[i - 1] == L'\\') {
			last = (USHORT)(i - 1);
			break;
		}
	}
	if (last == chars) {
		p->parent = NULL;
		p->parent_chars = 0;
		p->final = s + start;
		p->final_chars = (USHORT)(chars - start);
	} else {
		p->parent = s + start;
		p->parent_chars = (USHORT)(last + 1 - start);
		p->final = s + last + 1;
		p->final_chars = (USHORT)(chars - last - 1);
	}
	/* The root alone ("\") is neither a parent directory nor a final component. */
	if (p->parent_chars == 1 && p->final_chars == 0)
		p->parent_chars = 0;
	flt_split_final(p);
}

static void flt_parse_full(const WCHAR *s, USHORT chars, USHORT known_volume,
			   struct flt_name_parts *p)
{
	USHORT vol = known_volume;

	if (!vol && flt_prefix_ci(s, chars, L"\\Device") && chars > 7)
		vol = flt_skip_components(s, chars, 7, 1);
	p->volume = vol;
	p->share_end = vol;
	if (flt_prefix_ci(s, chars, L"\\Device\\Mup") ||
	    flt_prefix_ci(s, chars, L"\\Device\\LanmanRedirector"))
		p->share_end = flt_skip_components(s, chars, vol, 2);
	flt_split_path(s, chars, p->share_end, p);
}

NTSTATUS FLTAPI FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
	PFLT_FILE_NAME_INFORMATION info = FileNameInformation;
	const FLT_FILE_NAME_PARSED_FLAGS all = FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT |
					       FLTFL_FILE_NAME_PARSED_EXTENSION |
					       FLTFL_FILE_NAME_PARSED_STREAM |
					       FLTFL_FILE_NAME_PARSED_PARENT_DIR;
	struct flt_name_parts p;
	struct flt_name *n;
	const WCHAR *s;
	USHORT chars;

	if (!info)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, "FltParseFileNameInformation"))
		return STATUS_UNSUCCESSFUL;
	n = flt_name_of(info);
	s = info->Name.Buffer;
	chars = info->Name.Length / sizeof(WCHAR);
	pthread_mutex_lock(&n->parse_lock);
	if (info->NamesParsed == all)
		goto out;
	memset(&p, 0, sizeof(p));
	if (FltGetFileNameFormat(info->Format) == FLT_FILE_NAME_SHORT)
		flt_split_path(s, chars, 0, &p);
	else
		flt_parse_full(s, chars, info->Volume.Length / sizeof(WCHAR), &p);
	if (FltGetFileNameFormat(info->Format) != FLT_FILE_NAME_SHORT) {
		flt_ustr(&info->Volume, s, p.volume);
		flt_ustr(&info->Share, s + p.volume, (USHORT)(p.share_end - p.volume));
	}
	flt_ustr(&info->FinalComponent, p.final, p.final_chars);
	flt_ustr(&info->Extension, p.ext, p.ext_chars);
	flt_ustr(&info->Stream, p.stream, p.stream_chars);
	flt_ustr(&info->ParentDir, p.parent, p.parent_chars);
	info->NamesParsed = all;
out:
	pthread_mutex_unlock(&n->parse_lock);
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltParseFileName(PCUNICODE_STRING FileName, PUNICODE_STRING Extension,
				 PUNICODE_STRING Stream, PUNICODE_STRING FinalComponent)
{
	struct flt_name_parts p;

	if (!FileName || (FileName->Length && !FileName->Buffer))
		return STATUS_INVALID_PARAMETER;
	memset(&p, 0, sizeof(p));
	flt_split_path(FileName->Buffer, FileName->Length / sizeof(WCHAR), 0, &p);
	if (Extension)
		flt_ustr(Extension, p.ext, p.ext_chars);
	if (Stream)
		flt_ustr(Stream, p.stream, p.stream_chars);
	if (FinalComponent)
		flt_ustr(FinalComponent, p.final, p.final_chars);
	return STATUS_SUCCESS;
}

USHORT flt_name_stream_chars(const WCHAR *path, USHORT chars)
{
	USHORT start = chars;

	while (start > 0 && path[start - 1] != L'\\')
		start--;
	for (USHORT i = start; i < chars; i++) {
		if (path[i] == L':')
			return (USHORT)(chars - i);
	}
	return 0;
}

USHORT flt_name_normalize(const WCHAR *in, USHORT chars, WCHAR *out)
{
	USHORT o = 0, i = 0;

	while (i < chars) {
		USHORT start, len;

		while (i < chars && in[i] == L'\\')
			i++;
		start = i;
		while (i < chars && in[i] != L'\\')
			i++;
		len = (USHORT)(i - start);
		if (len == 0 || (len == 1 && in[start] == L'.'))
			continue;
		if (len == 2 && in[start] == L'.' && in[start + 1] == L'.') {
			while (o > 0 && out[o - 1] != L'\\')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = L'\\';
		memcpy(out + o, in + start, len * sizeof(WCHAR));
		o = (USHORT)(o + len);
	}
	if (o == 0)
		out[o++] = L'\\';
	return o;
}
