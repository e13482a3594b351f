/*
 * Control requests (host/control/control.h): every argument is checked
 * before use; a bad request gets STATUS_INVALID_PARAMETER and a message
 * that says what was wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <altitude/host.h>
#include <altitude/ntstatus_defs.h>
#include <altitude/volume.h>

#include "fltmgrd.h"

#define FM_MAX_RECORDS CTL_MAX_STRINGS

struct fm_reply {
	int32_t status;
	char *strings[FM_MAX_RECORDS];
	size_t count;
};

static void fm_reply_add(struct fm_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fm_reply_add(struct fm_reply *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (r->count == FM_MAX_RECORDS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		r->strings[r->count++] = s;
}

static void fm_reply_set(struct fm_reply *r, int32_t status, const char *message)
{
	r->status = status;
	free(r->strings[0]);
	r->strings[0] = strdup(message ? message : "");
}

static bool fm_args(const struct ctl_msg *req, struct fm_reply *r, size_t min, size_t max)
{
	if (req->count >= min && req->count <= max)
		return true;
	fm_reply_set(r, STATUS_INVALID_PARAMETER, "wrong number of arguments");
	return false;
}

static void fm_do_load(const struct ctl_msg *req, struct fm_reply *r)
{
	char *message = NULL;
	NTSTATUS s;

	if (!fm_args(req, r, 1, 1))
		return;
	s = altitude_host_filter_load(req->strings[0], &message);
	fm_crash_refresh_modules();
	fm_reply_set(r, s, message);
	if (NT_SUCCESS(s))
		fm_log(FM_INFO, "filter %s loaded", req->strings[0]);
	else
		fm_log(FM_WARNING, "filter %s: load failed with 0x%08X%s%s", req->strings[0],
		       (unsigned)s, message ? ": " : "", message ? message : "");
	altitude_host_free(message);
}

static void fm_do_unload(const struct ctl_msg *req, struct fm_reply *r)
{
	struct fm_pool_snapshot *before;
	NTSTATUS s;

	if (!fm_args(req, r, 2, 2))
		return;
	if (strcmp(req->strings[1], "0") != 0 && strcmp(req->strings[1], "1") != 0) {
		fm_reply_set(r, STATUS_INVALID_PARAMETER, "the mandatory flag must be 0 or 1");
		return;
	}
	before = fm_report_snapshot();
	s = altitude_host_filter_unload(req->strings[0], req->strings[1][0] == '1');
	fm_crash_refresh_modules();
	fm_reply_set(r, s, NULL);
	fm_log(NT_SUCCESS(s) ? FM_INFO : FM_WARNING, "filter %s: unload%s: 0x%08X", req->strings[0],
	       req->strings[1][0] == '1' ? " (mandatory)" : "", (unsigned)s);
	if (NT_SUCCESS(s))
		fm_report_unload(req->strings[0], before);
	else
		free(before);
}

static void fm_do_install(const struct ctl_msg *req, struct fm_reply *r)
{
	char *error = NULL, *end;
	unsigned long start;
	NTSTATUS s;

	if (!fm_args(req, r, 4, CTL_MAX_STRINGS))
		return;
	start = strtoul(req->strings[3], &end, 10);
	if (!req->strings[3][0] || *end || start > 4) {
		fm_reply_set(r, STATUS_INVALID_PARAMETER, "the start type must be 0..4");
		return;
	}
	if (req->strings[1][0] != '/') {
		fm_reply_set(r, STATUS_INVALID_PARAMETER, "the module path must be absolute");
		return;
	}
	s = altitude_registry_install(req->strings[0], req->strings[1], req->strings[2],
				      (const char *const *)req->strings + 4, req->count - 4,
				      (ULONG)start, &error);
	fm_reply_set(r, s, error);
	altitude_host_free(error);
}

static void fm_do_uninstall(const struct ctl_msg *req, struct fm_reply *r)
{
	if (fm_args(req, r, 1, 1))
		fm_reply_set(r, altitude_registry_uninstall(req->strings[0]), NULL);
}

/* The loaded filters (calloc'd, *count of them); NULL (reply set) when out of memory. */
static altitude_host_filter_info *fm_filter_list(ULONG *count, struct fm_reply *r)
{
	altitude_host_filter_info *infos;
	ULONG n = altitude_host_filters(NULL, 0);

	infos = calloc(n ? n : 1, sizeof(*infos));
	if (!infos) {
		fm_reply_set(r, STATUS_INSUFFICIENT_RESOURCES, "out of memory");
		return NULL;
	}
	*count = altitude_host_filters(infos, n);
	if (*count > n)
		*count = n;
	return infos;
}

