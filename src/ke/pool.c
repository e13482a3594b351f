/*
 * Pool allocation with tags.  Each block is preceded by a header (tag, size,
 * pool type, magic) and registered in a sharded table of live blocks keyed
 * by address, so that bad frees are recognised without touching memory the
 * pool does not own.  Per-tag counters live in a lock-free open-addressing
 * table.  See <nt/ex.h> for the rules and bugcheck parameters and
 * <altitude/pool.h> for accounting and fault injection.
 */
#include <stdlib.h>
#include <string.h>

#include "ke/kesync.h"
#include <altitude/pool.h>

#define KE_POOL_MAGIC 0x6c6f6f50U /* "Pool" */
#define KE_POOL_HEADER 32
#define KE_POOL_CACHE_LINE 64
#define KE_POOL_BUCKETS 65536
#define KE_POOL_SHARDS 64
#define KE_POOL_FREED_RING 16
#define KE_POOL_TAGS 4096
#define KE_POOL_DEFAULT_TAG 0x656e6f4eU /* 'enoN', printed "None" */

/* BAD_POOL_CALLER parameter 1 values. */
#define KE_POOL_DOUBLE_FREE 0x07
#define KE_POOL_BAD_ALLOC_IRQL 0x08
#define KE_POOL_BAD_FREE_IRQL 0x09
#define KE_POOL_WRONG_TAG 0x0A
#define KE_POOL_NOT_POOL 0x42

struct ke_pool_header {
	ULONG magic;
	ULONG tag;
	ULONG type;
	ULONG offset; /* from the start of the malloc'd area to the block */
	SIZE_T size;
	struct ke_pool_header *next; /* chain of the live-block bucket */
};

_Static_assert(sizeof(struct ke_pool_header) == KE_POOL_HEADER, "pool header size");

struct ke_pool_shard {
	volatile LONG lock;
	ULONG freed_next;
	PVOID freed[KE_POOL_FREED_RING]; /* recently freed blocks, to name double frees */
	ULONG64 freed_header[KE_POOL_FREED_RING];
};

struct ke_pool_tag {
	ULONG64 key; /* tag | 1 << 32 once claimed, 0 when free */
	LONG64 live_allocations;
	LONG64 live_bytes;
	LONG64 total_allocations;
	LONG64 failures;
};

static struct ke_pool_header *ke_pool_buckets[KE_POOL_BUCKETS];
static struct ke_pool_shard ke_pool_shards[KE_POOL_SHARDS];
static struct ke_pool_tag ke_pool_tags[KE_POOL_TAGS];
/* Counts tags that found no free slot (the table holds KE_POOL_TAGS tags). */
static struct ke_pool_tag ke_pool_overflow_tag;

static volatile LONG ke_pool_fail_lock;
static volatile LONG ke_pool_fail_count;
static ULONG ke_pool_fail_tag;

/* ---- per-tag accounting ---- */

static ULONG ke_pool_hash32(ULONG64 v)
{
	return (ULONG)((v * 0x9E3779B97F4A7C15ULL) >> 32);
}

static struct ke_pool_tag *ke_pool_tag_slot(ULONG tag)
{
	ULONG64 key = (ULONG64)tag | (1ULL << 32);
	ULONG i = ke_pool_hash32(key) % KE_POOL_TAGS;

