/*
 * Instance queries: enumeration, the stack order on a volume
 * (FltGetTop/Bottom/Upper/LowerInstance), lookups and
 * FltGetInstanceInformation.  Every returned object carries a rundown
 * reference the caller drops with FltObjectDereference.
 */
#include "flt/flt.h"

static BOOLEAN flt_instance_visible(PFLT_INSTANCE inst)
{
	return inst->setup_done && !atomic_load(&inst->tearing);
}

static BOOLEAN flt_instance_matches(PFLT_INSTANCE inst, PFLT_VOLUME volume, PFLT_FILTER filter)
{
	return flt_instance_visible(inst) && (!volume || inst->volume == volume) &&
	       (!filter || inst->filter == filter);
}

NTSTATUS FLTAPI FltEnumerateInstances(PFLT_VOLUME Volume, PFLT_FILTER Filter,
				      PFLT_INSTANCE *InstanceList, ULONG InstanceListSize,
				      PULONG NumberInstancesReturned)
{
	ULONG n = 0, pass;
	NTSTATUS status = STATUS_SUCCESS;

	if (!NumberInstancesReturned)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	/* pass 0 counts, pass 1 fills */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && (!InstanceList || InstanceListSize < n)) {
			status = STATUS_BUFFER_TOO_SMALL;
			break;
		}
		n = 0;
		for (PLIST_ENTRY v = flt_volumes.Flink; v != &flt_volumes; v = v->Flink) {
			PFLT_VOLUME vol = CONTAINING_RECORD(v, struct _FLT_VOLUME, link);

			for (PLIST_ENTRY e = vol->instances.Flink; e != &vol->instances; e = e->Flink) {
				PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

				if (!flt_instance_matches(inst, Volume, Filter))
					continue;
				if (pass == 0)
					n++;
				else if (flt_object_acquire(&inst->obj))
					InstanceList[n++] = inst;
			}
		}
	}
	pthread_mutex_unlock(&flt_topology_lock);
	*NumberInstancesReturned = n;
	return status;
}

NTSTATUS FLTAPI FltGetVolumeFromInstance(PFLT_INSTANCE Instance, PFLT_VOLUME *RetVolume)
{
	if (!Instance || !RetVolume)
		return STATUS_INVALID_PARAMETER;
	if (!flt_object_acquire(&Instance->volume->obj))
		return STATUS_FLT_DELETING_OBJECT;
	*RetVolume = Instance->volume;
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetFilterFromInstance(PFLT_INSTANCE Instance, PFLT_FILTER *RetFilter)
{
	if (!Instance || !RetFilter)
		return STATUS_INVALID_PARAMETER;
	if (!flt_object_acquire(&Instance->filter->obj))
		return STATUS_FLT_DELETING_OBJECT;
	*RetFilter = Instance->filter;
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetVolumeInstanceFromName(PFLT_FILTER Filter, PFLT_VOLUME Volume,
					     PCUNICODE_STRING InstanceName,
					     PFLT_INSTANCE *RetInstance)
{
	NTSTATUS status = STATUS_FLT_INSTANCE_NOT_FOUND;

	if (!Volume || !RetInstance)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = Volume->instances.Flink; e != &Volume->instances; e = e->Flink) {
		PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (!flt_instance_matches(inst, Volume, Filter))
			continue;
		if (InstanceName && !flt_string_equal(&inst->name, InstanceName, TRUE))
			continue;
		if (!flt_object_acquire(&inst->obj)) {
			status = STATUS_FLT_DELETING_OBJECT;
			continue;
		}
		*RetInstance = inst;
		status = STATUS_SUCCESS;
		break;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return status;
}

/* Walks from `from` (exclusive) in direction `down` to the next visible instance. */
static NTSTATUS flt_instance_step(PLIST_ENTRY head, PLIST_ENTRY from, BOOLEAN down,
				  PFLT_INSTANCE *out)
{
	NTSTATUS status = STATUS_NO_MORE_ENTRIES;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = down ? from->Flink : from->Blink; e != head;
	     e = down ? e->Flink : e->Blink) {
		PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

		if (flt_instance_visible(inst) && flt_object_acquire(&inst->obj)) {
			*out = inst;
			status = STATUS_SUCCESS;
			break;
		}
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return status;
}

NTSTATUS FLTAPI FltGetTopInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance)
{
	if (!Volume)
		return STATUS_INVALID_PARAMETER;
	return flt_instance_step(&Volume->instances, &Volume->instances, TRUE, Instance);
}

NTSTATUS FLTAPI FltGetBottomInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance)
{
	if (!Volume)
		return STATUS_INVALID_PARAMETER;
	return flt_instance_step(&Volume->instances, &Volume->instances, FALSE, Instance);
}

