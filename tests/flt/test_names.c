/*
 * File name information: every parse field (streams, no extension, dots in
 * directory names, the volume root, shares, short names), opened and
 * normalized names in pre- and post-create, the name cache (cache-only
 * misses, DO_NOT_CACHE, FILESYSTEM_ONLY), names after renames (also of a
 * parent directory) and deletes, destination and tunneled names, and the
 * documented failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/pool.h>
#include "flt/name.h"
#include "probe.h"

#define VOLUME_NAME L"\\Device\\AltitudeVolume1"

static altitude_memvol *vol;
static PFLT_INSTANCE alpha;

static int setup(void **state)
{
	ULONG n = 0;

	(void)state;
	probe_reset();
	if (altitude_memvol_create(VOLUME_NAME, &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\dir\\file.txt", "x", 1);
	altitude_memvol_add_file(vol, L"\\a\\b\\c.txt", "c", 1);
	altitude_memvol_add_directory(vol, L"\\target");
	if (probe_load(0, L"alpha", L"300000") || probe_load(1, L"beta", L"200000"))
		return -1;
	if (FltEnumerateInstances(altitude_memvol_volume(vol), probes[0].filter, &alpha, 1, &n) || n != 1)
		return -1;
	FltObjectDereference(alpha);
	return 0;
}

static int teardown(void **state)
{
	altitude_pool_tag_info info;

	(void)state;
	probe_quiet();
	altitude_filter_unload(L"alpha", TRUE);
	altitude_filter_unload(L"beta", TRUE);
	altitude_memvol_destroy(vol);
	altitude_bugcheck_set_hook(NULL, NULL);
	if (altitude_pool_query_tag(FLT_NAME_TAG, &info) && info.live_allocations)
		return -1;
	return altitude_flt_live_objects() == 0 ? 0 : -1;
}

static BOOLEAN ustr_is(const UNICODE_STRING *u, const WCHAR *expect)
{
	size_t n = 0;

	while (expect[n])
		n++;
	if (n == 0)
		return u->Length == 0 && u->Buffer == NULL;
	return u->Length == n * sizeof(WCHAR) && !memcmp(u->Buffer, expect, n * sizeof(WCHAR));
}

#define assert_ustr(u, s) assert_true(ustr_is(&(u), s))

/* What a probe's callback queried: options in, status and name out. */
static struct {
	UCHAR major;
	BOOLEAN in_post;
	FLT_FILE_NAME_OPTIONS options;
	NTSTATUS status;
	PFLT_FILE_NAME_INFORMATION info;
	NTSTATUS tunnel_status;
	PFLT_FILE_NAME_INFORMATION tunneled;
	int calls;
} q;

static void query_setup(UCHAR major, BOOLEAN in_post, FLT_FILE_NAME_OPTIONS options)
{
	memset(&q, 0, sizeof(q));
	q.major = major;
	q.in_post = in_post;
	q.options = options;
	q.status = STATUS_PENDING;
}

static void query_now(PFLT_CALLBACK_DATA data)
{
	if (data->Iopb->MajorFunction != q.major || q.calls++)
		return;
	q.status = FltGetFileNameInformation(data, q.options, &q.info);
	q.tunneled = (PFLT_FILE_NAME_INFORMATION)1;
	if (q.status == STATUS_SUCCESS)
		q.tunnel_status = FltGetTunneledName(data, q.info, &q.tunneled);
}

