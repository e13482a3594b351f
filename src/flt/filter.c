/*
 * Filters: FltRegisterFilter (validation of FLT_REGISTRATION), starting,
 * unloading with the unload callback, unregistering, lookup by name and
 * enumeration.
 */

#include "flt/flt.h"
#include "flt/contexts.h"

pthread_mutex_t flt_topology_lock = PTHREAD_MUTEX_INITIALIZER;
LIST_ENTRY flt_filters = { &flt_filters, &flt_filters };

static void flt_filter_free(PFLT_FILTER f);

void flt_filter_put(PFLT_FILTER filter)
{
	flt_filter_free(filter);
}

/* Bytes of FLT_REGISTRATION each version defines. */
static USHORT flt_registration_size(USHORT version)
{
	switch (version) {
	case FLT_REGISTRATION_VERSION_0200:
		return (USHORT)RTL_SIZEOF_THROUGH_FIELD(FLT_REGISTRATION, NormalizeContextCleanupCallback);
	case FLT_REGISTRATION_VERSION_0201:
		return (USHORT)RTL_SIZEOF_THROUGH_FIELD(FLT_REGISTRATION, TransactionNotificationCallback);
	case FLT_REGISTRATION_VERSION_0202:
		return (USHORT)RTL_SIZEOF_THROUGH_FIELD(FLT_REGISTRATION, NormalizeNameComponentExCallback);
	default:
		return (USHORT)sizeof(FLT_REGISTRATION);
	}
}

static BOOLEAN flt_major_valid(UCHAR major)
{
	return major <= IRP_MJ_MAXIMUM_FUNCTION || major >= IRP_MJ_VOLUME_DISMOUNT;
}

static NTSTATUS flt_copy_operations(PFLT_FILTER f, const FLT_OPERATION_REGISTRATION *op)
{
	for (; op && op->MajorFunction != IRP_MJ_OPERATION_END; op++) {
		struct flt_op_callbacks *slot;

		if (!flt_major_valid(op->MajorFunction))
			return STATUS_INVALID_PARAMETER;
		slot = &f->ops[op->MajorFunction];
		if (slot->pre || slot->post)
			continue; /* a major listed twice: the first entry counts */
		slot->pre = op->PreOperation;
		slot->post = op->PostOperation;
		slot->flags = op->Flags;
	}
	return STATUS_SUCCESS;
}

static NTSTATUS flt_copy_contexts(PFLT_FILTER f, const FLT_CONTEXT_REGISTRATION *ctx)
{
	NTSTATUS status = flt_context_registration_check(ctx);
	ULONG n = 0;

	if (!NT_SUCCESS(status))
		return status;
	while (ctx && ctx[n].ContextType != FLT_CONTEXT_END)
		n++;
	if (!n)
		return STATUS_SUCCESS;
	f->contexts = flt_alloc(n * sizeof(*f->contexts), FLT_TAG_FILTER);
	if (!f->contexts)
		return STATUS_INSUFFICIENT_RESOURCES;
	memcpy(f->contexts, ctx, n * sizeof(*f->contexts));
	f->context_count = n;
	return STATUS_SUCCESS;
}

static void flt_filter_free(PFLT_FILTER f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	flt_free(f->contexts, FLT_TAG_FILTER);
	flt_string_free(&f->name);
	flt_free(f, FLT_TAG_FILTER);
	flt_live_add(-1);
}

static PFLT_FILTER flt_filter_find_locked(PCUNICODE_STRING name)
{
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink) {
		PFLT_FILTER f = CONTAINING_RECORD(e, struct _FLT_FILTER, link);

		if (flt_string_equal(&f->name, name, TRUE))
			return f;
	}
	return NULL;
}

