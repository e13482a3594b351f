/*
 * Debug output: DbgPrint, DbgPrintEx, vDbgPrintEx, KdPrint, KdPrintEx.
 * Lines go to the host log (<altitude/log.h>), filtered by its level mask.
 * The format is the Windows printf dialect (%wZ, %ws, %I64x, l = 32-bit);
 * one call writes at most 512 bytes, as on Windows.  KdPrint and KdPrintEx
 * are always compiled in (Altitude builds are for development).
 */
#ifndef ALTITUDE_NT_DBG_H
#define ALTITUDE_NT_DBG_H

#include <stdarg.h>
#include <ntdef.h>
#include <nt/rtl.h>

#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

typedef enum _DPFLTR_TYPE {
	DPFLTR_SYSTEM_ID = 0,
	DPFLTR_NTFS_ID = 3,
	DPFLTR_FASTFAT_ID = 33,
	DPFLTR_FLTMGR_ID = 47,
	DPFLTR_IHVDRIVER_ID = 77,
	DPFLTR_IHVVIDEO_ID = 78,
	DPFLTR_IHVAUDIO_ID = 79,
	DPFLTR_IHVNETWORK_ID = 80,
	DPFLTR_IHVSTREAMING_ID = 81,
	DPFLTR_IHVBUS_ID = 82,
	DPFLTR_DEFAULT_ID = 101,
} DPFLTR_TYPE;

/* DbgPrint prints at DPFLTR_INFO_LEVEL.  All return STATUS_SUCCESS. */
/* No printf format attribute: the Windows dialect would trip -Wformat. */
NTSYSAPI ULONG __cdecl DbgPrint(PCSTR Format, ...);
NTSYSAPI ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
NTSYSAPI ULONG NTAPI vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist);
NTSYSAPI ULONG NTAPI vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level,
					   PCCH Format, va_list arglist);

#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define vKdPrintEx(_x_) vDbgPrintEx _x_
#define vKdPrintExWithPrefix(_x_) vDbgPrintExWithPrefix _x_

#endif /* ALTITUDE_NT_DBG_H */
