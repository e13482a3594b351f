/*
 * Unload under a running port callback: a client's FilterSendMessage is
 * inside the module's MessageNotify, held at a gate, when the filter is
 * unloaded.  The unregistration ends the connection (the client's send
 * fails), then waits for MessageNotify to return; DisconnectNotify runs
 * once, after it; then the unload returns and the module is dlclosed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <altitude/port.h>
#include "sample_host.h"

static pthread_t unloader;
static NTSTATUS unload_status;

static void *unload_main(void *arg)
{
	(void)arg;
	unload_status = sample_unload_status(L"gate");
	return NULL;
}

static void unload_waits_for_message_notify_then_dlclose(void **state)
{
	char *argv[] = { SAMPLE_GATE_CLIENT, NULL };
	NTSTATUS (*wait_entered)(void);
	VOID (*open_gate)(void);
	char line[128];
	int in, out, status;
	pid_t client;

	(void)state;
	assert_int_equal(sample_load(SAMPLE_GATE_MODULE, L"gate", L"370150"), STATUS_SUCCESS);
	*(void **)&wait_entered = dlsym(sample_module(), "gate_wait_entered");
	*(void **)&open_gate = dlsym(sample_module(), "gate_open");
	assert_non_null(wait_entered);
	assert_non_null(open_gate);
	sample_log_capture();
	client = sample_spawn_io(argv, &in, &out);
	assert_true(sample_expect_line(out, "connect ", line, sizeof(line)));
	assert_string_equal(line, "connect 0x00000000");
	sample_write_line(in, "send");
	assert_int_equal(wait_entered(), STATUS_SUCCESS);

	assert_int_equal(pthread_create(&unloader, NULL, unload_main, NULL), 0);
	/* The unregistration ended the connection: the client's send fails. */
	assert_true(sample_expect_line(out, "send ", line, sizeof(line)));
	assert_string_not_equal(line, "send 0x00000000");
	/* MessageNotify still holds the gate: FltUnregisterFilter cannot have returned. */
	assert_int_equal(sample_log_count("gate: unregistered"), 0);
	open_gate();
	pthread_join(unloader, NULL);
	assert_int_equal(unload_status, STATUS_SUCCESS);
	assert_int_equal(sample_log_count("gate: unregistered, MessageNotify returned 1, "
					  "DisconnectNotify 1"),
			 1);
	/* dlclosed: the image is no longer mapped. */
	assert_null(sample_module());
	assert_null(dlopen(SAMPLE_GATE_MODULE, RTLD_NOW | RTLD_NOLOAD));
	sample_log_release();

	close(in);
	status = sample_reap(client);
	close(out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	altitude_port_shutdown();
	sample_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unload_waits_for_message_notify_then_dlclose),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
