/*
 * Volumes: created by an I/O source over a lower file system, enumerated
 * and described to filters (FltGetVolumeName, FltGetVolumeProperties), and
 * the instance snapshot the I/O path walks.
 */

#include "flt/flt.h"

LIST_ENTRY flt_volumes = { &flt_volumes, &flt_volumes };

void flt_snapshot_put(struct flt_snapshot *snap)
{
	if (!snap || atomic_fetch_sub(&snap->refs, 1) != 1)
		return;
	for (ULONG i = 0; i < snap->count; i++)
		flt_instance_put(snap->inst[i]);
	flt_free(snap, FLT_TAG_SNAPSHOT);
}

NTSTATUS flt_volume_republish(PFLT_VOLUME volume)
{
	struct flt_snapshot *snap, *old;
	ULONG n = 0;

	for (PLIST_ENTRY e = volume->instances.Flink; e != &volume->instances; e = e->Flink)
		n++;
	snap = flt_alloc(sizeof(*snap) + n * sizeof(PFLT_INSTANCE), FLT_TAG_SNAPSHOT);
	if (!snap)
		return STATUS_INSUFFICIENT_RESOURCES;
	atomic_init(&snap->refs, 1);
	snap->count = 0;
	for (PLIST_ENTRY e = volume->instances.Flink; e != &volume->instances; e = e->Flink) {
		PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (atomic_load(&inst->tearing) || !inst->setup_done)
			continue;
		atomic_fetch_add(&inst->refs, 1);
		snap->inst[snap->count++] = inst;
	}
	pthread_mutex_lock(&volume->lock);
	old = volume->snap;
	volume->snap = snap;
	pthread_mutex_unlock(&volume->lock);
	flt_snapshot_put(old);
	return STATUS_SUCCESS;
}

static void flt_volume_free(PFLT_VOLUME v)
{
	while (v->free_ops) {
		struct flt_op *op = v->free_ops;

		v->free_ops = op->next_free;
		pthread_mutex_destroy(&op->sync_lock);
		pthread_cond_destroy(&op->sync_cv);
		flt_free(op, FLT_TAG_OPERATION);
	}
	flt_snapshot_put(v->snap);
	flt_name_cache_free(v);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->idle);
	flt_string_free(&v->name);
	flt_string_free(&v->fs_driver_name);
	flt_string_free(&v->fs_device_name);
	flt_string_free(&v->real_device_name);
	flt_free(v, FLT_TAG_VOLUME);
	flt_live_add(-1);
}

static PFLT_VOLUME flt_volume_find_locked(PCUNICODE_STRING name)
{
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink) {
		PFLT_VOLUME v = CONTAINING_RECORD(e, struct _FLT_VOLUME, link);

		if (flt_string_equal(&v->name, name, TRUE))
			return v;
	}
	return NULL;
}

static NTSTATUS flt_volume_strings(PFLT_VOLUME v, PCUNICODE_STRING name,
				   const struct flt_volume_config *c)
{
	NTSTATUS s = flt_string_dup(name, &v->name);

	if (NT_SUCCESS(s))
		s = flt_string_from_wsz(c->fs_driver_name ? c->fs_driver_name : L"\\FileSystem\\Altitude",
					&v->fs_driver_name);
	if (NT_SUCCESS(s))
		s = flt_string_from_wsz(c->fs_device_name ? c->fs_device_name : L"", &v->fs_device_name);
	if (NT_SUCCESS(s))
		s = flt_string_from_wsz(c->real_device_name ? c->real_device_name : L"",
					&v->real_device_name);
	return s;
}

/* Started filters, each with a rundown reference. */
static PFLT_FILTER *flt_filters_started(ULONG *count)
{
	PFLT_FILTER *list = NULL;
	ULONG n = 0;

	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink)
		n++;
	if (n)
		list = flt_alloc(n * sizeof(*list), FLT_TAG_TEMP);
	n = 0;
	for (PLIST_ENTRY e = flt_filters.Flink; list && e != &flt_filters; e = e->Flink) {
		PFLT_FILTER f = CONTAINING_RECORD(e, struct _FLT_FILTER, link);

		if (f->started && !f->unregistering && flt_object_acquire(&f->obj))
			list[n++] = f;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	*count = n;
	return list;
}

