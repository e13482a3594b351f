/*
 * Contexts: filter-defined data attached to a volume, an instance, a file,
 * a stream or a stream handle (FILE_OBJECT), found again by the filter on
 * later operations.
 *
 * A context is allocated (FltAllocateContext, one reference), attached
 * (FltSet*Context: the object holds its own reference), found
 * (FltGet*Context: a new reference) and released (FltReleaseContext).  When
 * its object goes away (handle closed, last handle of the stream closed,
 * instance torn down, filter's last instance on the volume detached) or it
 * is deleted, the object's reference is dropped; the cleanup callback runs
 * once, when the last reference goes, then the memory is freed.
 *
 * Streams: this runtime has one stream per file; the stream (and file)
 * identity is the FILE_OBJECT's FsContext, the stream handle identity is
 * the FILE_OBJECT.  A FILE_OBJECT that is not open (FsContext NULL, e.g. in
 * a pre-create callback) supports neither.
 *
 * Transactions are not supported: transaction contexts cannot be set, found
 * or deleted (STATUS_NOT_SUPPORTED).
 *
 * Contexts still referenced when their filter unregisters are reported
 * (DbgPrintEx from FLTMGR: filter, type, pool tag) and listed by
 * altitude_flt_context_leaks(); they are freed, without their cleanup
 * callback, if the leaked reference is released later.
 */
#ifndef ALTITUDE_FLT_CONTEXT_H
#define ALTITUDE_FLT_CONTEXT_H

#include <flt/types.h>
#include <flt/callback_data.h>
#include <flt/registration.h>

typedef enum _FLT_SET_CONTEXT_OPERATION {
	FLT_SET_CONTEXT_REPLACE_IF_EXISTS,
	FLT_SET_CONTEXT_KEEP_IF_EXISTS
} FLT_SET_CONTEXT_OPERATION, *PFLT_SET_CONTEXT_OPERATION;

typedef struct _FLT_RELATED_CONTEXTS {
	PFLT_CONTEXT VolumeContext;
	PFLT_CONTEXT InstanceContext;
	PFLT_CONTEXT FileContext;
	PFLT_CONTEXT StreamContext;
	PFLT_CONTEXT StreamHandleContext;
	PFLT_CONTEXT TransactionContext;
} FLT_RELATED_CONTEXTS, *PFLT_RELATED_CONTEXTS;

/*
 * STATUS_SUCCESS; STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND when no
 * registration of ContextType fits ContextSize (exact size, a larger one
 * with FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, or the variable-size
 * one); STATUS_INVALID_PARAMETER for a bad filter, type, pool type or NULL
 * output; STATUS_FLT_DELETING_OBJECT while the filter unregisters;
 * STATUS_INSUFFICIENT_RESOURCES.  The memory comes from PoolType with the
 * registration's PoolTag, or from its ContextAllocateCallback (asked for
 * the context size plus the Filter Manager's header).  PagedPool: IRQL <=
 * APC_LEVEL, else <= DISPATCH_LEVEL.
 */
NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType,
				   SIZE_T ContextSize, POOL_TYPE PoolType,
				   PFLT_CONTEXT *ReturnedContext);
VOID FLTAPI FltReferenceContext(PFLT_CONTEXT Context);
VOID FLTAPI FltReleaseContext(PFLT_CONTEXT Context);
/* Detaches the context from its object (dropping the object's reference); no effect otherwise. */
VOID FLTAPI FltDeleteContext(PFLT_CONTEXT Context);

/*
 * Set: STATUS_SUCCESS; STATUS_FLT_CONTEXT_ALREADY_DEFINED (KEEP_IF_EXISTS
 * and one is attached: *OldContext, when given, receives it referenced);
 * STATUS_FLT_CONTEXT_ALREADY_LINKED (NewContext is attached elsewhere);
 * STATUS_INVALID_PARAMETER (NULL argument, a context of another type or
 * filter, unknown operation); STATUS_NOT_SUPPORTED (the file object is not
 * open).  REPLACE_IF_EXISTS detaches the old context; *OldContext receives
 * it referenced (or NULL), else its reference is released.
 * Get: STATUS_SUCCESS with a referenced context, or STATUS_NOT_FOUND.
 * Delete: STATUS_SUCCESS (the context is detached; *OldContext receives it
 * referenced, else it is released) or STATUS_NOT_FOUND.
 */
NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME Volume, FLT_SET_CONTEXT_OPERATION Operation,
				    PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				       PFLT_CONTEXT *OldContext);

NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION Operation,
				      PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *OldContext);

NTSTATUS FLTAPI FltSetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				  PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *OldContext);

NTSTATUS FLTAPI FltSetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				    PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				       PFLT_CONTEXT *OldContext);

NTSTATUS FLTAPI FltSetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  FLT_SET_CONTEXT_OPERATION Operation,
					  PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					     PFLT_CONTEXT *OldContext);

/* Always STATUS_NOT_SUPPORTED: the runtime has no transactions. */
NTSTATUS FLTAPI FltSetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 FLT_SET_CONTEXT_OPERATION Operation,
					 PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext);
NTSTATUS FLTAPI FltGetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 PFLT_CONTEXT *Context);
NTSTATUS FLTAPI FltDeleteTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					    PFLT_CONTEXT *OldContext);

/*
 * Fills each context DesiredContexts asks for (FLT_ALL_CONTEXTS for all)
 * that is attached to FltObjects' volume, instance and file object,
 * referenced; NULL_CONTEXT for the others.  FltReleaseContexts releases the
 * non-NULL ones and sets them to NULL_CONTEXT.
 */
VOID FLTAPI FltGetContexts(PCFLT_RELATED_OBJECTS FltObjects, FLT_CONTEXT_TYPE DesiredContexts,
			   PFLT_RELATED_CONTEXTS Contexts);
VOID FLTAPI FltReleaseContexts(PFLT_RELATED_CONTEXTS Contexts);

/* TRUE when the file object is open (file, stream and stream handle contexts can be used). */
BOOLEAN FLTAPI FltSupportsFileContexts(PFILE_OBJECT FileObject);
BOOLEAN FLTAPI FltSupportsFileContextsEx(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance);
BOOLEAN FLTAPI FltSupportsStreamContexts(PFILE_OBJECT FileObject);
BOOLEAN FLTAPI FltSupportsStreamHandleContexts(PFILE_OBJECT FileObject);

#endif /* ALTITUDE_FLT_CONTEXT_H */
