/*
 * fltmgrd: loads filter modules, owns volumes and ports, and answers the
 * control socket (man/fltmgrd.8).
 *
 * Start: options, the runtime directory, daemonizing (double fork, pidfile
 * <runtime dir>/fltmgrd.pid; the parent returns once the socket is ready),
 * stale altitude mounts cleaned up, filters whose service has Start <= 2
 * loaded, then the control socket.  SIGTERM/SIGINT: stop the socket,
 * unmount volumes, unload filters (mandatory; each detaches and drains its
 * instances and closes its ports), within --shutdown-timeout seconds; what
 * did not finish is reported and the process exits anyway; the watchdog
 * (watchdog.c) runs until the filters are unloaded, so a stuck drain is
 * named.  Crashes in filter code: crash.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <altitude/host.h>
#include <altitude/port.h>
#include <altitude/thread.h>
#include <altitude/volume.h>

#include "fltmgrd.h"

struct fm_options fm_options = {
	.level = FM_INFO,
	.registry_dir = "/etc/altitude/filters",
	.admin_group = "altitude",
	.shutdown_timeout = 30,
	.sweep_all_stale = true,
	.watchdog_timeout = 30,
};

static void fm_usage(FILE *out)
{
	fprintf(out,
		"Usage: fltmgrd [options]\n"
		"The Altitude host: loads minifilter modules, serves volumes and ports.\n\n"
		"  -f, --foreground          stay in the foreground (default: daemonize)\n"
		"      --runtime-dir DIR     sockets, pidfile (default $ALTITUDE_RUNTIME_DIR,\n"
		"                            /run/altitude for root, else $XDG_RUNTIME_DIR/altitude)\n"
		"      --registry-dir DIR    service files (default /etc/altitude/filters)\n"
		"      --admin-group GROUP   group admitted to the control socket (default altitude)\n"
		"      --log-level LEVEL     error, warning, info (default) or debug\n"
		"      --journal             log to syslog/the journal instead of stderr\n"
		"      --shutdown-timeout S  seconds allowed for a graceful stop (default 30)\n"
		"      --stale-cleanup MODE  at start detach the stale mounts this daemon recorded\n"
		"                            (recorded) or also every other stale altitude mount\n"
		"                            (all, the default)\n"
		"      --watchdog-timeout S  warn about an operation a filter holds, a\n"
		"                            FltSendMessage or a detach/unload drain older than\n"
		"                            S seconds (default 30; 0 disables the watchdog)\n"
		"  -h, --help                this help\n");
}

/* A count of seconds: digits only, at most a day. */
static bool fm_parse_seconds(const char *text, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!text[0] || text[strspn(text, "0123456789")])
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || v > 86400)
		return false;
	*out = (unsigned)v;
	return true;
}

