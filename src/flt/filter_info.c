/*
 * FltGetFilterInformation and FltGetVolumeInformation: the documented
 * structures (one entry, NextEntryOffset 0), names after the fixed part or
 * in the trailing WCHAR array.  Every filter is a minifilter in the one
 * frame (0); a volume is never detached.  A buffer too small for the
 * whole entry gets STATUS_BUFFER_TOO_SMALL and the size it needs, and is
 * not written.
 */
#include "flt/flt.h"
#include "flt/loader.h"

/* The default instance's altitude from the filter's configuration ("" if none). */
static void flt_filter_altitude(PFLT_FILTER filter, UNICODE_STRING *out)
{
	const struct flt_loader_record *r = filter->config;
	const WCHAR *altitude = NULL;

	if (r && r->instance_count) {
		altitude = r->instances[0].altitude;
		for (ULONG i = 0; r->default_instance && i < r->instance_count; i++) {
			UNICODE_STRING a, b;

			RtlInitUnicodeString(&a, r->instances[i].name);
			RtlInitUnicodeString(&b, r->default_instance);
			if (RtlEqualUnicodeString(&a, &b, TRUE))
				altitude = r->instances[i].altitude;
		}
	}
	RtlInitUnicodeString(out, altitude);
}

static ULONG flt_filter_instance_count(PFLT_FILTER filter)
{
	ULONG n = 0;

	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = filter->instances.Flink; e != &filter->instances; e = e->Flink)
		n++;
	pthread_mutex_unlock(&flt_topology_lock);
	return n;
}

static void flt_put_name(PUCHAR base, ULONG *cursor, PCUNICODE_STRING s, USHORT *length,
			 USHORT *offset)
{
	*length = s->Length;
	*offset = (USHORT)*cursor;
	RtlCopyMemory(base + *cursor, s->Buffer, s->Length);
	*cursor += s->Length;
}

/* The aggregate classes: basic and standard differ in the fixed part only. */
static void flt_filter_aggregate(PFLT_FILTER filter, FILTER_INFORMATION_CLASS cls, PUCHAR base,
				 ULONG fixed, ULONG instances, PCUNICODE_STRING altitude)
{
	ULONG cursor = fixed;

	if (cls == FilterAggregateBasicInformation) {
		PFILTER_AGGREGATE_BASIC_INFORMATION b = (PVOID)base;

		b->Flags = FLTFL_AGGREGATE_INFO_IS_MINIFILTER;
		b->Type.MiniFilter.NumberOfInstances = instances;
		flt_put_name(base, &cursor, &filter->name, &b->Type.MiniFilter.FilterNameLength,
			     &b->Type.MiniFilter.FilterNameBufferOffset);
		flt_put_name(base, &cursor, altitude, &b->Type.MiniFilter.FilterAltitudeLength,
			     &b->Type.MiniFilter.FilterAltitudeBufferOffset);
		return;
	}
	{
		PFILTER_AGGREGATE_STANDARD_INFORMATION s = (PVOID)base;

		s->Flags = FLTFL_ASI_IS_MINIFILTER;
		s->Type.MiniFilter.NumberOfInstances = instances;
		flt_put_name(base, &cursor, &filter->name, &s->Type.MiniFilter.FilterNameLength,
			     &s->Type.MiniFilter.FilterNameBufferOffset);
		flt_put_name(base, &cursor, altitude, &s->Type.MiniFilter.FilterAltitudeLength,
			     &s->Type.MiniFilter.FilterAltitudeBufferOffset);
	}
}

NTSTATUS FLTAPI FltGetFilterInformation(PFLT_FILTER Filter, FILTER_INFORMATION_CLASS InformationClass,
					PVOID Buffer, ULONG BufferSize, PULONG BytesReturned)
{
	UNICODE_STRING altitude;
	ULONG fixed, need, instances;

	if (!Filter || !BytesReturned)
		return STATUS_INVALID_PARAMETER;
	flt_filter_altitude(Filter, &altitude);
	switch (InformationClass) {
	case FilterFullInformation:
		fixed = FIELD_OFFSET(FILTER_FULL_INFORMATION, FilterNameBuffer);
		need = fixed + Filter->name.Length;
		break;
	case FilterAggregateBasicInformation:
		fixed = sizeof(FILTER_AGGREGATE_BASIC_INFORMATION);
		need = fixed + Filter->name.Length + altitude.Length;
		break;
	case FilterAggregateStandardInformation:
		fixed = sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION);
		need = fixed + Filter->name.Length + altitude.Length;
		break;
	default:
		return STATUS_INVALID_PARAMETER;
	}
	*BytesReturned = need;
	if (!Buffer || BufferSize < need)
		return STATUS_BUFFER_TOO_SMALL;
	instances = flt_filter_instance_count(Filter);
	RtlZeroMemory(Buffer, fixed);
	if (InformationClass == FilterFullInformation) {
		PFILTER_FULL_INFORMATION f = Buffer;

		f->NumberOfInstances = instances;
		f->FilterNameLength = Filter->name.Length;
		RtlCopyMemory(f->FilterNameBuffer, Filter->name.Buffer, Filter->name.Length);
		return STATUS_SUCCESS;
	}
	flt_filter_aggregate(Filter, InformationClass, Buffer, fixed, instances, &altitude);
	return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetVolumeInformation(PFLT_VOLUME Volume,
					FILTER_VOLUME_INFORMATION_CLASS InformationClass,
					PVOID Buffer, ULONG BufferSize, PULONG BytesReturned)
{
	ULONG fixed;

	if (!Volume || !BytesReturned)
		return STATUS_INVALID_PARAMETER;
	if (InformationClass == FilterVolumeBasicInformation)
		fixed = FIELD_OFFSET(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName);
	else if (InformationClass == FilterVolumeStandardInformation)
		fixed = FIELD_OFFSET(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName);
	else
		return STATUS_INVALID_PARAMETER;
	*BytesReturned = fixed + Volume->name.Length;
	if (!Buffer || BufferSize < *BytesReturned)
		return STATUS_BUFFER_TOO_SMALL;
	RtlZeroMemory(Buffer, fixed);
	if (InformationClass == FilterVolumeBasicInformation) {
		PFILTER_VOLUME_BASIC_INFORMATION b = Buffer;

		b->FilterVolumeNameLength = Volume->name.Length;
		RtlCopyMemory(b->FilterVolumeName, Volume->name.Buffer, Volume->name.Length);
		return STATUS_SUCCESS;
	}
	{
		PFILTER_VOLUME_STANDARD_INFORMATION s = Buffer;

		s->FileSystemType = Volume->fs_type;
		s->FilterVolumeNameLength = Volume->name.Length;
		RtlCopyMemory(s->FilterVolumeName, Volume->name.Buffer, Volume->name.Length);
	}
	return STATUS_SUCCESS;
}