static NTSTATUS flt_registration_check(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *r,
				       PFLT_FILTER *RetFilter)
{
	if (!Driver || !r || !RetFilter)
		return STATUS_INVALID_PARAMETER;
	if ((r->Version >> 8) != 2 || r->Size < flt_registration_size(r->Version))
		return STATUS_INVALID_PARAMETER;
	if (!flt_loader_find(Driver))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	if (flt_loader_filter(Driver))
		return STATUS_OBJECT_NAME_COLLISION; /* one filter per driver */
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *Registration,
				  PFLT_FILTER *RetFilter)
{
	PFLT_FILTER f;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltRegisterFilter"))
		return STATUS_UNSUCCESSFUL;
	status = flt_registration_check(Driver, Registration, RetFilter);
	if (!NT_SUCCESS(status))
		return status;
	f = flt_alloc(sizeof(*f), FLT_TAG_FILTER);
	if (!f)
		return STATUS_INSUFFICIENT_RESOURCES;
	flt_live_add(1);
	flt_object_init(&f->obj, FLT_KIND_FILTER);
	atomic_init(&f->refs, 1);
	atomic_init(&f->ports_stopped, FALSE);
	InitializeListHead(&f->instances);
	f->driver = Driver;
	f->config = flt_loader_find(Driver);
	memcpy(&f->reg, Registration, flt_registration_size(Registration->Version));
	status = flt_copy_operations(f, Registration->OperationRegistration);
	if (NT_SUCCESS(status))
		status = flt_copy_contexts(f, Registration->ContextRegistration);
	if (NT_SUCCESS(status))
		status = flt_string_from_wsz(f->config->service_name, &f->name);
	if (!NT_SUCCESS(status))
		goto out;
	pthread_mutex_lock(&flt_topology_lock);
	if (flt_filter_find_locked(&f->name)) {
		status = STATUS_OBJECT_NAME_COLLISION;
	} else {
		InsertTailList(&flt_filters, &f->link);
	}
	pthread_mutex_unlock(&flt_topology_lock);
	if (!NT_SUCCESS(status))
		goto out;
	flt_loader_set_filter(Driver, f);
	*RetFilter = f;
	return STATUS_SUCCESS;
out:
	flt_filter_free(f);
	return status;
}

/* The volumes, each with a rundown reference; *count set.  NULL if none or no memory. */
static PFLT_VOLUME *flt_volumes_referenced(ULONG *count)
{
	PFLT_VOLUME *v = NULL;
	ULONG n = 0;

	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink)
		n++;
	if (n)
		v = flt_alloc(n * sizeof(*v), FLT_TAG_TEMP);
	n = 0;
	for (PLIST_ENTRY e = flt_volumes.Flink; v && e != &flt_volumes; e = e->Flink) {
		PFLT_VOLUME vol = CONTAINING_RECORD(e, struct _FLT_VOLUME, link);

		if (flt_object_acquire(&vol->obj))
			v[n++] = vol;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	*count = n;
	return v;
}

NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER Filter)
{
	PFLT_VOLUME *vols;
	ULONG n;
	NTSTATUS status = STATUS_SUCCESS;

	if (!Filter || Filter->obj.kind != FLT_KIND_FILTER)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltStartFiltering"))
		return STATUS_UNSUCCESSFUL;
	pthread_mutex_lock(&flt_topology_lock);
	if (Filter->unregistering)
		status = STATUS_FLT_DELETING_OBJECT;
	else if (Filter->started)
		status = STATUS_INVALID_PARAMETER;
	else
		Filter->started = TRUE;
	pthread_mutex_unlock(&flt_topology_lock);
	if (!NT_SUCCESS(status))
		return status;
	vols = flt_volumes_referenced(&n);
	for (ULONG i = 0; i < n; i++) {
		flt_instance_auto_attach(Filter, vols[i], FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT);
		flt_object_release(&vols[i]->obj);
	}
	flt_free(vols, FLT_TAG_TEMP);
	return STATUS_SUCCESS;
}