static int fm_parse_options(int argc, char **argv)
{
	enum { O_RUNTIME = 256, O_REGISTRY, O_GROUP, O_LEVEL, O_JOURNAL, O_TIMEOUT, O_STALE, O_WATCHDOG };
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "runtime-dir", required_argument, NULL, O_RUNTIME },
		{ "registry-dir", required_argument, NULL, O_REGISTRY },
		{ "admin-group", required_argument, NULL, O_GROUP },
		{ "log-level", required_argument, NULL, O_LEVEL },
		{ "journal", no_argument, NULL, O_JOURNAL },
		{ "shutdown-timeout", required_argument, NULL, O_TIMEOUT },
		{ "stale-cleanup", required_argument, NULL, O_STALE },
		{ "watchdog-timeout", required_argument, NULL, O_WATCHDOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fm_options.foreground = true; break;
		case O_RUNTIME: snprintf(fm_options.runtime_dir, sizeof(fm_options.runtime_dir), "%s", optarg); break;
		case O_REGISTRY: snprintf(fm_options.registry_dir, sizeof(fm_options.registry_dir), "%s", optarg); break;
		case O_GROUP: snprintf(fm_options.admin_group, sizeof(fm_options.admin_group), "%s", optarg); break;
		case O_JOURNAL: fm_options.journal = true; break;
		case O_LEVEL:
			if (!fm_log_parse_level(optarg, &fm_options.level)) {
				fprintf(stderr, "fltmgrd: unknown log level %s\n", optarg);
				return 2;
			}
			break;
		case O_TIMEOUT:
			fm_options.shutdown_timeout = (unsigned)strtoul(optarg, &end, 10);
			if (!optarg[0] || *end) {
				fprintf(stderr, "fltmgrd: --shutdown-timeout takes seconds\n");
				return 2;
			}
			break;
		case O_WATCHDOG:
			if (!fm_parse_seconds(optarg, &fm_options.watchdog_timeout)) {
				fprintf(stderr, "fltmgrd: --watchdog-timeout takes seconds\n");
				return 2;
			}
			break;
		case O_STALE:
			if (strcmp(optarg, "all") != 0 && strcmp(optarg, "recorded") != 0) {
				fprintf(stderr, "fltmgrd: --stale-cleanup takes all or recorded\n");
				return 2;
			}
			fm_options.sweep_all_stale = strcmp(optarg, "all") == 0;
			break;
		case 'h': fm_usage(stdout); exit(0);
		default: fm_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fltmgrd: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int fm_runtime_dir(void)
{
	if (!fm_options.runtime_dir[0] &&
	    ctl_default_runtime_dir(fm_options.runtime_dir, sizeof(fm_options.runtime_dir))) {
		fprintf(stderr, "fltmgrd: no runtime directory: use --runtime-dir\n");
		return 1;
	}
	/* Ports and the port library find the directory through the environment. */
	setenv("ALTITUDE_RUNTIME_DIR", fm_options.runtime_dir, 1);
	if (mkdir(fm_options.runtime_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "fltmgrd: %s: %s\n", fm_options.runtime_dir, strerror(errno));
		return 1;
	}
	return 0;
}

/* Double fork; returns in the daemon with *ready the pipe to report readiness on. */
static int fm_daemonize(int *ready)
{
	int p[2], null;
	char status = 1;
	pid_t pid;

	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		exit(status);
	}
	close(p[0]);
	setsid();
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid > 0)
		exit(0);
	umask(022);
	if (chdir("/") != 0)
		return 1;
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (fm_options.journal)
			dup2(null, 2);
		if (null > 2)
			close(null);
	}
	*ready = p[1];
	return 0;
}

