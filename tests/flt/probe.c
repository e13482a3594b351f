/* Probe filters for the flt tests (see probe.h). */
#include <string.h>

#include "probe.h"

struct probe probes[PROBE_MAX];
char probe_trace[256];
static pthread_mutex_t probe_trace_lock = PTHREAD_MUTEX_INITIALIZER;

static void probe_trace_add(int i, char what)
{
	size_t n;

	pthread_mutex_lock(&probe_trace_lock);
	n = strlen(probe_trace);
	if (n + 2 < sizeof(probe_trace)) {
		probe_trace[n] = (char)('A' + i);
		probe_trace[n + 1] = what;
		probe_trace[n + 2] = 0;
	}
	pthread_mutex_unlock(&probe_trace_lock);
}

void probe_reset(void)
{
	memset(probes, 0, sizeof(probes));
	for (int i = 0; i < PROBE_MAX; i++) {
		probes[i].index = i;
		probes[i].pre_status = FLT_PREOP_SUCCESS_WITH_CALLBACK;
		probes[i].post_status = FLT_POSTOP_FINISHED_PROCESSING;
	}
	probe_trace[0] = 0;
}

void probe_quiet(void)
{
	for (int i = 0; i < PROBE_MAX; i++) {
		probes[i].pre_hook = NULL;
		probes[i].post_hook = NULL;
		probes[i].pre_status = FLT_PREOP_SUCCESS_WITH_CALLBACK;
		probes[i].post_status = FLT_POSTOP_FINISHED_PROCESSING;
	}
}

