/*
 * Filters, volumes and instances: registration and unload, attaching and
 * detaching instances at altitudes, enumeration, references and the
 * information routines.
 *
 * Altitudes are decimal strings with an optional fraction ("385100",
 * "370030.5"), compared as numbers; a higher altitude sees operations first.
 */
#ifndef ALTITUDE_FLT_OBJECTS_H
#define ALTITUDE_FLT_OBJECTS_H

#include <flt/types.h>
#include <flt/registration.h>

NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *Registration,
				  PFLT_FILTER *RetFilter);
NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER Filter);
VOID FLTAPI FltUnregisterFilter(PFLT_FILTER Filter);
/* Non-mandatory unload by service name (what `fltmc unload` does). */
NTSTATUS FLTAPI FltUnloadFilter(PCUNICODE_STRING FilterName);

NTSTATUS FLTAPI FltGetFilterFromName(PCUNICODE_STRING FilterName, PFLT_FILTER *RetFilter);
NTSTATUS FLTAPI FltEnumerateFilters(PFLT_FILTER *FilterList, ULONG FilterListSize,
				    PULONG NumberFiltersReturned);

/* Rundown references on a filter, volume or instance. */
NTSTATUS FLTAPI FltObjectReference(PVOID FltObject);
VOID FLTAPI FltObjectDereference(PVOID FltObject);

NTSTATUS FLTAPI FltAttachVolume(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				PCUNICODE_STRING InstanceName, PFLT_INSTANCE *RetInstance);
NTSTATUS FLTAPI FltAttachVolumeAtAltitude(PFLT_FILTER Filter, PFLT_VOLUME Volume,
					  PCUNICODE_STRING Altitude, PCUNICODE_STRING InstanceName,
					  PFLT_INSTANCE *RetInstance);
NTSTATUS FLTAPI FltDetachVolume(PFLT_FILTER Filter, PFLT_VOLUME Volume,
				PCUNICODE_STRING InstanceName);

/* > 0 when Instance1 is above Instance2, < 0 below, 0 at the same altitude. */
LONG FLTAPI FltCompareInstanceAltitudes(PFLT_INSTANCE Instance1, PFLT_INSTANCE Instance2);

NTSTATUS FLTAPI FltEnumerateVolumes(PFLT_FILTER Filter, PFLT_VOLUME *VolumeList,
				    ULONG VolumeListSize, PULONG NumberVolumesReturned);
NTSTATUS FLTAPI FltEnumerateInstances(PFLT_VOLUME Volume, PFLT_FILTER Filter,
				      PFLT_INSTANCE *InstanceList, ULONG InstanceListSize,
				      PULONG NumberInstancesReturned);

NTSTATUS FLTAPI FltGetVolumeFromInstance(PFLT_INSTANCE Instance, PFLT_VOLUME *RetVolume);
NTSTATUS FLTAPI FltGetFilterFromInstance(PFLT_INSTANCE Instance, PFLT_FILTER *RetFilter);
NTSTATUS FLTAPI FltGetVolumeFromName(PFLT_FILTER Filter, PCUNICODE_STRING VolumeName,
				     PFLT_VOLUME *RetVolume);
NTSTATUS FLTAPI FltGetVolumeName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeName,
				 PULONG BufferSizeNeeded);
NTSTATUS FLTAPI FltGetVolumeInstanceFromName(PFLT_FILTER Filter, PFLT_VOLUME Volume,
					     PCUNICODE_STRING InstanceName,
					     PFLT_INSTANCE *RetInstance);

NTSTATUS FLTAPI FltGetTopInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance);
NTSTATUS FLTAPI FltGetBottomInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance);
NTSTATUS FLTAPI FltGetUpperInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *UpperInstance);
NTSTATUS FLTAPI FltGetLowerInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *LowerInstance);

typedef struct _FLT_VOLUME_PROPERTIES {
	DEVICE_TYPE DeviceType;
	ULONG DeviceCharacteristics;
	ULONG DeviceObjectFlags;
	ULONG AlignmentRequirement;
	USHORT SectorSize;
	USHORT Flags;
	UNICODE_STRING FileSystemDriverName;
	UNICODE_STRING FileSystemDeviceName;
	UNICODE_STRING RealDeviceName;
} FLT_VOLUME_PROPERTIES, *PFLT_VOLUME_PROPERTIES;

#define FLT_VOLUME_PROPERTIES_FLAG_SUPPORTS_ATTRIBUTES 0x0001

NTSTATUS FLTAPI FltGetVolumeProperties(PFLT_VOLUME Volume, PFLT_VOLUME_PROPERTIES VolumeProperties,
				       ULONG VolumePropertiesLength, PULONG LengthReturned);

/*
 * Basic, partial and full information; the names follow the fixed part
 * in the caller's buffer.  Too small for the fixed part:
 * STATUS_BUFFER_TOO_SMALL; for the names: STATUS_BUFFER_OVERFLOW with the
 * fixed part filled.  *BytesReturned is the size needed in both cases.
 */
NTSTATUS FLTAPI FltGetInstanceInformation(PFLT_INSTANCE Instance,
					  INSTANCE_INFORMATION_CLASS InformationClass,
					  PVOID Buffer, ULONG BufferSize, PULONG BytesReturned);

/*
 * One entry of the class (NextEntryOffset 0).  A buffer smaller than the
 * entry: STATUS_BUFFER_TOO_SMALL with *BytesReturned the size it needs,
 * nothing written.  Every filter is a minifilter in frame 0; the altitude
 * is its default instance's ("" without instances configured).
 */
NTSTATUS FLTAPI FltGetFilterInformation(PFLT_FILTER Filter, FILTER_INFORMATION_CLASS InformationClass,
					PVOID Buffer, ULONG BufferSize, PULONG BytesReturned);
NTSTATUS FLTAPI FltGetVolumeInformation(PFLT_VOLUME Volume,
					FILTER_VOLUME_INFORMATION_CLASS InformationClass,
					PVOID Buffer, ULONG BufferSize, PULONG BytesReturned);

#endif /* ALTITUDE_FLT_OBJECTS_H */
