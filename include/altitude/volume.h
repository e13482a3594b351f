/*
 * Altitude volumes: a source directory served through a FUSE mount, every
 * operation passing through the volume's filter stack (the Filter Manager
 * volume altitude_volume_name names) to the real files.
 *
 * Functions return 0 or a positive errno value.
 */
#ifndef ALTITUDE_VOLUME_H
#define ALTITUDE_VOLUME_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct altitude_volume altitude_volume;

/*
 * Mounts `source` at `mountpoint`, or in place over `mountpoint` when source
 * is NULL (the directory is opened first, then covered by the mount).  A
 * stale altitude mount left at mountpoint by a killed host is detached
 * first.  The volume is served by its own threads until unmounted.
 */
int altitude_volume_mount(const char *source, const char *mountpoint, altitude_volume **out);

/*
 * Only the mounting user may use the volume.  Without it a volume mounted
 * by root admits every user (allow_other) and the kernel caches only names
 * in directories everyone may search (it walks cached names without asking
 * the volume); a private volume caches every name.
 */
#define ALTITUDE_VOLUME_PRIVATE 0x1u

/* altitude_volume_mount with ALTITUDE_VOLUME_* flags (others: EINVAL). */
int altitude_volume_mount_ex(const char *source, const char *mountpoint, unsigned flags,
			     altitude_volume **out);

/* The volume's NT device name, e.g. "\\Device\\AltitudeVolume1" (UTF-8). */
const char *altitude_volume_name(const altitude_volume *vol);

/* Unmounts and frees the volume. */
int altitude_volume_unmount(altitude_volume *vol);

/*
 * Detaches stale altitude mounts (their server is gone): the one at
 * mountpoint, or all of them when mountpoint is NULL.  *cleaned (optional)
 * receives how many were detached.
 */
int altitude_volume_cleanup_stale(const char *mountpoint, unsigned *cleaned);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_VOLUME_H */