NTSTATUS FLTAPI FltGetLowerInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *LowerInstance)
{
	if (!CurrentInstance)
		return STATUS_INVALID_PARAMETER;
	return flt_instance_step(&CurrentInstance->volume->instances, &CurrentInstance->volume_link,
				 TRUE, LowerInstance);
}

NTSTATUS FLTAPI FltGetUpperInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *UpperInstance)
{
	if (!CurrentInstance)
		return STATUS_INVALID_PARAMETER;
	return flt_instance_step(&CurrentInstance->volume->instances, &CurrentInstance->volume_link,
				 FALSE, UpperInstance);
}

/* Copies `s` after the fixed part; sets its length and offset fields. */
static void flt_info_name(PUCHAR base, ULONG *cursor, const UNICODE_STRING *s, USHORT *length,
			  USHORT *offset)
{
	*length = s->Length;
	*offset = (USHORT)*cursor;
	memcpy(base + *cursor, s->Buffer, s->Length);
	*cursor += s->Length;
}

NTSTATUS FLTAPI FltGetInstanceInformation(PFLT_INSTANCE Instance,
					  INSTANCE_INFORMATION_CLASS InformationClass,
					  PVOID Buffer, ULONG BufferSize, PULONG BytesReturned)
{
	ULONG fixed, need, cursor;
	PUCHAR base = Buffer;

	if (!Instance || !BytesReturned)
		return STATUS_INVALID_PARAMETER;
	switch (InformationClass) {
	case InstanceBasicInformation:
		fixed = sizeof(INSTANCE_BASIC_INFORMATION);
		need = fixed + Instance->name.Length;
		break;
	case InstancePartialInformation:
		fixed = sizeof(INSTANCE_PARTIAL_INFORMATION);
		need = fixed + Instance->name.Length + Instance->altitude_text.Length;
		break;
	case InstanceFullInformation:
		fixed = sizeof(INSTANCE_FULL_INFORMATION);
		need = fixed + Instance->name.Length + Instance->altitude_text.Length +
		       Instance->volume->name.Length + Instance->filter->name.Length;
		break;
	default:
		return STATUS_INVALID_PARAMETER;
	}
	*BytesReturned = need;
	if (!Buffer || BufferSize < fixed)
		return STATUS_BUFFER_TOO_SMALL;
	memset(Buffer, 0, fixed);
	if (BufferSize < need)
		return STATUS_BUFFER_OVERFLOW;
	cursor = fixed;
	/* The three classes share their leading fields. */
	{
		PINSTANCE_FULL_INFORMATION full = Buffer;

		flt_info_name(base, &cursor, &Instance->name, &full->InstanceNameLength,
			      &full->InstanceNameBufferOffset);
		if (InformationClass == InstanceBasicInformation)
			return STATUS_SUCCESS;
		flt_info_name(base, &cursor, &Instance->altitude_text, &full->AltitudeLength,
			      &full->AltitudeBufferOffset);
		if (InformationClass == InstancePartialInformation)
			return STATUS_SUCCESS;
		flt_info_name(base, &cursor, &Instance->volume->name, &full->VolumeNameLength,
			      &full->VolumeNameBufferOffset);
		flt_info_name(base, &cursor, &Instance->filter->name, &full->FilterNameLength,
			      &full->FilterNameBufferOffset);
	}
	return STATUS_SUCCESS;
}
