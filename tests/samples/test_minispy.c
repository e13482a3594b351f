/*
 * minispy + minispyctl: every operation is recorded with its requesting
 * process, thread, major function, file name, status and information;
 * the real minispyctl pulls them (snapshot, and --follow for new ones);
 * a full ring overwrites the oldest and says how many were lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <altitude/port.h>
#include "sample_host.h"

#define NAME "\\Device\\AltitudeVolume1\\dir\\spy.txt"

static altitude_memvol *vol;
static char lines[64][512];
static int line_count;

static void load(ULONG records)
{
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_directory(vol, L"\\dir"), STATUS_SUCCESS);
	sample_param_dword(L"minispy", L"RecordCount", records);
	assert_int_equal(sample_load(SAMPLE_MINISPY, L"minispy", L"385100"), STATUS_SUCCESS);
}

static void unload(void)
{
	sample_unload(L"minispy");
	altitude_memvol_destroy(vol);
	altitude_port_shutdown();
	sample_assert_no_leaks();
}

/* Runs minispyctl with `args` to its end, keeping its lines. */
static void run_ctl(char *a1, char *a2, char *a3, char *a4, char *a5)
{
	char *argv[] = { SAMPLE_MINISPYCTL, a1, a2, a3, a4, a5, NULL };
	int out, status;
	pid_t pid = sample_spawn(argv, &out);

	line_count = 0;
	while (line_count < 64 && sample_read_line(out, lines[line_count], sizeof(lines[0])))
		line_count++;
	close(out);
	status = sample_reap(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const char *find_line(const char *a, const char *b, const char *c)
{
	for (int i = 0; i < line_count; i++) {
		if (strstr(lines[i], a) && (!b || strstr(lines[i], b)) && (!c || strstr(lines[i], c)))
			return lines[i];
	}
	return NULL;
}

static void snapshot_shows_pids_names_and_statuses(void **state)
{
	altitude_op_options as_4242 = { .requestor_pid = 4242 };
	altitude_op_options as_4243 = { .requestor_pid = 4243,
					.flags = ALTITUDE_OP_ASYNC_COMPLETION };
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char buf[8];
	char seq[16];

	(void)state;
	load(1024);
	assert_int_equal(altitude_create(vol, L"\\dir\\spy.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE,
					 FILE_CREATE, 0, &as_4242, &file, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_write(file, 0, "hello", 5, &as_4242, &iosb), STATUS_SUCCESS);
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), &as_4243, &iosb), STATUS_SUCCESS);
	altitude_close_file(file);
	assert_int_equal(altitude_create(vol, L"\\dir\\missing.txt", FILE_GENERIC_READ, FILE_OPEN, 0,
					 NULL, &file, &iosb),
			 STATUS_OBJECT_NAME_NOT_FOUND);

	run_ctl(NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(line_count, 6);
	for (int i = 0; i < line_count; i++) {
		snprintf(seq, sizeof(seq), "%d ", i);
		assert_int_equal(strncmp(lines[i], seq, strlen(seq)), 0);
	}
	assert_non_null(find_line("pid=4242 ", "IRP_MJ_CREATE/0x00 status=0x00000000 info=2 ", NAME));
	assert_non_null(find_line("pid=4242 ", "IRP_MJ_WRITE/0x00 status=0x00000000 info=5 ", NAME));
	assert_non_null(find_line("pid=4243 ", "IRP_MJ_READ/0x00 status=0x00000000 info=5 ", NAME));
	assert_non_null(find_line("IRP_MJ_CLEANUP/0x00 status=0x00000000", NAME, NULL));
	assert_non_null(find_line("IRP_MJ_CLOSE/0x00 status=0x00000000", NULL, NULL));
	assert_non_null(find_line("IRP_MJ_CREATE/0x00 status=0xc0000034",
				  "\\Device\\AltitudeVolume1\\dir\\missing.txt", NULL));
	snprintf(seq, sizeof(seq), "pid=%d ", (int)getpid());
	assert_non_null(find_line(seq, "IRP_MJ_CLOSE", NULL));
	unload();
}

static void follow_prints_new_records(void **state)
{
	char *argv[] = { SAMPLE_MINISPYCTL, "--follow", "--interval-ms", "5", "--count", "4", NULL };
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char line[512];
	int out, status;
	pid_t pid;

	(void)state;
	load(1024);
	pid = sample_spawn(argv, &out);
	assert_int_equal(altitude_create(vol, L"\\dir\\spy.txt", FILE_GENERIC_WRITE, FILE_CREATE, 0,
					 NULL, &file, &iosb),
			 STATUS_SUCCESS);
	assert_true(sample_read_line(out, line, sizeof(line)));
	assert_non_null(strstr(line, "IRP_MJ_CREATE"));
	assert_int_equal(altitude_write(file, 0, "x", 1, NULL, &iosb), STATUS_SUCCESS);
	assert_true(sample_read_line(out, line, sizeof(line)));
	assert_non_null(strstr(line, "IRP_MJ_WRITE"));
	altitude_close_file(file);
	assert_true(sample_read_line(out, line, sizeof(line)));
	assert_non_null(strstr(line, "IRP_MJ_CLEANUP"));
	assert_true(sample_read_line(out, line, sizeof(line)));
	assert_non_null(strstr(line, "IRP_MJ_CLOSE"));
	assert_false(sample_read_line(out, line, sizeof(line)));
	close(out);
	status = sample_reap(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unload();
}

static void full_ring_reports_what_was_overwritten(void **state)
{
	altitude_file *file;
	IO_STATUS_BLOCK iosb;

	(void)state;
	load(16);
	/* 6 x (create, cleanup, close) = 18 records in a ring of 16. */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(altitude_create(vol, L"\\dir\\spy.txt", FILE_GENERIC_WRITE, FILE_OPEN_IF,
						 0, NULL, &file, &iosb),
				 STATUS_SUCCESS);
		altitude_close_file(file);
	}
	run_ctl(NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(line_count, 17);
	assert_string_equal(lines[0], "minispyctl: 2 records were overwritten before they were read");
	assert_int_equal(strncmp(lines[1], "2 ", 2), 0);
	assert_int_equal(strncmp(lines[16], "17 ", 3), 0);
	unload();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_shows_pids_names_and_statuses),
		cmocka_unit_test(follow_prints_new_records),
		cmocka_unit_test(full_ring_reports_what_was_overwritten),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