static FLT_PREOP_CALLBACK_STATUS query_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					   PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	if (!q.in_post)
		query_now(data);
	return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS query_post(struct probe *p, PFLT_CALLBACK_DATA data,
					     PCFLT_RELATED_OBJECTS objs, PVOID ctx,
					     FLT_POST_OPERATION_FLAGS flags)
{
	(void)p;
	(void)objs;
	(void)ctx;
	(void)flags;
	if (q.in_post)
		query_now(data);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static void query_release(void)
{
	FltReleaseFileNameInformation(q.info);
	q.info = NULL;
}

static altitude_file *open_path(const WCHAR *path, ULONG options)
{
	altitude_file *f = NULL;
	IO_STATUS_BLOCK iosb;

	altitude_create(vol, path, FILE_GENERIC_READ | DELETE, FILE_OPEN, options, NULL, &f, &iosb);
	return f;
}

static void opened_name_with_stream_in_pre_create(void **state)
{
	altitude_file *f = NULL;
	IO_STATUS_BLOCK iosb;
	PFLT_FILE_NAME_INFORMATION i;

	(void)state;
	probes[0].pre_hook = query_pre;
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_create(vol, L"\\dir\\file.txt:stream:$DATA", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &f,
			&iosb);
	assert_int_equal(q.status, STATUS_SUCCESS);
	i = q.info;
	assert_int_equal(i->Size, sizeof(FLT_FILE_NAME_INFORMATION));
	assert_int_equal(i->Format, FLT_FILE_NAME_OPENED);
	assert_ustr(i->Name, VOLUME_NAME L"\\dir\\file.txt:stream:$DATA");
	assert_ustr(i->Volume, VOLUME_NAME);
	assert_int_equal(i->NamesParsed, 0);
	assert_int_equal(FltParseFileNameInformation(i), STATUS_SUCCESS);
	assert_int_equal(i->NamesParsed, FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT |
						 FLTFL_FILE_NAME_PARSED_EXTENSION |
						 FLTFL_FILE_NAME_PARSED_STREAM |
						 FLTFL_FILE_NAME_PARSED_PARENT_DIR);
	assert_ustr(i->Volume, VOLUME_NAME);
	assert_ustr(i->Share, L"");
	assert_ustr(i->ParentDir, L"\\dir\\");
	assert_ustr(i->FinalComponent, L"file.txt:stream:$DATA");
	assert_ustr(i->Extension, L"txt");
	assert_ustr(i->Stream, L":stream:$DATA");
	/* Parsing again changes nothing. */
	assert_int_equal(FltParseFileNameInformation(i), STATUS_SUCCESS);
	assert_ustr(i->Extension, L"txt");
	query_release();
	if (f)
		altitude_close_file(f);
}

static void normalized_names_in_pre_and_post_create(void **state)
{
	altitude_file *f;

	(void)state;
	probes[0].pre_hook = query_pre;
	probes[0].post_hook = query_post;
	/* Pre-create: lexical; the final component need not exist. */
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	assert_null(open_path(L"\\DIR\\.\\x\\..\\\\New.TXT", 0));
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\DIR\\New.TXT");
	query_release();
	/* Pre-create, opened: as given. */
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\DIR\\\\FILE.TXT", 0);
	assert_non_null(f);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\DIR\\\\FILE.TXT");
	query_release();
	altitude_close_file(f);
	/* Post-create: from the file system, with the case as stored. */
	query_setup(IRP_MJ_CREATE, TRUE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\DIR\\\\FILE.TXT", 0);
	assert_non_null(f);
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\dir\\file.txt");
	query_release();
	altitude_close_file(f);
}

static FLT_PREOP_CALLBACK_STATUS open_target_directory(struct probe *p, PFLT_CALLBACK_DATA data,
						       PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	data->Iopb->OperationFlags |= SL_OPEN_TARGET_DIRECTORY;
	FltSetCallbackDataDirty(data);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void open_target_directory_names_the_parent(void **state)
{
	altitude_file *f;

	(void)state;
	/* The I/O manager's SL_OPEN_TARGET_DIRECTORY, set here by the higher filter. */
	probes[0].pre_hook = open_target_directory;
	probes[1].pre_hook = query_pre;
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\dir\\sub\\..\\file.txt", 0);
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\dir");
	query_release();
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\file.txt", 0);
	assert_null(f);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\");
	query_release();
}

static PFILE_OBJECT related_dir;

static FLT_PREOP_CALLBACK_STATUS make_relative(struct probe *p, PFLT_CALLBACK_DATA data,
					       PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	data->Iopb->TargetFileObject->RelatedFileObject = related_dir;
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void relative_open_in_pre_create(void **state)
{
	altitude_file *d = open_path(L"\\DIR", FILE_DIRECTORY_FILE);

	(void)state;
	related_dir = altitude_file_object(d);
	/* The I/O manager's relative open (RelatedFileObject), set here by the higher filter. */
	probes[0].pre_hook = make_relative;
	probes[1].pre_hook = query_pre;
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	open_path(L"sub\\..\\New.txt:s", 0);
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\dir\\New.txt:s");
	query_release();
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	open_path(L"x.txt", 0);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\dir\\x.txt");
	query_release();
	probes[0].pre_hook = NULL;
	altitude_close_file(d);
}

static PFLT_FILE_NAME_INFORMATION make(const WCHAR *vol_name, const WCHAR *path, ULONG format)
{
	PFLT_FILE_NAME_INFORMATION i = NULL;
	UNICODE_STRING v;
	USHORT n = 0;

	while (path[n])
		n++;
	RtlInitUnicodeString(&v, vol_name);
	assert_int_equal(flt_name_new(vol_name ? &v : NULL, path, n, NULL, 0, format, &i),
			 STATUS_SUCCESS);
	assert_int_equal(FltParseFileNameInformation(i), STATUS_SUCCESS);
	return i;
}

static void parse_fields(void **state)
{
	PFLT_FILE_NAME_INFORMATION i;

	(void)state;
	i = make(VOLUME_NAME, L"\\", FLT_FILE_NAME_NORMALIZED);
	assert_ustr(i->Name, VOLUME_NAME L"\\");
	assert_ustr(i->Volume, VOLUME_NAME);
	assert_ustr(i->ParentDir, L"");
	assert_ustr(i->FinalComponent, L"");
	assert_ustr(i->Extension, L"");
	assert_ustr(i->Stream, L"");
	FltReleaseFileNameInformation(i);

	i = make(VOLUME_NAME, L"\\dir.d\\sub.x\\noext", FLT_FILE_NAME_NORMALIZED);
	assert_ustr(i->ParentDir, L"\\dir.d\\sub.x\\");
	assert_ustr(i->FinalComponent, L"noext");
	assert_ustr(i->Extension, L"");
	assert_ustr(i->Stream, L"");
	FltReleaseFileNameInformation(i);

	i = make(VOLUME_NAME, L"\\top.tar.gz", FLT_FILE_NAME_NORMALIZED);
	assert_ustr(i->ParentDir, L"\\");
	assert_ustr(i->FinalComponent, L"top.tar.gz");
	assert_ustr(i->Extension, L"gz");
	FltReleaseFileNameInformation(i);

	i = make(VOLUME_NAME, L"\\dir\\trailing.", FLT_FILE_NAME_NORMALIZED);
	assert_ustr(i->FinalComponent, L"trailing.");
	assert_ustr(i->Extension, L"");
	FltReleaseFileNameInformation(i);

	i = make(VOLUME_NAME, L"\\d.ir\\noext::$DATA", FLT_FILE_NAME_OPENED);
	assert_ustr(i->FinalComponent, L"noext::$DATA");
	assert_ustr(i->Extension, L"");
	assert_ustr(i->Stream, L"::$DATA");
	FltReleaseFileNameInformation(i);

	/* Found by parsing (no volume known): the documented remote example. */
	i = make(NULL, L"\\Device\\LanmanRedirector\\MyServer\\MyShare\\Docs\\My Documents\\Test Results.txt:stream1",
		 FLT_FILE_NAME_NORMALIZED);
	assert_ustr(i->Volume, L"\\Device\\LanmanRedirector");
	assert_ustr(i->Share, L"\\MyServer\\MyShare");
	assert_ustr(i->ParentDir, L"\\Docs\\My Documents\\");
	assert_ustr(i->FinalComponent, L"Test Results.txt:stream1");
	assert_ustr(i->Extension, L"txt");
	assert_ustr(i->Stream, L":stream1");
	FltReleaseFileNameInformation(i);

	i = make(NULL, L"\\Device\\HarddiskVolume1\\Docume~1\\TestRe~1.txt:stream1:$DATA",
		 FLT_FILE_NAME_OPENED);
	assert_ustr(i->Volume, L"\\Device\\HarddiskVolume1");
	assert_ustr(i->Share, L"");
	assert_ustr(i->ParentDir, L"\\Docume~1\\");
	assert_ustr(i->Stream, L":stream1:$DATA");
	FltReleaseFileNameInformation(i);

	i = make(NULL, L"TestRe~1.txt", FLT_FILE_NAME_SHORT);
	assert_ustr(i->Volume, L"");
	assert_ustr(i->ParentDir, L"");
	assert_ustr(i->FinalComponent, L"TestRe~1.txt");
	assert_ustr(i->Extension, L"txt");
	FltReleaseFileNameInformation(i);
	assert_int_equal(FltParseFileNameInformation(NULL), STATUS_INVALID_PARAMETER);
}

static void parse_file_name_string(void **state)
{
	UNICODE_STRING name, ext, stream, final;

	(void)state;
	RtlInitUnicodeString(&name, L"\\Device\\HarddiskVolume1\\Documents\\Test Results.txt:stream1");
	assert_int_equal(FltParseFileName(&name, &ext, &stream, &final), STATUS_SUCCESS);
	assert_ustr(ext, L"txt");
	assert_ustr(stream, L":stream1");
	assert_ustr(final, L"Test Results.txt:stream1");
	RtlInitUnicodeString(&name, L"README");
	assert_int_equal(FltParseFileName(&name, &ext, NULL, &final), STATUS_SUCCESS);
	assert_ustr(ext, L"");
	assert_ustr(final, L"README");
	assert_int_equal(FltParseFileName(NULL, &ext, NULL, NULL), STATUS_INVALID_PARAMETER);
}

static NTSTATUS unsafe_name(altitude_file *f, FLT_FILE_NAME_OPTIONS o, PFLT_FILE_NAME_INFORMATION *out)
{
	return FltGetFileNameInformationUnsafe(altitude_file_object(f), alpha, o, out);
}

static void cache_only_misses_until_cached(void **state)
{
	PFLT_FILE_NAME_INFORMATION a = NULL, b = NULL, c = NULL;
	altitude_file *f = open_path(L"\\dir\\file.txt", 0), *g = open_path(L"\\a\\b\\c.txt", 0);

	(void)state;
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &a),
			 STATUS_FLT_NAME_CACHE_MISS);
	assert_null(a);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &a),
			 STATUS_SUCCESS);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &b),
			 STATUS_SUCCESS);
	assert_ptr_equal(a, b);
	/* References: the cached name outlives every holder's release. */
	FltReferenceFileNameInformation(b);
	FltReleaseFileNameInformation(b);
	assert_ustr(b->Name, VOLUME_NAME L"\\dir\\file.txt");
	assert_int_equal(FltGetFileNameFormat(b->Format), FLT_FILE_NAME_NORMALIZED);
	assert_int_equal(FltGetFileNameQueryMethod(FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY),
			 FLT_FILE_NAME_QUERY_CACHE_ONLY);
	/* Opened names are cached separately. */
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &c),
			 STATUS_FLT_NAME_CACHE_MISS);
	FltReleaseFileNameInformation(b);
	/* FILESYSTEM_ONLY neither reads nor fills the cache. */
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY, &b),
			 STATUS_SUCCESS);
	assert_ptr_not_equal(a, b);
	assert_ustr(b->Name, VOLUME_NAME L"\\dir\\file.txt");
	FltReleaseFileNameInformation(b);
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY, &b),
			 STATUS_SUCCESS);
	FltReleaseFileNameInformation(b);
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &b),
			 STATUS_FLT_NAME_CACHE_MISS);
	/* DO_NOT_CACHE. */
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT |
						FLT_FILE_NAME_DO_NOT_CACHE, &b),
			 STATUS_SUCCESS);
	FltReleaseFileNameInformation(b);
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &b),
			 STATUS_FLT_NAME_CACHE_MISS);
	/* ALWAYS_ALLOW_CACHE_LOOKUP queries and caches when it is safe. */
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP, &b),
			 STATUS_SUCCESS);
	assert_int_equal(unsafe_name(g, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &c),
			 STATUS_SUCCESS);
	assert_ptr_equal(b, c);
	FltReleaseFileNameInformation(b);
	FltReleaseFileNameInformation(c);
	FltReleaseFileNameInformation(a);
	altitude_close_file(f);
	altitude_close_file(g);
}

