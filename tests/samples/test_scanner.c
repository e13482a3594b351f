/*
 * scanner + scanuser end to end: the filter is loaded from scanner.so and
 * the real scanuser runs as a separate process.  Clean writes pass, foul
 * ones are denied, foul files cannot be opened, the service's own process
 * is exempt, a word assembled by several writes is caught at cleanup, the
 * scan word comes from the registry, and when the service does not answer
 * (timeout on the virtual clock, or the service killed) the configured
 * policy decides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <altitude/clock.h>
#include <altitude/port.h>
#include "sample_host.h"

#define SECOND 10000000LL

struct scan_env {
	altitude_memvol *vol;
	pid_t service;
	int out;
	char line[256];
};

static struct scan_env env;

static void start(const char *delay_ms)
{
	char *argv[] = { SAMPLE_SCANUSER, "--threads", "2", "--requests", "3", "--verbose",
			 delay_ms ? "--delay-ms" : NULL, (char *)delay_ms, NULL };

	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &env.vol), STATUS_SUCCESS);
	assert_int_equal(sample_load(SAMPLE_SCANNER, L"scanner", L"265000"), STATUS_SUCCESS);
	env.service = sample_spawn(argv, &env.out);
	assert_true(sample_expect_line(env.out, "scanuser: ready", env.line, sizeof(env.line)));
}

/* Unload with the service still connected: it is told and exits cleanly. */
static void stop_by_unload(void)
{
	int status;

	sample_unload(L"scanner");
	assert_true(sample_expect_line(env.out, "scanuser: disconnected", env.line,
				       sizeof(env.line)));
	status = sample_reap(env.service);
	env.service = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(env.out);
	altitude_memvol_destroy(env.vol);
	env.vol = NULL;
	sample_assert_no_leaks();
}

static void stop_after_kill(void)
{
	if (env.service > 0) {
		kill(env.service, SIGKILL);
		sample_reap(env.service);
	}
	close(env.out);
	sample_unload(L"scanner");
	altitude_memvol_destroy(env.vol);
	env.vol = NULL;
	sample_assert_no_leaks();
}

/* After a failed test: leave nothing behind for the next one. */
static int cleanup(void **state)
{
	(void)state;
	altitude_clock_use_real();
	if (!env.vol)
		return 0;
	if (env.service > 0) {
		kill(env.service, SIGKILL);
		sample_reap(env.service);
	}
	altitude_filter_unload(L"scanner", TRUE);
	altitude_port_shutdown();
	altitude_memvol_destroy(env.vol);
	env.vol = NULL;
	return 0;
}

static void configure(const WCHAR *word, ULONG timeout_ms, ULONG fail_closed)
{
	if (word)
		sample_param_string(L"scanner", L"ScanWord", word);
	else
		sample_param_delete(L"scanner", L"ScanWord");
	sample_param_dword(L"scanner", L"TimeoutMs", timeout_ms);
	sample_param_dword(L"scanner", L"FailClosed", fail_closed);
}

static NTSTATUS open_file(const WCHAR *path, ULONG disposition, ULONG pid, altitude_file **file)
{
	altitude_op_options opts = { .requestor_pid = pid };
	IO_STATUS_BLOCK iosb;

	return altitude_create(env.vol, path, FILE_GENERIC_READ | FILE_GENERIC_WRITE, disposition, 0,
			       &opts, file, &iosb);
}

static NTSTATUS write_as(altitude_file *file, LONGLONG offset, const char *text, ULONG pid)
{
	altitude_op_options opts = { .requestor_pid = pid };
	IO_STATUS_BLOCK iosb;

	return altitude_write(file, offset, text, (ULONG)strlen(text), &opts, &iosb);
}

static void assert_content(const WCHAR *path, const char *expected)
{
	char buf[256];
	SIZE_T size = 0;

	assert_int_equal(altitude_memvol_read_file(env.vol, path, buf, sizeof(buf), &size),
			 STATUS_SUCCESS);
	assert_int_equal(size, strlen(expected));
	assert_memory_equal(buf, expected, size);
}

