/*
 * Context memory and references: FltAllocateContext, FltReferenceContext,
 * FltReleaseContext, FltDeleteContext, the live list, and the leak report
 * when a filter unregisters with contexts still referenced.
 */
#include <stdlib.h>

#include <altitude/flt_contexts.h>
#include <altitude/pool.h>
#include "flt/contexts.h"

#define FLT_CTX_BAD_POINTER 0xAA

pthread_mutex_t flt_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_ENTRY flt_ctx_live_list = { &flt_ctx_live_list, &flt_ctx_live_list };
static ULONG flt_ctx_live_count;
static altitude_context_leak *flt_ctx_leaks;
static ULONG flt_ctx_leak_count;

void flt_ctx_live_add(struct flt_ctx *ctx)
{
	pthread_mutex_lock(&flt_ctx_lock);
	InsertTailList(&flt_ctx_live_list, &ctx->live);
	flt_ctx_live_count++;
	pthread_mutex_unlock(&flt_ctx_lock);
}

struct flt_ctx *flt_ctx_checked(PFLT_CONTEXT context, const char *routine)
{
	struct flt_ctx *ctx;

	if (!context) {
		ke_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, FLT_CTX_BAD_POINTER, 0, 0, 0, routine);
		return NULL;
	}
	ctx = flt_ctx_of(context);
	if (ctx->magic != FLT_CTX_MAGIC) {
		ke_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, FLT_CTX_BAD_POINTER,
			    (ULONG_PTR)context, 0, 0, routine);
		return NULL;
	}
	return ctx;
}

void flt_ctx_put(struct flt_ctx *ctx)
{
	PFLT_FILTER filter = ctx->filter;
	BOOLEAN orphaned;

	if (atomic_fetch_sub(&ctx->refs, 1) != 1)
		return;
	pthread_mutex_lock(&flt_ctx_lock);
	RemoveEntryList(&ctx->live);
	flt_ctx_live_count--;
	orphaned = ctx->orphaned;
	pthread_mutex_unlock(&flt_ctx_lock);
	/* An orphan's filter code may be gone: it is freed without cleanup. */
	if (ctx->cleanup && !orphaned)
		ctx->cleanup(ctx->body, ctx->type);
	ctx->magic = 0;
	if (ctx->free_cb)
		ctx->free_cb(ctx, ctx->type);
	else
		ExFreePoolWithTag(ctx, ctx->tag);
	flt_filter_put(filter);
}

static BOOLEAN flt_ctx_pool_valid(POOL_TYPE pool)
{
	return pool == NonPagedPool || pool == PagedPool || pool == NonPagedPoolNx;
}

static BOOLEAN flt_ctx_filter_alive(PFLT_FILTER filter)
{
	BOOLEAN alive;

	pthread_mutex_lock(&flt_topology_lock);
	alive = !filter->unregistering;
	if (alive)
		atomic_fetch_add(&filter->refs, 1);
	pthread_mutex_unlock(&flt_topology_lock);
	return alive;
}

NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType,
				   SIZE_T ContextSize, POOL_TYPE PoolType,
				   PFLT_CONTEXT *ReturnedContext)
{
	const FLT_CONTEXT_REGISTRATION *reg;
	struct flt_ctx *ctx;
	SIZE_T body;

	if (!Filter || Filter->obj.kind != FLT_KIND_FILTER || !ReturnedContext ||
	    !flt_ctx_pool_valid(PoolType) || !ContextType || (ContextType & (ContextType - 1)) ||
	    (ContextType & FLT_ALL_CONTEXTS) != ContextType)
		return STATUS_INVALID_PARAMETER;
	*ReturnedContext = NULL;
	if (!ke_irql_at_most(PoolType == PagedPool ? APC_LEVEL : DISPATCH_LEVEL, "FltAllocateContext"))
		return STATUS_UNSUCCESSFUL;
	reg = flt_context_registration_find(Filter, ContextType, ContextSize);
	if (!reg)
		return STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND;
	if (!flt_ctx_filter_alive(Filter))
		return STATUS_FLT_DELETING_OBJECT;
	body = reg->Size == FLT_VARIABLE_SIZED_CONTEXTS ? ContextSize : reg->Size;
	if (reg->ContextAllocateCallback)
		ctx = reg->ContextAllocateCallback(PoolType, sizeof(*ctx) + body, ContextType);
	else
		ctx = ExAllocatePoolWithTag(PoolType, sizeof(*ctx) + body, reg->PoolTag);
	if (!ctx) {
		flt_filter_put(Filter);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->magic = FLT_CTX_MAGIC;
	ctx->type = ContextType;
	atomic_init(&ctx->refs, 1);
	ctx->filter = Filter;
	ctx->cleanup = reg->ContextCleanupCallback;
	ctx->free_cb = reg->ContextFreeCallback;
	ctx->tag = reg->PoolTag;
	flt_ctx_live_add(ctx);
	*ReturnedContext = ctx->body;
	return STATUS_SUCCESS;
}

VOID FLTAPI FltReferenceContext(PFLT_CONTEXT Context)
{
	struct flt_ctx *ctx = flt_ctx_checked(Context, "FltReferenceContext");

	if (ctx)
		atomic_fetch_add(&ctx->refs, 1);
}

VOID FLTAPI FltReleaseContext(PFLT_CONTEXT Context)
{
	struct flt_ctx *ctx = flt_ctx_checked(Context, "FltReleaseContext");

	if (ctx)
		flt_ctx_put(ctx);
}

VOID FLTAPI FltDeleteContext(PFLT_CONTEXT Context)
{
	struct flt_ctx *ctx = flt_ctx_checked(Context, "FltDeleteContext");

	if (ctx)
		flt_ctx_detach(ctx);
}

static void flt_ctx_record_leak(struct flt_ctx *ctx)
{
	altitude_context_leak *grown = realloc(flt_ctx_leaks, (flt_ctx_leak_count + 1) * sizeof(*grown));
	altitude_context_leak *l;
	USHORT n = 0;

	if (!grown)
		return;
	flt_ctx_leaks = grown;
	l = &flt_ctx_leaks[flt_ctx_leak_count++];
	memset(l, 0, sizeof(*l));
	while (n < ctx->filter->name.Length / sizeof(WCHAR) && n < RTL_NUMBER_OF(l->filter) - 1) {
		l->filter[n] = ctx->filter->name.Buffer[n];
		n++;
	}
	l->type = ctx->type;
	l->pool_tag = ctx->tag;
	l->references = (LONG)atomic_load(&ctx->refs);
}

void flt_context_filter_gone(PFLT_FILTER filter)
{
	flt_ctx_detach_all(FLT_VOLUME_CONTEXT, filter, NULL);
	pthread_mutex_lock(&flt_ctx_lock);
	for (PLIST_ENTRY e = flt_ctx_live_list.Flink; e != &flt_ctx_live_list; e = e->Flink) {
		struct flt_ctx *ctx = CONTAINING_RECORD(e, struct flt_ctx, live);
		char tag[5];

		if (ctx->filter != filter || ctx->orphaned)
			continue;
		ctx->orphaned = TRUE;
		flt_ctx_record_leak(ctx);
		altitude_pool_tag_string(ctx->tag, tag);
		DbgPrintEx(DPFLTR_FLTMGR_ID, DPFLTR_ERROR_LEVEL,
			   "FLTMGR: filter %wZ unregistered with a context still referenced: "
			   "type 0x%x, pool tag '%s', %ld references\n",
			   &filter->name, ctx->type, tag, (long)atomic_load(&ctx->refs));
	}
	pthread_mutex_unlock(&flt_ctx_lock);
}

ULONG altitude_flt_live_contexts(void)
{
	ULONG n;

	pthread_mutex_lock(&flt_ctx_lock);
	n = flt_ctx_live_count;
	pthread_mutex_unlock(&flt_ctx_lock);
	return n;
}

ULONG altitude_flt_context_leaks(altitude_context_leak *leaks, ULONG capacity)
{
	ULONG n;

	pthread_mutex_lock(&flt_ctx_lock);
	n = flt_ctx_leak_count;
	for (ULONG i = 0; leaks && i < n && i < capacity; i++)
		leaks[i] = flt_ctx_leaks[i];
	pthread_mutex_unlock(&flt_ctx_lock);
	return n;
}

void altitude_flt_context_leaks_reset(void)
{
	pthread_mutex_lock(&flt_ctx_lock);
	free(flt_ctx_leaks);
	flt_ctx_leaks = NULL;
	flt_ctx_leak_count = 0;
	pthread_mutex_unlock(&flt_ctx_lock);
}
