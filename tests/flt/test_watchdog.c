/*
 * The watchdog's view of the engine under the virtual clock: operations a
 * filter holds (pended pre, pended post), FltSendMessage waiters, stuck
 * drains and unloads, with the host listings' pending counts; and the
 * current-callback record behind the log prefix and the crash report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include <altitude/clock.h>
#include <altitude/host.h>
#include <altitude/log.h>
#include <altitude/pool.h>

#include "flt/watch.h"
#include "probe.h"

#define SECOND 10000000LL
#define PID 4242

static altitude_memvol *vol;
static altitude_file *file;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	altitude_clock_use_virtual_at(ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME, 1000 * SECOND);
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\dir\\a.txt", "0123456789", 10);
	if (probe_load(0, L"alpha", L"300000") || probe_load(1, L"beta", L"200000"))
		return -1;
	if (altitude_create(vol, L"\\dir\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_filter_unload(L"beta", TRUE);
	altitude_memvol_destroy(vol);
	altitude_clock_use_real();
	altitude_log_set_sink(NULL, NULL);
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

/* ---- scans ---- */

#define MAX_ITEMS 8

struct seen {
	ULONG count;
	altitude_watch_item items[MAX_ITEMS];
};

static void collect(const altitude_watch_item *item, void *ctx)
{
	struct seen *s = ctx;

	if (s->count < MAX_ITEMS)
		s->items[s->count] = *item;
	s->count++;
}

static ULONG scan(ULONGLONG deadline_ms, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return altitude_watchdog_scan(deadline_ms, collect, s);
}

/* Keeps only the items of one kind. */
static ULONG only(struct seen *s, altitude_watch_kind kind)
{
	ULONG n = 0;

	for (ULONG i = 0; i < s->count && i < MAX_ITEMS; i++)
		if (s->items[i].kind == kind)
			s->items[n++] = s->items[i];
	s->count = n;
	return n;
}

/* ---- a pended operation ---- */

static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pend_cv = PTHREAD_COND_INITIALIZER;
static PFLT_CALLBACK_DATA pended;

static void publish(PFLT_CALLBACK_DATA data)
{
	pthread_mutex_lock(&pend_lock);
	pended = data;
	pthread_cond_broadcast(&pend_cv);
	pthread_mutex_unlock(&pend_lock);
}

static PFLT_CALLBACK_DATA wait_pended(void)
{
	PFLT_CALLBACK_DATA d;

	pthread_mutex_lock(&pend_lock);
	while (!pended)
		pthread_cond_wait(&pend_cv, &pend_lock);
	d = pended;
	pended = NULL;
	pthread_mutex_unlock(&pend_lock);
	return d;
}

static FLT_PREOP_CALLBACK_STATUS pend_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					  PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	publish(data);
	return FLT_PREOP_PENDING;
}

static FLT_POSTOP_CALLBACK_STATUS pend_post(struct probe *p, PFLT_CALLBACK_DATA data,
					    PCFLT_RELATED_OBJECTS objs, PVOID ctx,
					    FLT_POST_OPERATION_FLAGS flags)
{
	(void)p;
	(void)objs;
	(void)ctx;
	if (flags & FLTFL_POST_OPERATION_DRAINING)
		return FLT_POSTOP_FINISHED_PROCESSING;
	publish(data);
	return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
}

/* Starts an asynchronous read by requester PID. */
static altitude_op *start_read(void)
{
	static char buf[4];
	altitude_op_options o = { 0 };
	altitude_op *op;

	o.async_out = &op;
	o.requestor_pid = PID;
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &o, NULL), STATUS_PENDING);
	return op;
}

static void finish_read(altitude_op *op)
{
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
}