static NTSTATUS rename_to(altitude_file *f, const WCHAR *target)
{
	union {
		FILE_RENAME_INFORMATION r;
		UCHAR raw[sizeof(FILE_RENAME_INFORMATION) + 128];
	} u;
	IO_STATUS_BLOCK iosb;
	ULONG n = 0;

	while (target[n])
		n++;
	memset(&u, 0, sizeof(u));
	u.r.FileNameLength = n * sizeof(WCHAR);
	memcpy(u.r.FileName, target, n * sizeof(WCHAR));
	return altitude_set_information(f, FileRenameInformation, &u, sizeof(u), NULL, &iosb);
}

static void names_follow_a_rename(void **state)
{
	PFLT_FILE_NAME_INFORMATION a = NULL, b = NULL;
	altitude_file *f = open_path(L"\\dir\\file.txt", 0);

	(void)state;
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &a),
			 STATUS_SUCCESS);
	assert_int_equal(rename_to(f, L"\\target\\Moved.txt"), STATUS_SUCCESS);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &b),
			 STATUS_FLT_NAME_CACHE_MISS);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &b),
			 STATUS_SUCCESS);
	assert_ustr(a->Name, VOLUME_NAME L"\\dir\\file.txt"); /* a reference stays valid */
	assert_ustr(b->Name, VOLUME_NAME L"\\target\\Moved.txt");
	FltReleaseFileNameInformation(a);
	FltReleaseFileNameInformation(b);
	altitude_close_file(f);
}