/*
 * The instances (calloc'd, *count of them; one attached between the two
 * calls is left out); NULL (reply set) when out of memory.
 */
static altitude_host_instance_info *fm_instance_list(ULONG *count, struct fm_reply *r)
{
	altitude_host_instance_info *infos;
	ULONG n = altitude_host_instances(NULL, 0);

	infos = calloc(n ? n : 1, sizeof(*infos));
	if (!infos) {
		fm_reply_set(r, STATUS_INSUFFICIENT_RESOURCES, "out of memory");
		return NULL;
	}
	*count = altitude_host_instances(infos, n);
	if (*count > n)
		*count = n;
	return infos;
}

/* An instance of `filter` (any if "") on `volume` (any if ""). */
static bool fm_instance_selected(const altitude_host_instance_info *info, const char *filter,
				 const char *volume)
{
	return (!filter[0] || strcasecmp(filter, info->filter) == 0) &&
	       (!volume[0] || strcmp(volume, info->volume) == 0);
}

static void fm_do_filters(const struct ctl_msg *req, struct fm_reply *r)
{
	altitude_host_filter_info *infos;
	ULONG n;

	if (!fm_args(req, r, 0, 0))
		return;
	infos = fm_filter_list(&n, r);
	if (!infos)
		return;
	fm_reply_set(r, STATUS_SUCCESS, NULL);
	for (ULONG i = 0; i < n; i++)
		fm_reply_add(r, "%s\x1f%lu\x1f%s\x1f%lu\x1f%s\x1f%lu\x1f%llu", infos[i].name,
			     (unsigned long)infos[i].instances, infos[i].altitude,
			     (unsigned long)infos[i].frame, infos[i].module,
			     (unsigned long)infos[i].pending, (unsigned long long)infos[i].oldest_ms);
	free(infos);
}

static void fm_do_mount(const struct ctl_msg *req, struct fm_reply *r)
{
	char err[256] = "";
	unsigned flags = 0;
	int rc;

	if (!fm_args(req, r, 2, 3))
		return;
	if ((req->strings[0][0] && req->strings[0][0] != '/') || req->strings[1][0] != '/') {
		fm_reply_set(r, STATUS_INVALID_PARAMETER, "paths must be absolute");
		return;
	}
	if (req->count == 3 && strcmp(req->strings[2], "private") == 0) {
		flags = ALTITUDE_VOLUME_PRIVATE;
	} else if (req->count == 3 && req->strings[2][0]) {
		fm_reply_set(r, STATUS_INVALID_PARAMETER, "the only mount option is \"private\"");
		return;
	}
	rc = fm_volume_mount(req->strings[0][0] ? req->strings[0] : NULL, req->strings[1], flags,
			     err, sizeof(err));
	fm_reply_set(r, rc ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS, err);
}

static void fm_do_unmount(const struct ctl_msg *req, struct fm_reply *r)
{
	int rc;

	if (!fm_args(req, r, 1, 1))
		return;
	rc = fm_volume_unmount(req->strings[0]);
	if (rc == ENOENT)
		fm_reply_set(r, STATUS_OBJECT_NAME_NOT_FOUND, "no altitude volume is mounted there");
	else
		fm_reply_set(r, rc ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS, rc ? strerror(rc) : NULL);
}

static void fm_volume_record(const char *mountpoint, const char *name, const char *source,
			     void *ctx)
{
	fm_reply_add(ctx, "%s\x1f%s\x1f%s\x1f%s", mountpoint, name, "altitudefs", source);
}

