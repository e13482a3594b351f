/*
 * MmGetSystemRoutineAddress: the address of a routine the runtime exports
 * under its Windows name (the names libfltmgr.so exports), or NULL for an
 * unknown name, a name the runtime does not export (its internal functions,
 * the altitude_* API, inline routines) and a name that is not printable ASCII.
 */
#ifndef ALTITUDE_NT_MM_H
#define ALTITUDE_NT_MM_H

#include <ntdef.h>

NTKERNELAPI PVOID NTAPI MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

#endif /* ALTITUDE_NT_MM_H */
