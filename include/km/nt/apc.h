/*
 * Critical and guarded regions.  Each thread counts how deeply it is inside
 * critical regions (normal kernel APCs disabled) and guarded regions (all
 * APCs disabled).  Leaving a region the thread is not in bugchecks
 * APC_INDEX_MISMATCH (parameter 3: guarded depth << 16 | critical depth) and
 * leaves the counters unchanged.
 *
 * KeAreApcsDisabled is TRUE inside a critical or a guarded region (owning a
 * KMUTEX is an implicit critical region, as on Windows);
 * KeAreAllApcsDisabled is TRUE inside a guarded region or at IRQL >=
 * APC_LEVEL (so a held fast mutex, which raises to APC_LEVEL, counts).
 */
#ifndef ALTITUDE_NT_APC_H
#define ALTITUDE_NT_APC_H

#include <ntdef.h>

NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);
NTKERNELAPI BOOLEAN NTAPI KeAreAllApcsDisabled(VOID);

#endif /* ALTITUDE_NT_APC_H */
