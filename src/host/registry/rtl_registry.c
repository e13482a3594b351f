/*
 * RtlWriteRegistryValue, RtlDeleteRegistryValue, RtlCheckRegistryKey,
 * RtlCreateRegistryKey, and the RelativeTo/Path resolution they share with
 * RtlQueryRegistryValues.  They are built on the Zw* routines.  A Path
 * that begins with '\' is absolute whatever RelativeTo says; the relative
 * roots other than RTL_REGISTRY_SERVICES name keys this registry does not
 * have, so paths under them are not found.
 */
#include <string.h>

#include "ke/ke.h"
#include "host/registry.h"

static const char *const reg_rtl_roots[RTL_REGISTRY_MAXIMUM] = {
	[RTL_REGISTRY_ABSOLUTE] = "",
	[RTL_REGISTRY_SERVICES] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
	[RTL_REGISTRY_CONTROL] = "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
	[RTL_REGISTRY_WINDOWS_NT] = "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
	[RTL_REGISTRY_DEVICEMAP] = "\\Registry\\Machine\\Hardware\\DeviceMap",
	[RTL_REGISTRY_USER] = "\\Registry\\User\\.Default",
};

/* The absolute path RelativeTo/Path names, as UTF-16 (g_free it). */
static NTSTATUS reg_rtl_path(ULONG root, PCWSTR path, WCHAR **full, size_t *chars)
{
	size_t path_chars = path ? reg_wcslen(path) : 0;
	const char *prefix = (path && path[0] == '\\') ? "" : reg_rtl_roots[root];
	size_t prefix_chars = strlen(prefix);
	BOOLEAN separator = prefix_chars && path_chars;
	WCHAR *out;

	*chars = prefix_chars + separator + path_chars;
	if (*chars == 0 || *chars > MAXUSHORT / sizeof(WCHAR) - 1)
		return *chars ? STATUS_NAME_TOO_LONG : STATUS_OBJECT_PATH_SYNTAX_BAD;
	out = g_new(WCHAR, *chars + 1);
	for (size_t i = 0; i < prefix_chars; i++)
		out[i] = (WCHAR)prefix[i];
	if (separator)
		out[prefix_chars] = L'\\';
	if (path_chars)
		memcpy(out + prefix_chars + separator, path, path_chars * sizeof(WCHAR));
	out[*chars] = 0;
	*full = out;
	return STATUS_SUCCESS;
}

NTSTATUS reg_rtl_open(ULONG relative_to, PCWSTR path, BOOLEAN create, ACCESS_MASK access,
		      HANDLE *handle, BOOLEAN *owned)
{
	ULONG root = relative_to & ~(ULONG)(RTL_REGISTRY_HANDLE | RTL_REGISTRY_OPTIONAL);
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING name;
	WCHAR *full = NULL;
	size_t chars;
	NTSTATUS status;

	*owned = FALSE;
	if (relative_to & RTL_REGISTRY_HANDLE) {
		/* The Zw* routine that uses it validates it. */
		*handle = (HANDLE)path;
		return STATUS_SUCCESS;
	}
	if (root >= RTL_REGISTRY_MAXIMUM)
		return STATUS_INVALID_PARAMETER;
	status = reg_rtl_path(root, path, &full, &chars);
	if (!NT_SUCCESS(status))
		return status;
	name.Buffer = full;
	name.Length = (USHORT)(chars * sizeof(WCHAR));
	name.MaximumLength = (USHORT)(name.Length + sizeof(WCHAR));
	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
	if (create)
		status = ZwCreateKey(handle, access, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, NULL);
	else
		status = ZwOpenKey(handle, access, &oa);
	*owned = NT_SUCCESS(status);
	g_free(full);
	return status;
}

/* A UNICODE_STRING over a NUL-terminated name (NULL: the default value). */
NTSTATUS reg_rtl_name(PCWSTR text, PUNICODE_STRING name)
{
	size_t chars = text ? reg_wcslen(text) : 0;

	if (chars > MAXUSHORT / sizeof(WCHAR) - 1)
		return STATUS_NAME_TOO_LONG;
	name->Buffer = (PWCH)text;
	name->Length = (USHORT)(chars * sizeof(WCHAR));
	name->MaximumLength = (USHORT)(name->Length + (text ? sizeof(WCHAR) : 0));
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName,
				     ULONG ValueType, PVOID ValueData, ULONG ValueLength)
{
	HANDLE key;
	BOOLEAN owned;
	UNICODE_STRING name;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "RtlWriteRegistryValue"))
		return STATUS_UNSUCCESSFUL;
	status = reg_rtl_name(ValueName, &name);
	if (!NT_SUCCESS(status))
		return status;
	status = reg_rtl_open(RelativeTo, Path, TRUE, KEY_SET_VALUE, &key, &owned);
	if (!NT_SUCCESS(status))
		return status;
	status = ZwSetValueKey(key, &name, 0, ValueType, ValueData, ValueLength);
	if (owned)
		ZwClose(key);
	return status;
}

NTSTATUS NTAPI RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName)
{
	HANDLE key;
	BOOLEAN owned;
	UNICODE_STRING name;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "RtlDeleteRegistryValue"))
		return STATUS_UNSUCCESSFUL;
	status = reg_rtl_name(ValueName, &name);
	if (!NT_SUCCESS(status))
		return status;
	status = reg_rtl_open(RelativeTo, Path, FALSE, KEY_SET_VALUE, &key, &owned);
	if (!NT_SUCCESS(status))
		return status;
	status = ZwDeleteValueKey(key, &name);
	if (owned)
		ZwClose(key);
	return status;
}

NTSTATUS NTAPI RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path)
{
	HANDLE key;
	BOOLEAN owned;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "RtlCheckRegistryKey"))
		return STATUS_UNSUCCESSFUL;
	status = reg_rtl_open(RelativeTo, Path, FALSE, KEY_READ, &key, &owned);
	if (owned)
		ZwClose(key);
	return status;
}

NTSTATUS NTAPI RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path)
{
	HANDLE key;
	BOOLEAN owned;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "RtlCreateRegistryKey"))
		return STATUS_UNSUCCESSFUL;
	status = reg_rtl_open(RelativeTo, Path, TRUE, KEY_WRITE, &key, &owned);
	if (owned)
		ZwClose(key);
	return status;
}
