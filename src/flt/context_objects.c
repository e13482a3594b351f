/*
 * The per-object context routines: FltSet/Get/Delete{Volume,Instance,File,
 * Stream,StreamHandle,Transaction}Context, FltGetContexts,
 * FltReleaseContexts and FltSupports*Contexts.
 *
 * Keys: a volume context is owned by its filter and keyed by the volume;
 * the others are owned by the instance and keyed by the instance, the
 * stream (FILE_OBJECT FsContext: one stream per file, so file contexts
 * share that key) or the FILE_OBJECT (stream handle).
 */
#include "flt/contexts.h"

static BOOLEAN flt_is_instance(PFLT_INSTANCE inst)
{
	return inst && inst->obj.kind == FLT_KIND_INSTANCE;
}

static BOOLEAN flt_file_open(PFILE_OBJECT fo)
{
	return fo && fo->FsContext;
}

/* The new context must be of `type` and belong to `filter`. */
static NTSTATUS flt_ctx_check_new(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type, PFLT_FILTER filter,
				  const char *routine)
{
	struct flt_ctx *ctx;

	if (!context)
		return STATUS_INVALID_PARAMETER;
	ctx = flt_ctx_checked(context, routine);
	if (!ctx || ctx->type != type || (filter && ctx->filter != filter))
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

/* Key of an instance-owned context type for (inst, fo); NULL when not usable. */
static PVOID flt_ctx_key(FLT_CONTEXT_TYPE type, PFLT_INSTANCE inst, PFILE_OBJECT fo)
{
	switch (type) {
	case FLT_INSTANCE_CONTEXT:
		return inst;
	case FLT_FILE_CONTEXT:
	case FLT_STREAM_CONTEXT:
		return fo->FsContext;
	default:
		return fo;
	}
}

static NTSTATUS flt_ctx_args(FLT_CONTEXT_TYPE type, PFLT_INSTANCE inst, PFILE_OBJECT fo,
			     const char *routine)
{
	if (!flt_is_instance(inst) || (type != FLT_INSTANCE_CONTEXT && !fo))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, routine))
		return STATUS_UNSUCCESSFUL;
	if (type != FLT_INSTANCE_CONTEXT && !flt_file_open(fo))
		return STATUS_NOT_SUPPORTED;
	return STATUS_SUCCESS;
}

static NTSTATUS flt_inst_set(FLT_CONTEXT_TYPE type, PFLT_INSTANCE inst, PFILE_OBJECT fo,
			     FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT new_context,
			     PFLT_CONTEXT *old_context, const char *routine)
{
	NTSTATUS s;

	if (old_context)
		*old_context = NULL;
	s = flt_ctx_args(type, inst, fo, routine);
	if (NT_SUCCESS(s))
		s = flt_ctx_check_new(new_context, type, flt_is_instance(inst) ? inst->filter : NULL,
				      routine);
	if (!NT_SUCCESS(s))
		return s;
	if (type != FLT_INSTANCE_CONTEXT)
		flt_context_track_file(fo);
	return flt_ctx_set(type, inst, flt_ctx_key(type, inst, fo), op, new_context, old_context);
}

static NTSTATUS flt_inst_get(FLT_CONTEXT_TYPE type, PFLT_INSTANCE inst, PFILE_OBJECT fo,
			     PFLT_CONTEXT *context, const char *routine)
{
	NTSTATUS s;

	if (!context)
		return STATUS_INVALID_PARAMETER;
	*context = NULL;
	s = flt_ctx_args(type, inst, fo, routine);
	if (!NT_SUCCESS(s))
		return s;
	return flt_ctx_get(type, inst, flt_ctx_key(type, inst, fo), context);
}

static NTSTATUS flt_inst_delete(FLT_CONTEXT_TYPE type, PFLT_INSTANCE inst, PFILE_OBJECT fo,
				PFLT_CONTEXT *old_context, const char *routine)
{
	NTSTATUS s;

	if (old_context)
		*old_context = NULL;
	s = flt_ctx_args(type, inst, fo, routine);
	if (!NT_SUCCESS(s))
		return s;
	return flt_ctx_delete(type, inst, flt_ctx_key(type, inst, fo), old_context);
}

NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME Volume, FLT_SET_CONTEXT_OPERATION Operation,
				    PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	NTSTATUS s;

	if (OldContext)
		*OldContext = NULL;
	if (!Volume || Volume->obj.kind != FLT_KIND_VOLUME)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, "FltSetVolumeContext"))
		return STATUS_UNSUCCESSFUL;
	s = flt_ctx_check_new(NewContext, FLT_VOLUME_CONTEXT, NULL, "FltSetVolumeContext");
	if (!NT_SUCCESS(s))
		return s;
	return flt_ctx_set(FLT_VOLUME_CONTEXT, flt_ctx_of(NewContext)->filter, Volume, Operation,
			   NewContext, OldContext);
}

static BOOLEAN flt_volume_args(PFLT_FILTER f, PFLT_VOLUME v)
{
	return f && f->obj.kind == FLT_KIND_FILTER && v && v->obj.kind == FLT_KIND_VOLUME;
}

NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *Context)
{
	if (!Context)
		return STATUS_INVALID_PARAMETER;
	*Context = NULL;
	if (!flt_volume_args(Filter, Volume))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, "FltGetVolumeContext"))
		return STATUS_UNSUCCESSFUL;
	return flt_ctx_get(FLT_VOLUME_CONTEXT, Filter, Volume, Context);
}

NTSTATUS FLTAPI FltDeleteVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				       PFLT_CONTEXT *OldContext)
{
	if (OldContext)
		*OldContext = NULL;
	if (!flt_volume_args(Filter, Volume))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(APC_LEVEL, "FltDeleteVolumeContext"))
		return STATUS_UNSUCCESSFUL;
	return flt_ctx_delete(FLT_VOLUME_CONTEXT, Filter, Volume, OldContext);
}

NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION Operation,
				      PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return flt_inst_set(FLT_INSTANCE_CONTEXT, Instance, NULL, Operation, NewContext, OldContext,
			    "FltSetInstanceContext");
}

NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *Context)
{
	return flt_inst_get(FLT_INSTANCE_CONTEXT, Instance, NULL, Context, "FltGetInstanceContext");
}

NTSTATUS FLTAPI FltDeleteInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *OldContext)
{
	return flt_inst_delete(FLT_INSTANCE_CONTEXT, Instance, NULL, OldContext,
			       "FltDeleteInstanceContext");
}

NTSTATUS FLTAPI FltSetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				  PFLT_CONTEXT *OldContext)
{
	return flt_inst_set(FLT_FILE_CONTEXT, Instance, FileObject, Operation, NewContext, OldContext,
			    "FltSetFileContext");
}

NTSTATUS FLTAPI FltGetFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				  PFLT_CONTEXT *Context)
{
	return flt_inst_get(FLT_FILE_CONTEXT, Instance, FileObject, Context, "FltGetFileContext");
}

NTSTATUS FLTAPI FltDeleteFileContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				     PFLT_CONTEXT *OldContext)
{
	return flt_inst_delete(FLT_FILE_CONTEXT, Instance, FileObject, OldContext,
			       "FltDeleteFileContext");
}

NTSTATUS FLTAPI FltSetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
				    PFLT_CONTEXT *OldContext)
{
	return flt_inst_set(FLT_STREAM_CONTEXT, Instance, FileObject, Operation, NewContext,
			    OldContext, "FltSetStreamContext");
}

NTSTATUS FLTAPI FltGetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				    PFLT_CONTEXT *Context)
{
	return flt_inst_get(FLT_STREAM_CONTEXT, Instance, FileObject, Context, "FltGetStreamContext");
}

NTSTATUS FLTAPI FltDeleteStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				       PFLT_CONTEXT *OldContext)
{
	return flt_inst_delete(FLT_STREAM_CONTEXT, Instance, FileObject, OldContext,
			       "FltDeleteStreamContext");
}

NTSTATUS FLTAPI FltSetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  FLT_SET_CONTEXT_OPERATION Operation,
					  PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	return flt_inst_set(FLT_STREAMHANDLE_CONTEXT, Instance, FileObject, Operation, NewContext,
			    OldContext, "FltSetStreamHandleContext");
}

