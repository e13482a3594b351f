/*
 * The store of attached contexts: a hash keyed by (type, object), the
 * owner compared in the chain.  Attaching takes a reference for the
 * object; detaching hands that reference to the caller or drops it,
 * always after the lock is released (a cleanup callback may call back).
 */
#include <stdint.h>

#include "flt/contexts.h"

#define FLT_CTX_BUCKETS 1024

static LIST_ENTRY flt_ctx_buckets[FLT_CTX_BUCKETS];
static pthread_once_t flt_ctx_once = PTHREAD_ONCE_INIT;

static void flt_ctx_init(void)
{
	for (ULONG i = 0; i < FLT_CTX_BUCKETS; i++)
		InitializeListHead(&flt_ctx_buckets[i]);
}

static PLIST_ENTRY flt_ctx_bucket(FLT_CONTEXT_TYPE type, PVOID object)
{
	uint64_t h = ((uint64_t)(uintptr_t)object >> 4) * 0x9E3779B97F4A7C15ull;

	pthread_once(&flt_ctx_once, flt_ctx_init);
	return &flt_ctx_buckets[((h >> 32) ^ type) & (FLT_CTX_BUCKETS - 1)];
}

/* Lock held. */
static struct flt_ctx *flt_ctx_find(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object)
{
	PLIST_ENTRY head = flt_ctx_bucket(type, object);

	for (PLIST_ENTRY e = head->Flink; e != head; e = e->Flink) {
		struct flt_ctx *ctx = CONTAINING_RECORD(e, struct flt_ctx, link);

		if (ctx->type == type && ctx->object == object && ctx->owner == owner)
			return ctx;
	}
	return NULL;
}

/* Lock held. */
static void flt_ctx_unlink(struct flt_ctx *ctx)
{
	RemoveEntryList(&ctx->link);
	ctx->linked = FALSE;
}

/* Hands the object's reference of a detached context to *out, or drops it. */
static void flt_ctx_hand_over(struct flt_ctx *ctx, PFLT_CONTEXT *out)
{
	if (out)
		*out = ctx->body;
	else
		flt_ctx_put(ctx);
}

NTSTATUS flt_ctx_set(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object,
		     FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT new_context,
		     PFLT_CONTEXT *old_context)
{
	struct flt_ctx *ctx = flt_ctx_of(new_context), *existing;

	if (op != FLT_SET_CONTEXT_REPLACE_IF_EXISTS && op != FLT_SET_CONTEXT_KEEP_IF_EXISTS)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_ctx_lock);
	if (ctx->linked) {
		pthread_mutex_unlock(&flt_ctx_lock);
		return STATUS_FLT_CONTEXT_ALREADY_LINKED;
	}
	existing = flt_ctx_find(type, owner, object);
	if (existing && op == FLT_SET_CONTEXT_KEEP_IF_EXISTS) {
		if (old_context) {
			atomic_fetch_add(&existing->refs, 1);
			*old_context = existing->body;
		}
		pthread_mutex_unlock(&flt_ctx_lock);
		return STATUS_FLT_CONTEXT_ALREADY_DEFINED;
	}
	if (existing)
		flt_ctx_unlink(existing);
	atomic_fetch_add(&ctx->refs, 1);
	ctx->linked = TRUE;
	ctx->owner = owner;
	ctx->object = object;
	InsertTailList(flt_ctx_bucket(type, object), &ctx->link);
	pthread_mutex_unlock(&flt_ctx_lock);
	if (old_context)
		*old_context = NULL;
	if (existing)
		flt_ctx_hand_over(existing, old_context);
	return STATUS_SUCCESS;
}

NTSTATUS flt_ctx_get(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object, PFLT_CONTEXT *out)
{
	struct flt_ctx *ctx;

	pthread_mutex_lock(&flt_ctx_lock);
	ctx = flt_ctx_find(type, owner, object);
	if (ctx)
		atomic_fetch_add(&ctx->refs, 1);
	pthread_mutex_unlock(&flt_ctx_lock);
	*out = ctx ? ctx->body : NULL;
	return ctx ? STATUS_SUCCESS : STATUS_NOT_FOUND;
}

NTSTATUS flt_ctx_delete(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object, PFLT_CONTEXT *old)
{
	struct flt_ctx *ctx;

	if (old)
		*old = NULL;
	pthread_mutex_lock(&flt_ctx_lock);
	ctx = flt_ctx_find(type, owner, object);
	if (ctx)
		flt_ctx_unlink(ctx);
	pthread_mutex_unlock(&flt_ctx_lock);
	if (!ctx)
		return STATUS_NOT_FOUND;
	flt_ctx_hand_over(ctx, old);
	return STATUS_SUCCESS;
}

void flt_ctx_detach(struct flt_ctx *ctx)
{
	BOOLEAN was_linked;

	pthread_mutex_lock(&flt_ctx_lock);
	was_linked = ctx->linked;
	if (was_linked)
		flt_ctx_unlink(ctx);
	pthread_mutex_unlock(&flt_ctx_lock);
	if (was_linked)
		flt_ctx_put(ctx);
}

/* Moves the matching contexts of one bucket to `out` (lock held). */
static void flt_ctx_collect(PLIST_ENTRY head, FLT_CONTEXT_TYPE types, PVOID owner, PVOID object,
			    PLIST_ENTRY out)
{
	PLIST_ENTRY e = head->Flink;

	while (e != head) {
		struct flt_ctx *ctx = CONTAINING_RECORD(e, struct flt_ctx, link);

		e = e->Flink;
		if (!(ctx->type & types) || (owner && ctx->owner != owner) ||
		    (object && ctx->object != object))
			continue;
		flt_ctx_unlink(ctx);
		InsertTailList(out, &ctx->link);
	}
}

void flt_ctx_detach_collect(FLT_CONTEXT_TYPE types, PVOID owner, PVOID object, PLIST_ENTRY out)
{
	pthread_mutex_lock(&flt_ctx_lock);
	if (object) {
		for (FLT_CONTEXT_TYPE t = 1; t && t <= FLT_SECTION_CONTEXT; t <<= 1) {
			if (types & t)
				flt_ctx_collect(flt_ctx_bucket(t, object), t, owner, object, out);
		}
	} else {
		pthread_once(&flt_ctx_once, flt_ctx_init);
		for (ULONG i = 0; i < FLT_CTX_BUCKETS; i++)
			flt_ctx_collect(&flt_ctx_buckets[i], types, owner, NULL, out);
	}
	pthread_mutex_unlock(&flt_ctx_lock);
}

void flt_ctx_put_list(PLIST_ENTRY list)
{
	while (!IsListEmpty(list)) {
		struct flt_ctx *ctx = CONTAINING_RECORD(RemoveHeadList(list), struct flt_ctx, link);

		flt_ctx_put(ctx);
	}
}

void flt_ctx_detach_all(FLT_CONTEXT_TYPE types, PVOID owner, PVOID object)
{
	LIST_ENTRY gone;

	InitializeListHead(&gone);
	flt_ctx_detach_collect(types, owner, object, &gone);
	flt_ctx_put_list(&gone);
}
