/*
 * RtlQueryRegistryValues, on top of the Zw* routines.  The registry lock is
 * never held while a QueryRoutine runs, so a routine may use the registry.
 *
 * Per table entry: SUBKEY switches to a key under the top key (entries that
 * follow are skipped when it is missing and not REQUIRED) and, with a
 * QueryRoutine, reports every value of that key; TOPKEY switches back;
 * NOVALUE calls the routine once with REG_NONE; a NULL Name reports every
 * value; a Name reports that value, or the entry's default (DefaultType
 * other than REG_NONE, DefaultLength 0 meaning "measure the string"), or
 * fails with STATUS_OBJECT_NAME_NOT_FOUND when REQUIRED.  Unless NOEXPAND,
 * REG_EXPAND_SZ is expanded (%NAME% from Environment, else the process
 * environment) and given as REG_SZ, and each string of a REG_MULTI_SZ is
 * given as its own REG_SZ.  DIRECT stores into EntryContext instead of
 * calling a routine (see reg_query_store_direct); with TYPECHECK a value of
 * another type than DefaultType >> 24 fails with STATUS_OBJECT_TYPE_MISMATCH,
 * with NOSTRING a string value fails with STATUS_INVALID_PARAMETER.  DELETE
 * deletes each value once reported.  A routine's failure status ends the
 * query and is returned.
 */
#include <string.h>

#include "ke/ke.h"
#include "rtl/rtl.h"
#include "host/registry.h"

#define REG_QUERY_DEFAULT_TYPE(t) ((t) & ~(ULONG)RTL_QUERY_REGISTRY_TYPECHECK_MASK)

struct reg_query {
	PVOID context;
	PVOID environment;
	HANDLE top;
	HANDLE current;   /* NULL while a missing optional subkey is skipped */
	BOOLEAN current_owned;
};

static BOOLEAN reg_is_string_type(ULONG type)
{
	return type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ;
}

/* A value's information in a buffer of the size the first call reports (g_free it). */
static NTSTATUS reg_query_partial(HANDLE key, PUNICODE_STRING name,
				  PKEY_VALUE_PARTIAL_INFORMATION *info)
{
	ULONG length = 0;
	NTSTATUS status = ZwQueryValueKey(key, name, KeyValuePartialInformation, NULL, 0, &length);

	*info = NULL;
	if (status != STATUS_BUFFER_TOO_SMALL && status != STATUS_BUFFER_OVERFLOW)
		return status;
	*info = g_malloc(length);
	status = ZwQueryValueKey(key, name, KeyValuePartialInformation, *info, length, &length);
	if (!NT_SUCCESS(status))
		g_clear_pointer(info, g_free);
	return status;
}

static NTSTATUS reg_query_full(HANDLE key, ULONG index, PKEY_VALUE_FULL_INFORMATION *info)
{
	ULONG length = 0;
	NTSTATUS status = ZwEnumerateValueKey(key, index, KeyValueFullInformation, NULL, 0, &length);

	*info = NULL;
	if (status != STATUS_BUFFER_TOO_SMALL && status != STATUS_BUFFER_OVERFLOW)
		return status;
	*info = g_malloc(length);
	status = ZwEnumerateValueKey(key, index, KeyValueFullInformation, *info, length, &length);
	if (!NT_SUCCESS(status))
		g_clear_pointer(info, g_free);
	return status;
}

/* String data as a counted string: the length without the terminating NUL. */
static ULONG reg_string_length(const void *data, ULONG length)
{
	const WCHAR *w = data;

	length &= ~1U;
	if (length >= sizeof(WCHAR) && w[length / sizeof(WCHAR) - 1] == 0)
		length -= sizeof(WCHAR);
	return length;
}

static NTSTATUS reg_query_store_string(PUNICODE_STRING out, const void *data, ULONG length)
{
	ULONG bytes = reg_string_length(data, length);

	if (bytes + sizeof(WCHAR) > MAXUSHORT)
		return STATUS_BUFFER_TOO_SMALL;
	if (!out->Buffer) {
		/* Freed by the caller with RtlFreeUnicodeString. */
		out->Buffer = rtl_allocate(bytes + sizeof(WCHAR), RTL_STRING_TAG);
		if (!out->Buffer)
			return STATUS_INSUFFICIENT_RESOURCES;
		out->MaximumLength = (USHORT)(bytes + sizeof(WCHAR));
	} else if (bytes + sizeof(WCHAR) > out->MaximumLength) {
		return STATUS_BUFFER_TOO_SMALL;
	}
	memcpy(out->Buffer, data, bytes);
	out->Buffer[bytes / sizeof(WCHAR)] = 0;
	out->Length = (USHORT)bytes;
	return STATUS_SUCCESS;
}

/*
 * RTL_QUERY_REGISTRY_DIRECT: strings go to the UNICODE_STRING at
 * EntryContext (allocated when its Buffer is NULL); data of at most 4 bytes
 * to the ULONG there; longer data to a buffer whose first LONG holds its
 * size: negative, the data alone is stored; positive, the length and type
 * come first (two ULONGs) and the data after them.
 */