static void fm_write_pidfile(void)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fltmgrd.pid", fm_options.runtime_dir);
	f = fopen(path, "w");
	if (!f) {
		fm_log(FM_WARNING, "%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void fm_load_start_filters(void)
{
	char **names = NULL;
	ULONG start;

	if (!NT_SUCCESS(altitude_registry_services(&names)))
		return;
	for (char **n = names; *n; n++) {
		char *message = NULL;
		NTSTATUS s;

		if (!NT_SUCCESS(altitude_registry_start_type(*n, &start)) || start > ALTITUDE_START_AUTO)
			continue;
		s = altitude_host_filter_load(*n, &message);
		if (NT_SUCCESS(s))
			fm_log(FM_INFO, "filter %s loaded (Start=%lu)", *n, (unsigned long)start);
		else
			fm_log(FM_ERROR, "filter %s: load failed with 0x%08X%s%s", *n, (unsigned)s,
			       message ? ": " : "", message ? message : "");
		altitude_host_free(message);
	}
	for (char **n = names; *n; n++)
		altitude_host_free(*n);
	altitude_host_free(names);
}

struct fm_cleanup {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
	int rc;
	unsigned cleaned;
};

static void *fm_cleanup_main(void *arg)
{
	struct fm_cleanup *c = arg;
	unsigned cleaned = 0;
	int rc = altitude_volume_cleanup_stale(NULL, &cleaned);

	pthread_mutex_lock(&c->lock);
	c->rc = rc;
	c->cleaned = cleaned;
	c->done = true;
	pthread_cond_signal(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * Stale mounts are found by asking each altitude mount whether its server
 * is gone; a mount whose server is alive but not answering would block
 * that question, so the daemon waits for it at most 2 seconds and goes on
 * (the sweep goes on in the background).
 */
static void fm_cleanup_stale(void)
{
	static struct fm_cleanup c = { .lock = PTHREAD_MUTEX_INITIALIZER,
				       .done_cond = PTHREAD_COND_INITIALIZER };
	struct timespec deadline;
	pthread_attr_t attr;
	pthread_t thread;
	int rc = 0;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, fm_cleanup_main, &c) != 0)
		fm_cleanup_main(&c);
	pthread_attr_destroy(&attr);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&c.lock);
	while (!c.done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c.done_cond, &c.lock, &deadline);
	if (!c.done)
		fm_log(FM_WARNING, "stale mount cleanup still waiting after 2 s for a FUSE server "
		       "that does not answer; going on");
	else if (c.rc)
		fm_log(FM_WARNING, "stale mount cleanup: %s", strerror(c.rc));
	else if (c.cleaned)
		fm_log(FM_INFO, "cleaned up %u stale altitude mount(s)", c.cleaned);
	pthread_mutex_unlock(&c.lock);
}

static int fm_start(void)
{
	int rc;

	if (!NT_SUCCESS(altitude_registry_init(fm_options.registry_dir))) {
		fm_log(FM_ERROR, "cannot use registry directory %s", fm_options.registry_dir);
		return 1;
	}
	fm_volumes_cleanup_recorded();
	if (fm_options.sweep_all_stale)
		fm_cleanup_stale();
	fm_load_start_filters();
	fm_crash_refresh_modules();
	rc = fm_server_start();
	if (rc) {
		fm_log(FM_ERROR, "control socket in %s: %s", fm_options.runtime_dir, strerror(rc));
		return 1;
	}
	fm_watchdog_start();
	fm_log(FM_INFO, "ready (runtime %s, registry %s, watchdog %u s)", fm_options.runtime_dir,
	       fm_options.registry_dir, fm_options.watchdog_timeout);
	return 0;
}

static pthread_mutex_t fm_stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fm_stop_cond = PTHREAD_COND_INITIALIZER;
static const char *fm_stop_phase = "stopping the control socket";
static bool fm_stopped;

static void fm_set_phase(const char *phase)
{
	pthread_mutex_lock(&fm_stop_lock);
	fm_stop_phase = phase;
	pthread_mutex_unlock(&fm_stop_lock);
}

static void *fm_stop_main(void *arg)
{
	unsigned failed;
	ULONG filters;

	(void)arg;
	fm_server_stop();
	/* Disconnecting port clients first ends senders waiting for replies. */
	fm_set_phase("disconnecting port clients");
	altitude_port_shutdown();
	fm_set_phase("unmounting volumes");
	failed = fm_volume_unmount_all();
	if (failed)
		fm_log(FM_WARNING, "shutdown: %u volume(s) did not unmount cleanly", failed);
	fm_set_phase("unloading filters");
	filters = altitude_host_unload_all();
	fm_log(FM_INFO, "shutdown: %lu filter(s) unloaded", (unsigned long)filters);
	fm_report_shutdown();
	fm_watchdog_stop();
	altitude_registry_shutdown();
	pthread_mutex_lock(&fm_stop_lock);
	fm_stopped = true;
	pthread_cond_signal(&fm_stop_cond);
	pthread_mutex_unlock(&fm_stop_lock);
	return NULL;
}

/* Runs the stop sequence in a thread, bounded by --shutdown-timeout. */
static int fm_stop(void)
{
	struct timespec deadline;
	pthread_t thread;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += fm_options.shutdown_timeout;
	if (pthread_create(&thread, NULL, fm_stop_main, NULL) != 0) {
		fm_stop_main(NULL);
		return 0;
	}
	pthread_mutex_lock(&fm_stop_lock);
	while (!fm_stopped && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&fm_stop_cond, &fm_stop_lock, &deadline);
	if (!fm_stopped)
		fm_log(FM_ERROR, "shutdown did not finish in %u s: stuck %s; exiting anyway",
		       fm_options.shutdown_timeout, fm_stop_phase);
	pthread_mutex_unlock(&fm_stop_lock);
	if (!fm_stopped)
		return 1;
	pthread_join(thread, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t signals;
	int ready = -1, sig = 0, rc;

	rc = fm_parse_options(argc, argv);
	if (rc)
		return rc;
	if (fm_runtime_dir())
		return 1;
	if (!fm_options.foreground && fm_daemonize(&ready))
		return 1;
	fm_log_init();
	fm_crash_init();
	/* Every thread inherits the mask; the main thread takes the signals. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	fm_write_pidfile();
	rc = fm_start();
	if (ready >= 0) {
		char status = (char)rc;

		if (write(ready, &status, 1) != 1)
			fm_log(FM_WARNING, "cannot report readiness to the parent");
		close(ready);
	}
	if (rc)
		return rc;
	sigwait(&signals, &sig);
	fm_log(FM_INFO, "signal %d: shutting down", sig);
	rc = fm_stop();
	if (rc)
		_exit(rc);
	altitude_ke_shutdown();
	fm_log(FM_INFO, "stopped");
	return 0;
}
