#include <string.h>

#include "ke_test.h"
#include <altitude/pool.h>

#pragma GCC diagnostic ignored "-Wmultichar"
#define TAG_N 'NalT'
#define TAG_P 'PalT'
#define TAG_X 'XalT'
#define TAG_C 'CalT'

static int teardown(void **state)
{
	altitude_pool_fail_next(0, 0);
	return test_teardown_no_clock(state);
}

static ULONG64 live(ULONG tag)
{
	altitude_pool_tag_info info;

	memset(&info, 0, sizeof(info));
	altitude_pool_query_tag(tag, &info);
	return info.live_allocations;
}

static void npaged_list_caches_entries_under_its_tag(void **state)
{
	NPAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);
	PVOID a, b, c;

	(void)state;
	ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 48, TAG_N, 0);
	a = ExAllocateFromNPagedLookasideList(l);
	b = ExAllocateFromNPagedLookasideList(l);
	assert_non_null(a);
	assert_non_null(b);
	memset(a, 1, 48);
	assert_int_equal(live(TAG_N), 2);
	ExFreeToNPagedLookasideList(l, a);
	/* Cached, still accounted under the list's tag. */
	assert_int_equal(live(TAG_N), 2);
	c = ExAllocateFromNPagedLookasideList(l);
	assert_ptr_equal(c, a);
	assert_int_equal(l->L.TotalAllocates, 3);
	assert_int_equal(l->L.AllocateMisses, 2);
	ExFreeToNPagedLookasideList(l, b);
	ExFreeToNPagedLookasideList(l, c);
	assert_int_equal(l->L.TotalFrees, 3);
	ExDeleteNPagedLookasideList(l);
	assert_int_equal(live(TAG_N), 0);
	ExFreePoolWithTag(l, TAG_C);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void depth_bounds_the_cache(void **state)
{
	static PVOID entries[EX_MAXIMUM_LOOKASIDE_DEPTH_BASE + 10];
	PAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);
	ULONG n = sizeof(entries) / sizeof(entries[0]);

	(void)state;
	ExInitializePagedLookasideList(l, NULL, NULL, 0, 16, TAG_P, 0);
	for (ULONG i = 0; i < n; i++)
		entries[i] = ExAllocateFromPagedLookasideList(l);
	assert_int_equal(live(TAG_P), n);
	for (ULONG i = 0; i < n; i++)
		ExFreeToPagedLookasideList(l, entries[i]);
	assert_int_equal(live(TAG_P), l->L.Depth);
	assert_int_equal(l->L.FreeMisses, n - l->L.Depth);
	ExDeletePagedLookasideList(l);
	assert_int_equal(live(TAG_P), 0);
	ExFreePoolWithTag(l, TAG_C);
}

static void paged_list_at_dispatch_bugchecks(void **state)
{
	PAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);
	NPAGED_LOOKASIDE_LIST *n = ExAllocatePoolWithTag(NonPagedPool, sizeof(*n), TAG_C);
	KIRQL old;
	PVOID p;

	(void)state;
	ExInitializePagedLookasideList(l, NULL, NULL, 0, 16, TAG_P, 0);
	ExInitializeNPagedLookasideList(n, NULL, NULL, 0, 16, TAG_N, 0);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_null(ExAllocateFromPagedLookasideList(l));
	assert_int_equal(test_last_bugcheck.code, IRQL_NOT_LESS_OR_EQUAL);
	test_last_bugcheck.code = 0;
	p = ExAllocateFromNPagedLookasideList(n);
	assert_non_null(p);
	ExFreeToNPagedLookasideList(n, p);
	assert_int_equal(test_last_bugcheck.code, 0);
	KeLowerIrql(old);
	ExDeletePagedLookasideList(l);
	ExDeleteNPagedLookasideList(n);
	ExFreePoolWithTag(l, TAG_C);
	ExFreePoolWithTag(n, TAG_C);
}

static ULONG custom_allocs, custom_frees;
static PLOOKASIDE_LIST_EX custom_list;
static POOL_TYPE custom_type;

static PVOID NTAPI custom_allocate(POOL_TYPE type, SIZE_T size, ULONG tag, PLOOKASIDE_LIST_EX l)
{
	custom_allocs++;
	custom_type = type;
	assert_ptr_equal(l, custom_list);
	return ExAllocatePoolWithTag(type, size, tag);
}

static VOID NTAPI custom_free(PVOID p, PLOOKASIDE_LIST_EX l)
{
	custom_frees++;
	assert_ptr_equal(l, custom_list);
	ExFreePoolWithTag(p, TAG_X);
}