/* The filter's first instance with a memory reference, or NULL. */
static PFLT_INSTANCE flt_filter_first_instance(PFLT_FILTER f)
{
	PFLT_INSTANCE inst = NULL;

	pthread_mutex_lock(&flt_topology_lock);
	if (!IsListEmpty(&f->instances)) {
		inst = CONTAINING_RECORD(f->instances.Flink, struct _FLT_INSTANCE, filter_link);
		atomic_fetch_add(&inst->refs, 1);
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return inst;
}

VOID FLTAPI FltUnregisterFilter(PFLT_FILTER Filter)
{
	FLT_INSTANCE_TEARDOWN_FLAGS reason;
	PFLT_INSTANCE inst;

	if (!Filter || Filter->obj.kind != FLT_KIND_FILTER)
		return;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltUnregisterFilter"))
		return;
	pthread_mutex_lock(&flt_topology_lock);
	Filter->unregistering = TRUE;
	pthread_mutex_unlock(&flt_topology_lock);
	flt_filter_stop_ports(Filter);
	reason = (Filter->unload_flags & FLTFL_FILTER_UNLOAD_MANDATORY)
			 ? FLTFL_INSTANCE_TEARDOWN_MANDATORY_FILTER_UNLOAD
			 : FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD;
	while ((inst = flt_filter_first_instance(Filter))) {
		flt_instance_teardown(inst, reason);
		flt_instance_put(inst);
	}
	flt_context_filter_gone(Filter);
	flt_object_run_down(&Filter->obj);
	pthread_mutex_lock(&flt_topology_lock);
	RemoveEntryList(&Filter->link);
	pthread_mutex_unlock(&flt_topology_lock);
	flt_loader_set_filter(Filter->driver, NULL);
	flt_filter_free(Filter);
}

NTSTATUS flt_filter_unload(PFLT_FILTER filter, BOOLEAN mandatory)
{
	FLT_FILTER_UNLOAD_FLAGS flags = mandatory ? FLTFL_FILTER_UNLOAD_MANDATORY : 0;
	PDRIVER_OBJECT driver = filter->driver;
	NTSTATUS status = STATUS_SUCCESS;

	pthread_mutex_lock(&flt_topology_lock);
	if (filter->unloading || filter->unregistering)
		status = STATUS_FLT_DELETING_OBJECT;
	else if (!filter->reg.FilterUnloadCallback && !mandatory)
		status = STATUS_FLT_DO_NOT_DETACH;
	else
		filter->unloading = TRUE;
	pthread_mutex_unlock(&flt_topology_lock);
	if (!NT_SUCCESS(status))
		return status;
	filter->unload_flags = flags;
	status = STATUS_SUCCESS;
	if (filter->reg.FilterUnloadCallback)
		status = filter->reg.FilterUnloadCallback(flags);
	if (!NT_SUCCESS(status) && !mandatory && flt_loader_filter(driver) == filter) {
		pthread_mutex_lock(&flt_topology_lock);
		filter->unloading = FALSE;
		pthread_mutex_unlock(&flt_topology_lock);
		return status;
	}
	/* The callback should have unregistered; a mandatory unload finishes it
	 * (also for a filter without unload callback). */
	if (flt_loader_filter(driver) == filter)
		FltUnregisterFilter(filter);
	flt_loader_release(driver);
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltUnloadFilter(PCUNICODE_STRING FilterName)
{
	PFLT_FILTER f;
	NTSTATUS status;

	if (!FilterName)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltUnloadFilter"))
		return STATUS_UNSUCCESSFUL;
	status = FltGetFilterFromName(FilterName, &f);
	if (!NT_SUCCESS(status))
		return status;
	/* The unload waits for rundown: drop our reference first; the filter
	 * stays valid because only its own unload path frees it. */
	flt_object_release(&f->obj);
	return flt_filter_unload(f, FALSE);
}

NTSTATUS FLTAPI FltGetFilterFromName(PCUNICODE_STRING FilterName, PFLT_FILTER *RetFilter)
{
	PFLT_FILTER f;
	NTSTATUS status = STATUS_FLT_FILTER_NOT_FOUND;

	if (!FilterName || !RetFilter)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	f = flt_filter_find_locked(FilterName);
	if (f)
		status = flt_object_acquire(&f->obj) ? STATUS_SUCCESS : STATUS_FLT_DELETING_OBJECT;
	pthread_mutex_unlock(&flt_topology_lock);
	if (NT_SUCCESS(status))
		*RetFilter = f;
	return status;
}

NTSTATUS FLTAPI FltEnumerateFilters(PFLT_FILTER *FilterList, ULONG FilterListSize,
				    PULONG NumberFiltersReturned)
{
	ULONG n = 0;
	NTSTATUS status = STATUS_SUCCESS;

	if (!NumberFiltersReturned)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink)
		n++;
	if (!FilterList || FilterListSize < n) {
		status = STATUS_BUFFER_TOO_SMALL;
		goto out;
	}
	n = 0;
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink) {
		PFLT_FILTER f = CONTAINING_RECORD(e, struct _FLT_FILTER, link);

		if (flt_object_acquire(&f->obj))
			FilterList[n++] = f;
	}
out:
	pthread_mutex_unlock(&flt_topology_lock);
	*NumberFiltersReturned = n;
	return status;
}
