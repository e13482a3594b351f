/* Dispatch: callback order, every pre and post status, pending, synchronize, IRQLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <stdio.h>
#include <altitude/pool.h>

#include "probe.h"

static altitude_memvol *vol;
static altitude_file *file;

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\dir\\a.txt", "0123456789", 10);
	if (probe_load(0, L"alpha", L"300000") || probe_load(1, L"beta", L"200000") ||
	    probe_load(2, L"gamma", L"100000"))
		return -1;
	if (altitude_create(vol, L"\\dir\\a.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE, FILE_OPEN, 0,
			    NULL, &file, &iosb))
		return -1;
	for (int i = 0; i < PROBE_MAX; i++) {
		atomic_store(&probes[i].pre, 0);
		atomic_store(&probes[i].post, 0);
	}
	probe_trace[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_filter_unload(L"beta", TRUE);
	altitude_filter_unload(L"gamma", TRUE);
	altitude_memvol_destroy(vol);
	altitude_bugcheck_set_hook(NULL, NULL);
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

static void with_callback_passes_the_completion_context(void **state)
{
	char buf[16];
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_read(file, 2, buf, 4, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 4);
	assert_memory_equal(buf, "2345", 4);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_ptr_equal(probes[1].post_context, &probes[1]);
	assert_int_equal(probes[1].post_flags, 0);
	/* inline completion: post callbacks in the requester's thread at PASSIVE */
	assert_true(pthread_equal(probes[2].post_thread, pthread_self()));
	assert_int_equal(probes[2].post_irql, PASSIVE_LEVEL);
}

static void no_callback_skips_the_post(void **state)
{
	char buf[4];

	(void)state;
	probes[1].pre_status = FLT_PREOP_SUCCESS_NO_CALLBACK;
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>A>");
}

static void complete_stops_below_and_posts_above(void **state)
{
	IO_STATUS_BLOCK iosb;
	char buf[16];
	SIZE_T size;

	(void)state;
	probes[1].pre_status = FLT_PREOP_COMPLETE;
	probes[1].complete_status = STATUS_ACCESS_DENIED;
	assert_int_equal(altitude_write(file, 0, "zz", 2, NULL, &iosb), STATUS_ACCESS_DENIED);
	assert_string_equal(probe_trace, "A<B<A>");
	assert_int_equal(altitude_memvol_read_file(vol, L"\\dir\\a.txt", buf, sizeof(buf), &size),
			 STATUS_SUCCESS);
	assert_memory_equal(buf, "01", 2);
}

static PFLT_CALLBACK_DATA pended;
static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pend_cv = PTHREAD_COND_INITIALIZER;

static FLT_PREOP_CALLBACK_STATUS pend_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					  PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	pthread_mutex_lock(&pend_lock);
	pended = data;
	pthread_cond_broadcast(&pend_cv);
	pthread_mutex_unlock(&pend_lock);
	return FLT_PREOP_PENDING;
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

struct resume {
	PFLT_CALLBACK_DATA data;
	FLT_PREOP_CALLBACK_STATUS status;
	pthread_t thread;
};

static void *resume_main(void *arg)
{
	struct resume *r = arg;

	r->thread = pthread_self();
	if (r->status == FLT_PREOP_COMPLETE) {
		r->data->IoStatus.Status = STATUS_CANCELLED;
		r->data->IoStatus.Information = 0;
	}
	FltCompletePendedPreOperation(r->data, r->status, (PVOID)0x1234);
	return NULL;
}

static NTSTATUS read_pended_then(FLT_PREOP_CALLBACK_STATUS how, pthread_t *resumer)
{
	altitude_op *op;
	altitude_op_options o = { 0 };
	struct resume r;
	pthread_t t;
	char buf[4];

	o.async_out = &op;
	probes[1].pre_hook = pend_pre;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	r.data = wait_pended();
	r.status = how;
	pthread_create(&t, NULL, resume_main, &r);
	pthread_join(t, NULL);
	*resumer = t;
	{
		NTSTATUS s = altitude_op_wait(op, NULL);

		altitude_op_free(op);
		return s;
	}
}

