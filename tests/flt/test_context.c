/*
 * Contexts: registration checks, allocation (sizes, pools, callbacks),
 * references, KEEP/REPLACE, each context type's lifetime (a stream context
 * outliving a closed handle and freed after the last close), deletion,
 * FltGetContexts, unsupported cases, leak reports at unload, and pool
 * accounting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cmocka.h>

#include <altitude/harness.h>
#include <altitude/bugcheck.h>
#include <altitude/pool.h>
#include <altitude/flt_contexts.h>

_Static_assert(sizeof(FLT_RELATED_CONTEXTS) == 48, "FLT_RELATED_CONTEXTS");
_Static_assert(sizeof(FLT_CONTEXT_REGISTRATION) == 56, "FLT_CONTEXT_REGISTRATION");

#define TAG_VOL 'loVt'
#define TAG_INST 'snIt'
#define TAG_FILE 'liFt'
#define TAG_STREAM 'rtSt'
#define TAG_BIG 'giBt'
#define TAG_HANDLE 'dnHt'
#define TAG_TX 'xTxt'
#define TAG_CB 'bCxt'

struct test_ctx {
	int id;
	char pad[28];
};

static altitude_memvol *vol;
static PFLT_FILTER filter;
static PFLT_INSTANCE instance;
static const FLT_CONTEXT_REGISTRATION *registration;
static atomic_int cleanups;
static int cleanup_ids[16];
static int post_create_sets;
static int allocs_cb, frees_cb;
static SIZE_T alloc_cb_size;

static VOID FLTAPI ctx_cleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
	int n = atomic_fetch_add(&cleanups, 1);

	(void)type;
	if (n < 16)
		cleanup_ids[n] = ((struct test_ctx *)context)->id;
}

static PVOID FLTAPI ctx_alloc(POOL_TYPE pool, SIZE_T size, FLT_CONTEXT_TYPE type)
{
	(void)type;
	allocs_cb++;
	alloc_cb_size = size;
	return ExAllocatePoolWithTag(pool, size, TAG_CB);
}

static VOID FLTAPI ctx_free(PVOID pool, FLT_CONTEXT_TYPE type)
{
	(void)type;
	frees_cb++;
	ExFreePoolWithTag(pool, TAG_CB);
}

static const FLT_CONTEXT_REGISTRATION good[] = {
	{ FLT_VOLUME_CONTEXT, 0, ctx_cleanup, sizeof(struct test_ctx), TAG_VOL, NULL, NULL, NULL },
	{ FLT_INSTANCE_CONTEXT, 0, ctx_cleanup, sizeof(struct test_ctx), TAG_INST, NULL, NULL, NULL },
	{ FLT_FILE_CONTEXT, 0, ctx_cleanup, sizeof(struct test_ctx), TAG_FILE, NULL, NULL, NULL },
	{ FLT_STREAM_CONTEXT, 0, ctx_cleanup, sizeof(struct test_ctx), TAG_STREAM, NULL, NULL, NULL },
	{ FLT_STREAM_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, ctx_cleanup, 128, TAG_BIG,
	  NULL, NULL, NULL },
	{ FLT_STREAMHANDLE_CONTEXT, 0, ctx_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, TAG_HANDLE, NULL, NULL,
	  NULL },
	{ FLT_TRANSACTION_CONTEXT, 0, NULL, 16, TAG_TX, NULL, NULL, NULL },
	{ FLT_SECTION_CONTEXT, 0, ctx_cleanup, 48, 0, ctx_alloc, ctx_free, NULL },
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL },
};

static FLT_POSTOP_CALLBACK_STATUS FLTAPI post_create(PFLT_CALLBACK_DATA data,
						     PCFLT_RELATED_OBJECTS objs, PVOID ctx,
						     FLT_POST_OPERATION_FLAGS flags)
{
	struct test_ctx *c;

	(void)ctx;
	(void)flags;
	if (!NT_SUCCESS(data->IoStatus.Status) || !FltSupportsStreamContexts(objs->FileObject))
		return FLT_POSTOP_FINISHED_PROCESSING;
	if (FltAllocateContext(objs->Filter, FLT_STREAM_CONTEXT, sizeof(*c), PagedPool,
			       (PFLT_CONTEXT *)&c))
		return FLT_POSTOP_FINISHED_PROCESSING;
	c->id = 100;
	if (FltSetStreamContext(objs->Instance, objs->FileObject, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c,
				NULL) == STATUS_SUCCESS)
		post_create_sets++;
	FltReleaseContext(c);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static BOOLEAN set_in_post_create;

static FLT_PREOP_CALLBACK_STATUS FLTAPI pre_create(PFLT_CALLBACK_DATA data,
						   PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)data;
	(void)objs;
	*ctx = NULL;
	return set_in_post_create ? FLT_PREOP_SUCCESS_WITH_CALLBACK : FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION ops[] = {
	{ IRP_MJ_CREATE, 0, pre_create, post_create, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};

static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltUnregisterFilter(filter);
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI query_teardown(PCFLT_RELATED_OBJECTS objs,
				      FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
	(void)objs;
	(void)flags;
	return STATUS_SUCCESS;
}

static NTSTATUS entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	FLT_REGISTRATION reg;
	NTSTATUS s;

	(void)path;
	memset(&reg, 0, sizeof(reg));
	reg.Size = sizeof(reg);
	reg.Version = FLT_REGISTRATION_VERSION;
	reg.ContextRegistration = registration;
	reg.OperationRegistration = ops;
	reg.FilterUnloadCallback = unload;
	reg.InstanceQueryTeardownCallback = query_teardown;
	s = FltRegisterFilter(driver, &reg, &filter);
	if (!NT_SUCCESS(s))
		return s;
	s = FltStartFiltering(filter);
	if (!NT_SUCCESS(s))
		FltUnregisterFilter(filter);
	return s;
}

static const altitude_instance_config inst_cfg[] = { { L"ctx Instance", L"250000", 0 } };
static const altitude_filter_config cfg = { L"ctxflt", NULL, 1, inst_cfg };

static NTSTATUS load(const FLT_CONTEXT_REGISTRATION *regs)
{
	ULONG n = 0;
	NTSTATUS s;

	registration = regs;
	s = altitude_filter_load(&cfg, entry, NULL);
	if (!NT_SUCCESS(s))
		return s;
	if (FltEnumerateInstances(altitude_memvol_volume(vol), filter, &instance, 1, &n) || n != 1)
		return STATUS_UNSUCCESSFUL;
	FltObjectDereference(instance);
	return s;
}

static int setup(void **state)
{
	(void)state;
	cleanups = 0;
	memset(cleanup_ids, 0, sizeof(cleanup_ids));
	post_create_sets = 0;
	set_in_post_create = FALSE;
	allocs_cb = frees_cb = 0;
	altitude_flt_context_leaks_reset();
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\a.txt", "0123456789", 10);
	altitude_memvol_add_file(vol, L"\\b.txt", "abc", 3);
	return load(good) == STATUS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	altitude_filter_unload(L"ctxflt", TRUE);
	altitude_memvol_destroy(vol);
	altitude_bugcheck_set_hook(NULL, NULL);
	return altitude_flt_live_objects() == 0 && altitude_flt_live_contexts() == 0 ? 0 : -1;
}

static struct test_ctx *new_ctx(FLT_CONTEXT_TYPE type, int id)
{
	struct test_ctx *c = NULL;

	assert_int_equal(FltAllocateContext(filter, type, sizeof(*c), NonPagedPool, (PFLT_CONTEXT *)&c),
			 STATUS_SUCCESS);
	c->id = id;
	return c;
}

static ULONG64 live(ULONG tag)
{
	altitude_pool_tag_info info;

	return altitude_pool_query_tag(tag, &info) ? info.live_allocations : 0;
}

static altitude_file *open_file(const WCHAR *path)
{
	altitude_file *f = NULL;
	IO_STATUS_BLOCK iosb;

	assert_int_equal(altitude_create(vol, path, FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &f, &iosb),
			 STATUS_SUCCESS);
	return f;
}

/* ---- registration --------------------------------------------------- */

