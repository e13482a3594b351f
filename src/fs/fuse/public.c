/* The exported altitude_volume_* API over the fs layer's volumes. */
#include <errno.h>

#include <altitude/volume.h>

#include "fs/volume.h"

/* altitude_volume is the fs layer's volume under its public name. */
int altitude_volume_mount(const char *source, const char *mountpoint, altitude_volume **out)
{
	return altitude_volume_mount_ex(source, mountpoint, 0, out);
}

int altitude_volume_mount_ex(const char *source, const char *mountpoint, unsigned flags,
			     altitude_volume **out)
{
	if (!out || (flags & ~ALTITUDE_VOLUME_PRIVATE))
		return EINVAL;
	struct fs_volume_options o = { .source = source,
				       .mountpoint = mountpoint,
				       .private_to_owner = (flags & ALTITUDE_VOLUME_PRIVATE) != 0 };
	struct fs_volume *vol;
	int err = fs_volume_mount(&o, &vol);
	if (!err)
		*out = (altitude_volume *)vol;
	return err;
}

int altitude_volume_unmount(altitude_volume *vol)
{
	return fs_volume_unmount((struct fs_volume *)vol);
}

int altitude_volume_cleanup_stale(const char *mountpoint, unsigned *cleaned)
{
	return fs_volume_cleanup_stale(mountpoint, cleaned);
}

const char *altitude_volume_name(const altitude_volume *vol)
{
	return vol ? fs_volume_name((const struct fs_volume *)vol) : NULL;
}
