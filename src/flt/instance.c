/*
 * Instances: attaching a filter to a volume at an altitude (InstanceSetup),
 * and teardown in the documented order: InstanceTeardownStart, draining of
 * expected post callbacks, waiting for everything the instance still owes,
 * InstanceTeardownComplete.  After that no callback reaches the instance.
 */
#include <stdio.h>

#include "flt/flt.h"
#include "flt/callback.h"
#include "flt/contexts.h"

static atomic_long flt_kicks;

void flt_instance_put(PFLT_INSTANCE inst)
{
	if (atomic_fetch_sub(&inst->refs, 1) != 1)
		return;
	flt_string_free(&inst->name);
	flt_string_free(&inst->altitude_text);
	flt_filter_put(inst->filter);
	flt_free(inst, FLT_TAG_INSTANCE);
	flt_live_add(-1);
}

void flt_instance_kick(void)
{
	atomic_fetch_add(&flt_kicks, 1);
	flt_wake_all();
}

BOOLEAN flt_instance_enter(PFLT_INSTANCE inst)
{
	atomic_fetch_add(&inst->active, 1);
	if (!atomic_load(&inst->tearing))
		return TRUE;
	flt_instance_leave(inst);
	return FALSE;
}

void flt_instance_leave(PFLT_INSTANCE inst)
{
	if (atomic_fetch_sub(&inst->active, 1) == 1 && atomic_load(&inst->tearing))
		flt_instance_kick();
}

/* FLT_RELATED_OBJECTS without the const qualifiers, to fill it in place. */
struct flt_related_fill {
	USHORT Size;
	USHORT TransactionContext;
	PFLT_FILTER Filter;
	PFLT_VOLUME Volume;
	PFLT_INSTANCE Instance;
	PFILE_OBJECT FileObject;
	PKTRANSACTION Transaction;
};
_Static_assert(sizeof(struct flt_related_fill) == sizeof(FLT_RELATED_OBJECTS), "related objects");
_Static_assert(offsetof(struct flt_related_fill, Transaction) ==
		       offsetof(FLT_RELATED_OBJECTS, Transaction), "related objects");

void flt_instance_related(PFLT_INSTANCE inst, PFILE_OBJECT file, FLT_RELATED_OBJECTS *out)
{
	struct flt_related_fill *o = (struct flt_related_fill *)out;

	o->Size = sizeof(FLT_RELATED_OBJECTS);
	o->TransactionContext = 0;
	o->Filter = inst->filter;
	o->Volume = inst->volume;
	o->Instance = inst;
	o->FileObject = file;
	o->Transaction = NULL;
}

static void flt_instance_link(PFLT_INSTANCE inst)
{
	PLIST_ENTRY head = &inst->volume->instances, e;

	for (e = head->Flink; e != head; e = e->Flink) {
		PFLT_INSTANCE other = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (flt_altitude_compare(&inst->altitude, &other->altitude) > 0)
			break;
	}
	/* insert before e: the list stays ordered from the highest altitude */
	inst->volume_link.Flink = e;
	inst->volume_link.Blink = e->Blink;
	e->Blink->Flink = &inst->volume_link;
	e->Blink = &inst->volume_link;
	InsertTailList(&inst->filter->instances, &inst->filter_link);
}

static NTSTATUS flt_instance_admit_locked(PFLT_INSTANCE inst)
{
	PFLT_FILTER f = inst->filter;
	PFLT_VOLUME v = inst->volume;

	if (f->unregistering || v->dismounting)
		return STATUS_FLT_DELETING_OBJECT;
	if (!f->started)
		return STATUS_FLT_FILTER_NOT_READY;
	for (PLIST_ENTRY e = v->instances.Flink; e != &v->instances; e = e->Flink) {
		PFLT_INSTANCE other = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (!flt_altitude_compare(&inst->altitude, &other->altitude))
			return STATUS_FLT_INSTANCE_ALTITUDE_COLLISION;
		if (flt_string_equal(&inst->name, &other->name, TRUE))
			return STATUS_FLT_INSTANCE_NAME_COLLISION;
	}
	flt_instance_link(inst);
	return STATUS_SUCCESS;
}