NTSTATUS flt_volume_create(PCUNICODE_STRING name, const struct flt_volume_config *config,
			   const struct flt_lower_ops *lower, void *ctx, PFLT_VOLUME *out)
{
	static const struct flt_volume_config defaults = { FILE_DEVICE_DISK_FILE_SYSTEM, 0, 512,
							   FLT_FSTYPE_UNKNOWN, NULL, NULL, NULL };
	PFLT_VOLUME v;
	PFLT_FILTER *filters;
	ULONG n;
	NTSTATUS status;

	if (!name || !name->Length || !lower || !lower->dispatch || !out)
		return STATUS_INVALID_PARAMETER;
	if (!config)
		config = &defaults;
	v = flt_alloc(sizeof(*v), FLT_TAG_VOLUME);
	if (!v)
		return STATUS_INSUFFICIENT_RESOURCES;
	flt_live_add(1);
	flt_object_init(&v->obj, FLT_KIND_VOLUME);
	InitializeListHead(&v->instances);
	InitializeListHead(&v->inflight);
	v->serial = flt_watch_serial();
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->idle, NULL);
	v->lower = lower;
	v->lower_ctx = ctx;
	v->device_type = config->device_type;
	v->characteristics = config->characteristics;
	v->sector_size = config->sector_size;
	v->fs_type = config->fs_type;
	status = flt_volume_strings(v, name, config);
	if (NT_SUCCESS(status))
		status = flt_volume_republish(v);
	if (!NT_SUCCESS(status))
		goto out;
	pthread_mutex_lock(&flt_topology_lock);
	if (flt_volume_find_locked(name))
		status = STATUS_FLT_VOLUME_ALREADY_MOUNTED;
	else
		InsertTailList(&flt_volumes, &v->link);
	pthread_mutex_unlock(&flt_topology_lock);
	if (!NT_SUCCESS(status))
		goto out;
	filters = flt_filters_started(&n);
	for (ULONG i = 0; i < n; i++) {
		flt_instance_auto_attach(filters[i], v,
					 FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT |
						 FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME);
		flt_object_release(&filters[i]->obj);
	}
	flt_free(filters, FLT_TAG_TEMP);
	*out = v;
	return STATUS_SUCCESS;
out:
	flt_volume_free(v);
	return status;
}

static PFLT_INSTANCE flt_volume_first_instance(PFLT_VOLUME v)
{
	PFLT_INSTANCE inst = NULL;

	pthread_mutex_lock(&flt_topology_lock);
	if (!IsListEmpty(&v->instances)) {
		inst = CONTAINING_RECORD(v->instances.Flink, struct _FLT_INSTANCE, volume_link);
		atomic_fetch_add(&inst->refs, 1);
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return inst;
}

void flt_volume_destroy(PFLT_VOLUME volume)
{
	PFLT_INSTANCE inst;

	if (!volume)
		return;
	pthread_mutex_lock(&flt_topology_lock);
	volume->dismounting = TRUE;
	pthread_mutex_unlock(&flt_topology_lock);
	while ((inst = flt_volume_first_instance(volume))) {
		flt_instance_teardown(inst, FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT);
		flt_instance_put(inst);
	}
	pthread_mutex_lock(&volume->lock);
	while (volume->inflight_count)
		pthread_cond_wait(&volume->idle, &volume->lock);
	pthread_mutex_unlock(&volume->lock);
	flt_object_run_down(&volume->obj);
	pthread_mutex_lock(&flt_topology_lock);
	RemoveEntryList(&volume->link);
	pthread_mutex_unlock(&flt_topology_lock);
	flt_volume_free(volume);
}

NTSTATUS FLTAPI FltEnumerateVolumes(PFLT_FILTER Filter, PFLT_VOLUME *VolumeList,
				    ULONG VolumeListSize, PULONG NumberVolumesReturned)
{
	ULONG n = 0;
	NTSTATUS status = STATUS_SUCCESS;

	if (!Filter || !NumberVolumesReturned)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink)
		n++;
	if (!VolumeList || VolumeListSize < n) {
		status = STATUS_BUFFER_TOO_SMALL;
		goto out;
	}
	n = 0;
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink) {
		PFLT_VOLUME v = CONTAINING_RECORD(e, struct _FLT_VOLUME, link);

		if (flt_object_acquire(&v->obj))
			VolumeList[n++] = v;
	}
