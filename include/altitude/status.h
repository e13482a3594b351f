/*
 * NTSTATUS names and translations to errno, Win32 errors and HRESULTs, for
 * hosts, tests and the lower file system.
 */
#ifndef ALTITUDE_STATUS_H
#define ALTITUDE_STATUS_H

#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The symbolic name ("STATUS_ACCESS_DENIED").  A value without a name gets
 * its hexadecimal form ("0xC0001234") in a per-thread buffer that the next
 * call from the same thread overwrites.
 */
const char *altitude_status_name(NTSTATUS status);

/*
 * The errno a Linux program expects for `status`: 0 for success and
 * informational codes, EACCES for STATUS_ACCESS_DENIED, ENOENT for
 * STATUS_OBJECT_NAME_NOT_FOUND, ...; EIO for a warning or error without a
 * mapping.
 */
int altitude_status_to_errno(NTSTATUS status);

/*
 * HRESULT_FROM_WIN32(RtlNtStatusToDosError(status)); a Win32 value that is
 * already an HRESULT (the ERROR_FLT_* codes) is returned as it is.
 */
HRESULT altitude_status_to_hresult(NTSTATUS status);

/*
 * The status for an errno from the lower file system: ENOENT ->
 * STATUS_OBJECT_NAME_NOT_FOUND, EACCES and EPERM -> STATUS_ACCESS_DENIED,
 * EEXIST -> STATUS_OBJECT_NAME_COLLISION, ...  0 gives STATUS_SUCCESS; a
 * negative value is read as its absolute value (the FUSE convention); an
 * errno without a mapping gives STATUS_UNSUCCESSFUL.
 */
NTSTATUS altitude_errno_to_status(int err);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_STATUS_H */