static void pended_pre_completed_from_another_thread(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(read_pended_then(FLT_PREOP_SUCCESS_WITH_CALLBACK, &t), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_ptr_equal(probes[1].post_context, (PVOID)0x1234);
	assert_true(pthread_equal(probes[2].pre_thread, t));

	probe_trace[0] = 0;
	assert_int_equal(read_pended_then(FLT_PREOP_SUCCESS_NO_CALLBACK, &t), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>A>");

	probe_trace[0] = 0;
	assert_int_equal(read_pended_then(FLT_PREOP_COMPLETE, &t), STATUS_CANCELLED);
	assert_string_equal(probe_trace, "A<B<A>");
}

static void invalid_pended_completion_bugchecks(void **state)
{
	altitude_bugcheck_report *r = probe_catch_bugchecks();
	altitude_op *op;
	altitude_op_options o = { 0 };
	PFLT_CALLBACK_DATA d;
	char buf[4];

	(void)state;
	o.async_out = &op;
	probes[1].pre_hook = pend_pre;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	d = wait_pended();
	FltCompletePendedPreOperation(d, FLT_PREOP_SYNCHRONIZE, NULL);
	assert_int_equal(r->code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	assert_non_null(strstr(r->routine, "beta"));
	assert_false(altitude_op_done(op));
	FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
}

static void post_without_registration_bugchecks(void **state)
{
	altitude_bugcheck_report *r = probe_catch_bugchecks();

	(void)state;
	altitude_filter_unload(L"beta", TRUE);
	probes[1].no_post_registered = TRUE;
	assert_int_equal(probe_load(1, L"beta", L"200000"), STATUS_SUCCESS);
	probe_trace[0] = 0;
	assert_int_equal(altitude_flush(file, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(r->code, FLTMGR_FILE_SYSTEM);
	assert_int_equal(r->parameters[0], 0x66);
	assert_non_null(strstr(r->routine, "beta"));
	assert_string_equal(probe_trace, "A<B<C<C>A>");
}

static void async_completion_posts_at_dispatch(void **state)
{
	altitude_op_options o = { 0 };
	char buf[4];

	(void)state;
	o.flags = ALTITUDE_OP_ASYNC_COMPLETION;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_int_equal(probes[0].post_irql, DISPATCH_LEVEL);
	assert_false(pthread_equal(probes[0].post_thread, pthread_self()));
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void synchronize_posts_in_the_pre_thread(void **state)
{
	altitude_op_options o = { 0 };
	char buf[4];

	(void)state;
	o.flags = ALTITUDE_OP_ASYNC_COMPLETION;
	probes[1].pre_status = FLT_PREOP_SYNCHRONIZE;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_int_equal(probes[2].post_irql, DISPATCH_LEVEL);
	assert_true(pthread_equal(probes[1].post_thread, pthread_self()));
	assert_int_equal(probes[1].post_irql, PASSIVE_LEVEL);
	assert_true(pthread_equal(probes[0].post_thread, pthread_self()));
	assert_int_equal(probes[0].post_irql, PASSIVE_LEVEL);

	/* not IRP-based: treated as SUCCESS_WITH_CALLBACK */
	o.flags |= ALTITUDE_OP_FAST_IO;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_SUCCESS);
	assert_int_equal(probes[1].post_irql, DISPATCH_LEVEL);
}

static void creates_are_always_synchronized(void **state)
{
	altitude_op_options o = { 0 };
	altitude_file *f2;
	IO_STATUS_BLOCK iosb;

	(void)state;
	o.flags = ALTITUDE_OP_ASYNC_COMPLETION;
	assert_int_equal(altitude_create(vol, L"\\dir\\b.txt", FILE_GENERIC_WRITE, FILE_CREATE, 0, &o,
					 &f2, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_CREATED);
	for (int i = 0; i < PROBE_MAX; i++) {
		assert_true(pthread_equal(probes[i].post_thread, pthread_self()));
		assert_int_equal(probes[i].post_irql, PASSIVE_LEVEL);
	}
	altitude_close_file(f2);
}

static FLT_PREOP_CALLBACK_STATUS no_fast_io(struct probe *p, PFLT_CALLBACK_DATA data,
					    PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	return FLT_IS_FASTIO_OPERATION(data) ? FLT_PREOP_DISALLOW_FASTIO
					     : FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static void disallowed_fast_io_is_reissued_as_irp(void **state)
{
	altitude_op_options o = { 0 };
	IO_STATUS_BLOCK iosb;
	char buf[4];

	(void)state;
	o.flags = ALTITUDE_OP_FAST_IO;
	probes[1].pre_hook = no_fast_io;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 4);
	/* fast I/O: B disallows, A's post sees the failure; then the IRP goes all the way */
	assert_string_equal(probe_trace, "A<B<A>A<B<C<C>B>A>");
}

static void skip_flags_are_honoured(void **state)
{
	altitude_op_options o = { 0 };
	char buf[4];

	(void)state;
	altitude_filter_unload(L"beta", TRUE);
	probes[1].read_flags = FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO |
			       FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO;
	assert_int_equal(probe_load(1, L"beta", L"200000"), STATUS_SUCCESS);
	probe_trace[0] = 0;
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, NULL), STATUS_SUCCESS);
	o.flags = ALTITUDE_OP_PAGING_IO;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<C<C>A>A<C<C>A>");
	probe_trace[0] = 0;
	o.flags = ALTITUDE_OP_NOCACHE;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
}

struct post_pend {
	PFLT_CALLBACK_DATA data;
	pthread_t thread;
};

static void *complete_post_main(void *arg)
{
	struct post_pend *pp = arg;

	FltCompletePendedPostOperation(pp->data);
	return NULL;
}

static struct post_pend post_pended;

static FLT_POSTOP_CALLBACK_STATUS pend_post(struct probe *p, PFLT_CALLBACK_DATA data,
					    PCFLT_RELATED_OBJECTS objs, PVOID ctx,
					    FLT_POST_OPERATION_FLAGS flags)
{
	(void)p;
	(void)objs;
	(void)ctx;
	(void)flags;
	post_pended.data = data;
	pthread_create(&post_pended.thread, NULL, complete_post_main, &post_pended);
	return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
}

static void more_processing_required_then_completed(void **state)
{
	char buf[4];

	(void)state;
	probes[1].post_hook = pend_post;
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, NULL), STATUS_SUCCESS);
	pthread_join(post_pended.thread, NULL);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_true(pthread_equal(probes[0].post_thread, post_pended.thread));
}

static FLT_PREOP_CALLBACK_STATUS inspect_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					     PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	PCSTR *name = p->user;

	(void)objs;
	*ctx = NULL;
	*name = FltGetIrpName(data->Iopb->MajorFunction);
	assert_true(FLT_IS_IRP_OPERATION(data));
	assert_false(FltIsCallbackDataDirty(data));
	data->Iopb->Parameters.Read.Length = 2;
	FltSetCallbackDataDirty(data);
	assert_true(FltIsCallbackDataDirty(data));
	assert_ptr_equal(data->Thread, PsGetCurrentThread());
	assert_int_equal(FltGetRequestorProcessId(data), 4242);
	assert_ptr_equal(FltGetRequestorProcessIdEx(data), (HANDLE)4242);
	assert_true(FltIsOperationSynchronous(data));
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void callback_data_helpers(void **state)
{
	altitude_op_options o = { 0 };
	IO_STATUS_BLOCK iosb;
	PCSTR name = NULL;
	char buf[8];

	(void)state;
	o.requestor_pid = 4242;
	o.flags = ALTITUDE_OP_SYNCHRONOUS_API;
	probes[0].pre_hook = inspect_pre;
	probes[0].user = &name;
	assert_int_equal(altitude_read(file, 0, buf, 8, &o, &iosb), STATUS_SUCCESS);
	assert_string_equal(name, "IRP_MJ_READ");
	assert_int_equal(iosb.Information, 2); /* the lower file system saw the change */
	assert_string_equal(FltGetIrpName(IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION),
			    "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION");
	assert_string_equal(FltGetIrpName(0x60), "IRP_MJ_UNKNOWN");
	assert_null(IoGetTopLevelIrp());
	IoSetTopLevelIrp((PIRP)FSRTL_CACHE_TOP_LEVEL_IRP);
	assert_ptr_equal(IoGetTopLevelIrp(), (PIRP)FSRTL_CACHE_TOP_LEVEL_IRP);
	IoSetTopLevelIrp(NULL);
}

static FLT_PREOP_CALLBACK_STATUS requestor_pre(struct probe *p, PFLT_CALLBACK_DATA data,
					       PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	PEPROCESS process = FltGetRequestorProcess(data);

	(void)objs;
	(void)ctx;
	*(HANDLE *)p->user = process ? PsGetProcessId(process) : (HANDLE)(LONG_PTR)-1;
	/* Asking again gives the same object: it lives as long as the operation. */
	assert_ptr_equal(FltGetRequestorProcess(data), process);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void requestor_process(void **state)
{
	altitude_op_options o = { 0 };
	IO_STATUS_BLOCK iosb;
	HANDLE seen = NULL;
	char buf[8], c;
	int p[2];
	pid_t child;

	(void)state;
	probes[0].pre_hook = requestor_pre;
	probes[0].user = &seen;
	/* The test process itself. */
	assert_int_equal(altitude_read(file, 0, buf, 8, NULL, &iosb), STATUS_SUCCESS);
	assert_ptr_equal(seen, PsGetCurrentProcessId());
	/* Another, running process. */
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	o.requestor_pid = (ULONG)child;
	assert_int_equal(altitude_read(file, 0, buf, 8, &o, &iosb), STATUS_SUCCESS);
	assert_ptr_equal(seen, (HANDLE)(ULONG_PTR)child);
	/* A process that has exited: no process object. */
	close(p[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(altitude_read(file, 0, buf, 8, &o, &iosb), STATUS_SUCCESS);
	assert_ptr_equal(seen, (HANDLE)(LONG_PTR)-1);
}

static void lower_errors_and_held_operations(void **state)
{
	altitude_op_options o = { 0 };
	altitude_op *op;
	IO_STATUS_BLOCK iosb;
	char buf[4];

	(void)state;
	o.lower_status = STATUS_DISK_FULL;
	assert_int_equal(altitude_write(file, 0, "x", 1, &o, &iosb), STATUS_DISK_FULL);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	o.lower_status = 0;
	o.flags = ALTITUDE_OP_HOLD;
	o.async_out = &op;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	assert_false(altitude_op_done(op));
	altitude_op_cancel(op);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_CANCELLED);
	altitude_op_free(op);
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	assert_int_equal(altitude_memvol_release_held(vol), 1);
	assert_int_equal(altitude_op_wait(op, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 4);
	altitude_op_free(op);
}

static FLT_POSTOP_CALLBACK_STATUS more_while_draining(struct probe *p, PFLT_CALLBACK_DATA data,
						      PCFLT_RELATED_OBJECTS objs, PVOID ctx,
						      FLT_POST_OPERATION_FLAGS flags)
{
	(void)p;
	(void)data;
	(void)objs;
	(void)ctx;
	(void)flags;
	return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
}

static void more_processing_while_draining_bugchecks(void **state)
{
	altitude_bugcheck_report *r = probe_catch_bugchecks();
	altitude_op_options o = { 0 };
	altitude_op *op;
	char buf[4];

	(void)state;
	probes[1].post_hook = more_while_draining;
	o.flags = ALTITUDE_OP_HOLD;
	o.async_out = &op;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	assert_int_equal(FltDetachVolume(probes[1].filter, altitude_memvol_volume(vol), NULL),
			 STATUS_SUCCESS);
	assert_int_equal(r->code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	assert_non_null(strstr(r->routine, "beta"));
	assert_non_null(strstr(r->routine, "draining"));
	/* treated as FINISHED_PROCESSING: the teardown completed, the operation goes on */
	assert_int_equal(probes[1].teardown_complete, 1);
	assert_int_equal(altitude_memvol_release_held(vol), 1);
	assert_int_equal(altitude_op_wait(op, NULL), STATUS_SUCCESS);
	altitude_op_free(op);
	assert_string_equal(probe_trace, "A<B<C<BSB!BCC>A>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(with_callback_passes_the_completion_context, setup, teardown),
		cmocka_unit_test_setup_teardown(no_callback_skips_the_post, setup, teardown),
		cmocka_unit_test_setup_teardown(requestor_process, setup, teardown),
		cmocka_unit_test_setup_teardown(complete_stops_below_and_posts_above, setup, teardown),
		cmocka_unit_test_setup_teardown(pended_pre_completed_from_another_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_pended_completion_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(post_without_registration_bugchecks, setup, teardown),
		cmocka_unit_test_setup_teardown(async_completion_posts_at_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(synchronize_posts_in_the_pre_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(creates_are_always_synchronized, setup, teardown),
		cmocka_unit_test_setup_teardown(disallowed_fast_io_is_reissued_as_irp, setup, teardown),
		cmocka_unit_test_setup_teardown(skip_flags_are_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(more_processing_required_then_completed, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_data_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(lower_errors_and_held_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(more_processing_while_draining_bugchecks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