	for (ULONG probe = 0; probe < KE_POOL_TAGS; probe++, i = (i + 1) % KE_POOL_TAGS) {
		struct ke_pool_tag *slot = &ke_pool_tags[i];
		ULONG64 seen = __atomic_load_n(&slot->key, __ATOMIC_ACQUIRE);

		if (seen == key)
			return slot;
		if (seen != 0)
			continue;
		if (__atomic_compare_exchange_n(&slot->key, &seen, key, FALSE, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    seen == key)
			return slot;
	}
	return &ke_pool_overflow_tag;
}

static void ke_pool_count(LONG64 *counter, LONG64 delta)
{
	__atomic_add_fetch(counter, delta, __ATOMIC_RELAXED);
}

static void ke_pool_tag_info(const struct ke_pool_tag *slot, ULONG tag,
			     altitude_pool_tag_info *info)
{
	info->tag = tag;
	info->live_allocations = (ULONG64)__atomic_load_n(&slot->live_allocations, __ATOMIC_RELAXED);
	info->live_bytes = (ULONG64)__atomic_load_n(&slot->live_bytes, __ATOMIC_RELAXED);
	info->total_allocations =
	    (ULONG64)__atomic_load_n(&slot->total_allocations, __ATOMIC_RELAXED);
	info->failures = (ULONG64)__atomic_load_n(&slot->failures, __ATOMIC_RELAXED);
}

BOOLEAN altitude_pool_query_tag(ULONG tag, altitude_pool_tag_info *info)
{
	ULONG64 key = (ULONG64)tag | (1ULL << 32);
	ULONG i = ke_pool_hash32(key) % KE_POOL_TAGS;

	for (ULONG probe = 0; probe < KE_POOL_TAGS; probe++, i = (i + 1) % KE_POOL_TAGS) {
		ULONG64 seen = __atomic_load_n(&ke_pool_tags[i].key, __ATOMIC_ACQUIRE);

		if (seen == 0)
			return FALSE;
		if (seen == key) {
			ke_pool_tag_info(&ke_pool_tags[i], tag, info);
			return TRUE;
		}
	}
	return FALSE;
}

ULONG altitude_pool_enumerate_tags(altitude_pool_tag_info *infos, ULONG capacity)
{
	ULONG n = 0;

	for (ULONG i = 0; i < KE_POOL_TAGS; i++) {
		ULONG64 key = __atomic_load_n(&ke_pool_tags[i].key, __ATOMIC_ACQUIRE);

		if (key == 0)
			continue;
		if (n < capacity)
			ke_pool_tag_info(&ke_pool_tags[i], (ULONG)key, &infos[n]);
		n++;
	}
	return n;
}

ULONG64 altitude_pool_live_allocations(void)
{
	ULONG64 live = (ULONG64)__atomic_load_n(&ke_pool_overflow_tag.live_allocations,
						__ATOMIC_RELAXED);

	for (ULONG i = 0; i < KE_POOL_TAGS; i++)
		live += (ULONG64)__atomic_load_n(&ke_pool_tags[i].live_allocations,
						 __ATOMIC_RELAXED);
	return live;
}

void altitude_pool_tag_string(ULONG tag, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((tag >> (8 * i)) & 0xff);

		out[i] = (c >= 0x20 && c <= 0x7e) ? c : '.';
	}
	out[4] = '\0';
}

ULONG64 altitude_pool_leak_report(FILE *out)
{
	ULONG64 total = 0;

	for (ULONG i = 0; i < KE_POOL_TAGS; i++) {
		ULONG64 key = __atomic_load_n(&ke_pool_tags[i].key, __ATOMIC_ACQUIRE);
		altitude_pool_tag_info info;
		char name[5];

		if (key == 0)
			continue;
		ke_pool_tag_info(&ke_pool_tags[i], (ULONG)key, &info);
		if (info.live_allocations == 0)
			continue;
		altitude_pool_tag_string(info.tag, name);
		fprintf(out, "tag '%s' %llu allocations %llu bytes\n", name,
			(unsigned long long)info.live_allocations,
			(unsigned long long)info.live_bytes);
		total += info.live_allocations;
	}
	return total;
}

/* ---- fault injection ---- */

void altitude_pool_fail_next(ULONG tag, ULONG count)
{
	ke_futex_lock(&ke_pool_fail_lock);
	ke_pool_fail_tag = tag;
	__atomic_store_n(&ke_pool_fail_count, (LONG)count, __ATOMIC_RELEASE);
	ke_futex_unlock(&ke_pool_fail_lock);
}

/* TRUE when an injected failure applies to this allocation (and consumes it). */
static BOOLEAN ke_pool_injected_failure(ULONG tag)
{
	BOOLEAN fail = FALSE;

	if (__atomic_load_n(&ke_pool_fail_count, __ATOMIC_ACQUIRE) == 0)
		return FALSE;
	ke_futex_lock(&ke_pool_fail_lock);
	if (ke_pool_fail_count > 0 && (ke_pool_fail_tag == 0 || ke_pool_fail_tag == tag)) {
		__atomic_store_n(&ke_pool_fail_count, ke_pool_fail_count - 1, __ATOMIC_RELEASE);
		fail = TRUE;
	}
	ke_futex_unlock(&ke_pool_fail_lock);
	return fail;
}

/* ---- live blocks ---- */

static ULONG ke_pool_bucket(PVOID block)
{
	return (ULONG)((((ULONG_PTR)block >> 4) * 0x9E3779B97F4A7C15ULL) >> 48);
}

static struct ke_pool_shard *ke_pool_shard(ULONG bucket)
{
	return &ke_pool_shards[bucket % KE_POOL_SHARDS];
}

static PVOID ke_pool_block(struct ke_pool_header *h)
{
	return (PUCHAR)h + KE_POOL_HEADER;
}

