/*
 * ZwOpenKey, ZwOpenKeyEx, ZwCreateKey, ZwDeleteKey, ZwFlushKey, ZwQueryKey,
 * ZwEnumerateKey.  NULL pointers the documentation requires get
 * STATUS_INVALID_PARAMETER.  REG_OPTION_CREATE_LINK and
 * REG_OPTION_BACKUP_RESTORE are refused with STATUS_INVALID_PARAMETER:
 * this registry has no symbolic links and no backup privilege.
 */
#include "ke/ke.h"
#include "host/registry/store.h"

struct reg_open {
	ACCESS_MASK access;
	POBJECT_ATTRIBUTES attributes;
	BOOLEAN create;
	PUNICODE_STRING class_name;
	BOOLEAN is_volatile;
};

static NTSTATUS reg_check_attributes(PHANDLE handle, POBJECT_ATTRIBUTES oa)
{
	if (!handle || !oa || oa->Length != sizeof(OBJECT_ATTRIBUTES) || !oa->ObjectName ||
	    (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
		return STATUS_INVALID_PARAMETER;
	return STATUS_SUCCESS;
}

static NTSTATUS reg_open(PHANDLE handle, const struct reg_open *open, PULONG disposition)
{
	char *path = NULL;
	struct reg_key *base = NULL, *key;
	BOOLEAN created = FALSE;
	const UNICODE_STRING *cls = open->class_name;
	NTSTATUS status = reg_check_attributes(handle, open->attributes);

	if (!NT_SUCCESS(status))
		return status;
	if (cls && ((cls->Length & 1) || cls->Length > cls->MaximumLength ||
		    (cls->Length && !cls->Buffer)))
		return STATUS_INVALID_PARAMETER;
	status = reg_unicode_to_utf8(open->attributes->ObjectName, &path);
	if (!NT_SUCCESS(status))
		return status;
	reg_lock();
	if (open->attributes->RootDirectory)
		status = reg_handle_key(open->attributes->RootDirectory, 0, &base);
	if (NT_SUCCESS(status))
		status = reg_path_lookup(base, path, open->create, cls ? cls->Buffer : NULL,
					 cls ? cls->Length : 0, open->is_volatile, &key, &created);
	if (NT_SUCCESS(status))
		status = reg_handle_open(key, open->access,
					 (open->attributes->Attributes & OBJ_KERNEL_HANDLE) != 0, handle);
	reg_unlock();
	if (NT_SUCCESS(status) && disposition)
		*disposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
	g_free(path);
	return status;
}

NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
			 POBJECT_ATTRIBUTES ObjectAttributes)
{
	struct reg_open open = { .access = DesiredAccess, .attributes = ObjectAttributes };

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwOpenKey"))
		return STATUS_UNSUCCESSFUL;
	return reg_open(KeyHandle, &open, NULL);
}

NTSTATUS NTAPI ZwOpenKeyEx(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
			   POBJECT_ATTRIBUTES ObjectAttributes, ULONG OpenOptions)
{
	struct reg_open open = { .access = DesiredAccess, .attributes = ObjectAttributes };

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwOpenKeyEx"))
		return STATUS_UNSUCCESSFUL;
	if (OpenOptions & ~(ULONG)REG_OPTION_OPEN_LINK)
		return STATUS_INVALID_PARAMETER;
	return reg_open(KeyHandle, &open, NULL);
}

NTSTATUS NTAPI ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
			   POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex,
			   PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)
{
	struct reg_open open = {
		.access = DesiredAccess,
		.attributes = ObjectAttributes,
		.create = TRUE,
		.class_name = Class,
		.is_volatile = (CreateOptions & REG_OPTION_VOLATILE) != 0,
	};

	(void)TitleIndex;
	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwCreateKey"))
		return STATUS_UNSUCCESSFUL;
	if ((CreateOptions & ~(ULONG)REG_LEGAL_OPTION) ||
	    (CreateOptions & (REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE)))
		return STATUS_INVALID_PARAMETER;
	return reg_open(KeyHandle, &open, Disposition);
}

static NTSTATUS reg_delete_key(struct reg_key *key)
{
	struct reg_key *parent = key->parent;
	struct reg_service *service = key->service;
	BOOLEAN has_file = parent == reg_store.root && !key->is_volatile;

	if (key == reg_store.root || key->subkeys->len)
		return STATUS_CANNOT_DELETE;
	reg_key_unlink(key);
	if (parent == reg_store.root)
		return has_file ? reg_service_remove_file(service) : STATUS_SUCCESS;
	return reg_key_touch(parent);
}

NTSTATUS NTAPI ZwDeleteKey(HANDLE KeyHandle)
{
	struct reg_key *key;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwDeleteKey"))
		return STATUS_UNSUCCESSFUL;
	reg_lock();
	status = reg_handle_key(KeyHandle, DELETE, &key);
	if (NT_SUCCESS(status))
		status = reg_delete_key(key);
	reg_unlock();
	return status;
}

NTSTATUS NTAPI ZwFlushKey(HANDLE KeyHandle)
{
	struct reg_key *key;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwFlushKey"))
		return STATUS_UNSUCCESSFUL;
	reg_lock();
	status = reg_handle_key(KeyHandle, 0, &key);
	if (NT_SUCCESS(status) && key->service && !key->service->key->is_volatile)
		status = reg_file_save(key->service->key, key->service->path);
	reg_unlock();
	return status;
}

NTSTATUS NTAPI ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
			  PVOID KeyInformation, ULONG Length, PULONG ResultLength)
{
	ACCESS_MASK needed = KeyInformationClass == KeyNameInformation ? 0 : KEY_QUERY_VALUE;
	struct reg_key *key;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwQueryKey"))
		return STATUS_UNSUCCESSFUL;
	if (!ResultLength)
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	status = reg_handle_key(KeyHandle, needed, &key);
	if (NT_SUCCESS(status))
		status = reg_query_key_info(key, KeyInformationClass, KeyInformation, Length,
					    ResultLength);
	reg_unlock();
	return status;
}

NTSTATUS NTAPI ZwEnumerateKey(HANDLE KeyHandle, ULONG Index,
			      KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation,
			      ULONG Length, PULONG ResultLength)
{
	struct reg_key *key;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwEnumerateKey"))
		return STATUS_UNSUCCESSFUL;
	if (!ResultLength)
		return STATUS_INVALID_PARAMETER;
	if (KeyInformationClass != KeyBasicInformation &&
	    KeyInformationClass != KeyNodeInformation && KeyInformationClass != KeyFullInformation)
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	status = reg_handle_key(KeyHandle, KEY_ENUMERATE_SUB_KEYS, &key);
	if (NT_SUCCESS(status) && key == reg_store.root && Index == 0)
		reg_services_scan();
	if (NT_SUCCESS(status) && Index >= key->subkeys->len)
		status = STATUS_NO_MORE_ENTRIES;
	if (NT_SUCCESS(status))
		status = reg_query_key_info(g_ptr_array_index(key->subkeys, Index),
					    KeyInformationClass, KeyInformation, Length,
					    ResultLength);
	reg_unlock();
	return status;
}
