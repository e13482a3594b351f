/*
 * The daemon's volumes: FUSE mounts of a source directory (or in place over
 * a directory) whose operations pass through the filter stack.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <altitude/volume.h>

#include "fltmgrd.h"

struct fm_volume {
	struct fm_volume *next;
	char *mountpoint;
	char *source; /* "" for in place */
	altitude_volume *vol;
};

static pthread_mutex_t fm_volumes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fm_volume *fm_volumes;

/*
 * <runtime dir>/volumes lists the mount points, one per line, so that the
 * next daemon detaches exactly its predecessor's stale mounts first (the
 * sweep over every altitude mount can be held up by another process's
 * mount whose server does not answer).  Written under the table lock.
 */
static void fm_volumes_save(void)
{
	char path[600], tmp[610];
	FILE *f;

	snprintf(path, sizeof(path), "%s/volumes", fm_options.runtime_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (struct fm_volume *v = fm_volumes; v; v = v->next)
		fprintf(f, "%s\n", v->mountpoint);
	if (fclose(f) == 0)
		rename(tmp, path);
}

void fm_volumes_cleanup_recorded(void)
{
	char path[600], line[PATH_MAX + 2];
	unsigned cleaned = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/volumes", fm_options.runtime_dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		if (line[0] == '/' && altitude_volume_cleanup_stale(line, &n) == 0)
			cleaned += n;
	}
	fclose(f);
	unlink(path);
	if (cleaned)
		fm_log(FM_INFO, "cleaned up %u stale altitude mount(s) of the previous fltmgrd", cleaned);
}

static struct fm_volume **fm_volume_find(const char *mountpoint)
{
	for (struct fm_volume **v = &fm_volumes; *v; v = &(*v)->next)
		if (strcmp((*v)->mountpoint, mountpoint) == 0)
			return v;
	return NULL;
}

int fm_volume_mount(const char *source, const char *mountpoint, unsigned flags, char *err,
		    size_t errsize)
{
	char real[PATH_MAX];
	struct fm_volume *v;
	int rc;

	/* A stale mount (its server killed) cannot be resolved: take the path as given. */
	if (!realpath(mountpoint, real) && errno == ENOTCONN)
		snprintf(real, sizeof(real), "%s", mountpoint);
	else if (!realpath(mountpoint, real)) {
		rc = errno;
		snprintf(err, errsize, "%s: %s", mountpoint, strerror(rc));
		return rc;
	}
	pthread_mutex_lock(&fm_volumes_lock);
	rc = EBUSY;
	if (fm_volume_find(real)) {
		snprintf(err, errsize, "%s: an altitude volume is already mounted there", real);
		goto out;
	}
	v = calloc(1, sizeof(*v));
	rc = ENOMEM;
	if (!v)
		goto out;
	rc = altitude_volume_mount_ex(source, real, flags, &v->vol);
	if (rc) {
		snprintf(err, errsize, "cannot mount %s on %s: %s", source ? source : "(in place)",
			 real, strerror(rc));
		free(v);
		goto out;
	}
	v->mountpoint = strdup(real);
	v->source = strdup(source ? source : "");
	v->next = fm_volumes;
	fm_volumes = v;
	fm_volumes_save();
	fm_crash_add_volume(real);
	fm_log(FM_INFO, "volume mounted: %s -> %s", source ? source : "(in place)", real);
out:
	pthread_mutex_unlock(&fm_volumes_lock);
	return rc;
}

static int fm_volume_remove(struct fm_volume **link)
{
	struct fm_volume *v = *link;
	int rc;

	fm_crash_remove_volume(v->mountpoint);
	rc = altitude_volume_unmount(v->vol);

	*link = v->next;
	fm_volumes_save();
	fm_log(rc ? FM_WARNING : FM_INFO, "volume %s unmounted%s%s", v->mountpoint,
	       rc ? ": " : "", rc ? strerror(rc) : "");
	free(v->mountpoint);
	free(v->source);
	free(v);
	return rc;
}

int fm_volume_unmount(const char *mountpoint)
{
	char real[PATH_MAX];
	struct fm_volume **link;
	int rc = ENOENT;

	pthread_mutex_lock(&fm_volumes_lock);
	link = fm_volume_find(mountpoint);
	if (!link && realpath(mountpoint, real))
		link = fm_volume_find(real);
	if (link)
		rc = fm_volume_remove(link);
	pthread_mutex_unlock(&fm_volumes_lock);
	return rc;
}

void fm_volume_each(void (*fn)(const char *mountpoint, const char *name, const char *source,
			       void *ctx),
		    void *ctx)
{
	pthread_mutex_lock(&fm_volumes_lock);
	for (struct fm_volume *v = fm_volumes; v; v = v->next)
		fn(v->mountpoint, altitude_volume_name(v->vol), v->source, ctx);
	pthread_mutex_unlock(&fm_volumes_lock);
}

bool fm_volume_device_name(const char *target, char *buf, size_t size)
{
	char real[PATH_MAX];
	struct fm_volume **link;

	if (target[0] == '\\') {
		snprintf(buf, size, "%s", target);
		return true;
	}
	pthread_mutex_lock(&fm_volumes_lock);
	link = fm_volume_find(target);
	if (!link && realpath(target, real))
		link = fm_volume_find(real);
	if (link)
		snprintf(buf, size, "%s", altitude_volume_name((*link)->vol));
	pthread_mutex_unlock(&fm_volumes_lock);
	return link != NULL;
}

void fm_volume_mountpoint(const char *name, char *buf, size_t size)
{
	buf[0] = '\0';
	pthread_mutex_lock(&fm_volumes_lock);
	for (struct fm_volume *v = fm_volumes; v; v = v->next)
		if (strcmp(altitude_volume_name(v->vol), name) == 0)
			snprintf(buf, size, "%s", v->mountpoint);
	pthread_mutex_unlock(&fm_volumes_lock);
}

unsigned fm_volume_unmount_all(void)
{
	unsigned failed = 0;

	pthread_mutex_lock(&fm_volumes_lock);
	while (fm_volumes)
		failed += fm_volume_remove(&fm_volumes) != 0;
	pthread_mutex_unlock(&fm_volumes_lock);
	return failed;
}
