/*
 * Contexts (internal): the header in front of every context, the store of
 * attached contexts, and the engine hooks that end their objects.
 *
 * The store is a hash of attachments keyed by (type, object), each entry
 * also naming its owner: the instance (instance, file, stream and stream
 * handle contexts) or the filter (volume contexts).  One lock guards it;
 * cleanup callbacks and frees always run outside it.
 */
#ifndef ALTITUDE_SRC_FLT_CONTEXTS_H
#define ALTITUDE_SRC_FLT_CONTEXTS_H

#include "flt/flt.h"

#define FLT_CTX_MAGIC 0x78744346 /* "FCtx" */
#define FLT_TAG_STREAM FLT_TAG('F', 'M', 'c', 's') /* stream and handle tracking records */

struct flt_ctx {
	ULONG magic;
	FLT_CONTEXT_TYPE type;
	BOOLEAN linked;   /* attached to an object (holds one reference) */
	BOOLEAN orphaned; /* its filter unregistered while it was referenced */
	atomic_long refs;
	PFLT_FILTER filter; /* holds a memory reference on the filter */
	PFLT_CONTEXT_CLEANUP_CALLBACK cleanup;
	PFLT_CONTEXT_FREE_CALLBACK free_cb;
	ULONG tag;
	PVOID owner;
	PVOID object;
	LIST_ENTRY link; /* hash bucket while linked; a private list while being detached */
	LIST_ENTRY live; /* every context alive */
	UCHAR body[] __attribute__((aligned(16)));
};

static inline struct flt_ctx *flt_ctx_of(PFLT_CONTEXT context)
{
	return CONTAINING_RECORD(context, struct flt_ctx, body);
}

/* Guards the store, the live list and the leak records. */
extern pthread_mutex_t flt_ctx_lock;

/* Validates a FLT_CONTEXT_REGISTRATION array (FltRegisterFilter). */
NTSTATUS flt_context_registration_check(const FLT_CONTEXT_REGISTRATION *regs);
/* The registration FltAllocateContext uses for (type, size), or NULL. */
const FLT_CONTEXT_REGISTRATION *flt_context_registration_find(PFLT_FILTER filter,
							      FLT_CONTEXT_TYPE type, SIZE_T size);

/* The context's header, or NULL (and a verifier report) for a pointer that is not a context. */
struct flt_ctx *flt_ctx_checked(PFLT_CONTEXT context, const char *routine);
/* Drops one reference; the last one runs the cleanup callback and frees. */
void flt_ctx_put(struct flt_ctx *ctx);

/* The store. */
NTSTATUS flt_ctx_set(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object,
		     FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT new_context,
		     PFLT_CONTEXT *old_context);
NTSTATUS flt_ctx_get(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object, PFLT_CONTEXT *out);
NTSTATUS flt_ctx_delete(FLT_CONTEXT_TYPE type, PVOID owner, PVOID object, PFLT_CONTEXT *old);
/* Detaches every context whose types are in `types` and owner/object match (NULL: any). */
void flt_ctx_detach_all(FLT_CONTEXT_TYPE types, PVOID owner, PVOID object);
/* The same in two steps: detach onto `out` (callable under other locks), then release them. */
void flt_ctx_detach_collect(FLT_CONTEXT_TYPE types, PVOID owner, PVOID object, PLIST_ENTRY out);
void flt_ctx_put_list(PLIST_ENTRY list);
/* Detaches one context (FltDeleteContext). */
void flt_ctx_detach(struct flt_ctx *ctx);

/* Counts an open FILE_OBJECT as a handle of its stream, once. */
void flt_context_track_file(PFILE_OBJECT fo);

/* Engine hooks. */
void flt_context_op_finish(struct flt_op *op);
void flt_context_instance_gone(PFLT_INSTANCE inst);
void flt_context_filter_gone(PFLT_FILTER filter);

/* Adds a new context to the live list (for leak reports). */
void flt_ctx_live_add(struct flt_ctx *ctx);

#endif /* ALTITUDE_SRC_FLT_CONTEXTS_H */