/* The volume name of a request's volume argument; false (reply set) when unknown. */
static bool fm_volume_arg(const char *arg, char *name, size_t size, struct fm_reply *r)
{
	if (fm_volume_device_name(arg, name, size))
		return true;
	fm_reply_set(r, STATUS_FLT_VOLUME_NOT_FOUND, "no altitude volume is mounted there");
	return false;
}

static void fm_do_instances(const struct ctl_msg *req, struct fm_reply *r)
{
	altitude_host_instance_info *infos;
	char volume[256] = "", dos[4096];
	ULONG n;

	if (!fm_args(req, r, 2, 2))
		return;
	if (req->strings[1][0] && !fm_volume_arg(req->strings[1], volume, sizeof(volume), r))
		return;
	infos = fm_instance_list(&n, r);
	if (!infos)
		return;
	fm_reply_set(r, STATUS_SUCCESS, NULL);
	for (ULONG i = 0; i < n; i++) {
		if (!fm_instance_selected(&infos[i], req->strings[0], volume))
			continue;
		fm_volume_mountpoint(infos[i].volume, dos, sizeof(dos));
		fm_reply_add(r, "%s\x1f%s\x1f%s\x1f%s\x1f" "0\x1f%s\x1f%lu\x1f%llu", infos[i].filter,
			     infos[i].volume, infos[i].altitude, infos[i].instance, dos,
			     (unsigned long)infos[i].pending, (unsigned long long)infos[i].oldest_ms);
	}
	free(infos);
}

static void fm_do_attach(const struct ctl_msg *req, struct fm_reply *r)
{
	char volume[256];
	NTSTATUS s;

	if (!fm_args(req, r, 4, 4) || !fm_volume_arg(req->strings[1], volume, sizeof(volume), r))
		return;
	s = altitude_host_attach(req->strings[0], volume, req->strings[2], req->strings[3]);
	fm_reply_set(r, s, NULL);
	fm_log(NT_SUCCESS(s) ? FM_INFO : FM_WARNING, "attach %s to %s: 0x%08X", req->strings[0],
	       volume, (unsigned)s);
}

static void fm_do_detach(const struct ctl_msg *req, struct fm_reply *r)
{
	char volume[256];
	NTSTATUS s;

	if (!fm_args(req, r, 3, 3) || !fm_volume_arg(req->strings[1], volume, sizeof(volume), r))
		return;
	s = altitude_host_detach(req->strings[0], volume, req->strings[2]);
	fm_reply_set(r, s, NULL);
	fm_log(NT_SUCCESS(s) ? FM_INFO : FM_WARNING, "detach %s from %s: 0x%08X", req->strings[0],
	       volume, (unsigned)s);
}

static void fm_do_volumes(const struct ctl_msg *req, struct fm_reply *r)
{
	if (!fm_args(req, r, 0, 0))
		return;
	fm_reply_set(r, STATUS_SUCCESS, NULL);
	fm_volume_each(fm_volume_record, r);
}

static void fm_do_status(const struct ctl_msg *req, struct fm_reply *r)
{
	if (!fm_args(req, r, 0, 0))
		return;
	fm_reply_set(r, STATUS_SUCCESS, NULL);
	fm_reply_add(r, "pid\x1f%d", (int)getpid());
	fm_reply_add(r, "protocol\x1f%d", CTL_VERSION);
	fm_reply_add(r, "runtime_dir\x1f%s", fm_options.runtime_dir);
	fm_reply_add(r, "registry_dir\x1f%s", fm_options.registry_dir);
	fm_reply_add(r, "filters\x1f%lu", (unsigned long)altitude_host_filters(NULL, 0));
}

static const altitude_host_filter_info *fm_filter_find(const altitude_host_filter_info *infos,
						       ULONG count, const char *name)
{
	for (ULONG i = 0; i < count; i++)
		if (strcasecmp(infos[i].name, name) == 0)
			return &infos[i];
	return NULL;
}

/*
 * CTL_MGMT_INSTANCES: CTL_INSTANCES for libfltlib, which must tell an
 * unknown filter or volume from one without instances.
 */
