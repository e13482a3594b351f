/*
 * Each mounted volume is a Filter Manager volume, \Device\AltitudeVolumeN
 * (the lowest N not in use), over the passthrough lower file system; the
 * started filters' default instances attach when it is created, and every
 * instance is torn down (VOLUME_DISMOUNT) when it is unmounted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "fs/fuse/internal.h"

static NTSTATUS try_number(struct fs_volume *vol, ULONG n)
{
	static const struct flt_volume_config config = {
		FILE_DEVICE_DISK_FILE_SYSTEM, 0, 512, FLT_FSTYPE_UNKNOWN, NULL, NULL, NULL
	};
	WCHAR wide[sizeof vol->name];
	UNICODE_STRING name;

	snprintf(vol->name, sizeof vol->name, "\\Device\\AltitudeVolume%u", (unsigned)n);
	for (size_t i = 0; i < sizeof vol->name; i++)
		wide[i] = (WCHAR)(unsigned char)vol->name[i];
	RtlInitUnicodeString(&name, wide);
	return flt_volume_create(&name, &config, &fs_glue_lower_ops, vol, &vol->flt);
}

int fs_glue_volume_create(struct fs_volume *vol)
{
	vol->host.uid = geteuid();
	vol->host.gid = getegid();
	for (ULONG n = 1; n < 100000; n++) {
		NTSTATUS s = try_number(vol, n);
		if (NT_SUCCESS(s)) {
			vol->number = n;
			return 0;
		}
		if (s != STATUS_FLT_VOLUME_ALREADY_MOUNTED)
			return altitude_status_to_errno(s);
	}
	return EMFILE;
}

void fs_glue_volume_destroy(struct fs_volume *vol)
{
	/* Locks still waiting end now (STATUS_CANCELLED): the volume waits for its operations. */
	fs_glue_locks_cancel(vol);
	if (vol->flt)
		flt_volume_destroy(vol->flt);
	vol->flt = NULL;
}

const char *fs_glue_mount_path(PFLT_VOLUME volume)
{
	if (!volume || volume->lower != &fs_glue_lower_ops)
		return NULL;
	return ((struct fs_volume *)volume->lower_ctx)->mountpoint;
}
