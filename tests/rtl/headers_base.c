/*
 * Compile-only check that the project's base headers stand alone on
 * <altitude/wintypes.h> (user-mode code includes them without include/km).
 */
#include <altitude/winerror_defs.h>
#include <altitude/ntstatus_defs.h>
#include <altitude/status.h>
#include <altitude/log.h>

_Static_assert(ERROR_SUCCESS == 0 && ERROR_INVALID_PARAMETER == 87, "winerror");
_Static_assert(FACILITY_USERMODE_FILTER_MANAGER == 0x1F, "facility");

int headers_base_use(void);

int headers_base_use(void)
{
	HRESULT hr = HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED);

	return SUCCEEDED(hr) + altitude_status_to_errno(STATUS_ACCESS_DENIED);
}
