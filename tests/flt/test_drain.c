/*
 * Draining: 1,000 operations in flight across three filters with random
 * pending (pre and post) and asynchronous completion; then one instance is
 * detached and the filters unloaded while operations are still in flight.
 * Every operation completes exactly once, every post callback a pre asked
 * for arrives exactly once (normally or draining), nothing reaches a filter
 * after its teardown completes, and no engine object is left alive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include <altitude/harness.h>
#include <altitude/pool.h>
#include <stdio.h>

#define OPS 1000
#define FILTERS 3

struct record {
	atomic_int pre, asked, post, drained;
};

struct filter {
	PFLT_FILTER handle;
	atomic_int torn;       /* InstanceTeardownComplete ran */
	atomic_int late;       /* callbacks after teardown completed */
	atomic_int more_processing_refused;
	pthread_mutex_t lock;
	PFLT_CALLBACK_DATA pended[OPS];
	ULONG pended_count;
};

/* records[f][OPS] is shared by the operations the background issuer sends */
static struct record records[FILTERS][OPS + 1];
static struct filter filters[FILTERS];
static char buffers[OPS][4];
static altitude_op *ops[OPS];
static altitude_memvol *vol;
static altitude_file *file;

static pthread_mutex_t completer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t completer_cv = PTHREAD_COND_INITIALIZER;
static BOOLEAN completer_stop;

static ULONG hash(ULONG i, int f, ULONG salt)
{
	ULONG h = i * 2654435761u ^ (ULONG)(f + 1) * 40503u ^ salt * 97u;

	h ^= h >> 13;
	h *= 0x5bd1e995u;
	return h ^ (h >> 15);
}

static int filter_of(PCFLT_RELATED_OBJECTS objs)
{
	for (int f = 0; f < FILTERS; f++) {
		if (filters[f].handle == objs->Filter)
			return f;
	}
	return -1;
}

static char background_buffer[4];

static ULONG op_index(PFLT_CALLBACK_DATA data)
{
	char *b = data->Iopb->Parameters.Read.ReadBuffer;

	if (b == background_buffer)
		return OPS;
	return (ULONG)((b - buffers[0]) / sizeof(buffers[0]));
}