static void ke_pool_register(struct ke_pool_header *h)
{
	ULONG b = ke_pool_bucket(ke_pool_block(h));
	struct ke_pool_shard *shard = ke_pool_shard(b);

	ke_futex_lock(&shard->lock);
	h->next = ke_pool_buckets[b];
	ke_pool_buckets[b] = h;
	ke_futex_unlock(&shard->lock);
}

/* Finds the live block at `block`; called with its shard's lock held. */
static struct ke_pool_header **ke_pool_find(ULONG bucket, PVOID block)
{
	struct ke_pool_header **link = &ke_pool_buckets[bucket];

	while (*link != NULL && ke_pool_block(*link) != block)
		link = &(*link)->next;
	return *link != NULL ? link : NULL;
}

static BOOLEAN ke_pool_recently_freed(struct ke_pool_shard *shard, PVOID block, ULONG64 *header)
{
	for (ULONG i = 0; i < KE_POOL_FREED_RING; i++) {
		if (shard->freed[i] == block) {
			*header = shard->freed_header[i];
			return TRUE;
		}
	}
	return FALSE;
}

static void ke_pool_remember_freed(struct ke_pool_shard *shard, struct ke_pool_header *h)
{
	ULONG i = shard->freed_next++ % KE_POOL_FREED_RING;

	shard->freed[i] = ke_pool_block(h);
	shard->freed_header[i] = ((ULONG64)h->tag << 32) | h->magic;
}

/* ---- allocation ---- */

static BOOLEAN ke_pool_type_paged(ULONG type)
{
	return (type & PagedPool) != 0;
}

static BOOLEAN ke_pool_type_cache_aligned(ULONG type)
{
	return (type & NonPagedPoolCacheAligned) != 0;
}

static BOOLEAN ke_pool_irql_ok(ULONG type)
{
	return KeGetCurrentIrql() <= (ke_pool_type_paged(type) ? APC_LEVEL : DISPATCH_LEVEL);
}

static struct ke_pool_header *ke_pool_new_block(ULONG type, SIZE_T size)
{
	ULONG offset = ke_pool_type_cache_aligned(type) ? KE_POOL_CACHE_LINE : KE_POOL_HEADER;
	PUCHAR base;
	struct ke_pool_header *h;

	if (size > (SIZE_T)-1 - 2 * KE_POOL_CACHE_LINE)
		return NULL;
	if (offset == KE_POOL_CACHE_LINE)
		base = aligned_alloc(KE_POOL_CACHE_LINE, ALIGN_UP_BY(offset + size, KE_POOL_CACHE_LINE));
	else
		base = malloc(offset + size);
	if (base == NULL)
		return NULL;
	h = (struct ke_pool_header *)(base + offset - KE_POOL_HEADER);
	h->offset = offset;
	return h;
}

/* Reports an allocation failure the caller asked to have raised. */
static void ke_pool_raise(const char *routine)
{
	ke_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)(ULONG)STATUS_INSUFFICIENT_RESOURCES, 0,
		    0, 0, routine);
}

static PVOID ke_pool_allocate(ULONG type, SIZE_T size, ULONG tag, BOOLEAN zero, BOOLEAN raise,
			      const char *routine)
{
	struct ke_pool_tag *slot;
	struct ke_pool_header *h = NULL;

	if (!ke_pool_irql_ok(type)) {
		ke_bugcheck(BAD_POOL_CALLER, KE_POOL_BAD_ALLOC_IRQL, KeGetCurrentIrql(), type, size,
			    routine);
		return NULL;
	}
	slot = ke_pool_tag_slot(tag);
	if (!ke_pool_injected_failure(tag))
		h = ke_pool_new_block(type, size);
	if (h == NULL) {
		ke_pool_count(&slot->failures, 1);
		if (raise)
			ke_pool_raise(routine);
		return NULL;
	}
	h->magic = KE_POOL_MAGIC;
	h->tag = tag;
	h->type = type;
	h->size = size;
	if (zero)
		memset(ke_pool_block(h), 0, size);
	ke_pool_count(&slot->live_allocations, 1);
	ke_pool_count(&slot->live_bytes, (LONG64)size);
	ke_pool_count(&slot->total_allocations, 1);
	ke_pool_register(h);
	return ke_pool_block(h);
}

PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ke_pool_allocate(PoolType, NumberOfBytes, Tag, (PoolType & POOL_ZERO_ALLOCATION) != 0,
				(PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
				"ExAllocatePoolWithTag");
}

PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ke_pool_allocate(PoolType, NumberOfBytes, Tag, (PoolType & POOL_ZERO_ALLOCATION) != 0,
				(PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0,
				"ExAllocatePoolWithQuotaTag");
}

