#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "ke_test.h"
#include <altitude/pool.h>

/* Minifilters write tags as multi-character constants, reversed. */
#pragma GCC diagnostic ignored "-Wmultichar"
#define TAG_SCAN 'nacS'
#define TAG_A 'AlpT'
#define TAG_B 'BlpT'
#define TAG_F 'FlpT'
#define TAG_I 'IlpT'
#define TAG_T 'TlpT'

static int teardown(void **state)
{
	altitude_pool_fail_next(0, 0);
	return test_teardown_no_clock(state);
}

static altitude_pool_tag_info tag_info(ULONG tag)
{
	altitude_pool_tag_info info;

	memset(&info, 0, sizeof(info));
	altitude_pool_query_tag(tag, &info);
	return info;
}

static void tags_print_as_windows_shows_them(void **state)
{
	char s[5];

	(void)state;
	altitude_pool_tag_string(TAG_SCAN, s);
	assert_string_equal(s, "Scan");
	altitude_pool_tag_string(0x0a000041, s);
	assert_string_equal(s, "A...");
}

static void allocations_are_counted_per_tag(void **state)
{
	ULONG64 live = altitude_pool_live_allocations();
	altitude_pool_tag_info info;
	PVOID a, b;

	(void)state;
	assert_false(altitude_pool_query_tag(TAG_A, &info));
	a = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG_A);
	b = ExAllocatePoolWithTag(PagedPool, 28, TAG_A);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal((ULONG_PTR)a % 16, 0);
	memset(a, 0xab, 100);
	assert_true(altitude_pool_query_tag(TAG_A, &info));
	assert_int_equal(info.tag, TAG_A);
	assert_int_equal(info.live_allocations, 2);
	assert_int_equal(info.live_bytes, 128);
	assert_int_equal(info.total_allocations, 2);
	assert_int_equal(altitude_pool_live_allocations(), live + 2);
	ExFreePoolWithTag(a, TAG_A);
	ExFreePool(b);
	info = tag_info(TAG_A);
	assert_int_equal(info.live_allocations, 0);
	assert_int_equal(info.live_bytes, 0);
	assert_int_equal(info.total_allocations, 2);
	assert_int_equal(altitude_pool_live_allocations(), live);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void enumeration_lists_every_tag(void **state)
{
	PVOID p = ExAllocatePoolWithTag(NonPagedPool, 8, TAG_B);
	ULONG n = altitude_pool_enumerate_tags(NULL, 0);
	altitude_pool_tag_info *all = calloc(n, sizeof(*all));
	BOOLEAN found = FALSE;

	(void)state;
	assert_true(n >= 1);
	assert_int_equal(altitude_pool_enumerate_tags(all, n), n);
	for (ULONG i = 0; i < n; i++)
		found |= all[i].tag == TAG_B && all[i].live_allocations == 1;
	assert_true(found);
	free(all);
	ExFreePoolWithTag(p, TAG_B);
}

static void leak_report_names_tag_count_and_bytes(void **state)
{
	PVOID p[3];
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	for (int i = 0; i < 3; i++)
		p[i] = ExAllocatePoolWithTag(PagedPool, 64, TAG_SCAN);
	assert_true(altitude_pool_leak_report(out) >= 3);
	fclose(out);
	assert_non_null(strstr(text, "tag 'Scan' 3 allocations 192 bytes\n"));
	free(text);
	for (int i = 0; i < 3; i++)
		ExFreePoolWithTag(p[i], TAG_SCAN);
	text = NULL;
	out = open_memstream(&text, &len);
	altitude_pool_leak_report(out);
	fclose(out);
	assert_null(strstr(text, "'Scan'"));
	free(text);
}

