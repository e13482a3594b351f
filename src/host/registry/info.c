/*
 * The KEY_*_INFORMATION and KEY_VALUE_*_INFORMATION layouts.  Buffer rules
 * (as Windows): *ResultLength always gets the full size; a buffer smaller
 * than the fixed part gets nothing and STATUS_BUFFER_TOO_SMALL; one that
 * holds the fixed part but not everything gets the fixed part, as much of
 * the name as fits, no data, and STATUS_BUFFER_OVERFLOW.
 */
#include <string.h>

#include "host/registry.h"

struct reg_out {
	PUCHAR buffer;
	ULONG length;
};

/* Copies what fits of [offset, offset + size) into the buffer. */
static void reg_out_put(struct reg_out *out, ULONG offset, const void *src, ULONG size)
{
	if (offset >= out->length || !size)
		return;
	memcpy(out->buffer + offset, src, size < out->length - offset ? size : out->length - offset);
}

static NTSTATUS reg_out_status(const struct reg_out *out, ULONG fixed, ULONG required,
			       PULONG result_length)
{
	*result_length = required;
	if (out->length < fixed)
		return STATUS_BUFFER_TOO_SMALL;
	return out->length < required ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* ---- keys ---- */

struct reg_key_sizes {
	ULONG name_length;        /* bytes */
	ULONG max_name_len;       /* bytes, over subkeys */
	ULONG max_class_len;
	ULONG max_value_name_len;
	ULONG max_value_data_len;
};

static ULONG reg_utf16_bytes(const char *utf8)
{
	glong chars = 0;
	gunichar2 *w = g_utf8_to_utf16(utf8, -1, NULL, &chars, NULL);

	g_free(w);
	return (ULONG)chars * sizeof(WCHAR);
}

static void reg_key_measure(const struct reg_key *key, struct reg_key_sizes *sizes)
{
	memset(sizes, 0, sizeof(*sizes));
	sizes->name_length = reg_utf16_bytes(key->name);
	for (guint i = 0; i < key->subkeys->len; i++) {
		const struct reg_key *child = g_ptr_array_index(key->subkeys, i);

		sizes->max_name_len = MAX(sizes->max_name_len, reg_utf16_bytes(child->name));
		sizes->max_class_len = MAX(sizes->max_class_len, child->class_length);
	}
	for (guint i = 0; i < key->values->len; i++) {
		const struct reg_value *value = g_ptr_array_index(key->values, i);

		sizes->max_value_name_len = MAX(sizes->max_value_name_len,
						reg_utf16_bytes(value->name));
		sizes->max_value_data_len = MAX(sizes->max_value_data_len, value->size);
	}
}

static NTSTATUS reg_key_basic(const struct reg_key *key, struct reg_out *out, PULONG result)
{
	const ULONG fixed = offsetof(KEY_BASIC_INFORMATION, Name);
	size_t chars;
	WCHAR *name = reg_utf8_to_utf16(key->name, &chars);
	ULONG name_length = (ULONG)(chars * sizeof(WCHAR));
	NTSTATUS status = reg_out_status(out, fixed, fixed + name_length, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_BASIC_INFORMATION info = { .TitleIndex = 0, .NameLength = name_length };

		info.LastWriteTime.QuadPart = key->last_write;
		reg_out_put(out, 0, &info, fixed);
		reg_out_put(out, fixed, name, name_length);
	}
	g_free(name);
	return status;
}

static NTSTATUS reg_key_node(const struct reg_key *key, struct reg_out *out, PULONG result)
{
	const ULONG fixed = offsetof(KEY_NODE_INFORMATION, Name);
	size_t chars;
	WCHAR *name = reg_utf8_to_utf16(key->name, &chars);
	ULONG name_length = (ULONG)(chars * sizeof(WCHAR));
	ULONG required = fixed + name_length + key->class_length;
	NTSTATUS status = reg_out_status(out, fixed, required, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_NODE_INFORMATION info = {
			.ClassOffset = key->class_length ? fixed + name_length : 0xFFFFFFFFU,
			.ClassLength = key->class_length,
			.NameLength = name_length,
		};

		info.LastWriteTime.QuadPart = key->last_write;
		reg_out_put(out, 0, &info, fixed);
		reg_out_put(out, fixed, name, name_length);
		if (status == STATUS_SUCCESS)
			reg_out_put(out, fixed + name_length, key->class_name, key->class_length);
	}
	g_free(name);
	return status;
}

static NTSTATUS reg_key_full(const struct reg_key *key, struct reg_out *out, PULONG result)
{
	const ULONG fixed = offsetof(KEY_FULL_INFORMATION, Class);
	struct reg_key_sizes sizes;
	NTSTATUS status = reg_out_status(out, fixed, fixed + key->class_length, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_FULL_INFORMATION info = {
			.ClassOffset = key->class_length ? fixed : 0xFFFFFFFFU,
			.ClassLength = key->class_length,
			.SubKeys = key->subkeys->len,
			.Values = key->values->len,
		};

		reg_key_measure(key, &sizes);
		info.LastWriteTime.QuadPart = key->last_write;
		info.MaxNameLen = sizes.max_name_len;
		info.MaxClassLen = sizes.max_class_len;
		info.MaxValueNameLen = sizes.max_value_name_len;
		info.MaxValueDataLen = sizes.max_value_data_len;
		reg_out_put(out, 0, &info, fixed);
		if (status == STATUS_SUCCESS)
			reg_out_put(out, fixed, key->class_name, key->class_length);
	}
	return status;
}

static NTSTATUS reg_key_name(const struct reg_key *key, struct reg_out *out, PULONG result)
{
	const ULONG fixed = offsetof(KEY_NAME_INFORMATION, Name);
	char *path = reg_key_full_path(key);
	size_t chars;
	WCHAR *name = reg_utf8_to_utf16(path, &chars);
	ULONG name_length = (ULONG)(chars * sizeof(WCHAR));
	NTSTATUS status = reg_out_status(out, fixed, fixed + name_length, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_NAME_INFORMATION info = { .NameLength = name_length };

		reg_out_put(out, 0, &info, fixed);
		reg_out_put(out, fixed, name, name_length);
	}
	g_free(name);
	g_free(path);
	return status;
}

static NTSTATUS reg_key_cached(const struct reg_key *key, struct reg_out *out, PULONG result)
{
	struct reg_key_sizes sizes;
	NTSTATUS status = reg_out_status(out, sizeof(KEY_CACHED_INFORMATION),
					 sizeof(KEY_CACHED_INFORMATION), result);

	if (status == STATUS_SUCCESS) {
		KEY_CACHED_INFORMATION info = {
			.SubKeys = key->subkeys->len,
			.Values = key->values->len,
		};

		reg_key_measure(key, &sizes);
		info.LastWriteTime.QuadPart = key->last_write;
		info.MaxNameLen = sizes.max_name_len;
		info.MaxValueNameLen = sizes.max_value_name_len;
		info.MaxValueDataLen = sizes.max_value_data_len;
		info.NameLength = sizes.name_length;
		reg_out_put(out, 0, &info, sizeof(info));
	}
	return status;
}

NTSTATUS reg_query_key_info(const struct reg_key *key, KEY_INFORMATION_CLASS cls, PVOID buffer,
			    ULONG length, PULONG result_length)
{
	struct reg_out out = { buffer, buffer ? length : 0 };

	switch (cls) {
	case KeyBasicInformation:
		return reg_key_basic(key, &out, result_length);
	case KeyNodeInformation:
		return reg_key_node(key, &out, result_length);
	case KeyFullInformation:
		return reg_key_full(key, &out, result_length);
	case KeyNameInformation:
		return reg_key_name(key, &out, result_length);
	case KeyCachedInformation:
		return reg_key_cached(key, &out, result_length);
	default:
		return STATUS_INVALID_PARAMETER;
	}
}

/* ---- values ---- */

static NTSTATUS reg_value_basic(const struct reg_value *value, const WCHAR *name,
				ULONG name_length, struct reg_out *out, PULONG result)
{
	const ULONG fixed = offsetof(KEY_VALUE_BASIC_INFORMATION, Name);
	NTSTATUS status = reg_out_status(out, fixed, fixed + name_length, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_VALUE_BASIC_INFORMATION info = { .Type = value->type, .NameLength = name_length };

		reg_out_put(out, 0, &info, fixed);
		reg_out_put(out, fixed, name, name_length);
	}
	return status;
}

/* KeyValueFullInformation(Align64): the data starts aligned after the name. */
static NTSTATUS reg_value_full(const struct reg_value *value, const WCHAR *name,
			       ULONG name_length, ULONG align, struct reg_out *out,
			       PULONG result)
{
	const ULONG fixed = offsetof(KEY_VALUE_FULL_INFORMATION, Name);
	ULONG data_offset = (ULONG)ALIGN_UP_BY(fixed + name_length, align);
	NTSTATUS status = reg_out_status(out, fixed, data_offset + value->size, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_VALUE_FULL_INFORMATION info = {
			.Type = value->type,
			.DataOffset = data_offset,
			.DataLength = value->size,
			.NameLength = name_length,
		};

		reg_out_put(out, 0, &info, fixed);
		reg_out_put(out, fixed, name, name_length);
		if (status == STATUS_SUCCESS)
			reg_out_put(out, data_offset, value->data, value->size);
	}
	return status;
}

static NTSTATUS reg_value_partial(const struct reg_value *value, struct reg_out *out,
				  PULONG result)
{
	const ULONG fixed = offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data);
	NTSTATUS status = reg_out_status(out, fixed, fixed + value->size, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_VALUE_PARTIAL_INFORMATION info = { .Type = value->type, .DataLength = value->size };

		reg_out_put(out, 0, &info, fixed);
		if (status == STATUS_SUCCESS)
			reg_out_put(out, fixed, value->data, value->size);
	}
	return status;
}

