/* Host side of the sample tests: environment, loading, child processes. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <altitude/log.h>
#include <altitude/port.h>
#include <altitude/thread.h>
#include <altitude/pool.h>
#include <pthread.h>
#include "sample_host.h"

extern char **environ;

static char sample_dir[PATH_MAX];

void sample_env_init(void)
{
	char path[PATH_MAX + 32];
	const char *tmp = getenv("TMPDIR");

	snprintf(sample_dir, sizeof(sample_dir), "%s/altitude-sample-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(sample_dir))
		abort();
	snprintf(path, sizeof(path), "%s/registry", sample_dir);
	mkdir(path, 0700);
	setenv("ALTITUDE_REGISTRY_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/run", sample_dir);
	mkdir(path, 0700);
	setenv("ALTITUDE_RUNTIME_DIR", path, 1);
}

void sample_env_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	/* The runtime's port, worker, DPC and timer threads end before the process. */
	altitude_port_shutdown();
	altitude_ke_shutdown();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sample_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", sample_dir);
}

static void sample_param_path(const WCHAR *service, WCHAR *path, size_t chars)
{
	static const WCHAR suffix[] = L"\\Parameters";
	size_t n = 0;

	while (service[n] && n + 1 < chars) {
		path[n] = service[n];
		n++;
	}
	path[n] = 0;
	assert_int_equal(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, path), STATUS_SUCCESS);
	for (size_t i = 0; suffix[i] && n + 1 < chars; i++)
		path[n++] = suffix[i];
	path[n] = 0;
	assert_int_equal(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, path), STATUS_SUCCESS);
}

void sample_param_dword(const WCHAR *service, const WCHAR *value, ULONG data)
{
	WCHAR path[128];

	sample_param_path(service, path, 128);
	assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, path, value, REG_DWORD, &data,
					       sizeof(data)),
			 STATUS_SUCCESS);
}

void sample_param_string(const WCHAR *service, const WCHAR *value, const WCHAR *data)
{
	WCHAR path[128];
	ULONG chars = 0;

	while (data[chars])
		chars++;
	sample_param_path(service, path, 128);
	assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, path, value, REG_SZ,
					       (PVOID)data, (chars + 1) * sizeof(WCHAR)),
			 STATUS_SUCCESS);
}

void sample_param_delete(const WCHAR *service, const WCHAR *value)
{
	WCHAR path[128];

	sample_param_path(service, path, 128);
	RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, path, value);
}

/* The module of the sample loaded last, until its unload. */
static void *sample_dl;

NTSTATUS sample_load(const char *path, const WCHAR *service, const WCHAR *altitude)
{
	static altitude_instance_config instance;
	static altitude_filter_config config;
	PDRIVER_INITIALIZE entry;
	void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	NTSTATUS status;

	if (!module)
		fail_msg("dlopen %s: %s", path, dlerror());
	entry = (PDRIVER_INITIALIZE)dlsym(module, "DriverEntry");
	assert_non_null(entry);
	instance.name = service;
	instance.altitude = altitude;
	instance.flags = 0;
	config.name = service;
	config.default_instance = NULL;
	config.instance_count = 1;
	config.instances = &instance;
	status = altitude_filter_load(&config, entry, NULL);
	if (NT_SUCCESS(status))
		sample_dl = module;
	else
		dlclose(module); /* the driver object is gone: nothing calls into it */
	return status;
}

void *sample_module(void)
{
	return sample_dl;
}

NTSTATUS sample_unload_status(const WCHAR *service)
{
	NTSTATUS status = altitude_filter_unload(service, TRUE);

	/*
	 * Unload returns once nothing can call into the filter any more: its
	 * work items' routines and its ports' callbacks have returned and no
	 * new ones start.  So the image is unmapped at once, as the host does;
	 * a late call into it would fault (and ASan would name it).
	 */
	if (NT_SUCCESS(status) && sample_dl) {
		dlclose(sample_dl);
		sample_dl = NULL;
	}
	return status;
}