static void fault_injection_fails_the_next_allocations(void **state)
{
	PVOID p;

	(void)state;
	altitude_pool_fail_next(TAG_F, 2);
	assert_null(ExAllocatePoolWithTag(NonPagedPool, 16, TAG_F));
	p = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_I);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_I);
	assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_F));
	p = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_F);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_F);
	assert_int_equal(tag_info(TAG_F).failures, 2);
	assert_int_equal(tag_info(TAG_F).total_allocations, 1);

	altitude_pool_fail_next(0, 1);
	assert_null(ExAllocatePoolWithTag(PagedPool, 1, TAG_I));
	p = ExAllocatePoolWithTag(PagedPool, 1, TAG_I);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_I);
	altitude_pool_fail_next(0, 5);
	altitude_pool_fail_next(0, 0);
	p = ExAllocatePoolWithTag(PagedPool, 1, TAG_I);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_I);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void raised_failures_are_unhandled_exceptions(void **state)
{
	(void)state;
	altitude_pool_fail_next(TAG_F, 1);
	assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 8, TAG_F));
	assert_int_equal(test_last_bugcheck.code, KMODE_EXCEPTION_NOT_HANDLED);
	assert_int_equal(test_last_bugcheck.parameters[0], (ULONG)STATUS_INSUFFICIENT_RESOURCES);
	test_last_bugcheck.code = 0;
	altitude_pool_fail_next(TAG_F, 1);
	assert_null(ExAllocatePoolWithQuotaTag(PagedPool, 8, TAG_F));
	assert_int_equal(test_last_bugcheck.code, KMODE_EXCEPTION_NOT_HANDLED);
	test_last_bugcheck.code = 0;
	altitude_pool_fail_next(TAG_F, 1);
	assert_null(ExAllocatePoolWithQuotaTag(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 8,
					       TAG_F));
	assert_int_equal(test_last_bugcheck.code, 0);
	altitude_pool_fail_next(TAG_F, 1);
	assert_null(ExAllocatePoolWithTag(NonPagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE, 8, TAG_F));
	assert_int_equal(test_last_bugcheck.code, KMODE_EXCEPTION_NOT_HANDLED);
	test_last_bugcheck.code = 0;
	assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 8, 0));
	assert_int_equal(test_last_bugcheck.code, KMODE_EXCEPTION_NOT_HANDLED);
}

static int all_zero(const UCHAR *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

static void pool2_zeroes_and_validates_flags(void **state)
{
	static const POOL_FLAGS bad[] = {
		0,
		POOL_FLAG_CACHE_ALIGNED,
		POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED,
		POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE,
		POOL_FLAG_PAGED | POOL_FLAG_SESSION,
		POOL_FLAG_PAGED | POOL_FLAG_RESERVED1,
		POOL_FLAG_PAGED | POOL_FLAG_RESERVED2,
		POOL_FLAG_PAGED | 0x800,
		POOL_FLAG_PAGED | POOL_FLAG_REQUIRED_END,
	};
	UCHAR *p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(ExAllocatePool2(bad[i], 16, TAG_T));
	assert_null(ExAllocatePool2(POOL_FLAG_PAGED, 16, 0));

	p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_SPECIAL_POOL | (1ULL << 40), 256, TAG_T);
	assert_non_null(p);
	assert_true(all_zero(p, 256));
	ExFreePoolWithTag(p, TAG_T);
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 100, TAG_T);
	assert_non_null(p);
	assert_int_equal((ULONG_PTR)p % 64, 0);
	assert_true(all_zero(p, 100));
	ExFreePoolWithTag(p, TAG_T);
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_UNINITIALIZED |
				    POOL_FLAG_USE_QUOTA,
			    32, TAG_T);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_T);
	p = ExAllocatePoolZero(NonPagedPoolNxCacheAligned, 300, TAG_T);
	assert_int_equal((ULONG_PTR)p % 64, 0);
	assert_true(all_zero(p, 300));
	ExFreePoolWithTag(p, TAG_T);
	p = ExAllocatePoolUninitialized(PagedPool, 10, TAG_T);
	assert_non_null(p);
	ExFreePoolWithTag(p, TAG_T);
	assert_int_equal(tag_info(TAG_T).live_allocations, 0);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void untagged_and_zero_sized_allocations(void **state)
{
	PVOID p, q, r;
	ULONG64 before = tag_info('enoN').live_allocations;

	(void)state;
	p = ExAllocatePool(NonPagedPool, 10);
	assert_non_null(p);
	assert_int_equal(tag_info('enoN').live_allocations, before + 1);
	ExFreePoolWithTag(p, 'enoN');
	q = ExAllocatePoolWithTag(NonPagedPool, 0, TAG_T);
	r = ExAllocatePoolWithTag(NonPagedPool, 0, TAG_T);
	assert_non_null(q);
	assert_non_null(r);
	assert_ptr_not_equal(q, r);
	ExFreePool(q);
	ExFreePool(r);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

static void paged_pool_above_apc_level_bugchecks(void **state)
{
	KIRQL old;
	PVOID paged = ExAllocatePoolWithTag(PagedPool, 40, TAG_T);
	PVOID nonpaged;

	(void)state;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_null(ExAllocatePoolWithTag(PagedPool, 24, TAG_T));
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x08);
	assert_int_equal(test_last_bugcheck.parameters[1], DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.parameters[2], PagedPool);
	assert_int_equal(test_last_bugcheck.parameters[3], 24);
	test_last_bugcheck.code = 0;
	assert_null(ExAllocatePool2(POOL_FLAG_PAGED, 24, TAG_T));
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	test_last_bugcheck.code = 0;
	nonpaged = ExAllocatePoolWithTag(NonPagedPoolNx, 24, TAG_T);
	assert_non_null(nonpaged);
	ExFreePoolWithTag(paged, TAG_T);
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x09);
	assert_int_equal(test_last_bugcheck.parameters[1], DISPATCH_LEVEL);
	assert_int_equal(test_last_bugcheck.parameters[2], PagedPool);
	assert_int_equal(test_last_bugcheck.parameters[3], (ULONG_PTR)paged);
	test_last_bugcheck.code = 0;
	ExFreePoolWithTag(nonpaged, TAG_T);
	assert_int_equal(test_last_bugcheck.code, 0);
	KeLowerIrql(old);
	assert_int_equal(tag_info(TAG_T).live_allocations, 1);
	ExFreePoolWithTag(paged, TAG_T);
	assert_int_equal(tag_info(TAG_T).live_allocations, 0);

	KeRaiseIrql(HIGH_LEVEL, &old);
	assert_null(ExAllocatePoolWithTag(NonPagedPool, 1, TAG_T));
	assert_int_equal(test_last_bugcheck.parameters[0], 0x08);
	KeLowerIrql(old);
}

