/* Rtl memory routines. */
#ifndef ALTITUDE_NT_RTL_H
#define ALTITUDE_NT_RTL_H

#include <string.h>
#include <ntdef.h>
#include <altitude/winerror_defs.h>

#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlSecureZeroMemory(Destination, Length) explicit_bzero((Destination), (Length))

/* Returns the number of leading bytes that match. */
NTSYSAPI SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);

/* Win32 error for an NTSTATUS; ERROR_MR_MID_NOT_FOUND when there is none. */
NTSYSAPI ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);
NTSYSAPI ULONG NTAPI RtlNtStatusToDosErrorNoTeb(NTSTATUS Status);

#endif /* ALTITUDE_NT_RTL_H */
