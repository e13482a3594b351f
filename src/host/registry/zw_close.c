/*
 * ZwClose for key handles.  The ke layer has a ZwClose for its own object
 * handles; when both are in one library, one ZwClose must try
 * host_registry_close_handle first and give other handles to ke.
 */
#include "ke/ke.h"
#include "host/registry/store.h"

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwClose"))
		return STATUS_UNSUCCESSFUL;
	return host_registry_close_handle(Handle);
}