static void names_follow_a_rename_of_a_parent_directory(void **state)
{
	PFLT_FILE_NAME_INFORMATION a = NULL, b = NULL;
	altitude_file *f = open_path(L"\\a\\b\\c.txt", 0), *d = open_path(L"\\a", FILE_DIRECTORY_FILE);

	(void)state;
	assert_non_null(d);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &a),
			 STATUS_SUCCESS);
	assert_ustr(a->Name, VOLUME_NAME L"\\a\\b\\c.txt");
	assert_int_equal(rename_to(d, L"\\Zed"), STATUS_SUCCESS);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &b),
			 STATUS_SUCCESS);
	assert_ustr(b->Name, VOLUME_NAME L"\\Zed\\b\\c.txt");
	assert_int_equal(FltParseFileNameInformation(b), STATUS_SUCCESS);
	assert_ustr(b->ParentDir, L"\\Zed\\b\\");
	FltReleaseFileNameInformation(a);
	FltReleaseFileNameInformation(b);
	altitude_close_file(f);
	altitude_close_file(d);
}

static void delete_invalidates_cached_names(void **state)
{
	FILE_DISPOSITION_INFORMATION del = { TRUE };
	PFLT_FILE_NAME_INFORMATION a = NULL, b = NULL;
	altitude_file *f = open_path(L"\\dir\\file.txt", 0);
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT, &a),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_set_information(f, FileDispositionInformation, &del, sizeof(del), NULL,
						  &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &b),
			 STATUS_FLT_NAME_CACHE_MISS);
	FltReleaseFileNameInformation(a);
	altitude_close_file(f);
	assert_false(altitude_memvol_exists(vol, L"\\dir\\file.txt"));
}

