/*
 * The documented information structures of the management API
 * (fltUserStructures.h), one entry per call: the fixed part, then the
 * names in UTF-16 without NUL, in the order the structure lists them.  A
 * name in a trailing WCHAR[1] array starts at that array (the entry needs
 * FIELD_OFFSET(array) + its length); a name with a *BufferOffset starts
 * after the whole structure, at an offset relative to the structure's
 * start.  NextEntryOffset is 0: each call returns a single entry.
 */
#include <stdlib.h>
#include <string.h>

#include "host/control/fltlib.h"

#define FLTLIB_INLINE ((size_t)-1)
#define FLTLIB_MAX_NAMES 4

struct fltlib_name {
	const char *utf8;
	size_t length_at; /* offset of the USHORT length */
	size_t offset_at; /* offset of the USHORT buffer offset, or FLTLIB_INLINE */
};

static void fltlib_put_ushort(void *buffer, size_t at, size_t value)
{
	USHORT v = (USHORT)value;

	memcpy((char *)buffer + at, &v, sizeof(v));
}

/*
 * Writes `fixed` (fixed_size bytes: for an inline name, up to where the
 * name starts) and the names into buffer.
 */
static HRESULT fltlib_pack(const void *fixed, size_t fixed_size, const struct fltlib_name *names,
			   size_t count, void *buffer, DWORD size, DWORD *returned)
{
	WCHAR *wide[FLTLIB_MAX_NAMES] = { NULL };
	size_t bytes[FLTLIB_MAX_NAMES], need = fixed_size, pos = fixed_size, chars;
	HRESULT hr = S_OK;

	for (size_t i = 0; i < count; i++) {
		wide[i] = fltlib_utf16(names[i].utf8, &chars);
		if (!wide[i]) {
			hr = HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
			goto out;
		}
		bytes[i] = chars * sizeof(WCHAR);
		need += bytes[i];
	}
	/* Lengths and offsets are USHORTs. */
	if (need > 0xFFFF) {
		hr = HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
		goto out;
	}
	*returned = (DWORD)need;
	if (size < need) {
		hr = HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
		goto out;
	}
	memcpy(buffer, fixed, fixed_size);
	for (size_t i = 0; i < count; i++) {
		fltlib_put_ushort(buffer, names[i].length_at, bytes[i]);
		if (names[i].offset_at != FLTLIB_INLINE)
			fltlib_put_ushort(buffer, names[i].offset_at, pos);
		memcpy((char *)buffer + pos, wide[i], bytes[i]);
		pos += bytes[i];
	}
out:
	for (size_t i = 0; i < count; i++)
		free(wide[i]);
	return hr;
}