static PFLT_INSTANCE flt_instance_new(PFLT_FILTER filter, PFLT_VOLUME volume,
				      PCUNICODE_STRING altitude, PCUNICODE_STRING name)
{
	PFLT_INSTANCE inst = flt_alloc(sizeof(*inst), FLT_TAG_INSTANCE);

	if (!inst)
		return NULL;
	flt_live_add(1);
	flt_object_init(&inst->obj, FLT_KIND_INSTANCE);
	atomic_init(&inst->refs, 1);
	atomic_fetch_add(&filter->refs, 1);
	inst->filter = filter;
	inst->volume = volume;
	if (!NT_SUCCESS(flt_string_dup(altitude, &inst->altitude_text)) ||
	    !NT_SUCCESS(flt_string_dup(name, &inst->name))) {
		flt_instance_put(inst);
		return NULL;
	}
	flt_altitude_parse(altitude, &inst->altitude);
	return inst;
}

static void flt_instance_unlink(PFLT_INSTANCE inst)
{
	pthread_mutex_lock(&flt_topology_lock);
	RemoveEntryList(&inst->volume_link);
	RemoveEntryList(&inst->filter_link);
	pthread_mutex_unlock(&flt_topology_lock);
}

static NTSTATUS flt_instance_setup(PFLT_INSTANCE inst, FLT_INSTANCE_SETUP_FLAGS flags)
{
	PFLT_INSTANCE_SETUP_CALLBACK setup = inst->filter->reg.InstanceSetupCallback;
	FLT_RELATED_OBJECTS objs;
	struct flt_callback frame;
	NTSTATUS status;

	if (!setup)
		return STATUS_SUCCESS;
	flt_instance_related(inst, NULL, &objs);
	flt_callback_enter(&frame, inst->filter, inst, NULL, NULL, FLT_CALLBACK_INSTANCE_SETUP);
	status = setup(&objs, flags, inst->volume->device_type, inst->volume->fs_type);
	flt_callback_leave(&frame);
	return NT_SUCCESS(status) ? STATUS_SUCCESS : status;
}

NTSTATUS flt_instance_attach(PFLT_FILTER filter, PFLT_VOLUME volume, PCUNICODE_STRING altitude,
			     PCUNICODE_STRING name, FLT_INSTANCE_SETUP_FLAGS flags,
			     PFLT_INSTANCE *out)
{
	struct flt_altitude parsed;
	PFLT_INSTANCE inst;
	NTSTATUS status;

	if (!flt_altitude_parse(altitude, &parsed) || !name || !name->Length)
		return STATUS_INVALID_PARAMETER;
	inst = flt_instance_new(filter, volume, altitude, name);
	if (!inst)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_lock(&flt_topology_lock);
	status = flt_instance_admit_locked(inst);
	pthread_mutex_unlock(&flt_topology_lock);
	if (!NT_SUCCESS(status))
		goto out;
	status = flt_instance_setup(inst, flags);
	if (NT_SUCCESS(status)) {
		pthread_mutex_lock(&flt_topology_lock);
		inst->setup_done = TRUE;
		status = flt_volume_republish(volume);
		pthread_mutex_unlock(&flt_topology_lock);
	}
	if (!NT_SUCCESS(status)) {
		flt_instance_unlink(inst);
		goto out;
	}
	if (out) {
		flt_object_acquire(&inst->obj);
		*out = inst;
	}
	return STATUS_SUCCESS;
out:
	flt_instance_put(inst);
	return status;
}

static const struct flt_loader_instance *flt_config_instance(PFLT_FILTER f, PCUNICODE_STRING name)
{
	const struct flt_loader_record *r = f->config;
	UNICODE_STRING want, have;

	if (!r->instance_count)
		return NULL;
	if (!name && !r->default_instance)
		return &r->instances[0];
	if (name)
		want = *name;
	else
		flt_string_init(&want, r->default_instance);
	for (ULONG i = 0; i < r->instance_count; i++) {
		flt_string_init(&have, r->instances[i].name);
		if (flt_string_equal(&have, &want, TRUE))
			return &r->instances[i];
	}
	return NULL;
}