static void unsafe_contexts(void **state)
{
	altitude_op_options top = { .flags = ALTITUDE_OP_TOP_LEVEL_IRP };
	altitude_op_options paging = { .flags = ALTITUDE_OP_PAGING_IO };
	altitude_file *f = open_path(L"\\dir\\file.txt", 0);
	PFLT_FILE_NAME_INFORMATION cached = NULL;
	IO_STATUS_BLOCK iosb;
	char buf[2];

	(void)state;
	probes[0].pre_hook = query_pre;
	query_setup(IRP_MJ_READ, FALSE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_read(f, 0, buf, 1, &paging, &iosb);
	assert_int_equal(q.status, STATUS_FLT_INVALID_NAME_REQUEST);
	query_setup(IRP_MJ_READ, FALSE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_read(f, 0, buf, 1, &top, &iosb);
	assert_int_equal(q.status, STATUS_FLT_INVALID_NAME_REQUEST);
	query_setup(IRP_MJ_READ, FALSE,
		    FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP);
	altitude_read(f, 0, buf, 1, &top, &iosb);
	assert_int_equal(q.status, STATUS_FLT_NAME_CACHE_MISS);
	/* Once cached, the cache answers even with a top-level IRP. */
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &cached),
			 STATUS_SUCCESS);
	query_setup(IRP_MJ_READ, FALSE,
		    FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP);
	altitude_read(f, 0, buf, 1, &top, &iosb);
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ptr_equal(q.info, cached);
	query_release();
	FltReleaseFileNameInformation(cached);
	/* Outside a callback, with a top-level IRP on the thread. */
	IoSetTopLevelIrp((PIRP)FSRTL_FSP_TOP_LEVEL_IRP);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT, &cached),
			 STATUS_FLT_INVALID_NAME_REQUEST);
	IoSetTopLevelIrp(NULL);
	altitude_close_file(f);
}

