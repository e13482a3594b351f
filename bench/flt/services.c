/*
 * flt.stream_context_read: a read through one filter whose pre-read
 * callback finds and releases its stream context (FltGetStreamContext +
 * FltReleaseContext), against the same read with a pre-read that does
 * nothing.  flt.cancel_routine_read: the pre-read sets and clears a cancel
 * routine (FltSetCancelCompletion + FltClearCancelCompletion) instead.
 * Reports nanoseconds per read (lower is better), best of 5 runs; 1,000
 * other streams carry contexts so the lookup is not on an empty store.
 */
#include <stdio.h>
#include <time.h>

#include <altitude/harness.h>

#define READS 200000
#define RUNS 5
#define OTHER_FILES 1000

enum mode { PLAIN, CONTEXT, CANCEL };

static enum mode mode;
static PFLT_FILTER filter;
static PFLT_INSTANCE instance;

static const FLT_CONTEXT_REGISTRATION contexts[] = {
	{ FLT_STREAM_CONTEXT, 0, NULL, 64, 'hcnB', NULL, NULL, NULL },
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL },
};

static VOID FLTAPI canceled(PFLT_CALLBACK_DATA data)
{
	(void)data;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI pre_read(PFLT_CALLBACK_DATA data,
						 PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	PFLT_CONTEXT c;

	*ctx = NULL;
	if (mode == CONTEXT && FltGetStreamContext(objs->Instance, objs->FileObject, &c) == 0)
		FltReleaseContext(c);
	if (mode == CANCEL && FltSetCancelCompletion(data, canceled) == 0)
		FltClearCancelCompletion(data);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION ops[] = {
	{ IRP_MJ_READ, 0, pre_read, NULL, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};

static NTSTATUS entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	FLT_REGISTRATION reg = { .Size = sizeof(reg), .Version = FLT_REGISTRATION_VERSION,
				 .ContextRegistration = contexts, .OperationRegistration = ops };
	NTSTATUS s;

	(void)path;
	s = FltRegisterFilter(driver, &reg, &filter);
	return NT_SUCCESS(s) ? FltStartFiltering(filter) : s;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void attach(altitude_file *f)
{
	PFLT_CONTEXT c;

	if (FltAllocateContext(filter, FLT_STREAM_CONTEXT, 64, PagedPool, &c))
		return;
	FltSetStreamContext(instance, altitude_file_object(f), FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
	FltReleaseContext(c);
}

static double run(altitude_file *f, enum mode m)
{
	double best = 0;
	char buf[64];

	mode = m;
	for (int r = 0; r < RUNS; r++) {
		double start = now_ns(), t;

		for (int i = 0; i < READS; i++)
			altitude_read(f, 0, buf, sizeof(buf), NULL, NULL);
		t = (now_ns() - start) / READS;
		if (r == 0 || t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	static const altitude_instance_config inst[] = { { L"bench Instance", L"250000", 0 } };
	static const altitude_filter_config cfg = { L"benchctx", NULL, 1, inst };
	static altitude_file *others[OTHER_FILES];
	altitude_memvol *vol;
	altitude_file *f;
	ULONG n = 0;
	double plain, ctx, cancel;

	altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol);
	altitude_memvol_add_file(vol, L"\\a.txt", "0123456789", 10);
	if (altitude_filter_load(&cfg, entry, NULL) ||
	    FltEnumerateInstances(altitude_memvol_volume(vol), filter, &instance, 1, &n) || n != 1) {
		fprintf(stderr, "bench: filter did not load\n");
		return 1;
	}
	FltObjectDereference(instance);
	for (int i = 0; i < OTHER_FILES; i++) {
		WCHAR path[16] = L"\\o";

		for (int k = 0, v = i; k < 4; k++, v /= 10)
			path[5 - k] = (WCHAR)(L'0' + v % 10);
		path[6] = 0;
		altitude_memvol_add_file(vol, path, "x", 1);
		if (altitude_create(vol, path, FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &others[i], NULL) == 0)
			attach(others[i]);
	}
	altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &f, NULL);
	attach(f);
	plain = run(f, PLAIN);
	ctx = run(f, CONTEXT);
	cancel = run(f, CANCEL);
	printf("BENCH flt.stream_context_read ours=%.1fns baseline=%.1fns ratio=%.3f\n", ctx, plain,
	       ctx / plain);
	printf("BENCH flt.cancel_routine_read ours=%.1fns baseline=%.1fns ratio=%.3f\n", cancel, plain,
	       cancel / plain);
	altitude_close_file(f);
	for (int i = 0; i < OTHER_FILES; i++) {
		if (others[i])
			altitude_close_file(others[i]);
	}
	altitude_filter_unload(L"benchctx", TRUE);
	altitude_memvol_destroy(vol);
	return 0;
}