PVOID NTAPI ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ke_pool_allocate(PoolType, NumberOfBytes, Tag, TRUE,
				(PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
				"ExAllocatePoolZero");
}

PVOID NTAPI ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ke_pool_allocate(PoolType, NumberOfBytes, Tag, FALSE,
				(PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
				"ExAllocatePoolUninitialized");
}

PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
	return ke_pool_allocate(PoolType, NumberOfBytes, KE_POOL_DEFAULT_TAG,
				(PoolType & POOL_ZERO_ALLOCATION) != 0,
				(PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0, "ExAllocatePool");
}

#define KE_POOL2_KNOWN_REQUIRED                                                           \
	(POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_CACHE_ALIGNED |        \
	 POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | \
	 POOL_FLAG_PAGED)

/*
 * The POOL_TYPE for ExAllocatePool2's flags, or MaxPoolType when they are
 * invalid: a required flag we do not know or cannot satisfy (session pool,
 * reserved bits), or not exactly one of paged / non-paged / non-paged execute.
 */
static ULONG ke_pool2_type(POOL_FLAGS flags)
{
	POOL_FLAGS required = flags & 0xffffffffULL;
	POOL_FLAGS kind = flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
	ULONG aligned = (flags & POOL_FLAG_CACHE_ALIGNED) ? NonPagedPoolCacheAligned : 0;

	if ((required & ~KE_POOL2_KNOWN_REQUIRED) != 0)
		return MaxPoolType;
	if (kind == POOL_FLAG_PAGED)
		return PagedPool | aligned;
	if (kind == POOL_FLAG_NON_PAGED)
		return NonPagedPoolNx | aligned;
	if (kind == POOL_FLAG_NON_PAGED_EXECUTE)
		return NonPagedPoolExecute | aligned;
	return MaxPoolType;
}

PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
	ULONG type = ke_pool2_type(Flags);
	BOOLEAN raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;

	if (type == MaxPoolType || Tag == 0) {
		if (raise)
			ke_pool_raise("ExAllocatePool2");
		return NULL;
	}
	return ke_pool_allocate(type, NumberOfBytes, Tag, (Flags & POOL_FLAG_UNINITIALIZED) == 0,
				raise, "ExAllocatePool2");
}

/* ---- free ---- */

static void ke_pool_bad_free(struct ke_pool_shard *shard, PVOID block, const char *routine)
{
	ULONG64 header;

	if (block != NULL && ke_pool_recently_freed(shard, block, &header)) {
		ke_futex_unlock(&shard->lock);
		ke_bugcheck(BAD_POOL_CALLER, KE_POOL_DOUBLE_FREE, 0, header, (ULONG_PTR)block,
			    routine);
		return;
	}
	ke_futex_unlock(&shard->lock);
	ke_bugcheck(BAD_POOL_CALLER, KE_POOL_NOT_POOL, (ULONG_PTR)block, 0, 0, routine);
}

static void ke_pool_free(PVOID block, BOOLEAN check_tag, ULONG tag, const char *routine)
{
	ULONG b = ke_pool_bucket(block);
	struct ke_pool_shard *shard = ke_pool_shard(b);
	struct ke_pool_header **link, *h;
	struct ke_pool_tag *slot;

	ke_futex_lock(&shard->lock);
	link = block != NULL ? ke_pool_find(b, block) : NULL;
	if (link == NULL) {
		ke_pool_bad_free(shard, block, routine);
		return;
	}
	h = *link;
	if (!ke_pool_irql_ok(h->type)) {
		ke_futex_unlock(&shard->lock);
		ke_bugcheck(BAD_POOL_CALLER, KE_POOL_BAD_FREE_IRQL, KeGetCurrentIrql(), h->type,
			    (ULONG_PTR)block, routine);
		return;
	}
	if (check_tag && h->tag != tag) {
		ke_futex_unlock(&shard->lock);
		ke_bugcheck(BAD_POOL_CALLER, KE_POOL_WRONG_TAG, (ULONG_PTR)block, h->tag, tag,
			    routine);
		return;
	}
	*link = h->next;
	ke_pool_remember_freed(shard, h);
	ke_futex_unlock(&shard->lock);

	slot = ke_pool_tag_slot(h->tag);
	ke_pool_count(&slot->live_allocations, -1);
	ke_pool_count(&slot->live_bytes, -(LONG64)h->size);
	h->magic = ~KE_POOL_MAGIC;
	free((PUCHAR)block - h->offset);
}

VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	ke_pool_free(P, TRUE, Tag, "ExFreePoolWithTag");
}

VOID NTAPI ExFreePool(PVOID P)
{
	ke_pool_free(P, FALSE, 0, "ExFreePool");
}