out:
	pthread_mutex_unlock(&flt_topology_lock);
	*NumberVolumesReturned = n;
	return status;
}

NTSTATUS FLTAPI FltGetVolumeFromName(PFLT_FILTER Filter, PCUNICODE_STRING VolumeName,
				     PFLT_VOLUME *RetVolume)
{
	PFLT_VOLUME v;
	NTSTATUS status = STATUS_FLT_VOLUME_NOT_FOUND;

	if (!Filter || !VolumeName || !RetVolume)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	v = flt_volume_find_locked(VolumeName);
	if (v)
		status = flt_object_acquire(&v->obj) ? STATUS_SUCCESS : STATUS_FLT_DELETING_OBJECT;
	pthread_mutex_unlock(&flt_topology_lock);
	if (NT_SUCCESS(status))
		*RetVolume = v;
	return status;
}

NTSTATUS FLTAPI FltGetVolumeName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeName,
				 PULONG BufferSizeNeeded)
{
	if (!Volume || (!VolumeName && !BufferSizeNeeded))
		return STATUS_INVALID_PARAMETER;
	if (BufferSizeNeeded)
		*BufferSizeNeeded = Volume->name.Length;
	if (!VolumeName || VolumeName->MaximumLength < Volume->name.Length)
		return STATUS_BUFFER_TOO_SMALL;
	memcpy(VolumeName->Buffer, Volume->name.Buffer, Volume->name.Length);
	VolumeName->Length = Volume->name.Length;
	return STATUS_SUCCESS;
}

static void flt_props_string(UNICODE_STRING *dst, const UNICODE_STRING *src, PUCHAR *cursor)
{
	dst->Buffer = (PWCH)*cursor;
	dst->Length = dst->MaximumLength = src->Length;
	memcpy(*cursor, src->Buffer, src->Length);
	*cursor += src->Length;
}

NTSTATUS FLTAPI FltGetVolumeProperties(PFLT_VOLUME Volume, PFLT_VOLUME_PROPERTIES VolumeProperties,
				       ULONG VolumePropertiesLength, PULONG LengthReturned)
{
	ULONG need;
	PUCHAR cursor;

	if (!Volume || !LengthReturned || (VolumePropertiesLength && !VolumeProperties))
		return STATUS_INVALID_PARAMETER;
	need = (ULONG)sizeof(FLT_VOLUME_PROPERTIES) + Volume->fs_driver_name.Length +
	       Volume->fs_device_name.Length + Volume->real_device_name.Length;
	if (VolumePropertiesLength < sizeof(FLT_VOLUME_PROPERTIES)) {
		*LengthReturned = need;
		return STATUS_BUFFER_TOO_SMALL;
	}
	memset(VolumeProperties, 0, sizeof(*VolumeProperties));
	VolumeProperties->DeviceType = Volume->device_type;
	VolumeProperties->DeviceCharacteristics = Volume->characteristics;
	VolumeProperties->AlignmentRequirement = 0;
	VolumeProperties->SectorSize = Volume->sector_size;
	if (VolumePropertiesLength < need) {
		*LengthReturned = sizeof(FLT_VOLUME_PROPERTIES);
		return STATUS_BUFFER_OVERFLOW;
	}
	cursor = (PUCHAR)(VolumeProperties + 1);
	flt_props_string(&VolumeProperties->FileSystemDriverName, &Volume->fs_driver_name, &cursor);
	flt_props_string(&VolumeProperties->FileSystemDeviceName, &Volume->fs_device_name, &cursor);
	flt_props_string(&VolumeProperties->RealDeviceName, &Volume->real_device_name, &cursor);
	*LengthReturned = need;
	return STATUS_SUCCESS;
}
