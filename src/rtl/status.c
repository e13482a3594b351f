/* NTSTATUS to Win32 error, errno, HRESULT and name, through the status table. */
#include <errno.h>
#include <stdio.h>

#include <altitude/status.h>
#include "rtl/rtl.h"

#define CUSTOMER_BIT 0x20000000u
#define FACILITY_NTWIN32 0x7u /* an NTSTATUS that carries a Win32 error */

/*
 * Like Windows: a customer-defined code (bit 29) is returned unchanged, an
 * NTSTATUS wrapped by HRESULT_FROM_NT is unwrapped, and a warning or error of
 * FACILITY_NTWIN32 (which includes HRESULT_FROM_WIN32 values) gives back the
 * Win32 code it carries.
 */
ULONG NTAPI RtlNtStatusToDosErrorNoTeb(NTSTATUS Status)
{
	ULONG value = (ULONG)Status;
	const struct rtl_status_row *row;

	if (value & CUSTOMER_BIT)
		return value;
	if ((value & 0xF0000000u) == 0xD0000000u)
		value &= ~(ULONG)FACILITY_NT_BIT;
	if (((value >> 16) & 0xFFFu) == FACILITY_NTWIN32 && (value & 0x80000000u))
		return value & 0xFFFFu;
	row = rtl_status_find((NTSTATUS)value);
	return row ? row->win32 : ERROR_MR_MID_NOT_FOUND;
}

/* There is no TEB to record the last status in: the same as the NoTeb form. */
ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status)
{
	return RtlNtStatusToDosErrorNoTeb(Status);
}

const char *altitude_status_name(NTSTATUS status)
{
	static __thread char unknown[sizeof("0x12345678")];
	const struct rtl_status_row *row = rtl_status_find(status);

	if (row)
		return row->name;
	snprintf(unknown, sizeof(unknown), "0x%08X", (unsigned int)status);
	return unknown;
}

int altitude_status_to_errno(NTSTATUS status)
{
	const struct rtl_status_row *row = rtl_status_find(status);

	if (row)
		return row->err;
	return NT_SUCCESS(status) || NT_INFORMATION(status) ? 0 : EIO;
}

HRESULT altitude_status_to_hresult(NTSTATUS status)
{
	ULONG win32 = RtlNtStatusToDosError(status);

	if (win32 > 0xFFFFu)
		return (HRESULT)win32;
	return HRESULT_FROM_WIN32(win32);
}