void sample_unload(const WCHAR *service)
{
	assert_int_equal(sample_unload_status(service), STATUS_SUCCESS);
	/* The port threads are joined so that no connection outlives the test. */
	altitude_port_shutdown();
}

pid_t sample_spawn_io(char *const argv[], int *in, int *out)
{
	posix_spawn_file_actions_t actions;
	int fds[2], ins[2] = { -1, -1 };
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	if (in)
		assert_int_equal(pipe2(ins, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
	if (in)
		posix_spawn_file_actions_adddup2(&actions, ins[0], STDIN_FILENO);
	assert_int_equal(posix_spawn(&pid, argv[0], &actions, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	*out = fds[0];
	if (in) {
		close(ins[0]);
		*in = ins[1];
	}
	return pid;
}

pid_t sample_spawn(char *const argv[], int *out)
{
	return sample_spawn_io(argv, NULL, out);
}

void sample_write_line(int fd, const char *line)
{
	size_t n = strlen(line);

	assert_int_equal(write(fd, line, n), (ssize_t)n);
	assert_int_equal(write(fd, "\n", 1), 1);
}

BOOLEAN sample_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf[n] = 0;
			return FALSE;
		}
		if (c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = 0;
	return TRUE;
}

BOOLEAN sample_expect_line(int fd, const char *prefix, char *buf, size_t size)
{
	while (sample_read_line(fd, buf, size)) {
		if (strncmp(buf, prefix, strlen(prefix)) == 0)
			return TRUE;
	}
	return FALSE;
}

int sample_reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

void sample_assert_no_leaks(void)
{
	assert_int_equal(altitude_flt_live_objects(), 0);
	assert_int_equal(altitude_pool_leak_report(stderr), 0);
}

#define SAMPLE_LOG_LINES 256

static pthread_mutex_t sample_log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sample_log_cv = PTHREAD_COND_INITIALIZER;
static char *sample_log_lines[SAMPLE_LOG_LINES];
static int sample_log_used;

static void sample_log_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)level;
	(void)prefix;
	(void)ctx;
	pthread_mutex_lock(&sample_log_lock);
	if (sample_log_used < SAMPLE_LOG_LINES)
		sample_log_lines[sample_log_used++] = strdup(msg);
	pthread_cond_broadcast(&sample_log_cv);
	pthread_mutex_unlock(&sample_log_lock);
}

void sample_log_capture(void)
{
	pthread_mutex_lock(&sample_log_lock);
	for (int i = 0; i < sample_log_used; i++)
		free(sample_log_lines[i]);
	sample_log_used = 0;
	pthread_mutex_unlock(&sample_log_lock);
	altitude_log_set_sink(sample_log_sink, NULL);
}

void sample_log_release(void)
{
	altitude_log_set_sink(NULL, NULL);
}

static int sample_log_count_locked(const char *needle)
{
	int n = 0;

	for (int i = 0; i < sample_log_used; i++)
		n += strstr(sample_log_lines[i], needle) != NULL;
	return n;
}

int sample_log_count(const char *needle)
{
	int n;

	pthread_mutex_lock(&sample_log_lock);
	n = sample_log_count_locked(needle);
	pthread_mutex_unlock(&sample_log_lock);
	return n;
}

BOOLEAN sample_log_wait(const char *needle, int count)
{
	struct timespec deadline;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&sample_log_lock);
	while (sample_log_count_locked(needle) < count && rc == 0)
		rc = pthread_cond_timedwait(&sample_log_cv, &sample_log_lock, &deadline);
	rc = sample_log_count_locked(needle) >= count;
	pthread_mutex_unlock(&sample_log_lock);
	return rc != 0;
}

const char *sample_log_find(const char *needle, int *index)
{
	const char *found = NULL;
	int i = index ? *index : 0;

	pthread_mutex_lock(&sample_log_lock);
	for (; i < sample_log_used && !found; i++) {
		if (strstr(sample_log_lines[i], needle))
			found = sample_log_lines[i];
	}
	pthread_mutex_unlock(&sample_log_lock);
	if (index)
		*index = i;
	return found;
}