#define FLTLIB_NAME(type, text, field) { (text), offsetof(type, field##Length), FLTLIB_INLINE }
#define FLTLIB_NAME_AT(type, text, field) \
	{ (text), offsetof(type, field##Length), offsetof(type, field##BufferOffset) }

static HRESULT fltlib_filter_full(const struct fltlib_filter *f, void *buffer, DWORD size,
				  DWORD *returned)
{
	FILTER_FULL_INFORMATION e = { .FrameID = f->frame, .NumberOfInstances = f->instances };
	const struct fltlib_name names[] = {
		FLTLIB_NAME(FILTER_FULL_INFORMATION, f->name, FilterName),
	};

	return fltlib_pack(&e, offsetof(FILTER_FULL_INFORMATION, FilterNameBuffer), names, 1,
			   buffer, size, returned);
}

static HRESULT fltlib_filter_basic(const struct fltlib_filter *f, void *buffer, DWORD size,
				   DWORD *returned)
{
	typedef FILTER_AGGREGATE_BASIC_INFORMATION T;
	T e = { .Flags = FLTFL_AGGREGATE_INFO_IS_MINIFILTER };
	const struct fltlib_name names[] = {
		FLTLIB_NAME_AT(T, f->name, Type.MiniFilter.FilterName),
		FLTLIB_NAME_AT(T, f->altitude, Type.MiniFilter.FilterAltitude),
	};

	e.Type.MiniFilter.FrameID = f->frame;
	e.Type.MiniFilter.NumberOfInstances = f->instances;
	return fltlib_pack(&e, sizeof(e), names, 2, buffer, size, returned);
}

static HRESULT fltlib_filter_standard(const struct fltlib_filter *f, void *buffer, DWORD size,
				      DWORD *returned)
{
	typedef FILTER_AGGREGATE_STANDARD_INFORMATION T;
	T e = { .Flags = FLTFL_ASI_IS_MINIFILTER };
	const struct fltlib_name names[] = {
		FLTLIB_NAME_AT(T, f->name, Type.MiniFilter.FilterName),
		FLTLIB_NAME_AT(T, f->altitude, Type.MiniFilter.FilterAltitude),
	};

	e.Type.MiniFilter.FrameID = f->frame;
	e.Type.MiniFilter.NumberOfInstances = f->instances;
	return fltlib_pack(&e, sizeof(e), names, 2, buffer, size, returned);
}

HRESULT fltlib_pack_filter(FILTER_INFORMATION_CLASS cls, const struct fltlib_filter *f,
			   void *buffer, DWORD size, DWORD *returned)
{
	*returned = 0;
	switch (cls) {
	case FilterFullInformation:
		return fltlib_filter_full(f, buffer, size, returned);
	case FilterAggregateBasicInformation:
		return fltlib_filter_basic(f, buffer, size, returned);
	case FilterAggregateStandardInformation:
		return fltlib_filter_standard(f, buffer, size, returned);
	}
	return E_INVALIDARG;
}

HRESULT fltlib_pack_volume(FILTER_VOLUME_INFORMATION_CLASS cls, const struct fltlib_volume *v,
			   void *buffer, DWORD size, DWORD *returned)
{
	FILTER_VOLUME_STANDARD_INFORMATION std = { .FrameID = v->frame,
						   .FileSystemType = FLT_FSTYPE_UNKNOWN };
	FILTER_VOLUME_BASIC_INFORMATION basic = { 0 };
	const struct fltlib_name std_name[] = {
		FLTLIB_NAME(FILTER_VOLUME_STANDARD_INFORMATION, v->name, FilterVolumeName),
	};
	const struct fltlib_name basic_name[] = {
		FLTLIB_NAME(FILTER_VOLUME_BASIC_INFORMATION, v->name, FilterVolumeName),
	};

	*returned = 0;
	switch (cls) {
	case FilterVolumeBasicInformation:
		return fltlib_pack(&basic, offsetof(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName),
				   basic_name, 1, buffer, size, returned);
	case FilterVolumeStandardInformation:
		return fltlib_pack(&std, offsetof(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName),
				   std_name, 1, buffer, size, returned);
	}
	return E_INVALIDARG;
}

static HRESULT fltlib_instance_aggregate(const struct fltlib_instance *i, void *buffer,
					 DWORD size, DWORD *returned)
{
	typedef INSTANCE_AGGREGATE_STANDARD_INFORMATION T;
	T e = { .Flags = FLTFL_IASI_IS_MINIFILTER };
	const struct fltlib_name names[] = {
		FLTLIB_NAME_AT(T, i->instance, Type.MiniFilter.InstanceName),
		FLTLIB_NAME_AT(T, i->altitude, Type.MiniFilter.Altitude),
		FLTLIB_NAME_AT(T, i->volume, Type.MiniFilter.VolumeName),
		FLTLIB_NAME_AT(T, i->filter, Type.MiniFilter.FilterName),
	};

	e.Type.MiniFilter.FrameID = i->frame;
	e.Type.MiniFilter.VolumeFileSystemType = FLT_FSTYPE_UNKNOWN;
	return fltlib_pack(&e, sizeof(e), names, 4, buffer, size, returned);
}

HRESULT fltlib_pack_instance(INSTANCE_INFORMATION_CLASS cls, const struct fltlib_instance *i,
			     void *buffer, DWORD size, DWORD *returned)
{
	/* Basic, partial and full are prefixes of one another. */
	INSTANCE_FULL_INFORMATION e = { 0 };
	const struct fltlib_name names[] = {
		FLTLIB_NAME_AT(INSTANCE_FULL_INFORMATION, i->instance, InstanceName),
		FLTLIB_NAME_AT(INSTANCE_FULL_INFORMATION, i->altitude, Altitude),
		FLTLIB_NAME_AT(INSTANCE_FULL_INFORMATION, i->volume, VolumeName),
		FLTLIB_NAME_AT(INSTANCE_FULL_INFORMATION, i->filter, FilterName),
	};

	*returned = 0;
	switch (cls) {
	case InstanceBasicInformation:
		return fltlib_pack(&e, sizeof(INSTANCE_BASIC_INFORMATION), names, 1, buffer, size,
				   returned);
	case InstancePartialInformation:
		return fltlib_pack(&e, sizeof(INSTANCE_PARTIAL_INFORMATION), names, 2, buffer, size,
				   returned);
	case InstanceFullInformation:
		return fltlib_pack(&e, sizeof(INSTANCE_FULL_INFORMATION), names, 4, buffer, size,
				   returned);
	case InstanceAggregateStandardInformation:
		return fltlib_instance_aggregate(i, buffer, size, returned);
	}
	return E_INVALIDARG;
}