static void fm_do_mgmt_instances(const struct ctl_msg *req, struct fm_reply *r)
{
	altitude_host_filter_info *filters = NULL;
	altitude_host_instance_info *infos = NULL;
	const altitude_host_filter_info *f;
	char volume[256] = "", dos[4096];
	ULONG nf = 0, n;

	if (!fm_args(req, r, 2, 2))
		return;
	if (req->strings[1][0] && !fm_volume_arg(req->strings[1], volume, sizeof(volume), r))
		return;
	if (volume[0]) {
		fm_volume_mountpoint(volume, dos, sizeof(dos));
		if (!dos[0]) {
			fm_reply_set(r, STATUS_FLT_VOLUME_NOT_FOUND, "no such volume");
			return;
		}
	}
	filters = fm_filter_list(&nf, r);
	if (!filters)
		return;
	if (req->strings[0][0] && !fm_filter_find(filters, nf, req->strings[0])) {
		fm_reply_set(r, STATUS_FLT_FILTER_NOT_FOUND, "no such filter");
		goto out;
	}
	infos = fm_instance_list(&n, r);
	if (!infos)
		goto out;
	fm_reply_set(r, STATUS_SUCCESS, NULL);
	for (ULONG i = 0; i < n; i++) {
		if (!fm_instance_selected(&infos[i], req->strings[0], volume))
			continue;
		f = fm_filter_find(filters, nf, infos[i].filter);
		fm_reply_add(r, "%s\x1f%s\x1f%s\x1f%s\x1f%lu", infos[i].filter, infos[i].volume,
			     infos[i].altitude, infos[i].instance, f ? (unsigned long)f->frame : 0ul);
	}
out:
	free(infos);
	free(filters);
}

/* CTL_ATTACH_NAMED: CTL_ATTACH that answers with the new instance's name (FilterAttach). */
static void fm_do_attach_named(const struct ctl_msg *req, struct fm_reply *r)
{
	char volume[256], created[256] = "";
	NTSTATUS s;

	if (!fm_args(req, r, 4, 4) || !fm_volume_arg(req->strings[1], volume, sizeof(volume), r))
		return;
	s = altitude_host_attach_named(req->strings[0], volume, req->strings[2], req->strings[3],
				       created, sizeof(created));
	fm_reply_set(r, s, NULL);
	if (NT_SUCCESS(s))
		fm_reply_add(r, "%s", created);
	fm_log(NT_SUCCESS(s) ? FM_INFO : FM_WARNING, "attach %s to %s: 0x%08X", req->strings[0],
	       volume, (unsigned)s);
}

typedef void (*fm_handler)(const struct ctl_msg *req, struct fm_reply *r);

static const fm_handler fm_handlers[CTL_TYPE_MAX + 1] = {
	[CTL_STATUS] = fm_do_status,     [CTL_LOAD] = fm_do_load,
	[CTL_UNLOAD] = fm_do_unload,     [CTL_INSTALL] = fm_do_install,
	[CTL_UNINSTALL] = fm_do_uninstall, [CTL_FILTERS] = fm_do_filters,
	[CTL_MOUNT] = fm_do_mount,       [CTL_UNMOUNT] = fm_do_unmount,
	[CTL_VOLUMES] = fm_do_volumes,   [CTL_INSTANCES] = fm_do_instances,
	[CTL_ATTACH] = fm_do_attach,     [CTL_DETACH] = fm_do_detach,
	[CTL_MGMT_INSTANCES] = fm_do_mgmt_instances,
	[CTL_ATTACH_NAMED] = fm_do_attach_named,
};

bool fm_request_handle(int fd, const struct ctl_msg *req)
{
	struct fm_reply r = { .count = 1 };
	bool ok;

	if (req->type > CTL_TYPE_MAX || !fm_handlers[req->type])
		fm_reply_set(&r, STATUS_INVALID_PARAMETER, "unknown request type");
	else
		fm_handlers[req->type](req, &r);
	if (!r.strings[0])
		fm_reply_set(&r, r.status, NULL);
	ok = ctl_send(fd, CTL_REPLY, r.status, (const char *const *)r.strings, r.count) == 0;
	for (size_t i = 0; i < r.count; i++)
		free(r.strings[i]);
	return ok;
}