static NTSTATUS reg_value_partial64(const struct reg_value *value, struct reg_out *out,
				    PULONG result)
{
	const ULONG fixed = offsetof(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data);
	NTSTATUS status = reg_out_status(out, fixed, fixed + value->size, result);

	if (status != STATUS_BUFFER_TOO_SMALL) {
		KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 info = { .Type = value->type,
							       .DataLength = value->size };

		reg_out_put(out, 0, &info, fixed);
		if (status == STATUS_SUCCESS)
			reg_out_put(out, fixed, value->data, value->size);
	}
	return status;
}

NTSTATUS reg_query_value_info(const struct reg_value *value, KEY_VALUE_INFORMATION_CLASS cls,
			      PVOID buffer, ULONG length, PULONG result_length)
{
	struct reg_out out = { buffer, buffer ? length : 0 };
	size_t chars;
	WCHAR *name;
	ULONG name_length;
	NTSTATUS status;

	if (cls == KeyValuePartialInformation)
		return reg_value_partial(value, &out, result_length);
	if (cls == KeyValuePartialInformationAlign64)
		return reg_value_partial64(value, &out, result_length);
	if (cls != KeyValueBasicInformation && cls != KeyValueFullInformation &&
	    cls != KeyValueFullInformationAlign64)
		return STATUS_INVALID_PARAMETER;
	name = reg_utf8_to_utf16(value->name, &chars);
	name_length = (ULONG)(chars * sizeof(WCHAR));
	if (cls == KeyValueBasicInformation)
		status = reg_value_basic(value, name, name_length, &out, result_length);
	else
		status = reg_value_full(value, name, name_length,
					cls == KeyValueFullInformation ? sizeof(ULONG) : 8, &out,
					result_length);
	g_free(name);
	return status;
}