static NTSTATUS reg_query_store_direct(PVOID entry_context, ULONG type, const void *data,
				       ULONG length)
{
	LONG declared;
	ULONG capacity;

	if (!entry_context)
		return STATUS_INVALID_PARAMETER;
	if (reg_is_string_type(type))
		return reg_query_store_string(entry_context, data, length);
	if (length <= sizeof(ULONG)) {
		memcpy(entry_context, data, length);
		return STATUS_SUCCESS;
	}
	memcpy(&declared, entry_context, sizeof(declared));
	capacity = declared < 0 ? (ULONG)-(LONGLONG)declared : (ULONG)declared;
	if (declared < 0) {
		if (length > capacity)
			return STATUS_BUFFER_TOO_SMALL;
		memcpy(entry_context, data, length);
		return STATUS_SUCCESS;
	}
	if (capacity < 2 * sizeof(ULONG) || length > capacity - 2 * sizeof(ULONG))
		return STATUS_BUFFER_TOO_SMALL;
	memcpy(entry_context, &length, sizeof(ULONG));
	memcpy((PUCHAR)entry_context + sizeof(ULONG), &type, sizeof(ULONG));
	memcpy((PUCHAR)entry_context + 2 * sizeof(ULONG), data, length);
	return STATUS_SUCCESS;
}

static NTSTATUS reg_query_call(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry,
			       PWSTR name, ULONG type, PVOID data, ULONG length)
{
	if (entry->Flags & RTL_QUERY_REGISTRY_DIRECT)
		return reg_query_store_direct(entry->EntryContext, type, data, length);
	return entry->QueryRoutine(name, type, data, length, q->context, entry->EntryContext);
}

/* Each string of a REG_MULTI_SZ as a REG_SZ of its own. */
static NTSTATUS reg_query_multi(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry,
				PWSTR name, PVOID data, ULONG length)
{
	const WCHAR *w = data;
	size_t chars = length / sizeof(WCHAR), start = 0;
	NTSTATUS status = STATUS_SUCCESS;

	for (size_t i = 0; NT_SUCCESS(status) && i < chars && w[start]; i++) {
		if (w[i] != 0)
			continue;
		status = reg_query_call(q, entry, name, REG_SZ, (PVOID)(w + start),
					(ULONG)((i - start + 1) * sizeof(WCHAR)));
		start = i + 1;
		if (start >= chars)
			break;
	}
	return status;
}