static void clean_write_allowed_foul_write_denied(void **state)
{
	altitude_file *file;

	(void)state;
	configure(NULL, 30000, 0);
	start(NULL);
	assert_int_equal(open_file(L"\\notes.txt", FILE_CREATE, 0, &file), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "all clean here", 0), STATUS_SUCCESS);
	assert_true(sample_expect_line(env.out, "scanuser: message", env.line, sizeof(env.line)));
	assert_non_null(strstr(env.line, "clean"));
	assert_int_equal(write_as(file, 0, "something foul", 0), STATUS_ACCESS_DENIED);
	assert_true(sample_expect_line(env.out, "scanuser: message", env.line, sizeof(env.line)));
	assert_non_null(strstr(env.line, "foul"));
	altitude_close_file(file);
	assert_content(L"\\notes.txt", "all clean here");
	stop_by_unload();
}

static void existing_foul_file_refused_at_open(void **state)
{
	char big[1500];
	altitude_file *file;

	(void)state;
	configure(NULL, 30000, 0);
	start(NULL);
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\bad.txt", "a foul thing", 12),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\good.txt", "a fine thing", 12),
			 STATUS_SUCCESS);
	/* The word straddles the first 1024-byte piece and the second. */
	memset(big, 'x', sizeof(big));
	memcpy(big + 1022, "foul", 4);
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\big.txt", big, sizeof(big)),
			 STATUS_SUCCESS);

	assert_int_equal(open_file(L"\\bad.txt", FILE_OPEN, 0, &file), STATUS_ACCESS_DENIED);
	assert_int_equal(open_file(L"\\big.txt", FILE_OPEN, 0, &file), STATUS_ACCESS_DENIED);
	assert_int_equal(open_file(L"\\good.txt", FILE_OPEN, 0, &file), STATUS_SUCCESS);
	altitude_close_file(file);
	/* Nothing was changed by the refused opens. */
	assert_content(L"\\bad.txt", "a foul thing");
	stop_by_unload();
}

static void service_process_is_exempt(void **state)
{
	altitude_file *file;

	(void)state;
	configure(NULL, 30000, 0);
	start(NULL);
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\bad.txt", "a foul thing", 12),
			 STATUS_SUCCESS);
	assert_int_equal(open_file(L"\\bad.txt", FILE_OPEN, (ULONG)env.service, &file),
			 STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "more foul words", (ULONG)env.service), STATUS_SUCCESS);
	altitude_close_file(file);
	assert_content(L"\\bad.txt", "more foul words");
	/* Anyone else is still refused. */
	assert_int_equal(open_file(L"\\bad.txt", FILE_OPEN, 0, &file), STATUS_ACCESS_DENIED);
	stop_by_unload();
}

static void word_assembled_by_writes_is_deleted_at_cleanup(void **state)
{
	altitude_file *file;

	(void)state;
	configure(NULL, 30000, 0);
	start(NULL);
	assert_int_equal(open_file(L"\\parts.txt", FILE_CREATE, 0, &file), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "fo", 0), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 2, "ul", 0), STATUS_SUCCESS);
	assert_true(altitude_memvol_exists(env.vol, L"\\parts.txt"));
	altitude_close_file(file);
	assert_false(altitude_memvol_exists(env.vol, L"\\parts.txt"));

	/* A clean file written the same way stays. */
	assert_int_equal(open_file(L"\\fine.txt", FILE_CREATE, 0, &file), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "fo", 0), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 2, "ot", 0), STATUS_SUCCESS);
	altitude_close_file(file);
	assert_content(L"\\fine.txt", "foot");
	stop_by_unload();
}

static void scan_word_comes_from_the_registry(void **state)
{
	altitude_file *file;

	(void)state;
	configure(L"rotten", 30000, 0);
	start(NULL);
	assert_int_equal(open_file(L"\\w.txt", FILE_CREATE, 0, &file), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "foul is fine now", 0), STATUS_SUCCESS);
	assert_int_equal(write_as(file, 0, "but rotten is not", 0), STATUS_ACCESS_DENIED);
	altitude_close_file(file);
	assert_content(L"\\w.txt", "foul is fine now");
	stop_by_unload();
}