void flt_instance_auto_attach(PFLT_FILTER filter, PFLT_VOLUME volume, FLT_INSTANCE_SETUP_FLAGS flags)
{
	const struct flt_loader_instance *c = flt_config_instance(filter, NULL);
	UNICODE_STRING name, altitude;

	if (!c || (c->flags & FLT_LOADER_NO_AUTOMATIC_ATTACH))
		return;
	flt_string_init(&name, c->name);
	flt_string_init(&altitude, c->altitude);
	flt_instance_attach(filter, volume, &altitude, &name, flags, NULL);
}

NTSTATUS FLTAPI FltAttachVolume(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				PCUNICODE_STRING InstanceName, PFLT_INSTANCE *RetInstance)
{
	const struct flt_loader_instance *c;
	UNICODE_STRING name, altitude;

	if (!Filter || !Volume)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltAttachVolume"))
		return STATUS_UNSUCCESSFUL;
	c = flt_config_instance(Filter, InstanceName);
	if (!c)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	flt_string_init(&name, c->name);
	flt_string_init(&altitude, c->altitude);
	return flt_instance_attach(Filter, Volume, &altitude, &name,
				   FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT, RetInstance);
}

NTSTATUS FLTAPI FltAttachVolumeAtAltitude(PFLT_FILTER Filter, PFLT_VOLUME Volume,
					  PCUNICODE_STRING Altitude, PCUNICODE_STRING InstanceName,
					  PFLT_INSTANCE *RetInstance)
{
	WCHAR buf[128];
	UNICODE_STRING generated = { 0, sizeof(buf), buf };
	USHORT n = 0;

	if (!Filter || !Volume || !Altitude)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltAttachVolumeAtAltitude"))
		return STATUS_UNSUCCESSFUL;
	if (!InstanceName) {
		/* "<filter> <altitude>", truncated to the buffer */
		for (USHORT i = 0; i < Filter->name.Length / 2 && n < 63; i++)
			buf[n++] = Filter->name.Buffer[i];
		buf[n++] = L' ';
		for (USHORT i = 0; i < Altitude->Length / 2 && n < 127; i++)
			buf[n++] = Altitude->Buffer[i];
		generated.Length = (USHORT)(n * sizeof(WCHAR));
		InstanceName = &generated;
	}
	return flt_instance_attach(Filter, Volume, Altitude, InstanceName,
				   FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT, RetInstance);
}

/*
 * Waits until the instance owes nothing, draining post callbacks as they
 * appear.  The I/O path publishes an expected post callback with a plain
 * release store and only then looks at the tearing flag, so a slot
 * published concurrently with the start of teardown may be seen neither by
 * the kick nor by the first walk: the periodic re-walk covers that window
 * without a full barrier per filter per operation.
 */
#define FLT_DRAIN_REWALK_MS 5

static void flt_instance_drain_wait(PFLT_INSTANCE inst)
{
	for (;;) {
		long kicks = atomic_load(&flt_kicks);

		flt_op_drain_instance(inst);
		flt_wait_lock();
		if (atomic_load(&inst->active) == 0) {
			flt_wait_unlock();
			return;
		}
		if (atomic_load(&flt_kicks) == kicks)
			flt_wait_timed(FLT_DRAIN_REWALK_MS);
		flt_wait_unlock();
	}
}

/* Marks the instance torn down; FALSE if another thread already does it. */
static BOOLEAN flt_instance_begin_teardown(PFLT_INSTANCE inst)
{
	BOOLEAN mine;

	pthread_mutex_lock(&flt_topology_lock);
	mine = !atomic_exchange(&inst->tearing, 1);
	if (mine)
		flt_volume_republish(inst->volume);
	pthread_mutex_unlock(&flt_topology_lock);
	return mine;
}

