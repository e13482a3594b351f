/*
 * msgtimeout + msgtimeoutuser: FltSendMessage's one timeout covers
 * delivery and reply.  On the virtual clock: an answer in time decides; a
 * relative timeout after delivery fails the open with STATUS_IO_TIMEOUT
 * (the filter did not mistake STATUS_TIMEOUT for an answer) and the late
 * reply gets ERROR_FLT_NO_WAITER_FOR_REPLY; an absolute timeout ends when
 * the system time passes it, and the undelivered message is withdrawn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <altitude/clock.h>
#include <altitude/port.h>
#include "sample_host.h"

#define SECOND 10000000LL

static altitude_memvol *vol;
static pid_t tool;
static int tool_in, tool_out;
static char line[512];

static void start(ULONG absolute)
{
	char *argv[] = { SAMPLE_MSGTIMEOUTUSER, "--stdin", NULL };

	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_directory(vol, L"\\ask"), STATUS_SUCCESS);
	sample_param_dword(L"msgtimeout", L"TimeoutMs", 1000);
	sample_param_dword(L"msgtimeout", L"Absolute", absolute);
	assert_int_equal(sample_load(SAMPLE_MSGTIMEOUT, L"msgtimeout", L"370140"), STATUS_SUCCESS);
	tool = sample_spawn_io(argv, &tool_in, &tool_out);
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: ready", line, sizeof(line)));
	altitude_clock_use_virtual(altitude_clock_system_time());
	sample_log_capture();
}

static void stop(void)
{
	int status;

	sample_log_release();
	altitude_clock_use_real();
	sample_write_line(tool_in, "quit");
	status = sample_reap(tool);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(tool_in);
	close(tool_out);
	sample_unload(L"msgtimeout");
	altitude_memvol_destroy(vol);
	altitude_port_shutdown();
	sample_assert_no_leaks();
}

struct opener {
	pthread_t thread;
	const WCHAR *path;
	NTSTATUS status;
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;

	o->status = altitude_create(vol, o->path, FILE_GENERIC_READ, FILE_OPEN_IF, 0, NULL, &file,
				    &iosb);
	if (o->status == STATUS_SUCCESS)
		altitude_close_file(file);
	return NULL;
}

/* Starts an open of `path`; returns once its FltSendMessage waits. */
static void start_open(struct opener *o, const WCHAR *path)
{
	ULONG waiters = altitude_clock_waiters();

	o->path = path;
	assert_int_equal(pthread_create(&o->thread, NULL, opener_main, o), 0);
	assert_true(altitude_clock_wait_for_waiters(waiters + 1));
}

static void tool_gets(const char *name)
{
	sample_write_line(tool_in, "get");
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: received", line, sizeof(line)));
	/* The reply capacity the filter allows plus the reply header. */
	assert_non_null(strstr(line, " reply-length=17 "));
	assert_non_null(strstr(line, name));
}

static void answer_in_time_decides(void **state)
{
	struct opener o;

	(void)state;
	start(0);
	start_open(&o, L"\\ask\\yes.txt");
	tool_gets("name=\\Device\\AltitudeVolume1\\ask\\yes.txt");
	sample_write_line(tool_in, "reply allow");
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: reply", line, sizeof(line)));
	assert_string_equal(line, "msgtimeoutuser: reply hr=0x00000000");
	pthread_join(o.thread, NULL);
	assert_int_equal(o.status, STATUS_SUCCESS);

	start_open(&o, L"\\ask\\no.txt");
	tool_gets("ask\\no.txt");
	sample_write_line(tool_in, "reply deny");
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: reply", line, sizeof(line)));
	pthread_join(o.thread, NULL);
	assert_int_equal(o.status, STATUS_ACCESS_DENIED);
	assert_false(altitude_memvol_exists(vol, L"\\ask\\no.txt"));
	stop();
}

static void relative_timeout_after_delivery_makes_the_reply_late(void **state)
{
	struct opener o;

	(void)state;
	start(0);
	start_open(&o, L"\\ask\\slow.txt");
	tool_gets("ask\\slow.txt");
	assert_true(altitude_clock_advance(SECOND));
	pthread_join(o.thread, NULL);
	assert_int_equal(o.status, STATUS_IO_TIMEOUT);
	assert_int_equal(sample_log_count("ask\\slow.txt: no answer within 1000 ms (relative timeout): "
					  "STATUS_TIMEOUT"),
			 1);
	sample_write_line(tool_in, "reply allow");
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: ", line, sizeof(line)));
	assert_non_null(strstr(line, "late reply"));
	assert_non_null(strstr(line, "ERROR_FLT_NO_WAITER_FOR_REPLY (0x801f0020)"));
	stop();
}

static void absolute_timeout_follows_the_system_time_and_withdraws(void **state)
{
	struct opener o;

	(void)state;
	start(1);
	start_open(&o, L"\\ask\\first.txt");
	/* Nobody picked the message up; the clock is set past the deadline. */
	altitude_clock_set_system_time(altitude_clock_system_time() + 2 * SECOND);
	pthread_join(o.thread, NULL);
	assert_int_equal(o.status, STATUS_IO_TIMEOUT);
	assert_int_equal(sample_log_count("ask\\first.txt: no answer within 1000 ms (absolute timeout)"),
			 1);
	/* The withdrawn message is never delivered: the tool gets the next one. */
	start_open(&o, L"\\ask\\second.txt");
	tool_gets("ask\\second.txt");
	sample_write_line(tool_in, "reply allow");
	assert_true(sample_expect_line(tool_out, "msgtimeoutuser: reply hr=0x00000000", line,
				       sizeof(line)));
	pthread_join(o.thread, NULL);
	assert_int_equal(o.status, STATUS_SUCCESS);
	stop();
}

static void files_elsewhere_ask_nothing(void **state)
{
	struct opener o = { .path = L"\\free.txt" };

	(void)state;
	start(0);
	opener_main(&o);
	assert_int_equal(o.status, STATUS_SUCCESS);
	assert_int_equal(sample_log_count("msgtimeout:"), 0);
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_in_time_decides),
		cmocka_unit_test(relative_timeout_after_delivery_makes_the_reply_late),
		cmocka_unit_test(absolute_timeout_follows_the_system_time_and_withdraws),
		cmocka_unit_test(files_elsewhere_ask_nothing),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
