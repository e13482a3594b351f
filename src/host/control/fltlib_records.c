/*
 * The daemon's records as libfltlib reads them (host/control/control.h):
 * the fields it needs, in order; later fields (the protocol appends some)
 * are ignored.
 */
#include <stdlib.h>

#include "host/control/fltlib.h"

#define FLTLIB_MAX_FIELDS 16

static BOOL fltlib_ulong(const char *text, ULONG *out)
{
	char *end;
	unsigned long v;

	if (text[0] < '0' || text[0] > '9')
		return FALSE;
	v = strtoul(text, &end, 10);
	if (*end || v > 0xFFFFFFFFul)
		return FALSE;
	*out = (ULONG)v;
	return TRUE;
}

/* CTL_FILTERS: name, instances, altitude, frame, module. */
BOOL fltlib_parse_filter(char *record, struct fltlib_filter *out)
{
	char *f[FLTLIB_MAX_FIELDS];

	if (ctl_split(record, f, FLTLIB_MAX_FIELDS) < 4 || !f[0][0])
		return FALSE;
	out->name = f[0];
	out->altitude = f[2];
	return fltlib_ulong(f[1], &out->instances) && fltlib_ulong(f[3], &out->frame);
}

/* CTL_VOLUMES: mount point, volume name, file system, source.  One frame (0) holds them all. */
BOOL fltlib_parse_volume(char *record, struct fltlib_volume *out)
{
	char *f[FLTLIB_MAX_FIELDS];

	if (ctl_split(record, f, FLTLIB_MAX_FIELDS) < 2 || !f[1][0])
		return FALSE;
	out->dos_name = f[0];
	out->name = f[1];
	out->frame = 0;
	return TRUE;
}

/* CTL_MGMT_INSTANCES: filter, volume name, altitude, instance, frame. */
BOOL fltlib_parse_instance(char *record, struct fltlib_instance *out)
{
	char *f[FLTLIB_MAX_FIELDS];

	if (ctl_split(record, f, FLTLIB_MAX_FIELDS) < 5 || !f[0][0] || !f[1][0] || !f[3][0])
		return FALSE;
	out->filter = f[0];
	out->volume = f[1];
	out->altitude = f[2];
	out->instance = f[3];
	return fltlib_ulong(f[4], &out->frame);
}