static void ex_list_uses_custom_routines_and_flushes(void **state)
{
	LOOKASIDE_LIST_EX *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);
	PVOID a, b;

	(void)state;
	custom_list = l;
	custom_allocs = custom_frees = 0;
	assert_int_equal(ExInitializeLookasideListEx(l, custom_allocate, custom_free, NonPagedPoolNx,
						     EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 40,
						     TAG_X, 0),
			 STATUS_SUCCESS);
	a = ExAllocateFromLookasideListEx(l);
	b = ExAllocateFromLookasideListEx(l);
	assert_int_equal(custom_allocs, 2);
	assert_int_equal(custom_type, NonPagedPoolNx | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
	ExFreeToLookasideListEx(l, a);
	ExFreeToLookasideListEx(l, b);
	assert_int_equal(custom_frees, 0);
	assert_int_equal(live(TAG_X), 2);
	ExFlushLookasideListEx(l);
	assert_int_equal(custom_frees, 2);
	assert_int_equal(live(TAG_X), 0);
	a = ExAllocateFromLookasideListEx(l);
	assert_int_equal(custom_allocs, 3);
	ExFreeToLookasideListEx(l, a);
	ExDeleteLookasideListEx(l);
	assert_int_equal(custom_frees, 3);
	ExFreePoolWithTag(l, TAG_C);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void ex_list_failure_flags(void **state)
{
	LOOKASIDE_LIST_EX *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);

	(void)state;
	assert_int_equal(ExInitializeLookasideListEx(l, NULL, NULL, PagedPool,
						     EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL |
							     EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
						     40, TAG_X, 0),
			 STATUS_INVALID_PARAMETER_5);
	assert_int_equal(ExInitializeLookasideListEx(l, NULL, NULL, PagedPool, 4, 40, TAG_X, 0),
			 STATUS_INVALID_PARAMETER_5);

	assert_int_equal(ExInitializeLookasideListEx(l, NULL, NULL, PagedPool, 0, 40, TAG_X, 0),
			 STATUS_SUCCESS);
	altitude_pool_fail_next(TAG_X, 1);
	assert_null(ExAllocateFromLookasideListEx(l));
	assert_int_equal(test_last_bugcheck.code, 0);
	ExDeleteLookasideListEx(l);

	assert_int_equal(ExInitializeLookasideListEx(l, NULL, NULL, PagedPool,
						     EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 40,
						     TAG_X, 0),
			 STATUS_SUCCESS);
	altitude_pool_fail_next(TAG_X, 1);
	assert_null(ExAllocateFromLookasideListEx(l));
	assert_int_equal(test_last_bugcheck.code, KMODE_EXCEPTION_NOT_HANDLED);
	ExDeleteLookasideListEx(l);
	ExFreePoolWithTag(l, TAG_C);
}

static void tiny_entries_still_hold_the_link(void **state)
{
	NPAGED_LOOKASIDE_LIST *l = ExAllocatePoolWithTag(NonPagedPool, sizeof(*l), TAG_C);
	PVOID a;

	(void)state;
	ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 1, TAG_N, 0);
	assert_int_equal(l->L.Size, sizeof(SINGLE_LIST_ENTRY));
	a = ExAllocateFromNPagedLookasideList(l);
	ExFreeToNPagedLookasideList(l, a);
	ExDeleteNPagedLookasideList(l);
	ExFreePoolWithTag(l, TAG_C);
	assert_int_equal(live(TAG_N), 0);
}

#define THREADS 4
#define ROUNDS 3000

static NPAGED_LOOKASIDE_LIST shared_list;

static void *churn(void *arg)
{
	PVOID held[4] = { 0 };

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 4;

		if (held[k] != NULL)
			ExFreeToNPagedLookasideList(&shared_list, held[k]);
		held[k] = ExAllocateFromNPagedLookasideList(&shared_list);
		if (held[k] == NULL)
			return (void *)1;
		*(volatile int *)held[k] = i;
	}
	for (int k = 0; k < 4; k++)
		ExFreeToNPagedLookasideList(&shared_list, held[k]);
	return NULL;
}

static void concurrent_use_balances(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	ExInitializeNPagedLookasideList(&shared_list, NULL, NULL, 0, 32, TAG_N, 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad;

		pthread_join(t[i], &bad);
		assert_null(bad);
	}
	assert_int_equal(shared_list.L.TotalAllocates, THREADS * ROUNDS);
	assert_int_equal(shared_list.L.TotalFrees, THREADS * ROUNDS);
	ExDeleteNPagedLookasideList(&shared_list);
	assert_int_equal(live(TAG_N), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(npaged_list_caches_entries_under_its_tag,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(depth_bounds_the_cache,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(paged_list_at_dispatch_bugchecks,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(ex_list_uses_custom_routines_and_flushes,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(ex_list_failure_flags,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(tiny_entries_still_hold_the_link,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(concurrent_use_balances,
						test_setup_no_clock, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