static void check_alive(int f)
{
	if (atomic_load(&filters[f].torn))
		atomic_fetch_add(&filters[f].late, 1);
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI drain_pre(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs,
						  PVOID *ctx)
{
	int f = filter_of(objs);
	ULONG i = op_index(data), h = hash(i, f, 1);
	struct record *r = &records[f][i];

	check_alive(f);
	atomic_fetch_add(&r->pre, 1);
	*ctx = r;
	if (i == OPS) {
		atomic_fetch_add(&r->asked, 1);
		return FLT_PREOP_SUCCESS_WITH_CALLBACK;
	}
	if (h % 7 == 0)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	atomic_fetch_add(&r->asked, 1);
	if (h % 4 != 0)
		return FLT_PREOP_SUCCESS_WITH_CALLBACK;
	/* pend: completed later by the completer thread or at teardown start */
	pthread_mutex_lock(&filters[f].lock);
	filters[f].pended[filters[f].pended_count++] = data;
	pthread_mutex_unlock(&filters[f].lock);
	pthread_mutex_lock(&completer_lock);
	pthread_cond_broadcast(&completer_cv);
	pthread_mutex_unlock(&completer_lock);
	return FLT_PREOP_PENDING;
}

static VOID FLTAPI drain_deferred(PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, PVOID ctx)
{
	(void)ctx;
	FltFreeDeferredIoWorkItem(item);
	FltCompletePendedPostOperation(data);
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI drain_post(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs,
						    PVOID ctx, FLT_POST_OPERATION_FLAGS flags)
{
	int f = filter_of(objs);
	struct record *r = ctx;
	PFLT_DEFERRED_IO_WORKITEM item;

	check_alive(f);
	if (flags & FLTFL_POST_OPERATION_DRAINING) {
		/* The operation goes on without us: only our own state is touched. */
		atomic_fetch_add(&r->drained, 1);
		return FLT_POSTOP_FINISHED_PROCESSING;
	}
	atomic_fetch_add(&r->post, 1);
	if (op_index(data) == OPS || hash(op_index(data), f, 2) % 3 != 0)
		return FLT_POSTOP_FINISHED_PROCESSING;
	item = FltAllocateDeferredIoWorkItem();
	if (item && NT_SUCCESS(FltQueueDeferredIoWorkItem(item, data, drain_deferred, DelayedWorkQueue, NULL)))
		return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
	atomic_fetch_add(&filters[f].more_processing_refused, 1);
	FltFreeDeferredIoWorkItem(item);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

/* Completes pended operations of filter f; only the odd ones unless `all`. */
static ULONG complete_pended(int f, BOOLEAN all)
{
	PFLT_CALLBACK_DATA take[OPS];
	ULONG n = 0, keep = 0;
	struct filter *fl = &filters[f];

	pthread_mutex_lock(&fl->lock);
	for (ULONG k = 0; k < fl->pended_count; k++) {
		if (all || (op_index(fl->pended[k]) & 1))
			take[n++] = fl->pended[k];
		else
			fl->pended[keep++] = fl->pended[k];
	}
	fl->pended_count = keep;
	pthread_mutex_unlock(&fl->lock);
	for (ULONG k = 0; k < n; k++) {
		ULONG h = hash(op_index(take[k]), f, 3);

		if (h % 5 == 0) {
			struct record *r = &records[f][op_index(take[k])];

			atomic_fetch_sub(&r->asked, 1);
			FltCompletePendedPreOperation(take[k], FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
		} else {
			FltCompletePendedPreOperation(take[k], FLT_PREOP_SUCCESS_WITH_CALLBACK,
						      &records[f][op_index(take[k])]);
		}
	}
	return n;
}

static void *completer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&completer_lock);
	while (!completer_stop) {
		pthread_mutex_unlock(&completer_lock);
		for (int f = 0; f < FILTERS; f++)
			complete_pended(f, FALSE);
		pthread_mutex_lock(&completer_lock);
		if (!completer_stop)
			pthread_cond_wait(&completer_cv, &completer_lock);
	}
	pthread_mutex_unlock(&completer_lock);
	return NULL;
}

static VOID FLTAPI drain_teardown_start(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
	(void)reason;
	/* The operations we pended are ours to complete now. */
	complete_pended(filter_of(objs), TRUE);
}

static VOID FLTAPI drain_teardown_complete(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
	(void)reason;
	atomic_store(&filters[filter_of(objs)].torn, 1);
}

static NTSTATUS FLTAPI drain_query_teardown(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_QUERY_TEARDOWN_FLAGS f)
{
	(void)objs;
	(void)f;
	return STATUS_SUCCESS;
}

static NTSTATUS drain_unload(int f)
{
	FltUnregisterFilter(filters[f].handle);
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI unload0(FLT_FILTER_UNLOAD_FLAGS x) { (void)x; return drain_unload(0); }
static NTSTATUS FLTAPI unload1(FLT_FILTER_UNLOAD_FLAGS x) { (void)x; return drain_unload(1); }
static NTSTATUS FLTAPI unload2(FLT_FILTER_UNLOAD_FLAGS x) { (void)x; return drain_unload(2); }
static PFLT_FILTER_UNLOAD_CALLBACK unloads[FILTERS] = { unload0, unload1, unload2 };

static const FLT_OPERATION_REGISTRATION drain_ops[] = {
	{ IRP_MJ_READ, 0, drain_pre, drain_post, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};
static FLT_REGISTRATION regs[FILTERS];

static NTSTATUS entry(int f, PDRIVER_OBJECT driver)
{
	FLT_REGISTRATION *r = &regs[f];
	NTSTATUS s;

	memset(r, 0, sizeof(*r));
	r->Size = sizeof(*r);
	r->Version = FLT_REGISTRATION_VERSION;
	r->OperationRegistration = drain_ops;
	r->FilterUnloadCallback = unloads[f];
	r->InstanceQueryTeardownCallback = drain_query_teardown;
	r->InstanceTeardownStartCallback = drain_teardown_start;
	r->InstanceTeardownCompleteCallback = drain_teardown_complete;
	s = FltRegisterFilter(driver, r, &filters[f].handle);
	if (NT_SUCCESS(s))
		s = FltStartFiltering(filters[f].handle);
	return s;
}

static NTSTATUS entry0(PDRIVER_OBJECT d, PUNICODE_STRING p) { (void)p; return entry(0, d); }
static NTSTATUS entry1(PDRIVER_OBJECT d, PUNICODE_STRING p) { (void)p; return entry(1, d); }
static NTSTATUS entry2(PDRIVER_OBJECT d, PUNICODE_STRING p) { (void)p; return entry(2, d); }

static void load(int f, PDRIVER_INITIALIZE e, const WCHAR *name, const WCHAR *iname, const WCHAR *alt)
{
	altitude_instance_config inst = { iname, alt, 0 };
	altitude_filter_config cfg = { name, NULL, 1, &inst };

	pthread_mutex_init(&filters[f].lock, NULL);
	assert_int_equal(altitude_filter_load(&cfg, e, NULL), STATUS_SUCCESS);
}

static atomic_int background_stop;
static atomic_int background_done;

/* Keeps issuing operations while instances are detached and filters unloaded. */
static void *background_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&background_stop)) {
		altitude_op_options o = { 0 };
		IO_STATUS_BLOCK iosb;

		o.flags = atomic_load(&background_done) % 2 ? ALTITUDE_OP_ASYNC_COMPLETION : 0;
		if (altitude_read(file, 0, background_buffer, sizeof(background_buffer), &o, &iosb) !=
			    STATUS_SUCCESS ||
		    iosb.Information != 4)
			return (void *)1;
		atomic_fetch_add(&background_done, 1);
	}
	return NULL;
}

static void *release_main(void *arg)
{
	(void)arg;
	altitude_memvol_release_held(vol);
	return NULL;
}

static void issue_all(void)
{
	for (ULONG i = 0; i < OPS; i++) {
		altitude_op_options o = { 0 };

		o.async_out = &ops[i];
		o.flags = i % 3 == 0 ? ALTITUDE_OP_HOLD : i % 3 == 1 ? ALTITUDE_OP_ASYNC_COMPLETION : 0;
		assert_int_equal(altitude_read(file, 0, buffers[i], sizeof(buffers[i]), &o, NULL),
				 STATUS_PENDING);
	}
}

static void check_records(void)
{
	ULONG asked = 0, drained = 0;

	for (int f = 0; f < FILTERS; f++) {
		assert_int_equal(atomic_load(&filters[f].late), 0);
		assert_int_equal(atomic_load(&filters[f].torn), 1);
		for (ULONG i = 0; i <= OPS; i++) {
			struct record *r = &records[f][i];

			assert_true(i == OPS || atomic_load(&r->pre) <= 1);
			/* exactly the post callbacks that were asked for, each once */
			assert_int_equal(atomic_load(&r->post) + atomic_load(&r->drained), atomic_load(&r->asked));
			asked += (ULONG)atomic_load(&r->asked);
			drained += (ULONG)atomic_load(&r->drained);
		}
	}
	assert_true(asked > OPS);
	assert_true(drained > 0);
}

static void thousand_operations_drain_and_unload(void **state)
{
	ULONGLONG completed_before;
	pthread_t completer, releaser, background;
	void *background_result;
	IO_STATUS_BLOCK iosb;

	(void)state;
	memset(records, 0, sizeof(records));
	memset(filters, 0, sizeof(filters));
	assert_int_equal(altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\a.txt", "abcd", 4), STATUS_SUCCESS);
	assert_int_equal(altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb),
			 STATUS_SUCCESS);
	load(0, entry0, L"top", L"topI", L"300000");
	load(1, entry1, L"middle", L"middleI", L"200000.5");
	load(2, entry2, L"bottom", L"bottomI", L"200000");
	completed_before = altitude_ops_completed();
	completer_stop = FALSE;
	pthread_create(&completer, NULL, completer_main, NULL);

	issue_all();

	atomic_store(&background_stop, 0);
	atomic_store(&background_done, 0);
	pthread_create(&background, NULL, background_main, NULL);
	pthread_create(&releaser, NULL, release_main, NULL);
	assert_int_equal(FltDetachVolume(filters[1].handle, altitude_memvol_volume(vol), NULL), STATUS_SUCCESS);
	assert_int_equal(altitude_filter_unload(L"top", FALSE), STATUS_SUCCESS);
	pthread_join(releaser, NULL);
	assert_int_equal(altitude_filter_unload(L"bottom", TRUE), STATUS_SUCCESS);
	assert_int_equal(altitude_filter_unload(L"middle", TRUE), STATUS_SUCCESS);
	atomic_store(&background_stop, 1);
	pthread_join(background, &background_result);
	assert_null(background_result);

	pthread_mutex_lock(&completer_lock);
	completer_stop = TRUE;
	pthread_cond_broadcast(&completer_cv);
	pthread_mutex_unlock(&completer_lock);
	pthread_join(completer, NULL);

	altitude_memvol_release_held(vol);
	for (ULONG i = 0; i < OPS; i++) {
		assert_int_equal(altitude_op_wait(ops[i], &iosb), STATUS_SUCCESS);
		assert_int_equal(iosb.Information, 4);
		altitude_op_free(ops[i]);
	}
	assert_int_equal(altitude_ops_completed() - completed_before,
			 OPS + (ULONGLONG)atomic_load(&background_done));
	check_records();

	altitude_close_file(file);
	altitude_memvol_destroy(vol);
	for (int f = 0; f < FILTERS; f++)
		pthread_mutex_destroy(&filters[f].lock);
	assert_int_equal(altitude_flt_live_objects(), 0);
	/* pool tag accounting: nothing the engine allocated is still live */
	assert_int_equal(altitude_pool_leak_report(stderr), 0);
	assert_int_equal(altitude_pool_live_allocations(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thousand_operations_drain_and_unload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
