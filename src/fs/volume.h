/*
 * Volumes: a source directory served through a FUSE mount.  Each mounted
 * volume is a Filter Manager volume (\Device\AltitudeVolumeN, see
 * fs/flt/glue.h): the default operation table sends every operation through
 * the volume's filter stack to the passthrough lower file system.
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
struct fuse_lowlevel_ops;

struct fs_volume_options {
	const char *source;	/* source directory; NULL: in place over mountpoint */
	const char *mountpoint;
	unsigned max_threads;	/* FUSE worker threads; 0: the default (16) */
	/*
	 * The operation table (copied; its init is replaced by the volume's),
	 * whose operations reach the volume through fuse_req_userdata() and
	 * answer through per-request records (fs/fuse/internal.h).  NULL: the
	 * default table, through the filter stack (fs/flt/glue.h).
	 */
	const struct fuse_lowlevel_ops *ops;
	/*
	 * Only the mounting user may use the volume (no allow_other).  The
	 * kernel does not ask the volume before it walks a cached name, so a
	 * volume others may use caches only names in directories everyone may
	 * search; a private volume caches every name.
	 */
	bool private_to_owner;
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