static struct probe *probe_of(PCFLT_RELATED_OBJECTS objs)
{
	for (int i = 0; i < PROBE_MAX; i++) {
		if (probes[i].filter == objs->Filter)
			return &probes[i];
	}
	return NULL;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI probe_pre(PFLT_CALLBACK_DATA data,
						  PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	struct probe *p = probe_of(objs);

	atomic_fetch_add(&p->pre, 1);
	p->pre_thread = pthread_self();
	probe_trace_add(p->index, '<');
	if (p->pre_hook)
		return p->pre_hook(p, data, objs, ctx);
	*ctx = p;
	if (p->pre_status == FLT_PREOP_COMPLETE) {
		data->IoStatus.Status = p->complete_status;
		data->IoStatus.Information = 0;
	}
	return p->pre_status;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI probe_post(PFLT_CALLBACK_DATA data,
						    PCFLT_RELATED_OBJECTS objs, PVOID ctx,
						    FLT_POST_OPERATION_FLAGS flags)
{
	struct probe *p = probe_of(objs);

	if (flags & FLTFL_POST_OPERATION_DRAINING) {
		atomic_fetch_add(&p->drained, 1);
		probe_trace_add(p->index, '!');
	} else {
		atomic_fetch_add(&p->post, 1);
		probe_trace_add(p->index, '>');
	}
	p->post_irql = KeGetCurrentIrql();
	p->post_thread = pthread_self();
	p->post_context = ctx;
	p->post_flags = flags;
	if (p->post_hook)
		return p->post_hook(p, data, objs, ctx, flags);
	return p->post_status;
}

static NTSTATUS FLTAPI probe_setup(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_SETUP_FLAGS flags,
				   DEVICE_TYPE type, FLT_FILESYSTEM_TYPE fs)
{
	struct probe *p = probe_of(objs);

	(void)type;
	(void)fs;
	atomic_fetch_add(&p->setup, 1);
	p->setup_flags = flags;
	return p->setup_status;
}

static NTSTATUS FLTAPI probe_query_teardown(PCFLT_RELATED_OBJECTS objs,
					    FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
	struct probe *p = probe_of(objs);

	(void)flags;
	atomic_fetch_add(&p->query_teardown, 1);
	return p->query_teardown_status;
}

static VOID FLTAPI probe_teardown_start(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	struct probe *p = probe_of(objs);

	atomic_fetch_add(&p->teardown_start, 1);
	p->teardown_reason = r;
	probe_trace_add(p->index, 'S');
	if (p->teardown_start_hook)
		p->teardown_start_hook(p, objs);
}

static VOID FLTAPI probe_teardown_complete(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS r)
{
	struct probe *p = probe_of(objs);

	(void)r;
	p->reference_in_teardown_complete = FltObjectReference(objs->Instance);
	if (NT_SUCCESS(p->reference_in_teardown_complete))
		FltObjectDereference(objs->Instance);
	atomic_fetch_add(&p->teardown_complete, 1);
	probe_trace_add(p->index, 'C');
}

static NTSTATUS probe_unload(int i, FLT_FILTER_UNLOAD_FLAGS flags)
{
	struct probe *p = &probes[i];

	atomic_fetch_add(&p->unload, 1);
	if (flags & FLTFL_FILTER_UNLOAD_MANDATORY)
		atomic_fetch_add(&p->unload_mandatory, 1);
	if (!NT_SUCCESS(p->unload_status) && !(flags & FLTFL_FILTER_UNLOAD_MANDATORY))
		return p->unload_status;
	FltUnregisterFilter(p->filter);
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI probe_unload0(FLT_FILTER_UNLOAD_FLAGS f) { return probe_unload(0, f); }
static NTSTATUS FLTAPI probe_unload1(FLT_FILTER_UNLOAD_FLAGS f) { return probe_unload(1, f); }
static NTSTATUS FLTAPI probe_unload2(FLT_FILTER_UNLOAD_FLAGS f) { return probe_unload(2, f); }
static PFLT_FILTER_UNLOAD_CALLBACK probe_unloads[PROBE_MAX] = { probe_unload0, probe_unload1,
								 probe_unload2 };

static const UCHAR probe_majors[] = {
	IRP_MJ_CREATE, IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_QUERY_INFORMATION,
	IRP_MJ_SET_INFORMATION, IRP_MJ_DIRECTORY_CONTROL, IRP_MJ_QUERY_VOLUME_INFORMATION,
	IRP_MJ_FLUSH_BUFFERS, IRP_MJ_CLEANUP, IRP_MJ_CLOSE,
};
static FLT_OPERATION_REGISTRATION probe_ops[PROBE_MAX][RTL_NUMBER_OF(probe_majors) + 1];
static FLT_REGISTRATION probe_regs[PROBE_MAX];

static NTSTATUS probe_entry(int i, PDRIVER_OBJECT driver)
{
	struct probe *p = &probes[i];
	FLT_REGISTRATION *r = &probe_regs[i];
	size_t k;
	NTSTATUS s;

	for (k = 0; k < RTL_NUMBER_OF(probe_majors); k++) {
		FLT_OPERATION_REGISTRATION *o = &probe_ops[i][k];

		memset(o, 0, sizeof(*o));
		o->MajorFunction = probe_majors[k];
		o->PreOperation = probe_pre;
		o->PostOperation = p->no_post_registered ? NULL : probe_post;
		o->Flags = probe_majors[k] == IRP_MJ_READ ? p->read_flags : 0;
	}
	probe_ops[i][k].MajorFunction = IRP_MJ_OPERATION_END;
	memset(r, 0, sizeof(*r));
	r->Size = sizeof(*r);
	r->Version = FLT_REGISTRATION_VERSION;
	r->OperationRegistration = probe_ops[i];
	r->FilterUnloadCallback = p->no_unload_callback ? NULL : probe_unloads[i];
	r->InstanceSetupCallback = probe_setup;
	r->InstanceQueryTeardownCallback = p->no_query_teardown ? NULL : probe_query_teardown;
	r->InstanceTeardownStartCallback = probe_teardown_start;
	r->InstanceTeardownCompleteCallback = probe_teardown_complete;
	s = FltRegisterFilter(driver, r, &p->filter);
	if (!NT_SUCCESS(s))
		return s;
	s = FltStartFiltering(p->filter);
	if (!NT_SUCCESS(s))
		FltUnregisterFilter(p->filter);
	return s;
}

static NTSTATUS probe_entry0(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return probe_entry(0, d); }
static NTSTATUS probe_entry1(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return probe_entry(1, d); }
static NTSTATUS probe_entry2(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return probe_entry(2, d); }
static PDRIVER_INITIALIZE probe_entries[PROBE_MAX] = { probe_entry0, probe_entry1, probe_entry2 };

static WCHAR probe_instance_names[PROBE_MAX][64];

NTSTATUS probe_load(int i, const WCHAR *name, const WCHAR *altitude)
{
	altitude_instance_config inst;
	altitude_filter_config cfg;
	size_t n = 0;

	while (name[n] && n < 60) {
		probe_instance_names[i][n] = name[n];
		n++;
	}
	probe_instance_names[i][n++] = L'I';
	probe_instance_names[i][n] = 0;
	inst.name = probe_instance_names[i];
	inst.altitude = altitude;
	inst.flags = 0;
	cfg.name = name;
	cfg.default_instance = NULL;
	cfg.instance_count = 1;
	cfg.instances = &inst;
	return altitude_filter_load(&cfg, probe_entries[i], NULL);
}

static altitude_bugcheck_report probe_last_report;

static void probe_record(const altitude_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	probe_last_report = *r;
}

altitude_bugcheck_report *probe_catch_bugchecks(void)
{
	memset(&probe_last_report, 0, sizeof(probe_last_report));
	altitude_bugcheck_reset();
	altitude_bugcheck_set_hook(probe_record, NULL);
	return &probe_last_report;
}