static BOOLEAN flt_instance_linked(PFLT_INSTANCE inst)
{
	BOOLEAN linked;

	pthread_mutex_lock(&flt_topology_lock);
	linked = inst->volume_link.Flink != NULL;
	pthread_mutex_unlock(&flt_topology_lock);
	return linked;
}

void flt_instance_teardown(PFLT_INSTANCE inst, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
	const FLT_REGISTRATION *reg = &inst->filter->reg;
	FLT_RELATED_OBJECTS objs;
	struct flt_callback frame;

	if (!flt_instance_begin_teardown(inst)) {
		flt_wait_lock();
		while (flt_instance_linked(inst))
			flt_wait();
		flt_wait_unlock();
		return;
	}
	flt_watch_mark(&inst->teardown_since);
	flt_instance_related(inst, NULL, &objs);
	flt_callback_enter(&frame, inst->filter, inst, NULL, NULL, FLT_CALLBACK_TEARDOWN_START);
	if (reg->InstanceTeardownStartCallback)
		reg->InstanceTeardownStartCallback(&objs, reason);
	flt_callback_leave(&frame);
	flt_instance_drain_wait(inst);
	flt_object_run_down(&inst->obj);
	flt_callback_enter(&frame, inst->filter, inst, NULL, NULL, FLT_CALLBACK_TEARDOWN_COMPLETE);
	if (reg->InstanceTeardownCompleteCallback)
		reg->InstanceTeardownCompleteCallback(&objs, reason);
	flt_callback_leave(&frame);
	pthread_mutex_lock(&flt_topology_lock);
	RemoveEntryList(&inst->volume_link);
	RemoveEntryList(&inst->filter_link);
	inst->volume_link.Flink = NULL;
	pthread_mutex_unlock(&flt_topology_lock);
	flt_context_instance_gone(inst);
	flt_instance_put(inst);
	flt_wake_all();
}

/*
 * The instance of `filter` on `volume` named `name` (the highest one when
 * `name` is NULL, as FltDetachVolume documents), with a memory reference;
 * STATUS_FLT_DELETING_OBJECT when the match is being torn down.
 */
static NTSTATUS flt_instance_lookup(PFLT_FILTER filter, PFLT_VOLUME volume,
				    PCUNICODE_STRING name, PFLT_INSTANCE *found)
{
	NTSTATUS status = STATUS_FLT_INSTANCE_NOT_FOUND;

	*found = NULL;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = volume->instances.Flink; e != &volume->instances; e = e->Flink) {
		PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (inst->filter != filter || !inst->setup_done)
			continue;
		if (name && !flt_string_equal(&inst->name, name, TRUE))
			continue;
		if (atomic_load(&inst->tearing)) {
			status = STATUS_FLT_DELETING_OBJECT;
			continue;
		}
		*found = inst;
		atomic_fetch_add(&inst->refs, 1);
		status = STATUS_SUCCESS;
		break;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return status;
}

NTSTATUS FLTAPI FltDetachVolume(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				PCUNICODE_STRING InstanceName)
{
	PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK query;
	FLT_RELATED_OBJECTS objs;
	PFLT_INSTANCE inst;
	NTSTATUS status;

	if (!Filter || !Volume)
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "FltDetachVolume"))
		return STATUS_UNSUCCESSFUL;
	status = flt_instance_lookup(Filter, Volume, InstanceName, &inst);
	if (!NT_SUCCESS(status))
		return status;
	/* Without InstanceQueryTeardown an instance cannot be detached manually. */
	query = Filter->reg.InstanceQueryTeardownCallback;
	status = STATUS_FLT_DO_NOT_DETACH;
	if (query) {
		struct flt_callback frame;

		flt_instance_related(inst, NULL, &objs);
		flt_callback_enter(&frame, Filter, inst, NULL, NULL, FLT_CALLBACK_QUERY_TEARDOWN);
		status = query(&objs, 0);
		flt_callback_leave(&frame);
	}
	if (NT_SUCCESS(status)) {
		flt_instance_teardown(inst, FLTFL_INSTANCE_TEARDOWN_MANUAL);
		status = STATUS_SUCCESS;
	}
	flt_instance_put(inst);
	return status;
}