static void pended_pre_is_reported_once_overdue(void **state)
{
	struct seen s;
	altitude_op *op;
	PFLT_CALLBACK_DATA d;
	ULONGLONG id;

	(void)state;
	probes[1].pre_hook = pend_pre;
	op = start_read();
	d = wait_pended();
	assert_int_equal(scan(1000, &s), 0);
	altitude_clock_advance(5 * SECOND);
	assert_int_equal(scan(6000, &s), 0);
	assert_int_equal(altitude_watchdog_scan(1000, NULL, NULL), 1);
	assert_int_equal(scan(1000, &s), 1);
	assert_int_equal(s.items[0].kind, ALTITUDE_WATCH_OPERATION);
	assert_string_equal(s.items[0].filter, "beta");
	assert_string_equal(s.items[0].instance, "betaI");
	assert_string_equal(s.items[0].volume, "\\Device\\AltitudeVolume1");
	assert_string_equal(s.items[0].operation, "IRP_MJ_READ pre-operation");
	assert_string_equal(s.items[0].file, "\\dir\\a.txt");
	assert_int_equal(s.items[0].requestor_pid, PID);
	assert_int_equal(s.items[0].age_ms, 5000);
	id = s.items[0].id;
	altitude_clock_advance(SECOND);
	assert_int_equal(scan(1000, &s), 1);
	assert_int_equal(s.items[0].age_ms, 6000);
	assert_true(s.items[0].id == id);

	FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	finish_read(op);
	assert_int_equal(scan(0, &s), 0);
}

static void pended_post_is_reported_as_post_operation(void **state)
{
	struct seen s;
	altitude_op *op;
	PFLT_CALLBACK_DATA d;

	(void)state;
	probes[0].post_hook = pend_post;
	op = start_read();
	d = wait_pended();
	altitude_clock_advance(2 * SECOND);
	assert_int_equal(scan(2000, &s), 1);
	assert_string_equal(s.items[0].filter, "alpha");
	assert_string_equal(s.items[0].operation, "IRP_MJ_READ post-operation");
	assert_int_equal(s.items[0].requestor_pid, PID);
	FltCompletePendedPostOperation(d);
	finish_read(op);
	assert_int_equal(scan(0, &s), 0);
}

static const altitude_host_instance_info *instance_named(altitude_host_instance_info *infos,
							 ULONG n, const char *filter)
{
	for (ULONG i = 0; i < n; i++)
		if (strcmp(infos[i].filter, filter) == 0)
			return &infos[i];
	return NULL;
}

static void host_listings_count_what_is_held(void **state)
{
	altitude_host_instance_info infos[4];
	altitude_host_filter_info filters[4];
	altitude_op *first, *second;
	PFLT_CALLBACK_DATA d1, d2;
	ULONG n;

	(void)state;
	probes[1].pre_hook = pend_pre;
	first = start_read();
	d1 = wait_pended();
	altitude_clock_advance(3 * SECOND);
	second = start_read();
	d2 = wait_pended();
	altitude_clock_advance(SECOND);

	n = altitude_host_instances(infos, 4);
	assert_int_equal(n, 2);
	assert_int_equal(instance_named(infos, n, "beta")->pending, 2);
	assert_int_equal(instance_named(infos, n, "beta")->oldest_ms, 4000);
	assert_int_equal(instance_named(infos, n, "alpha")->pending, 0);
	assert_int_equal(instance_named(infos, n, "alpha")->oldest_ms, 0);
	n = altitude_host_filters(filters, 4);
	assert_int_equal(n, 2);
	for (ULONG i = 0; i < n; i++) {
		BOOLEAN beta = strcmp(filters[i].name, "beta") == 0;

		assert_int_equal(filters[i].pending, beta ? 2 : 0);
		assert_int_equal(filters[i].oldest_ms, beta ? 4000 : 0);
	}

	FltCompletePendedPreOperation(d1, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	finish_read(first);
	n = altitude_host_instances(infos, 4);
	assert_int_equal(instance_named(infos, n, "beta")->pending, 1);
	assert_int_equal(instance_named(infos, n, "beta")->oldest_ms, 1000);
	FltCompletePendedPreOperation(d2, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	finish_read(second);
	n = altitude_host_instances(infos, 4);
	assert_int_equal(instance_named(infos, n, "beta")->pending, 0);
}

/* ---- the current-callback record ---- */

static char logged_prefix[64];
static altitude_host_callback_info inside;
static BOOLEAN inside_found;

static void capture(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	(void)ctx;
	snprintf(logged_prefix, sizeof(logged_prefix), "%s", prefix);
}

static FLT_PREOP_CALLBACK_STATUS describe_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					      PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)data;
	(void)objs;
	*ctx = NULL;
	inside_found = altitude_host_current_callback(&inside);
	DbgPrint("in the pre callback\n");
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void callback_record_names_filter_and_operation(void **state)
{
	altitude_host_callback_info outside;
	altitude_op_options o = { 0 };
	char buf[4];

	(void)state;
	altitude_log_set_sink(capture, NULL);
	altitude_log_set_thread_prefix("control");
	probes[1].pre_hook = describe_pre;
	o.requestor_pid = PID;
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &o, NULL), STATUS_SUCCESS);
	assert_true(inside_found);
	assert_string_equal(inside.filter, "beta");
	assert_string_equal(inside.operation, "IRP_MJ_READ pre-operation callback");
	assert_string_equal(inside.file, "\\dir\\a.txt");
	assert_int_equal(inside.requestor_pid, PID);
	/* The callback's filter wins over the thread's own prefix, and only inside. */
	assert_string_equal(logged_prefix, "beta");
	DbgPrint("outside\n");
	assert_string_equal(logged_prefix, "control");
	altitude_log_set_thread_prefix(NULL);
	DbgPrint("outside\n");
	assert_string_equal(logged_prefix, "");
	assert_false(altitude_host_current_callback(&outside));
	assert_string_equal(outside.filter, "");
	assert_false(altitude_host_current_callback(NULL));
}

