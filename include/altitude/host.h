/*
 * The host API: what fltmgrd needs from libfltmgr beyond the Windows names.
 *
 * Filter modules are shared objects exporting DriverEntry.  Loading one
 * reads the filter's service key (ImagePath, Instances) from the registry
 * store, dlopens the module (RTLD_NOW | RTLD_LOCAL), builds its
 * DRIVER_OBJECT, binds it to the service for IoOpenDriverRegistryKey and
 * calls DriverEntry with RegistryPath
 * \Registry\Machine\System\CurrentControlSet\Services\<name>.  Unloading
 * calls the filter's FilterUnloadCallback (refused without one unless
 * mandatory), then DriverUnload, then dlcloses the module.
 *
 * Strings are UTF-8; functions return NTSTATUS.  Memory a function hands
 * back is freed with altitude_host_free.  All functions may be called from
 * any PASSIVE_LEVEL thread; loads and unloads are serialised.
 */
#ifndef ALTITUDE_HOST_H
#define ALTITUDE_HOST_H

#include <stddef.h>
#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Service value "Start" (REG_DWORD): the host loads the filter when it starts
 * if the value is at most ALTITUDE_START_AUTO (boot 0, system 1, auto 2);
 * demand start (3, the default when absent) and disabled (4) wait for a load. */
#define ALTITUDE_START_AUTO 2u
#define ALTITUDE_START_DEMAND 3u

/* Sets the directory of service files and drops everything loaded from it. */
NTSTATUS altitude_registry_init(const char *directory);
void altitude_registry_shutdown(void);
/*
 * Writes the service file of a filter (ImagePath, one instance "<name>
 * Instance" at `altitude`, Parameters from "K=<typed value>" strings, and
 * Start).  On STATUS_INVALID_PARAMETER *error (optional) explains.
 */
NTSTATUS altitude_registry_install(const char *service, const char *image_path,
				   const char *altitude, const char *const *params,
				   size_t param_count, ULONG start, char **error);
/* Deletes a service file; STATUS_OBJECT_NAME_NOT_FOUND if none. */
NTSTATUS altitude_registry_uninstall(const char *service);
/* The service's Start value (ALTITUDE_START_DEMAND when absent). */
NTSTATUS altitude_registry_start_type(const char *service, ULONG *start);
/* The names of every service in the registry (NULL-terminated, free each and the array). */
NTSTATUS altitude_registry_services(char ***names);

/*
 * Loads a filter module.  STATUS_IMAGE_ALREADY_LOADED if it is loaded,
 * STATUS_OBJECT_NAME_NOT_FOUND for an unknown service, STATUS_INVALID_IMAGE_FORMAT
 * for a module that cannot be opened or has no DriverEntry (then *message,
 * optional, says why), or DriverEntry's own failure (the module is unloaded).
 */
NTSTATUS altitude_host_filter_load(const char *service, char **message);
/*
 * Unloads a filter module: STATUS_FLT_DO_NOT_DETACH or the unload
 * callback's status when refused (not mandatory), STATUS_OBJECT_NAME_NOT_FOUND
 * when it is not loaded.
 */
NTSTATUS altitude_host_filter_unload(const char *service, BOOLEAN mandatory);
/* Unloads every module, mandatory, newest first; returns how many. */
ULONG altitude_host_unload_all(void);

typedef struct altitude_host_filter_info {
	char name[256];
	char altitude[64];   /* the default instance's altitude, "" if none */
	char module[4096];   /* the shared object's path, "" if not a host module */
	ULONG instances;     /* attached instances */
	ULONG frame;
} altitude_host_filter_info;

/* Fills up to `capacity` records; returns the number of registered filters. */
ULONG altitude_host_filters(altitude_host_filter_info *infos, ULONG capacity);

typedef struct altitude_host_instance_info {
	char filter[256];
	char volume[256];    /* \Device\AltitudeVolumeN */
	char instance[256];
	char altitude[64];
} altitude_host_instance_info;

/* Fills up to `capacity` records, volume by volume from the highest altitude;
 * returns the number of instances. */
ULONG altitude_host_instances(altitude_host_instance_info *infos, ULONG capacity);

/*
 * Attaches an instance by names (volume: \Device\AltitudeVolumeN): at
 * `altitude` (FltAttachVolumeAtAltitude) or, when NULL or "", at the
 * filter's configured one (FltAttachVolume); `instance` NULL or "" is the
 * default instance.  The statuses are those routines' ones, and
 * FltGetFilterFromName's / FltGetVolumeFromName's for unknown names.
 */
NTSTATUS altitude_host_attach(const char *filter, const char *volume, const char *altitude,
			      const char *instance);
/* altitude_host_attach; on success `created` (size bytes, NUL-terminated,
 * truncated to fit) receives the new instance's name. */
NTSTATUS altitude_host_attach_named(const char *filter, const char *volume, const char *altitude,
				    const char *instance, char *created, size_t size);
/* FltDetachVolume by names; `instance` NULL or "" detaches the default instance. */
NTSTATUS altitude_host_detach(const char *filter, const char *volume, const char *instance);

void altitude_host_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_HOST_H */
