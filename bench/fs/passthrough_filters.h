/*
 * Passthrough minifilters for bench/fs: each registers every major
 * function with a pre and a post callback that only count, as a real
 * filter that inspects but does not change I/O costs at least.
 */
#ifndef ALTITUDE_BENCH_FS_PASSTHROUGH_FILTERS_H
#define ALTITUDE_BENCH_FS_PASSTHROUGH_FILTERS_H

#include <stdatomic.h>

#include <altitude/harness.h>

#define BENCH_FILTERS 3

static atomic_ulong bench_filter_calls;

static FLT_PREOP_CALLBACK_STATUS FLTAPI bench_pre(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o,
						  PVOID *ctx)
{
	(void)d;
	(void)o;
	*ctx = NULL;
	atomic_fetch_add_explicit(&bench_filter_calls, 1, memory_order_relaxed);
	return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI bench_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o,
						    PVOID ctx, FLT_POST_OPERATION_FLAGS f)
{
	(void)d;
	(void)o;
	(void)ctx;
	(void)f;
	atomic_fetch_add_explicit(&bench_filter_calls, 1, memory_order_relaxed);
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_OPERATION_REGISTRATION bench_ops[IRP_MJ_MAXIMUM_FUNCTION + 2];
static FLT_REGISTRATION bench_regs[BENCH_FILTERS];
static PFLT_FILTER bench_filters[BENCH_FILTERS];

static NTSTATUS bench_entry(int i, PDRIVER_OBJECT driver)
{
	for (int k = 0; k <= IRP_MJ_MAXIMUM_FUNCTION; k++)
		bench_ops[k] = (FLT_OPERATION_REGISTRATION){ (UCHAR)k, 0, bench_pre, bench_post, NULL };
	bench_ops[IRP_MJ_MAXIMUM_FUNCTION + 1].MajorFunction = IRP_MJ_OPERATION_END;
	bench_regs[i] = (FLT_REGISTRATION){ .Size = sizeof(FLT_REGISTRATION),
					    .Version = FLT_REGISTRATION_VERSION,
					    .OperationRegistration = bench_ops };
	NTSTATUS s = FltRegisterFilter(driver, &bench_regs[i], &bench_filters[i]);
	if (NT_SUCCESS(s) && !NT_SUCCESS(s = FltStartFiltering(bench_filters[i])))
		FltUnregisterFilter(bench_filters[i]);
	return s;
}

static NTSTATUS FLTAPI bench_entry0(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return bench_entry(0, d); }
static NTSTATUS FLTAPI bench_entry1(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return bench_entry(1, d); }
static NTSTATUS FLTAPI bench_entry2(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)r; return bench_entry(2, d); }

/* Loads the three filters (altitudes 370000, 360000, 350000). */
static int bench_load_filters(void)
{
	static const altitude_instance_config inst[BENCH_FILTERS] = {
		{ L"bench0 Instance", L"370000", 0 },
		{ L"bench1 Instance", L"360000", 0 },
		{ L"bench2 Instance", L"350000", 0 },
	};
	static const WCHAR *names[BENCH_FILTERS] = { L"bench0", L"bench1", L"bench2" };
	static PDRIVER_INITIALIZE entries[BENCH_FILTERS] = { bench_entry0, bench_entry1, bench_entry2 };
	for (int i = 0; i < BENCH_FILTERS; i++) {
		altitude_filter_config cfg = { names[i], NULL, 1, &inst[i] };
		if (!NT_SUCCESS(altitude_filter_load(&cfg, entries[i], NULL)))
			return -1;
	}
	return 0;
}

#endif /* ALTITUDE_BENCH_FS_PASSTHROUGH_FILTERS_H */
