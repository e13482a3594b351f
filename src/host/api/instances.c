/*
 * Instances for fltmgrd: listing (altitude_host_instances) and manual
 * attach/detach by names (FltAttachVolume, FltAttachVolumeAtAltitude,
 * FltDetachVolume with the filter and volume looked up by name).
 */
#include "flt/flt.h"
#include "host/registry/store.h"
#include <altitude/host.h>

static void host_copy_name(char *out, size_t size, const UNICODE_STRING *s)
{
	char *utf8 = s->Length ? reg_utf16_to_utf8(s->Buffer, s->Length / sizeof(WCHAR)) : NULL;

	g_strlcpy(out, utf8 ? utf8 : "", size);
	g_free(utf8);
}

static void host_instance_info(PFLT_INSTANCE inst, altitude_host_instance_info *info)
{
	memset(info, 0, sizeof(*info));
	host_copy_name(info->filter, sizeof(info->filter), &inst->filter->name);
	host_copy_name(info->volume, sizeof(info->volume), &inst->volume->name);
	host_copy_name(info->instance, sizeof(info->instance), &inst->name);
	host_copy_name(info->altitude, sizeof(info->altitude), &inst->altitude_text);
}

ULONG altitude_host_instances(altitude_host_instance_info *infos, ULONG capacity)
{
	ULONG count = 0;

	if (!infos)
		capacity = 0;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY v = flt_volumes.Flink; v != &flt_volumes; v = v->Flink) {
		PFLT_VOLUME volume = CONTAINING_RECORD(v, struct _FLT_VOLUME, link);

		for (PLIST_ENTRY e = volume->instances.Flink; e != &volume->instances; e = e->Flink) {
			PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);

			if (count < capacity)
				host_instance_info(inst, &infos[count]);
			count++;
		}
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return count;
}

/* A counted UTF-16 copy of a UTF-8 name (g_free the buffer); NULL text gives an empty string. */
static NTSTATUS host_unicode(const char *text, UNICODE_STRING *out)
{
	size_t chars = 0;

	out->Buffer = NULL;
	out->Length = out->MaximumLength = 0;
	if (!text || !text[0])
		return STATUS_SUCCESS;
	out->Buffer = reg_utf8_to_utf16(text, &chars);
	if (!out->Buffer || chars > 32767)
		return STATUS_OBJECT_NAME_INVALID;
	out->Length = (USHORT)(chars * sizeof(WCHAR));
	out->MaximumLength = out->Length;
	return STATUS_SUCCESS;
}

struct host_names {
	UNICODE_STRING filter, volume, instance, altitude;
	PFLT_FILTER f;
	PFLT_VOLUME v;
};

static NTSTATUS host_names_open(struct host_names *n, const char *filter, const char *volume,
				const char *instance, const char *altitude)
{
	NTSTATUS s;

	memset(n, 0, sizeof(*n));
	if (!filter || !filter[0] || !volume || !volume[0])
		return STATUS_INVALID_PARAMETER;
	s = host_unicode(filter, &n->filter);
	if (NT_SUCCESS(s))
		s = host_unicode(volume, &n->volume);
	if (NT_SUCCESS(s))
		s = host_unicode(instance, &n->instance);
	if (NT_SUCCESS(s))
		s = host_unicode(altitude, &n->altitude);
	if (NT_SUCCESS(s))
		s = FltGetFilterFromName(&n->filter, &n->f);
	if (NT_SUCCESS(s))
		s = FltGetVolumeFromName(n->f, &n->volume, &n->v);
	return s;
}

static void host_names_close(struct host_names *n)
{
	if (n->v)
		FltObjectDereference(n->v);
	if (n->f)
		FltObjectDereference(n->f);
	g_free(n->filter.Buffer);
	g_free(n->volume.Buffer);
	g_free(n->instance.Buffer);
	g_free(n->altitude.Buffer);
}

NTSTATUS altitude_host_attach(const char *filter, const char *volume, const char *altitude,
			      const char *instance)
{
	return altitude_host_attach_named(filter, volume, altitude, instance, NULL, 0);
}

NTSTATUS altitude_host_attach_named(const char *filter, const char *volume, const char *altitude,
				    const char *instance, char *created, size_t size)
{
	struct host_names n;
	PFLT_INSTANCE inst = NULL;
	NTSTATUS s = host_names_open(&n, filter, volume, instance, altitude);

	if (!NT_SUCCESS(s))
		goto out;
	if (n.altitude.Length)
		s = FltAttachVolumeAtAltitude(n.f, n.v, &n.altitude,
					      n.instance.Length ? &n.instance : NULL, &inst);
	else
		s = FltAttachVolume(n.f, n.v, n.instance.Length ? &n.instance : NULL, &inst);
	if (inst && created)
		host_copy_name(created, size, &inst->name);
	if (inst)
		FltObjectDereference(inst);
out:
	host_names_close(&n);
	return s;
}

NTSTATUS altitude_host_detach(const char *filter, const char *volume, const char *instance)
{
	struct host_names n;
	NTSTATUS s = host_names_open(&n, filter, volume, instance, NULL);

	if (NT_SUCCESS(s))
		s = FltDetachVolume(n.f, n.v, n.instance.Length ? &n.instance : NULL);
	host_names_close(&n);
	return s;
}
