/*
 * Volumes: a source directory served through a FUSE mount.  For now each
 * mounted volume is a pure passthrough to the lower file system (no filter
 * stack); the glue to the Filter Manager replaces the operation table.
 *
 * A volume is mounted either at a separate mount point, or in place over its
 * source directory: the directory is opened first, then the mount covers
 * it, so every program sees the filtered view while the lower file system
 * still reaches the raw files through the descriptor.
 *
 * The FUSE session runs on its own threads; fs_volume_mount returns once the
 * mount is live.  Functions return 0 or a positive errno value.
 */
#ifndef ALTITUDE_SRC_FS_VOLUME_H
#define ALTITUDE_SRC_FS_VOLUME_H

#include <stdbool.h>
#include <stddef.h>

struct fs_volume;

struct fs_volume_options {
	const char *source;	/* source directory; NULL: in place over mountpoint */
	const char *mountpoint;
	unsigned max_threads;	/* FUSE worker threads; 0: the default (16) */
};

/* FUSE file-system subtype of every volume: mounts appear as "fuse.altitude". */
#define FS_VOLUME_SUBTYPE "altitude"

int fs_volume_mount(const struct fs_volume_options *opts, struct fs_volume **out);

/* Stops the session, unmounts (lazily if files are still open) and frees. */
int fs_volume_unmount(struct fs_volume *vol);

const char *fs_volume_mountpoint(const struct fs_volume *vol);
/* The Filter Manager volume's NT device name ("\Device\AltitudeVolume1"). */
const char *fs_volume_name(const struct fs_volume *vol);

/* FUSE INTERRUPT requests delivered to operations of this volume so far. */
unsigned long fs_volume_interrupts(const struct fs_volume *vol);

/*
 * Detaches stale altitude mounts: those in /proc/self/mountinfo with our
 * subtype whose FUSE server is gone (statfs fails with ENOTCONN).  With a
 * mountpoint, only a mount there is considered.  *cleaned (optional) counts
 * the mounts detached.
 */
int fs_volume_cleanup_stale(const char *mountpoint, unsigned *cleaned);

#endif /* ALTITUDE_SRC_FS_VOLUME_H */
