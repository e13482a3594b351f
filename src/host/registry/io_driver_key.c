/*
 * IoOpenDriverRegistryKey.  The driver's service comes from the binding the
 * loader made (host_registry_bind_driver); the keys are the service key's
 * Parameters, State (DriverRegKeyPersistentState) and SharedState
 * (DriverRegKeySharedPersistentState) subkeys, created when missing; so is
 * the service key itself (a driver loaded by the harness has no installed
 * service, but on Windows a loaded driver's service key always exists).
 */
#include "ke/ke.h"
#include "host/registry/store.h"

static const char *const reg_driver_subkeys[] = {
	[DriverRegKeyParameters] = "Parameters",
	[DriverRegKeyPersistentState] = "State",
	[DriverRegKeySharedPersistentState] = "SharedState",
};

NTSTATUS NTAPI IoOpenDriverRegistryKey(PDRIVER_OBJECT DriverObject, DRIVER_REGKEY_TYPE RegKeyType,
				       ACCESS_MASK DesiredAccess, ULONG Flags,
				       PHANDLE DriverRegKey)
{
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING name;
	char *service, *path;
	WCHAR *wpath;
	size_t chars;
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "IoOpenDriverRegistryKey"))
		return STATUS_UNSUCCESSFUL;
	if (!DriverObject || !DriverRegKey || Flags != 0 || (ULONG)RegKeyType >= G_N_ELEMENTS(reg_driver_subkeys))
		return STATUS_INVALID_PARAMETER;
	service = reg_driver_service(DriverObject);
	if (!service)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	wpath = reg_utf8_to_utf16(service, &chars);
	status = RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, wpath);
	g_free(wpath);
	if (!NT_SUCCESS(status)) {
		g_free(service);
		return status;
	}
	path = g_strdup_printf("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s\\%s",
			       service, reg_driver_subkeys[RegKeyType]);
	wpath = reg_utf8_to_utf16(path, &chars);
	name.Buffer = wpath;
	name.Length = (USHORT)(chars * sizeof(WCHAR));
	name.MaximumLength = name.Length;
	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
	status = ZwCreateKey(DriverRegKey, DesiredAccess, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, NULL);
	g_free(wpath);
	g_free(path);
	g_free(service);
	return status;
}
