/*
 * ZwClose for key handles.  The ke layer owns ZwClose for its own object
 * handles; when both layers are in one library this routine is the place
 * that dispatches (a key handle here, any other handle to ke).
 */
#include "ke/ke.h"
#include "host/registry/store.h"

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
	NTSTATUS status;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwClose"))
		return STATUS_UNSUCCESSFUL;
	reg_lock();
	status = reg_handle_close(Handle);
	reg_unlock();
	return status;
}
