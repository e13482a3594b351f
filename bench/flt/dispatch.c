/*
 * Dispatch cost: synchronous reads through 0, 1, 4 and 16 passthrough
 * filters (pre and post on every read) over the memory volume.
 *
 *   flt.read_<n>_filters   ns per read; baseline: the same read with no filter
 *   flt.per_filter         ns per filter per read (slope 0 -> 16 filters);
 *                          baseline: a bare indirect pre+post call pair
 *   flt.allocs_per_op      heap allocations per read in steady state;
 *                          baseline: allocations per operation over a fresh
 *                          volume's first 16 (a create and 15 reads)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <altitude/harness.h>

static unsigned long long allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return __real_realloc(p, n);
}

#define MAX_FILTERS 16

static PFLT_FILTER filters[MAX_FILTERS];
static int loading;

static FLT_PREOP_CALLBACK_STATUS FLTAPI pass_pre(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
	(void)d;
	(void)o;
	*c = NULL;
	return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI pass_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o,
						   PVOID c, FLT_POST_OPERATION_FLAGS f)
{
	(void)d;
	(void)o;
	(void)c;
	(void)f;
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static const FLT_OPERATION_REGISTRATION pass_ops[] = {
	{ IRP_MJ_READ, 0, pass_pre, pass_post, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};

static NTSTATUS FLTAPI pass_unload(FLT_FILTER_UNLOAD_FLAGS f)
{
	(void)f;
	return STATUS_SUCCESS; /* the mandatory unload unregisters */
}

static const FLT_REGISTRATION pass_reg = {
	sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, pass_ops, pass_unload,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static NTSTATUS pass_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	NTSTATUS s;

	(void)path;
	s = FltRegisterFilter(driver, &pass_reg, &filters[loading]);
	return NT_SUCCESS(s) ? FltStartFiltering(filters[loading]) : s;
}

static WCHAR names[MAX_FILTERS][8], altitudes[MAX_FILTERS][8];

static void load(int i)
{
	altitude_instance_config inst = { names[i], altitudes[i], 0 };
	altitude_filter_config cfg = { names[i], NULL, 1, &inst };

	names[i][0] = L'p';
	names[i][1] = (WCHAR)(L'a' + i);
	altitudes[i][0] = L'1';
	altitudes[i][1] = (WCHAR)(L'0' + i / 10);
	altitudes[i][2] = (WCHAR)(L'0' + i % 10);
	loading = i;
	if (altitude_filter_load(&cfg, pass_entry, NULL) != STATUS_SUCCESS) {
		fprintf(stderr, "cannot load filter %d\n", i);
		exit(1);
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double ns_per_read(altitude_file *file, int reads)
{
	char buf[64];
	double best = 1e30;

	for (int round = 0; round < 5; round++) {
		double t0 = now_ns();

		for (int i = 0; i < reads; i++)
			altitude_read(file, 0, buf, sizeof(buf), NULL, NULL);
		if ((now_ns() - t0) / reads < best)
			best = (now_ns() - t0) / reads;
	}
	return best;
}

typedef FLT_PREOP_CALLBACK_STATUS (*volatile pre_fn)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS, PVOID *);
typedef FLT_POSTOP_CALLBACK_STATUS (*volatile post_fn)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS, PVOID,
						       FLT_POST_OPERATION_FLAGS);

static double bare_call_pair_ns(int calls)
{
	pre_fn pre = pass_pre;
	post_fn post = pass_post;
	PVOID ctx;
	double t0 = now_ns();

	for (int i = 0; i < calls; i++) {
		pre(NULL, NULL, &ctx);
		post(NULL, NULL, ctx, 0);
	}
	return (now_ns() - t0) / calls;
}

int main(void)
{
	static const int counts[] = { 0, 1, 4, 16 };
	const int reads = 200000;
	altitude_memvol *vol;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	double base = 0, at16 = 0, warm_allocs;
	unsigned long long a0;
	char buf[64];
	int loaded = 0;

	altitude_memvol_create(L"\\Device\\AltitudeBench", &vol);
	altitude_memvol_add_file(vol, L"\\bench.dat", "0123456789abcdef0123456789abcdef", 32);
	altitude_create(vol, L"\\bench.dat", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		double ns;

		while (loaded < counts[c])
			load(loaded++);
		ns = ns_per_read(file, reads);
		if (counts[c] == 0)
			base = ns;
		if (counts[c] == 16)
			at16 = ns;
		printf("BENCH flt.read_%d_filters ours=%.1fns baseline=%.1fns ratio=%.2f (%.0f reads/s)\n",
		       counts[c], ns, base, ns / base, 1e9 / ns);
	}
	{
		double per = (at16 - base) / 16, bare = bare_call_pair_ns(reads * 10);

		printf("BENCH flt.per_filter ours=%.1fns baseline=%.1fns ratio=%.2f\n", per, bare, per / bare);
	}

	/* allocations: a fresh volume warms up its record free list */
	altitude_close_file(file);
	altitude_memvol_destroy(vol);
	altitude_memvol_create(L"\\Device\\AltitudeBench2", &vol);
	altitude_memvol_add_file(vol, L"\\bench.dat", "0123456789abcdef", 16);
	a0 = __atomic_load_n(&allocations, __ATOMIC_RELAXED);
	altitude_create(vol, L"\\bench.dat", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb);
	for (int i = 0; i < 15; i++)
		altitude_read(file, 0, buf, sizeof(buf), NULL, NULL);
	warm_allocs = (double)(__atomic_load_n(&allocations, __ATOMIC_RELAXED) - a0) / 16;
	a0 = __atomic_load_n(&allocations, __ATOMIC_RELAXED);
	for (int i = 0; i < reads; i++)
		altitude_read(file, 0, buf, sizeof(buf), NULL, NULL);
	{
		double steady = (double)(__atomic_load_n(&allocations, __ATOMIC_RELAXED) - a0) / reads;

		printf("BENCH flt.allocs_per_op ours=%.4fallocs baseline=%.4fallocs ratio=%.4f\n", steady,
		       warm_allocs, warm_allocs > 0 ? steady / warm_allocs : 0.0);
	}
	altitude_close_file(file);
	for (int i = 0; i < loaded; i++) {
		WCHAR *n = names[i];

		altitude_filter_unload(n, TRUE);
	}
	altitude_memvol_destroy(vol);
	return 0;
}