static void empty_scan_word_fails_the_load(void **state)
{
	(void)state;
	configure(L"", 30000, 0);
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &env.vol), STATUS_SUCCESS);
	assert_int_equal(sample_load(SAMPLE_SCANNER, L"scanner", L"265000"),
			 STATUS_INVALID_PARAMETER);
	altitude_memvol_destroy(env.vol);
	env.vol = NULL;
	sample_assert_no_leaks();
}

struct writer {
	pthread_t thread;
	altitude_file *file;
	NTSTATUS status;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->status = write_as(w->file, 0, "clean words", 0);
	return NULL;
}

static void write_in_background(struct writer *w, altitude_file *file)
{
	ULONG waiters = altitude_clock_waiters();

	w->file = file;
	assert_int_equal(pthread_create(&w->thread, NULL, writer_main, w), 0);
	assert_true(altitude_clock_wait_for_waiters(waiters + 1));
}

static NTSTATUS timed_out_write(ULONG fail_closed)
{
	struct writer w;
	altitude_file *file;

	configure(NULL, 1000, fail_closed);
	start("60000");
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\t.txt", "", 0), STATUS_SUCCESS);
	/* Opening an empty file asks nothing, so it needs no answer. */
	assert_int_equal(open_file(L"\\t.txt", FILE_OPEN, (ULONG)env.service, &file),
			 STATUS_SUCCESS);
	altitude_clock_use_virtual(altitude_clock_system_time());
	write_in_background(&w, file);
	assert_true(altitude_clock_advance(SECOND / 2));
	assert_true(altitude_clock_advance(SECOND / 2));
	pthread_join(w.thread, NULL);
	altitude_clock_use_real();
	altitude_close_file(file);
	stop_after_kill();
	return w.status;
}

static void timeout_fail_open_allows(void **state)
{
	(void)state;
	assert_int_equal(timed_out_write(0), STATUS_SUCCESS);
}

static void timeout_fail_closed_denies(void **state)
{
	(void)state;
	assert_int_equal(timed_out_write(1), STATUS_ACCESS_DENIED);
}

static NTSTATUS write_while_service_killed(ULONG fail_closed)
{
	struct writer w;
	altitude_file *file;

	configure(NULL, 0, fail_closed);
	start("60000");
	assert_int_equal(altitude_memvol_add_file(env.vol, L"\\k.txt", "", 0), STATUS_SUCCESS);
	assert_int_equal(open_file(L"\\k.txt", FILE_OPEN, 0, &file), STATUS_SUCCESS);
	write_in_background(&w, file);
	kill(env.service, SIGKILL);
	sample_reap(env.service);
	env.service = 0;
	pthread_join(w.thread, NULL);
	altitude_close_file(file);
	stop_after_kill();
	return w.status;
}

static void killed_service_fail_closed_denies(void **state)
{
	(void)state;
	assert_int_equal(write_while_service_killed(1), STATUS_ACCESS_DENIED);
}

static void killed_service_fail_open_allows(void **state)
{
	(void)state;
	assert_int_equal(write_while_service_killed(0), STATUS_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(clean_write_allowed_foul_write_denied, cleanup),
		cmocka_unit_test_teardown(existing_foul_file_refused_at_open, cleanup),
		cmocka_unit_test_teardown(service_process_is_exempt, cleanup),
		cmocka_unit_test_teardown(word_assembled_by_writes_is_deleted_at_cleanup, cleanup),
		cmocka_unit_test_teardown(scan_word_comes_from_the_registry, cleanup),
		cmocka_unit_test_teardown(empty_scan_word_fails_the_load, cleanup),
		cmocka_unit_test_teardown(timeout_fail_open_allows, cleanup),
		cmocka_unit_test_teardown(timeout_fail_closed_denies, cleanup),
		cmocka_unit_test_teardown(killed_service_fail_closed_denies, cleanup),
		cmocka_unit_test_teardown(killed_service_fail_open_allows, cleanup),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