static void bad_frees_bugcheck_without_crashing(void **state)
{
	PVOID p = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_T);
	int local;

	(void)state;
	ExFreePoolWithTag(p, TAG_A);
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x0A);
	assert_int_equal(test_last_bugcheck.parameters[1], (ULONG_PTR)p);
	assert_int_equal(test_last_bugcheck.parameters[2], TAG_T);
	assert_int_equal(test_last_bugcheck.parameters[3], TAG_A);
	assert_int_equal(tag_info(TAG_T).live_allocations, 1);
	ExFreePoolWithTag(p, TAG_T);
	assert_int_equal(tag_info(TAG_T).live_allocations, 0);
	test_last_bugcheck.code = 0;
	ExFreePoolWithTag(p, TAG_T);
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x07);
	assert_int_equal(test_last_bugcheck.parameters[3], (ULONG_PTR)p);
	test_last_bugcheck.code = 0;
	ExFreePool(&local);
	assert_int_equal(test_last_bugcheck.code, BAD_POOL_CALLER);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x42);
	assert_int_equal(test_last_bugcheck.parameters[1], (ULONG_PTR)&local);
	test_last_bugcheck.code = 0;
	ExFreePool(NULL);
	assert_int_equal(test_last_bugcheck.parameters[0], 0x42);
	assert_int_equal(tag_info(TAG_T).live_allocations, 0);
	assert_int_equal(altitude_bugcheck_count(), 4);
}

#define THREADS 4
#define ROUNDS 2000

static void *churn(void *arg)
{
	ULONG tag = (ULONG)(ULONG_PTR)arg;
	PVOID held[8] = { 0 };

	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 8;

		if (held[k] != NULL)
			ExFreePoolWithTag(held[k], tag);
		held[k] = ExAllocatePoolWithTag(i % 2 ? PagedPool : NonPagedPoolNx, (SIZE_T)i % 200,
						tag);
		if (held[k] == NULL)
			return (void *)1;
	}
	for (int k = 0; k < 8; k++)
		ExFreePoolWithTag(held[k], tag);
	return NULL;
}

static void concurrent_allocations_balance(void **state)
{
	pthread_t t[THREADS];
	ULONG64 live = altitude_pool_live_allocations();

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn,
						(void *)(ULONG_PTR)(i % 2 ? TAG_A : TAG_B)),
				 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad;

		pthread_join(t[i], &bad);
		assert_null(bad);
	}
	assert_int_equal(altitude_pool_live_allocations(), live);
	assert_int_equal(tag_info(TAG_A).live_bytes, 0);
	assert_int_equal(tag_info(TAG_B).live_allocations, 0);
	assert_int_equal(altitude_bugcheck_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tags_print_as_windows_shows_them,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(allocations_are_counted_per_tag,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(enumeration_lists_every_tag,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(leak_report_names_tag_count_and_bytes,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(fault_injection_fails_the_next_allocations,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(raised_failures_are_unhandled_exceptions,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(pool2_zeroes_and_validates_flags,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(untagged_and_zero_sized_allocations,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(paged_pool_above_apc_level_bugchecks,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(bad_frees_bugcheck_without_crashing,
						test_setup_no_clock, teardown),
		cmocka_unit_test_setup_teardown(concurrent_allocations_balance,
						test_setup_no_clock, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
