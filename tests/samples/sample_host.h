/*
 * End-to-end tests of the samples: each test loads a built sample module
 * (`dlopen` + DriverEntry + altitude_filter_load) into this process, which
 * plays the host, drives operations on a memory volume, and runs the
 * sample's user tool as a real separate process (posix_spawn of the built
 * binary) whose runtime directory is a per-test-process temporary directory.
 */
#ifndef ALTITUDE_TESTS_SAMPLES_SAMPLE_HOST_H
#define ALTITUDE_TESTS_SAMPLES_SAMPLE_HOST_H

#include <stddef.h>
#include <sys/types.h>
#include <fltKernel.h>
#include <altitude/harness.h>

#define SAMPLE_VOLUME L"\\Device\\AltitudeVolume1"

/* A temporary directory holding the registry (ALTITUDE_REGISTRY_DIR) and the
 * runtime directory (ALTITUDE_RUNTIME_DIR); call first in main. */
void sample_env_init(void);
/* Stops the runtime's threads and removes the temporary directory; call last. */
void sample_env_cleanup(void);

/* Parameters\<value> of a service, written before the filter loads. */
void sample_param_dword(const WCHAR *service, const WCHAR *value, ULONG data);
void sample_param_string(const WCHAR *service, const WCHAR *value, const WCHAR *data);
/* Deletes the service's Parameters values written so far. */
void sample_param_delete(const WCHAR *service, const WCHAR *value);

/* dlopens `path`, loads it as `service` at `altitude`; returns its status. */
NTSTATUS sample_load(const char *path, const WCHAR *service, const WCHAR *altitude);
/* Mandatory unload of the sample loaded last, then dlclose of its module. */
void sample_unload(const WCHAR *service);
/* The same without assertions (for a thread): the unload's status; dlclose on success. */
NTSTATUS sample_unload_status(const WCHAR *service);
/* The dlopen handle of the sample loaded last (NULL once unloaded). */
void *sample_module(void);

/* Spawns argv[0] with stdout on a pipe; returns the pid, *out the read end. */
pid_t sample_spawn(char *const argv[], int *out);
/* The same with stdin on a pipe too (*in: its write end). */
pid_t sample_spawn_io(char *const argv[], int *in, int *out);
/* Writes a line (newline added) to a child's stdin. */
void sample_write_line(int fd, const char *line);
/* Reads one line (without newline) from fd; FALSE at end of file. */
BOOLEAN sample_read_line(int fd, char *buf, size_t size);
/* Reads lines until one starts with `prefix`; FALSE at end of file. */
BOOLEAN sample_expect_line(int fd, const char *prefix, char *buf, size_t size);
/* Waits for the process; returns its wait status. */
int sample_reap(pid_t pid);

/* Captures the host log (DbgPrint lines) from now on, forgetting earlier lines. */
void sample_log_capture(void);
/* Stops capturing; the captured lines stay readable. */
void sample_log_release(void);
/* Captured lines containing `needle`. */
int sample_log_count(const char *needle);
/*
 * Waits until `count` captured lines contain `needle`, for lines written
 * by another thread after the operation completed (a post callback's own
 * line after it handed the operation on).  FALSE after 10 s of real time:
 * a safety net, not a clock that tests measure.
 */
BOOLEAN sample_log_wait(const char *needle, int count);
/* The captured line containing `needle` (the first from index `from`), or NULL. */
const char *sample_log_find(const char *needle, int *index);

/* Nothing from engine or samples live in pool. */
void sample_assert_no_leaks(void);

#endif