NTSTATUS FLTAPI FltGetStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					  PFLT_CONTEXT *Context)
{
	return flt_inst_get(FLT_STREAMHANDLE_CONTEXT, Instance, FileObject, Context,
			    "FltGetStreamHandleContext");
}

NTSTATUS FLTAPI FltDeleteStreamHandleContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					     PFLT_CONTEXT *OldContext)
{
	return flt_inst_delete(FLT_STREAMHANDLE_CONTEXT, Instance, FileObject, OldContext,
			       "FltDeleteStreamHandleContext");
}

NTSTATUS FLTAPI FltSetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 FLT_SET_CONTEXT_OPERATION Operation,
					 PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
	(void)Instance;
	(void)Transaction;
	(void)Operation;
	(void)NewContext;
	if (OldContext)
		*OldContext = NULL;
	return STATUS_NOT_SUPPORTED;
}

NTSTATUS FLTAPI FltGetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					 PFLT_CONTEXT *Context)
{
	(void)Instance;
	(void)Transaction;
	if (Context)
		*Context = NULL;
	return STATUS_NOT_SUPPORTED;
}

NTSTATUS FLTAPI FltDeleteTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
					    PFLT_CONTEXT *OldContext)
{
	(void)Instance;
	(void)Transaction;
	if (OldContext)
		*OldContext = NULL;
	return STATUS_NOT_SUPPORTED;
}

VOID FLTAPI FltGetContexts(PCFLT_RELATED_OBJECTS FltObjects, FLT_CONTEXT_TYPE DesiredContexts,
			   PFLT_RELATED_CONTEXTS Contexts)
{
	PFILE_OBJECT fo;
	PFLT_INSTANCE inst;

	if (!Contexts)
		return;
	memset(Contexts, 0, sizeof(*Contexts));
	if (!FltObjects || !flt_is_instance(FltObjects->Instance))
		return;
	inst = FltObjects->Instance;
	fo = FltObjects->FileObject;
	if (DesiredContexts & FLT_VOLUME_CONTEXT)
		flt_ctx_get(FLT_VOLUME_CONTEXT, inst->filter, inst->volume, &Contexts->VolumeContext);
	if (DesiredContexts & FLT_INSTANCE_CONTEXT)
		flt_ctx_get(FLT_INSTANCE_CONTEXT, inst, inst, &Contexts->InstanceContext);
	if (!flt_file_open(fo))
		return;
	if (DesiredContexts & FLT_FILE_CONTEXT)
		flt_ctx_get(FLT_FILE_CONTEXT, inst, fo->FsContext, &Contexts->FileContext);
	if (DesiredContexts & FLT_STREAM_CONTEXT)
		flt_ctx_get(FLT_STREAM_CONTEXT, inst, fo->FsContext, &Contexts->StreamContext);
	if (DesiredContexts & FLT_STREAMHANDLE_CONTEXT)
		flt_ctx_get(FLT_STREAMHANDLE_CONTEXT, inst, fo, &Contexts->StreamHandleContext);
}

VOID FLTAPI FltReleaseContexts(PFLT_RELATED_CONTEXTS Contexts)
{
	PFLT_CONTEXT *all[6];

	if (!Contexts)
		return;
	all[0] = &Contexts->VolumeContext;
	all[1] = &Contexts->InstanceContext;
	all[2] = &Contexts->FileContext;
	all[3] = &Contexts->StreamContext;
	all[4] = &Contexts->StreamHandleContext;
	all[5] = &Contexts->TransactionContext;
	for (ULONG i = 0; i < RTL_NUMBER_OF(all); i++) {
		if (*all[i])
			FltReleaseContext(*all[i]);
		*all[i] = NULL_CONTEXT;
	}
}

BOOLEAN FLTAPI FltSupportsFileContexts(PFILE_OBJECT FileObject)
{
	return flt_file_open(FileObject);
}

BOOLEAN FLTAPI FltSupportsFileContextsEx(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance)
{
	return flt_file_open(FileObject) && flt_is_instance(Instance);
}

BOOLEAN FLTAPI FltSupportsStreamContexts(PFILE_OBJECT FileObject)
{
	return flt_file_open(FileObject);
}

BOOLEAN FLTAPI FltSupportsStreamHandleContexts(PFILE_OBJECT FileObject)
{
	return flt_file_open(FileObject);
}