static NTSTATUS reg_query_deliver(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry,
				  PWSTR name, ULONG type, PVOID data, ULONG length)
{
	ULONG flags = entry->Flags;
	WCHAR *expanded;
	ULONG expanded_length;
	NTSTATUS status;

	if ((flags & RTL_QUERY_REGISTRY_DIRECT) && (flags & RTL_QUERY_REGISTRY_TYPECHECK) &&
	    type != entry->DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if ((flags & RTL_QUERY_REGISTRY_DIRECT) && (flags & RTL_QUERY_REGISTRY_NOSTRING) &&
	    reg_is_string_type(type))
		return STATUS_INVALID_PARAMETER;
	if (flags & RTL_QUERY_REGISTRY_NOEXPAND)
		return reg_query_call(q, entry, name, type, data, length);
	if (type == REG_MULTI_SZ && !(flags & RTL_QUERY_REGISTRY_DIRECT))
		return reg_query_multi(q, entry, name, data, length);
	if (type != REG_EXPAND_SZ)
		return reg_query_call(q, entry, name, type, data, length);
	status = reg_expand_environment(q->environment, data, length, &expanded, &expanded_length);
	if (NT_SUCCESS(status))
		status = reg_query_call(q, entry, name, REG_SZ, expanded, expanded_length);
	g_free(expanded);
	return status;
}

/* DefaultLength 0 for a string type means "up to the terminator(s)". */
static ULONG reg_default_length(ULONG type, const WCHAR *data, ULONG length)
{
	size_t n = 0;

	if (length || !data || !reg_is_string_type(type))
		return length;
	if (type != REG_MULTI_SZ)
		return (ULONG)((reg_wcslen(data) + 1) * sizeof(WCHAR));
	while (data[n])
		n += reg_wcslen(data + n) + 1;
	return (ULONG)((n + 1) * sizeof(WCHAR));
}

static NTSTATUS reg_query_named(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry)
{
	PKEY_VALUE_PARTIAL_INFORMATION info;
	UNICODE_STRING name;
	ULONG type = REG_QUERY_DEFAULT_TYPE(entry->DefaultType);
	NTSTATUS status = reg_rtl_name(entry->Name, &name);

	if (!NT_SUCCESS(status))
		return status;
	status = reg_query_partial(q->current, &name, &info);
	if (status == STATUS_OBJECT_NAME_NOT_FOUND) {
		if ((entry->Flags & RTL_QUERY_REGISTRY_REQUIRED) || type == REG_NONE)
			return (entry->Flags & RTL_QUERY_REGISTRY_REQUIRED) ? status : STATUS_SUCCESS;
		return reg_query_deliver(q, entry, entry->Name, type, entry->DefaultData,
					 reg_default_length(type, entry->DefaultData,
							    entry->DefaultLength));
	}
	if (!NT_SUCCESS(status))
		return status;
	status = reg_query_deliver(q, entry, entry->Name, info->Type, info->Data, info->DataLength);
	g_free(info);
	if (NT_SUCCESS(status) && (entry->Flags & RTL_QUERY_REGISTRY_DELETE))
		status = ZwDeleteValueKey(q->current, &name);
	return status;
}

static NTSTATUS reg_query_all(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry)
{
	PKEY_VALUE_FULL_INFORMATION info;
	ULONG index = 0, found = 0;
	NTSTATUS status;

	if (entry->Flags & RTL_QUERY_REGISTRY_DIRECT)
		return STATUS_INVALID_PARAMETER;
	while (NT_SUCCESS(status = reg_query_full(q->current, index, &info))) {
		WCHAR *name = g_new0(WCHAR, info->NameLength / sizeof(WCHAR) + 1);
		UNICODE_STRING uname = { (USHORT)info->NameLength, (USHORT)info->NameLength, name };

		memcpy(name, info->Name, info->NameLength);
		found++;
		status = reg_query_deliver(q, entry, name, info->Type,
					   (PUCHAR)info + info->DataOffset, info->DataLength);
		if (NT_SUCCESS(status) && (entry->Flags & RTL_QUERY_REGISTRY_DELETE))
			status = ZwDeleteValueKey(q->current, &uname);
		else
			index++;
		g_free(name);
		g_free(info);
		if (!NT_SUCCESS(status))
			return status;
	}
	if (status != STATUS_NO_MORE_ENTRIES)
		return status;
	if (!found && (entry->Flags & RTL_QUERY_REGISTRY_REQUIRED))
		return STATUS_OBJECT_NAME_NOT_FOUND;
	return STATUS_SUCCESS;
}

static void reg_query_reset(struct reg_query *q)
{
	if (q->current_owned)
		ZwClose(q->current);
	q->current = q->top;
	q->current_owned = FALSE;
}

/* RTL_QUERY_REGISTRY_SUBKEY: Name is a path below the top key. */
static NTSTATUS reg_query_subkey(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry)
{
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING name;
	NTSTATUS status = reg_rtl_name(entry->Name, &name);

	if (!NT_SUCCESS(status))
		return status;
	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, q->top,
				   NULL);
	status = ZwOpenKey(&q->current, KEY_READ | KEY_SET_VALUE, &oa);
	q->current_owned = NT_SUCCESS(status);
	if (!NT_SUCCESS(status)) {
		q->current = NULL;
		if (!(entry->Flags & RTL_QUERY_REGISTRY_REQUIRED))
			status = STATUS_SUCCESS;
	}
	return status;
}

static NTSTATUS reg_query_entry(struct reg_query *q, PRTL_QUERY_REGISTRY_TABLE entry)
{
	ULONG flags = entry->Flags;
	NTSTATUS status;

	if (!(flags & RTL_QUERY_REGISTRY_DIRECT) && !entry->QueryRoutine &&
	    !(flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY)))
		return STATUS_INVALID_PARAMETER;
	if (flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY))
		reg_query_reset(q);
	if (flags & RTL_QUERY_REGISTRY_SUBKEY) {
		status = reg_query_subkey(q, entry);
		if (!NT_SUCCESS(status) || !q->current || !entry->QueryRoutine)
			return status;
		return reg_query_all(q, entry);
	}
	if (!q->current || ((flags & RTL_QUERY_REGISTRY_TOPKEY) && !entry->QueryRoutine))
		return STATUS_SUCCESS;
	if (flags & RTL_QUERY_REGISTRY_NOVALUE)
		return entry->QueryRoutine ? entry->QueryRoutine(entry->Name, REG_NONE, NULL, 0,
								  q->context, entry->EntryContext)
					   : STATUS_INVALID_PARAMETER;
	return entry->Name ? reg_query_named(q, entry) : reg_query_all(q, entry);
}

NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path,
				      PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context,
				      PVOID Environment)
{
	struct reg_query q = { .context = Context, .environment = Environment };
	BOOLEAN owned;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "RtlQueryRegistryValues"))
		return STATUS_UNSUCCESSFUL;
	if (!QueryTable)
		return STATUS_INVALID_PARAMETER;
	status = reg_rtl_open(RelativeTo, Path, FALSE, KEY_READ | KEY_SET_VALUE, &q.top, &owned);
	if (!NT_SUCCESS(status))
		return (status == STATUS_OBJECT_NAME_NOT_FOUND &&
			(RelativeTo & RTL_REGISTRY_OPTIONAL)) ? STATUS_SUCCESS : status;
	q.current = q.top;
	for (PRTL_QUERY_REGISTRY_TABLE entry = QueryTable; entry->QueryRoutine || entry->Name;
	     entry++) {
		status = reg_query_entry(&q, entry);
		if (!NT_SUCCESS(status))
			break;
	}
	reg_query_reset(&q);
	if (owned)
		ZwClose(q.top);
	return status;
}
