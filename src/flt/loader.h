/*
 * Loader records: a filter's instance configuration, what the registry's
 * Instances key holds on Windows (DefaultInstance, and per instance its
 * name, Altitude and Flags).  The harness fills one before calling the
 * filter's DriverEntry; the host will fill it from its registry store.
 * FltRegisterFilter finds the record by the DRIVER_OBJECT it is given.
 */
#ifndef ALTITUDE_SRC_FLT_LOADER_H
#define ALTITUDE_SRC_FLT_LOADER_H

#include <fltKernel.h>

/* Instance flags, as in the registry's Instances\<name>\Flags value. */
#define FLT_LOADER_NO_AUTOMATIC_ATTACH 0x00000001
#define FLT_LOADER_NO_MANUAL_ATTACH 0x00000002

struct flt_loader_instance {
	const WCHAR *name;     /* NUL-terminated */
	const WCHAR *altitude; /* decimal, optional fraction */
	ULONG flags;           /* FLT_LOADER_* */
};

struct flt_loader_record {
	const WCHAR *service_name;     /* the filter's name, e.g. L"scanner" */
	const WCHAR *default_instance; /* NULL: the first instance */
	ULONG instance_count;
	const struct flt_loader_instance *instances;
};

/*
 * Creates a DRIVER_OBJECT for `record` (copied), calls `entry` with it and
 * the registry path "\Registry\Machine\System\CurrentControlSet\Services\<name>",
 * and returns DriverEntry's status.  On failure the driver object is gone.
 */
NTSTATUS flt_loader_load(const struct flt_loader_record *record, PDRIVER_INITIALIZE entry,
			 PDRIVER_OBJECT *driver_out);
/* The record of a driver object from flt_loader_load, or NULL. */
const struct flt_loader_record *flt_loader_find(PDRIVER_OBJECT driver);
/* The filter a driver registered (NULL before FltRegisterFilter or after unregistering). */
PFLT_FILTER flt_loader_filter(PDRIVER_OBJECT driver);
void flt_loader_set_filter(PDRIVER_OBJECT driver, PFLT_FILTER filter);
/* Releases a driver object once its filter is unregistered. */
void flt_loader_release(PDRIVER_OBJECT driver);

#endif /* ALTITUDE_SRC_FLT_LOADER_H */