static void short_names_and_post_close(void **state)
{
	altitude_file *f;

	(void)state;
	probes[0].pre_hook = query_pre;
	probes[0].post_hook = query_post;
	query_setup(IRP_MJ_CREATE, FALSE, FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\dir\\file.txt", 0);
	assert_int_equal(q.status, STATUS_FLT_INVALID_NAME_REQUEST);
	altitude_close_file(f);
	query_setup(IRP_MJ_CREATE, TRUE, FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\dir\\file.txt", 0);
	assert_int_equal(q.status, STATUS_NOT_SUPPORTED);
	query_setup(IRP_MJ_CLOSE, TRUE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_close_file(f);
	assert_int_equal(q.status, STATUS_FLT_INVALID_NAME_REQUEST);
	/* Pre-close still has the file. */
	query_setup(IRP_MJ_CLOSE, FALSE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	f = open_path(L"\\dir\\file.txt", 0);
	altitude_close_file(f);
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_ustr(q.info->Name, VOLUME_NAME L"\\dir\\file.txt");
	query_release();
}

static void invalid_arguments(void **state)
{
	altitude_file *f = open_path(L"\\dir\\file.txt", 0);
	PFLT_FILE_NAME_INFORMATION i = (PFLT_FILE_NAME_INFORMATION)1;
	PFILE_OBJECT fo = altitude_file_object(f);

	(void)state;
	assert_int_equal(FltGetFileNameInformation(NULL, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, alpha, FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_INVALID_PARAMETER);
	assert_null(i);
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, alpha, FLT_FILE_NAME_NORMALIZED, &i),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, alpha, 4 | FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, alpha, FLT_FILE_NAME_OPENED | 0x500, &i),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, alpha, FLT_FILE_NAME_OPENED |
									FLT_FILE_NAME_QUERY_DEFAULT, NULL),
			 STATUS_INVALID_PARAMETER);
	/* A harness file object does not know its volume: an instance is needed. */
	assert_int_equal(FltGetFileNameInformationUnsafe(fo, NULL, FLT_FILE_NAME_OPENED |
								      FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_INVALID_PARAMETER);
	altitude_close_file(f);
}

static void allocation_failures(void **state)
{
	altitude_file *f = open_path(L"\\dir\\file.txt", 0);
	PFLT_FILE_NAME_INFORMATION i = (PFLT_FILE_NAME_INFORMATION)1;

	(void)state;
	altitude_pool_fail_next(FLT_NAME_TAG, 1);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_INSUFFICIENT_RESOURCES);
	assert_null(i);
	/* A failed cache insertion still returns the name. */
	altitude_pool_fail_next(FLT_NAME_CACHE_TAG, 1);
	assert_int_equal(unsafe_name(f, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &i),
			 STATUS_SUCCESS);
	FltReleaseFileNameInformation(i);
	altitude_pool_fail_next(0, 0);
	altitude_close_file(f);
}

static NTSTATUS destination(PFILE_OBJECT fo, HANDLE root, const WCHAR *name,
			    PFLT_FILE_NAME_INFORMATION *out)
{
	ULONG n = 0;

	while (name[n])
		n++;
	return FltGetDestinationFileNameInformation(alpha, fo, root, (PWSTR)name, n * sizeof(WCHAR),
						    FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT,
						    out);
}

static void destination_names(void **state)
{
	altitude_file *f = open_path(L"\\DIR\\FILE.TXT", 0);
	PFILE_OBJECT fo = altitude_file_object(f);
	PFLT_FILE_NAME_INFORMATION i = NULL;
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK iosb;
	UNICODE_STRING n;
	HANDLE root = NULL;

	(void)state;
	assert_int_equal(FltGetDestinationFileNameInformation(alpha, fo, NULL, L"x", 2,
							      FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY,
							      &i),
			 STATUS_FLT_NAME_CACHE_MISS);
	assert_int_equal(destination(fo, NULL, L"new.txt", &i), STATUS_SUCCESS);
	assert_ustr(i->Name, VOLUME_NAME L"\\dir\\new.txt"); /* the parent as stored */
	FltReleaseFileNameInformation(i);
	assert_int_equal(destination(fo, NULL, L"\\target\\.\\x.txt", &i), STATUS_SUCCESS);
	assert_ustr(i->Name, VOLUME_NAME L"\\target\\x.txt");
	FltReleaseFileNameInformation(i);
	assert_int_equal(destination(fo, NULL, VOLUME_NAME L"\\a\\b\\..\\y.dat:s", &i), STATUS_SUCCESS);
	assert_ustr(i->Name, VOLUME_NAME L"\\a\\y.dat:s");
	assert_int_equal(FltParseFileNameInformation(i), STATUS_SUCCESS);
	assert_ustr(i->Stream, L":s");
	FltReleaseFileNameInformation(i);
	assert_int_equal(destination(fo, NULL, L"\\Device\\Other\\x", &i), STATUS_NOT_SAME_DEVICE);
	RtlInitUnicodeString(&n, VOLUME_NAME L"\\a\\b");
	InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, NULL, NULL);
	assert_int_equal(FltCreateFile(probes[0].filter, alpha, &root, FILE_LIST_DIRECTORY, &oa, &iosb,
				       NULL, 0, FILE_SHARE_READ, FILE_OPEN, FILE_DIRECTORY_FILE, NULL, 0, 0),
			 STATUS_SUCCESS);
	assert_int_equal(destination(fo, root, L"z.txt", &i), STATUS_SUCCESS);
	assert_ustr(i->Name, VOLUME_NAME L"\\a\\b\\z.txt");
	FltReleaseFileNameInformation(i);
	assert_int_equal(destination(fo, (HANDLE)(ULONG_PTR)0x1234, L"z.txt", &i), STATUS_INVALID_HANDLE);
	assert_int_equal(FltGetDestinationFileNameInformation(alpha, fo, NULL, L"x", 2,
							      FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT,
							      &i),
			 STATUS_FLT_INVALID_NAME_REQUEST);
	assert_int_equal(FltGetDestinationFileNameInformation(alpha, fo, NULL, L"x", 2,
							      FLT_FILE_NAME_NORMALIZED, &i),
			 STATUS_INVALID_PARAMETER);
	/* The directory comes by the query method: CACHE_ONLY misses until cached. */
	assert_int_equal(FltGetDestinationFileNameInformation(alpha, fo, NULL, L"x", 2,
							      FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY,
							      &i),
			 STATUS_SUCCESS);
	assert_ustr(i->Name, VOLUME_NAME L"\\dir\\x");
	FltReleaseFileNameInformation(i);
	IoSetTopLevelIrp((PIRP)FSRTL_FSP_TOP_LEVEL_IRP);
	assert_int_equal(destination(fo, NULL, L"new.txt", &i), STATUS_FLT_INVALID_NAME_REQUEST);
	IoSetTopLevelIrp(NULL);
	/* A file opened by FltCreateFile knows its volume. */
	{
		PFILE_OBJECT dfo;

		assert_int_equal(ObReferenceObjectByHandle(root, 0, *IoFileObjectType, KernelMode,
							   (PVOID *)&dfo, NULL),
				 STATUS_SUCCESS);
		assert_int_equal(FltGetFileNameInformationUnsafe(dfo, NULL, FLT_FILE_NAME_NORMALIZED |
									  FLT_FILE_NAME_QUERY_DEFAULT, &i),
				 STATUS_SUCCESS);
		assert_ustr(i->Name, VOLUME_NAME L"\\a\\b");
		FltReleaseFileNameInformation(i);
		ObDereferenceObject(dfo);
	}
	assert_int_equal(FltClose(root), STATUS_SUCCESS);
	altitude_close_file(f);
}

