/*
 * ZwQueryValueKey, ZwEnumerateValueKey, ZwSetValueKey, ZwDeleteValueKey.
 * The Services key itself holds no values (it has no file to keep them
 * in): setting one there is STATUS_ACCESS_DENIED.
 */
#include "ke/ke.h"
#include "host/registry/store.h"

static BOOLEAN reg_value_class_valid(KEY_VALUE_INFORMATION_CLASS cls)
{
	return cls == KeyValueBasicInformation || cls == KeyValueFullInformation ||
	       cls == KeyValuePartialInformation || cls == KeyValueFullInformationAlign64 ||
	       cls == KeyValuePartialInformationAlign64;
}

NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
			       KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
			       PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
	struct reg_key *key;
	struct reg_value *value;
	char *name = NULL;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwQueryValueKey"))
		return STATUS_UNSUCCESSFUL;
	if (!ResultLength)
		return STATUS_INVALID_PARAMETER;
	status = reg_unicode_to_utf8(ValueName, &name);
	if (!NT_SUCCESS(status))
		return status == STATUS_OBJECT_NAME_INVALID ? STATUS_OBJECT_NAME_NOT_FOUND : status;
	reg_lock();
	status = reg_handle_key(KeyHandle, KEY_QUERY_VALUE, &key);
	if (NT_SUCCESS(status) && !reg_value_class_valid(KeyValueInformationClass))
		status = STATUS_INVALID_PARAMETER;
	if (NT_SUCCESS(status)) {
		value = reg_value_find(key, name, NULL);
		status = value ? reg_query_value_info(value, KeyValueInformationClass,
						      KeyValueInformation, Length, ResultLength)
			       : STATUS_OBJECT_NAME_NOT_FOUND;
	}
	reg_unlock();
	g_free(name);
	return status;
}

NTSTATUS NTAPI ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
				   KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
				   PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
	struct reg_key *key;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwEnumerateValueKey"))
		return STATUS_UNSUCCESSFUL;
	if (!ResultLength)
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	status = reg_handle_key(KeyHandle, KEY_QUERY_VALUE, &key);
	if (NT_SUCCESS(status) && !reg_value_class_valid(KeyValueInformationClass))
		status = STATUS_INVALID_PARAMETER;
	if (NT_SUCCESS(status) && Index >= key->values->len)
		status = STATUS_NO_MORE_ENTRIES;
	if (NT_SUCCESS(status))
		status = reg_query_value_info(g_ptr_array_index(key->values, Index),
					      KeyValueInformationClass, KeyValueInformation,
					      Length, ResultLength);
	reg_unlock();
	return status;
}

NTSTATUS NTAPI ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex,
			     ULONG Type, PVOID Data, ULONG DataSize)
{
	struct reg_key *key;
	char *name = NULL;
	NTSTATUS status;

	(void)TitleIndex;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwSetValueKey"))
		return STATUS_UNSUCCESSFUL;
	if (!Data && DataSize)
		return STATUS_INVALID_PARAMETER;
	status = reg_unicode_to_utf8(ValueName, &name);
	if (!NT_SUCCESS(status))
		return status;
	if (g_utf8_strlen(name, -1) > REG_MAX_VALUE_NAME_CHARS) {
		g_free(name);
		return STATUS_INVALID_PARAMETER;
	}
	reg_lock();
	status = reg_handle_key(KeyHandle, KEY_SET_VALUE, &key);
	if (NT_SUCCESS(status) && key == reg_store.root)
		status = STATUS_ACCESS_DENIED;
	if (NT_SUCCESS(status)) {
		reg_value_set(key, name, Type, Data, DataSize);
		status = reg_key_touch(key);
	}
	reg_unlock();
	g_free(name);
	return status;
}

NTSTATUS NTAPI ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName)
{
	struct reg_key *key;
	char *name = NULL;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwDeleteValueKey"))
		return STATUS_UNSUCCESSFUL;
	status = reg_unicode_to_utf8(ValueName, &name);
	if (!NT_SUCCESS(status))
		return status == STATUS_OBJECT_NAME_INVALID ? STATUS_OBJECT_NAME_NOT_FOUND : status;
	reg_lock();
	status = reg_handle_key(KeyHandle, KEY_SET_VALUE, &key);
	if (NT_SUCCESS(status))
		status = reg_value_delete(key, name) ? reg_key_touch(key)
						     : STATUS_OBJECT_NAME_NOT_FOUND;
	reg_unlock();
	g_free(name);
	return status;
}