static void bad_registrations_fail_filter_registration(void **state)
{
	static const FLT_CONTEXT_REGISTRATION bad_type[] = {
		{ 0x0003, 0, NULL, 8, 0, NULL, NULL, NULL }, { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION bad_flags[] = {
		{ FLT_STREAM_CONTEXT, 0x2, NULL, 8, 0, NULL, NULL, NULL }, { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION too_big[] = {
		{ FLT_STREAM_CONTEXT, 0, NULL, 70000, 0, NULL, NULL, NULL }, { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION alloc_only[] = {
		{ FLT_STREAM_CONTEXT, 0, NULL, 8, 0, ctx_alloc, NULL, NULL }, { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION four_fixed[] = {
		{ FLT_STREAM_CONTEXT, 0, NULL, 8, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, 16, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, 24, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, 32, 0, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION same_size[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, NULL, NULL, NULL },
		{ FLT_FILE_CONTEXT, 0, NULL, 8, 0, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION two_variable[] = {
		{ FLT_FILE_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, 0, NULL, NULL, NULL },
		{ FLT_FILE_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, 0, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	static const FLT_CONTEXT_REGISTRATION three_fixed_one_variable[] = {
		{ FLT_STREAM_CONTEXT, 0, NULL, 8, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, 16, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, 0, 0, NULL, NULL, NULL },
		{ FLT_STREAM_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, 0, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL } };
	const FLT_CONTEXT_REGISTRATION *bad[] = { bad_type, bad_flags, too_big, alloc_only,
						  four_fixed, same_size, two_variable };

	(void)state;
	altitude_filter_unload(L"ctxflt", TRUE);
	for (size_t i = 0; i < RTL_NUMBER_OF(bad); i++)
		assert_int_equal(load(bad[i]), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
	assert_int_equal(load(three_fixed_one_variable), STATUS_SUCCESS);
}

/* ---- allocation ----------------------------------------------------- */

static void allocation_follows_the_registrations(void **state)
{
	PFLT_CONTEXT c[6];
	PFLT_CONTEXT out = (PFLT_CONTEXT)1;

	(void)state;
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, PagedPool, &c[0]),
			 STATUS_SUCCESS);
	assert_int_equal(live(TAG_STREAM), 1);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 40, NonPagedPool, &c[1]),
			 STATUS_SUCCESS);
	assert_int_equal(live(TAG_BIG), 1); /* the larger definition, no exact size match needed */
	assert_int_equal(FltAllocateContext(filter, FLT_STREAMHANDLE_CONTEXT, 1000, NonPagedPoolNx,
					    &c[2]),
			 STATUS_SUCCESS);
	assert_int_equal(live(TAG_HANDLE), 1);
	assert_int_equal(FltAllocateContext(filter, FLT_SECTION_CONTEXT, 48, NonPagedPool, &c[3]),
			 STATUS_SUCCESS);
	assert_int_equal(allocs_cb, 1);
	assert_true(alloc_cb_size >= 48);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 200, PagedPool, &out),
			 STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_null(out);
	assert_int_equal(FltAllocateContext(filter, FLT_VOLUME_CONTEXT, 33, NonPagedPool, &out),
			 STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAMHANDLE_CONTEXT, 70000, PagedPool, &out),
			 STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
	assert_int_equal(FltAllocateContext(filter, 0x0003, 32, PagedPool, &out),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, (POOL_TYPE)7, &out),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, PagedPool, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltAllocateContext(NULL, FLT_STREAM_CONTEXT, 32, PagedPool, &out),
			 STATUS_INVALID_PARAMETER);
	altitude_pool_fail_next(TAG_STREAM, 1);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, PagedPool, &out),
			 STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(altitude_flt_live_contexts(), 4);
	for (int i = 0; i < 4; i++)
		FltReleaseContext(c[i]);
	assert_int_equal(cleanups, 4);
	assert_int_equal(frees_cb, 1);
	assert_int_equal(live(TAG_STREAM) + live(TAG_BIG) + live(TAG_HANDLE) + live(TAG_CB), 0);
}

static altitude_bugcheck_report last_bugcheck;

static void record_bugcheck(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	last_bugcheck = *r;
}

static void paged_allocation_at_dispatch_bugchecks(void **state)
{
	PFLT_CONTEXT c = NULL;
	KIRQL old;

	(void)state;
	memset(&last_bugcheck, 0, sizeof(last_bugcheck));
	altitude_bugcheck_set_hook(record_bugcheck, NULL);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, PagedPool, &c),
			 STATUS_UNSUCCESSFUL);
	KeLowerIrql(old);
	assert_int_equal(last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_null(c);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(FltAllocateContext(filter, FLT_STREAM_CONTEXT, 32, NonPagedPool, &c),
			 STATUS_SUCCESS);
	FltReleaseContext(c);
	KeLowerIrql(old);
	assert_int_equal(cleanups, 1);
}

static void null_context_is_a_verifier_violation(void **state)
{
	(void)state;
	memset(&last_bugcheck, 0, sizeof(last_bugcheck));
	altitude_bugcheck_set_hook(record_bugcheck, NULL);
	FltReleaseContext(NULL);
	assert_int_equal(last_bugcheck.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	assert_string_equal(last_bugcheck.routine, "FltReleaseContext");
	memset(&last_bugcheck, 0, sizeof(last_bugcheck));
	FltReferenceContext(NULL);
	assert_int_equal(last_bugcheck.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	memset(&last_bugcheck, 0, sizeof(last_bugcheck));
	FltDeleteContext(NULL);
	assert_int_equal(last_bugcheck.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
}

/* ---- instance and volume contexts ------------------------------------ */

static void keep_replace_and_delete(void **state)
{
	struct test_ctx *a = new_ctx(FLT_INSTANCE_CONTEXT, 1), *b = new_ctx(FLT_INSTANCE_CONTEXT, 2);
	PFLT_CONTEXT old = NULL, got = NULL;

	(void)state;
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, &old),
			 STATUS_SUCCESS);
	assert_null(old);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, &old),
			 STATUS_FLT_CONTEXT_ALREADY_DEFINED);
	assert_ptr_equal(old, a); /* referenced */
	FltReleaseContext(old);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
			 STATUS_FLT_CONTEXT_ALREADY_LINKED);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, &old),
			 STATUS_SUCCESS);
	assert_ptr_equal(old, a);
	FltReleaseContext(old); /* the instance's reference, handed over */
	assert_int_equal(cleanups, 0);
	FltReleaseContext(a); /* ours: the last one */
	assert_int_equal(cleanups, 1);
	assert_int_equal(cleanup_ids[0], 1);
	assert_int_equal(FltGetInstanceContext(instance, &got), STATUS_SUCCESS);
	assert_ptr_equal(got, b);
	FltReleaseContext(got);
	assert_int_equal(FltDeleteInstanceContext(instance, &old), STATUS_SUCCESS);
	assert_ptr_equal(old, b);
	FltReleaseContext(old);
	assert_int_equal(FltDeleteInstanceContext(instance, NULL), STATUS_NOT_FOUND);
	assert_int_equal(FltGetInstanceContext(instance, &got), STATUS_NOT_FOUND);
	assert_null(got);
	assert_int_equal(cleanups, 1);
	FltReleaseContext(b);
	assert_int_equal(cleanups, 2);
	a = new_ctx(FLT_INSTANCE_CONTEXT, 3);
	assert_int_equal(FltSetInstanceContext(instance, (FLT_SET_CONTEXT_OPERATION)9, a, NULL),
			 STATUS_INVALID_PARAMETER);
	FltReleaseContext(a);
	assert_int_equal(cleanups, 3);
}

static void instance_context_ends_with_the_instance(void **state)
{
	struct test_ctx *a = new_ctx(FLT_INSTANCE_CONTEXT, 7), *v = new_ctx(FLT_VOLUME_CONTEXT, 8);
	struct test_ctx *wrong = new_ctx(FLT_STREAM_CONTEXT, 9);
	PFLT_CONTEXT got;
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"ctx Instance");

	(void)state;
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, wrong, NULL),
			 STATUS_INVALID_PARAMETER);
	FltReleaseContext(wrong);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(FltSetVolumeContext(altitude_memvol_volume(vol),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, v, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(FltGetVolumeContext(filter, altitude_memvol_volume(vol), &got),
			 STATUS_SUCCESS);
	assert_ptr_equal(got, v);
	FltReleaseContext(got);
	FltReleaseContext(a);
	FltReleaseContext(v);
	assert_int_equal(cleanups, 1); /* the mismatched one */
	assert_int_equal(FltDetachVolume(filter, altitude_memvol_volume(vol), &name), STATUS_SUCCESS);
	assert_int_equal(cleanups, 3); /* the filter's last instance: volume context too */
	assert_int_equal(FltGetVolumeContext(filter, altitude_memvol_volume(vol), &got),
			 STATUS_NOT_FOUND);
	assert_int_equal(live(TAG_INST) + live(TAG_VOL), 0);
}

/* ---- file, stream and stream handle contexts ------------------------- */

static void stream_context_outlives_a_closed_handle(void **state)
{
	altitude_file *f1 = open_file(L"\\a.txt"), *f2 = open_file(L"\\a.txt");
	struct test_ctx *s = new_ctx(FLT_STREAM_CONTEXT, 11), *fc = new_ctx(FLT_FILE_CONTEXT, 12);
	PFLT_CONTEXT got;

	(void)state;
	assert_int_equal(FltSetStreamContext(instance, altitude_file_object(f1),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(FltSetFileContext(instance, altitude_file_object(f1),
					   FLT_SET_CONTEXT_KEEP_IF_EXISTS, fc, NULL),
			 STATUS_SUCCESS);
	FltReleaseContext(s);
	FltReleaseContext(fc);
	altitude_close_file(f1);
	assert_int_equal(cleanups, 0);
	assert_int_equal(FltGetStreamContext(instance, altitude_file_object(f2), &got), STATUS_SUCCESS);
	assert_ptr_equal(got, s);
	FltReleaseContext(got);
	assert_int_equal(FltGetFileContext(instance, altitude_file_object(f2), &got), STATUS_SUCCESS);
	assert_ptr_equal(got, fc);
	FltReleaseContext(got);
	altitude_close_file(f2);
	assert_int_equal(cleanups, 2);
	assert_int_equal(live(TAG_STREAM) + live(TAG_FILE), 0);
}

static void stream_handle_context_is_per_file_object(void **state)
{
	altitude_file *f1 = open_file(L"\\a.txt"), *f2 = open_file(L"\\a.txt");
	struct test_ctx *h = NULL;
	PFLT_CONTEXT got = (PFLT_CONTEXT)1;

	(void)state;
	assert_int_equal(FltAllocateContext(filter, FLT_STREAMHANDLE_CONTEXT, 500, PagedPool,
					    (PFLT_CONTEXT *)&h),
			 STATUS_SUCCESS);
	h->id = 21;
	assert_int_equal(FltSetStreamHandleContext(instance, altitude_file_object(f1),
						   FLT_SET_CONTEXT_REPLACE_IF_EXISTS, h, &got),
			 STATUS_SUCCESS);
	assert_null(got);
	FltReleaseContext(h);
	assert_int_equal(FltGetStreamHandleContext(instance, altitude_file_object(f2), &got),
			 STATUS_NOT_FOUND);
	altitude_close_file(f2);
	assert_int_equal(cleanups, 0);
	altitude_close_file(f1);
	assert_int_equal(cleanups, 1);
	assert_int_equal(cleanup_ids[0], 21);
}

static void deleted_context_lives_while_referenced(void **state)
{
	altitude_file *f = open_file(L"\\b.txt");
	struct test_ctx *s = new_ctx(FLT_STREAM_CONTEXT, 31);
	PFLT_CONTEXT got;

	(void)state;
	assert_int_equal(FltSetStreamContext(instance, altitude_file_object(f),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			 STATUS_SUCCESS);
	FltDeleteContext(s);
	assert_int_equal(FltGetStreamContext(instance, altitude_file_object(f), &got),
			 STATUS_NOT_FOUND);
	assert_int_equal(cleanups, 0);
	s->id = 32; /* still ours */
	FltDeleteContext(s); /* not attached: no effect */
	FltReleaseContext(s);
	assert_int_equal(cleanups, 1);
	assert_int_equal(cleanup_ids[0], 32);
	altitude_close_file(f);
	assert_int_equal(cleanups, 1);
}

static void file_object_not_open_is_not_supported(void **state)
{
	FILE_OBJECT fo;
	struct test_ctx *s = new_ctx(FLT_STREAM_CONTEXT, 41);
	PFLT_CONTEXT got;
	altitude_file *f = open_file(L"\\a.txt");

	(void)state;
	memset(&fo, 0, sizeof(fo));
	assert_false(FltSupportsStreamContexts(&fo));
	assert_false(FltSupportsFileContexts(&fo));
	assert_false(FltSupportsStreamHandleContexts(&fo));
	assert_false(FltSupportsFileContextsEx(&fo, instance));
	assert_true(FltSupportsStreamContexts(altitude_file_object(f)));
	assert_true(FltSupportsFileContextsEx(altitude_file_object(f), instance));
	assert_int_equal(FltSetStreamContext(instance, &fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			 STATUS_NOT_SUPPORTED);
	assert_int_equal(FltGetStreamContext(instance, &fo, &got), STATUS_NOT_SUPPORTED);
	assert_int_equal(FltDeleteStreamHandleContext(instance, &fo, NULL), STATUS_NOT_SUPPORTED);
	assert_int_equal(FltSetStreamContext(instance, NULL, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSetStreamContext(NULL, altitude_file_object(f),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSetStreamContext(instance, altitude_file_object(f),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	FltReleaseContext(s);
	altitude_close_file(f);
}

static void transaction_contexts_are_not_supported(void **state)
{
	PFLT_CONTEXT t = NULL, got = (PFLT_CONTEXT)1;

	(void)state;
	assert_int_equal(FltAllocateContext(filter, FLT_TRANSACTION_CONTEXT, 16, PagedPool, &t),
			 STATUS_SUCCESS);
	assert_int_equal(FltSetTransactionContext(instance, NULL, FLT_SET_CONTEXT_KEEP_IF_EXISTS, t,
						  NULL),
			 STATUS_NOT_SUPPORTED);
	assert_int_equal(FltGetTransactionContext(instance, NULL, &got), STATUS_NOT_SUPPORTED);
	assert_null(got);
	assert_int_equal(FltDeleteTransactionContext(instance, NULL, NULL), STATUS_NOT_SUPPORTED);
	FltReleaseContext(t);
	assert_int_equal(live(TAG_TX), 0);
}

static void get_contexts_fills_what_is_asked(void **state)
{
	altitude_file *f = open_file(L"\\a.txt");
	PFILE_OBJECT fo = altitude_file_object(f);
	struct test_ctx *c[5] = {
		new_ctx(FLT_VOLUME_CONTEXT, 1), new_ctx(FLT_INSTANCE_CONTEXT, 2),
		new_ctx(FLT_FILE_CONTEXT, 3), new_ctx(FLT_STREAM_CONTEXT, 4), NULL,
	};
	FLT_RELATED_OBJECTS objs = { sizeof(objs), 0, filter, altitude_memvol_volume(vol), instance,
				     fo, NULL };
	FLT_RELATED_CONTEXTS rc;

	(void)state;
	assert_int_equal(FltAllocateContext(filter, FLT_STREAMHANDLE_CONTEXT, sizeof(struct test_ctx),
					    PagedPool, (PFLT_CONTEXT *)&c[4]),
			 STATUS_SUCCESS);
	c[4]->id = 5;
	assert_int_equal(FltSetVolumeContext(objs.Volume, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[0], NULL), 0);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[1], NULL), 0);
	assert_int_equal(FltSetFileContext(instance, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[2], NULL), 0);
	assert_int_equal(FltSetStreamContext(instance, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[3], NULL), 0);
	assert_int_equal(FltSetStreamHandleContext(instance, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c[4],
						   NULL),
			 0);
	for (int i = 0; i < 5; i++)
		FltReleaseContext(c[i]);
	FltGetContexts(&objs, FLT_ALL_CONTEXTS, &rc);
	assert_ptr_equal(rc.VolumeContext, c[0]);
	assert_ptr_equal(rc.InstanceContext, c[1]);
	assert_ptr_equal(rc.FileContext, c[2]);
	assert_ptr_equal(rc.StreamContext, c[3]);
	assert_ptr_equal(rc.StreamHandleContext, c[4]);
	assert_null(rc.TransactionContext);
	FltReleaseContexts(&rc);
	assert_null(rc.StreamContext);
	FltGetContexts(&objs, FLT_STREAM_CONTEXT | FLT_INSTANCE_CONTEXT, &rc);
	assert_null(rc.VolumeContext);
	assert_ptr_equal(rc.StreamContext, c[3]);
	assert_ptr_equal(rc.InstanceContext, c[1]);
	FltReleaseContexts(&rc);
	assert_int_equal(cleanups, 0);
	altitude_close_file(f);
	assert_int_equal(cleanups, 3); /* handle, stream, file */
	altitude_filter_unload(L"ctxflt", TRUE);
	assert_int_equal(cleanups, 5); /* instance, volume */
}

static void post_create_sets_once_per_stream(void **state)
{
	altitude_file *f1, *f2, *f3;

	(void)state;
	set_in_post_create = TRUE;
	f1 = open_file(L"\\a.txt");
	f2 = open_file(L"\\a.txt");
	f3 = open_file(L"\\b.txt");
	assert_int_equal(post_create_sets, 2); /* KEEP_IF_EXISTS on the second open of a.txt */
	assert_int_equal(cleanups, 1);          /* that second, unused context */
	altitude_close_file(f1);
	altitude_close_file(f3);
	assert_int_equal(cleanups, 2);
	altitude_close_file(f2);
	assert_int_equal(cleanups, 3);
}

/* ---- concurrency ------------------------------------------------------ */

#define STRESS_THREADS 4
#define STRESS_ROUNDS 200

static atomic_int stress_kept;

static void *stress_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < STRESS_ROUNDS; i++) {
		altitude_file *f = NULL;
		PFLT_CONTEXT c = NULL, got = NULL;

		if (altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &f, NULL))
			continue;
		if (FltAllocateContext(filter, FLT_STREAM_CONTEXT, sizeof(struct test_ctx), PagedPool,
				       &c) == STATUS_SUCCESS) {
			((struct test_ctx *)c)->id = i;
			if (FltSetStreamContext(instance, altitude_file_object(f),
						FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL) == STATUS_SUCCESS)
				atomic_fetch_add(&stress_kept, 1);
			FltReleaseContext(c);
		}
		if (FltGetStreamContext(instance, altitude_file_object(f), &got) == STATUS_SUCCESS)
			FltReleaseContext(got);
		altitude_close_file(f);
	}
	return NULL;
}

static void concurrent_opens_share_one_stream_context(void **state)
{
	pthread_t t[STRESS_THREADS];

	(void)state;
	atomic_store(&stress_kept, 0);
	for (int i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread, NULL), 0);
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_true(atomic_load(&stress_kept) >= 1);
	assert_int_equal(cleanups, STRESS_THREADS * STRESS_ROUNDS); /* every context ended */
	assert_int_equal(altitude_flt_live_contexts(), 0);
	assert_int_equal(live(TAG_STREAM), 0);
}

/* ---- unload --------------------------------------------------------- */

static void leaked_reference_is_reported_at_unload(void **state)
{
	struct test_ctx *kept = new_ctx(FLT_STREAM_CONTEXT, 51);
	altitude_context_leak leaks[2];
	altitude_file *f = open_file(L"\\a.txt");

	(void)state;
	assert_int_equal(FltSetStreamContext(instance, altitude_file_object(f),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, kept, NULL),
			 STATUS_SUCCESS);
	/* The filter forgets to release its own reference. */
	assert_int_equal(altitude_filter_unload(L"ctxflt", TRUE), STATUS_SUCCESS);
	assert_int_equal(altitude_flt_context_leaks(leaks, 2), 1);
	assert_int_equal(leaks[0].type, FLT_STREAM_CONTEXT);
	assert_int_equal(leaks[0].pool_tag, TAG_STREAM);
	assert_int_equal(leaks[0].references, 1);
	assert_memory_equal(leaks[0].filter, L"ctxflt", 7 * sizeof(WCHAR));
	assert_int_equal(live(TAG_STREAM), 1);
	assert_int_equal(cleanups, 0);
	FltReleaseContext(kept); /* freed, without calling into the unloaded filter */
	assert_int_equal(cleanups, 0);
	assert_int_equal(live(TAG_STREAM), 0);
	altitude_close_file(f);
}

static void nothing_live_after_unload(void **state)
{
	altitude_file *f = open_file(L"\\a.txt");
	PFILE_OBJECT fo = altitude_file_object(f);
	struct test_ctx *s = new_ctx(FLT_STREAM_CONTEXT, 1), *h = NULL;
	struct test_ctx *i = new_ctx(FLT_INSTANCE_CONTEXT, 2), *v = new_ctx(FLT_VOLUME_CONTEXT, 3);

	(void)state;
	assert_int_equal(FltAllocateContext(filter, FLT_STREAMHANDLE_CONTEXT, 64, PagedPool,
					    (PFLT_CONTEXT *)&h),
			 STATUS_SUCCESS);
	h->id = 4;
	assert_int_equal(FltSetStreamContext(instance, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL), 0);
	assert_int_equal(FltSetStreamHandleContext(instance, fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, h,
						   NULL),
			 0);
	assert_int_equal(FltSetInstanceContext(instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, i, NULL), 0);
	assert_int_equal(FltSetVolumeContext(altitude_memvol_volume(vol),
					     FLT_SET_CONTEXT_KEEP_IF_EXISTS, v, NULL),
			 0);
	FltReleaseContext(s);
	FltReleaseContext(h);
	FltReleaseContext(i);
	FltReleaseContext(v);
	assert_int_equal(altitude_filter_unload(L"ctxflt", TRUE), STATUS_SUCCESS);
	assert_int_equal(cleanups, 4); /* the instance's teardown ended them all, file still open */
	assert_int_equal(altitude_flt_context_leaks(NULL, 0), 0);
	assert_int_equal(altitude_flt_live_contexts(), 0);
	assert_int_equal(live(TAG_STREAM) + live(TAG_HANDLE) + live(TAG_INST) + live(TAG_VOL), 0);
	altitude_close_file(f);
	assert_int_equal(cleanups, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_registrations_fail_filter_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_follows_the_registrations, setup, teardown),
		cmocka_unit_test_setup_teardown(keep_replace_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(instance_context_ends_with_the_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_context_outlives_a_closed_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_handle_context_is_per_file_object, setup, teardown),
		cmocka_unit_test_setup_teardown(deleted_context_lives_while_referenced, setup, teardown),
		cmocka_unit_test_setup_teardown(file_object_not_open_is_not_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(transaction_contexts_are_not_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(get_contexts_fills_what_is_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(post_create_sets_once_per_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(leaked_reference_is_reported_at_unload, setup, teardown),
		cmocka_unit_test_setup_teardown(paged_allocation_at_dispatch_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_live_after_unload, setup, teardown),
		cmocka_unit_test_setup_teardown(null_context_is_a_verifier_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_opens_share_one_stream_context, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