static void tunneled_name_is_never_returned(void **state)
{
	PFLT_FILE_NAME_INFORMATION t = (PFLT_FILE_NAME_INFORMATION)1;

	(void)state;
	probes[0].post_hook = query_post;
	query_setup(IRP_MJ_CREATE, TRUE, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_close_file(open_path(L"\\dir\\file.txt", 0));
	assert_int_equal(q.status, STATUS_SUCCESS);
	assert_int_equal(q.tunnel_status, STATUS_SUCCESS);
	assert_null(q.tunneled);
	assert_int_equal(FltGetTunneledName(NULL, q.info, &t), STATUS_INVALID_PARAMETER);
	query_release();
	query_setup(IRP_MJ_CREATE, TRUE, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT);
	altitude_close_file(open_path(L"\\dir\\file.txt", 0));
	assert_int_equal(q.tunnel_status, STATUS_INVALID_PARAMETER); /* not a normalized name */
	query_release();
}

static void is_directory(void **state)
{
	altitude_file *d = open_path(L"\\a", FILE_DIRECTORY_FILE);
	BOOLEAN isdir = FALSE;

	(void)state;
	assert_int_equal(FltIsDirectory(altitude_file_object(d), alpha, &isdir), STATUS_SUCCESS);
	assert_true(isdir);
	assert_int_equal(FltIsDirectory(altitude_file_object(d), alpha, NULL), STATUS_INVALID_PARAMETER);
	altitude_close_file(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(opened_name_with_stream_in_pre_create, setup, teardown),
		cmocka_unit_test_setup_teardown(normalized_names_in_pre_and_post_create, setup, teardown),
		cmocka_unit_test_setup_teardown(open_target_directory_names_the_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_open_in_pre_create, setup, teardown),
		cmocka_unit_test_setup_teardown(parse_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(parse_file_name_string, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_only_misses_until_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(names_follow_a_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(names_follow_a_rename_of_a_parent_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(delete_invalidates_cached_names, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_contexts, setup, teardown),
		cmocka_unit_test_setup_teardown(short_names_and_post_close, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(destination_names, setup, teardown),
		cmocka_unit_test_setup_teardown(tunneled_name_is_never_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(is_directory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
