/* fltmgrd: the Altitude host daemon (man/fltmgrd.8). */
#ifndef ALTITUDE_SRC_HOST_FLTMGRD_H
#define ALTITUDE_SRC_HOST_FLTMGRD_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#include <altitude/pool.h>

#include "host/control/control.h"

enum fm_level { FM_ERROR, FM_WARNING, FM_INFO, FM_DEBUG };

struct fm_options {
	bool foreground;
	bool journal;
	enum fm_level level;
	char runtime_dir[512];
	char registry_dir[512];
	char admin_group[64];
	unsigned shutdown_timeout; /* seconds */
	bool sweep_all_stale;      /* --stale-cleanup all (default) or recorded */
	unsigned watchdog_timeout; /* seconds; 0: no watchdog */
};

extern struct fm_options fm_options;

/* ---- log.c: leveled log to stderr or syslog; DbgPrint lines go here too ---- */
bool fm_log_parse_level(const char *text, enum fm_level *level);
void fm_log_init(void);

/* Unload and shutdown reports (report.c). */
struct fm_pool_snapshot {
	ULONG count;
	ULONG capacity;
	ULONG context_leaks;
	altitude_pool_tag_info tags[];
};
struct fm_pool_snapshot *fm_report_snapshot(void);
/* Logs what unloading `filter` released; frees `before`. */
void fm_report_unload(const char *filter, struct fm_pool_snapshot *before);
void fm_report_shutdown(void);
void fm_log(enum fm_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- crash.c: reports of crashes in filter code ---- */
void fm_crash_init(void);
/* Updates the module table the handler uses to name the filter (after loads and unloads). */
void fm_crash_refresh_modules(void);
void fm_crash_add_volume(const char *mountpoint);
void fm_crash_remove_volume(const char *mountpoint);

/* ---- watchdog.c: logs operations, sends and drains overdue by --watchdog-timeout ---- */
void fm_watchdog_start(void);
void fm_watchdog_stop(void);

/* ---- server.c: the control socket ---- */
/* Creates the socket and starts accepting; 0 or errno. */
int fm_server_start(void);
/* Stops accepting, closes every client connection and waits for their threads. */
void fm_server_stop(void);

/* ---- requests.c ---- */
/* Answers one request on fd; returns false when the connection must be closed. */
bool fm_request_handle(int fd, const struct ctl_msg *req);

/* ---- volumes.c: mounted volumes ---- */
/* flags: ALTITUDE_VOLUME_* (altitude/volume.h). */
int fm_volume_mount(const char *source, const char *mountpoint, unsigned flags, char *err,
		    size_t errsize);
int fm_volume_unmount(const char *mountpoint);
/* Calls fn for each volume (under the table lock). */
void fm_volume_each(void (*fn)(const char *mountpoint, const char *name, const char *source,
			       void *ctx),
		    void *ctx);
/* The volume name (\Device\...) of a mount point or volume name; false if none. */
bool fm_volume_device_name(const char *target, char *buf, size_t size);
/* The mount point of a volume name, or "" (buf). */
void fm_volume_mountpoint(const char *name, char *buf, size_t size);
/* Detaches the stale mounts recorded by a previous daemon (runtime dir/volumes). */
void fm_volumes_cleanup_recorded(void);
/* Unmounts every volume; returns how many failed. */
unsigned fm_volume_unmount_all(void);

#endif /* ALTITUDE_SRC_HOST_FLTMGRD_H */