/* ---- FltSendMessage waiters ---- */

static FLT_PREOP_CALLBACK_STATUS send_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					  PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	struct flt_watch_send w;
	struct seen s;

	(void)data;
	*ctx = NULL;
	flt_watch_send_begin(&w, objs->Filter);
	altitude_clock_advance(4 * SECOND);
	scan(3000, p->user);
	only(p->user, ALTITUDE_WATCH_MESSAGE);
	flt_watch_send_end(&w);
	/* The operation itself is held (this callback runs); the send is gone. */
	scan(0, &s);
	assert_int_equal(only(&s, ALTITUDE_WATCH_MESSAGE), 0);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void send_waiter_is_reported_with_its_operation(void **state)
{
	altitude_host_filter_info filters[4];
	struct flt_watch_send w;
	struct seen s;
	ULONG n;

	(void)state;
	probes[0].pre_hook = send_pre;
	probes[0].user = &s;
	assert_int_equal(altitude_read(file, 0, (char[4]){ 0 }, 4,
				       &(altitude_op_options){ .requestor_pid = PID }, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.items[0].kind, ALTITUDE_WATCH_MESSAGE);
	assert_string_equal(s.items[0].filter, "alpha");
	assert_string_equal(s.items[0].instance, "alphaI");
	assert_string_equal(s.items[0].operation, "IRP_MJ_READ pre-operation callback");
	assert_string_equal(s.items[0].file, "\\dir\\a.txt");
	assert_int_equal(s.items[0].requestor_pid, PID);
	assert_int_equal(s.items[0].age_ms, 4000);

	/* Outside any callback: no operation. */
	flt_watch_send_begin(&w, probes[1].filter);
	altitude_clock_advance(SECOND);
	assert_int_equal(scan(500, &s), 1);
	assert_string_equal(s.items[0].filter, "beta");
	assert_string_equal(s.items[0].operation, "");
	assert_int_equal(s.items[0].requestor_pid, 0);
	n = altitude_host_filters(filters, 4);
	for (ULONG i = 0; i < n; i++)
		assert_int_equal(filters[i].pending, strcmp(filters[i].name, "beta") == 0 ? 1 : 0);
	flt_watch_send_end(&w);
	assert_int_equal(scan(0, &s), 0);

	/* Not a filter: not tracked, and the end is harmless. */
	flt_watch_send_begin(&w, NULL);
	assert_int_equal(scan(0, &s), 0);
	flt_watch_send_end(&w);
}

/* ---- drains and unloads ---- */

struct detach {
	pthread_t thread;
	NTSTATUS status;
};

static void *detach_main(void *arg)
{
	struct detach *t = arg;

	t->status = FltDetachVolume(probes[1].filter, altitude_memvol_volume(vol), NULL);
	return NULL;
}

static pthread_mutex_t started_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started_cv = PTHREAD_COND_INITIALIZER;
static BOOLEAN started;

static void teardown_started(struct probe *p, PCFLT_RELATED_OBJECTS objs)
{
	(void)p;
	(void)objs;
	pthread_mutex_lock(&started_lock);
	started = TRUE;
	pthread_cond_broadcast(&started_cv);
	pthread_mutex_unlock(&started_lock);
}

static void stuck_detach_is_reported_as_a_drain(void **state)
{
	struct detach t;
	struct seen s;
	altitude_op *op;
	PFLT_CALLBACK_DATA d;
	ULONG drains = 0;

	(void)state;
	probes[1].pre_hook = pend_pre;
	probes[1].teardown_start_hook = teardown_started;
	op = start_read();
	d = wait_pended();
	pthread_create(&t.thread, NULL, detach_main, &t);
	pthread_mutex_lock(&started_lock);
	while (!started)
		pthread_cond_wait(&started_cv, &started_lock);
	pthread_mutex_unlock(&started_lock);
	altitude_clock_advance(10 * SECOND);
	scan(5000, &s);
	for (ULONG i = 0; i < s.count && i < MAX_ITEMS; i++) {
		if (s.items[i].kind != ALTITUDE_WATCH_DRAIN)
			continue;
		drains++;
		assert_string_equal(s.items[i].filter, "beta");
		assert_string_equal(s.items[i].instance, "betaI");
		assert_string_equal(s.items[i].volume, "\\Device\\AltitudeVolume1");
		assert_true(s.items[i].owed >= 1);
		assert_true(s.items[i].age_ms >= 10000);
	}
	assert_int_equal(drains, 1);
	FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	finish_read(op);
	pthread_join(t.thread, NULL);
	assert_int_equal(t.status, STATUS_SUCCESS);
	assert_int_equal(scan(0, &s), 0);
}

static void *unload_main(void *arg)
{
	(void)arg;
	altitude_filter_unload(L"alpha", TRUE);
	return NULL;
}

/* TRUE once the unload has detached the instances and waits for references (5 s of real time at most). */
static BOOLEAN unload_waits_for_references(PFLT_FILTER f)
{
	for (int i = 0; i < 5000; i++) {
		BOOLEAN waiting;

		pthread_mutex_lock(&flt_topology_lock);
		waiting = atomic_load(&f->unload_since) && IsListEmpty(&f->instances);
		pthread_mutex_unlock(&flt_topology_lock);
		if (waiting)
			return TRUE;
		usleep(1000);
	}
	return FALSE;
}

static void unload_waiting_for_a_reference_is_reported(void **state)
{
	PFLT_FILTER alpha = probes[0].filter;
	struct seen s;
	pthread_t t;

	(void)state;
	assert_int_equal(FltObjectReference(alpha), STATUS_SUCCESS);
	pthread_create(&t, NULL, unload_main, NULL);
	assert_true(unload_waits_for_references(alpha));
	altitude_clock_advance(3 * SECOND);
	assert_int_equal(scan(2000, &s), 1);
	assert_int_equal(s.items[0].kind, ALTITUDE_WATCH_UNLOAD);
	assert_string_equal(s.items[0].filter, "alpha");
	assert_string_equal(s.items[0].instance, "");
	assert_int_equal(s.items[0].owed, 1);
	FltObjectDereference(alpha);
	pthread_join(t, NULL);
	assert_int_equal(scan(0, &s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pended_pre_is_reported_once_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(pended_post_is_reported_as_post_operation, setup, teardown),
		cmocka_unit_test_setup_teardown(host_listings_count_what_is_held, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_record_names_filter_and_operation, setup, teardown),
		cmocka_unit_test_setup_teardown(send_waiter_is_reported_with_its_operation, setup, teardown),
		cmocka_unit_test_setup_teardown(stuck_detach_is_reported_as_a_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(unload_waiting_for_a_reference_is_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
