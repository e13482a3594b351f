/*
 * Ports under the filter's run-down protection: FltCreateCommunicationPort
 * takes only a live filter; FltUnregisterFilter ends the filter's
 * connections (DisconnectNotify once each), refuses new connections and
 * callbacks, and returns only once open server ports are closed and
 * running callbacks have returned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/harness.h>
#include <altitude/log.h>
#include <altitude/winerror_defs.h>
#include "flt/port_rundown.h"
#include "harness.h"

#define HR(x) ((uint32_t)(x))

static struct ph_child first, second;

/* The unload, on its own thread: it blocks until the test lets it finish. */
static pthread_t unloader;
static BOOLEAN unload_done;
static NTSTATUS unload_status;
static BOOLEAN warned; /* the "server port(s) open" line was logged */

static void *unload_main(void *arg)
{
	NTSTATUS status;

	(void)arg;
	status = altitude_filter_unload(L"porttest", TRUE);
	pthread_mutex_lock(&ph.lock);
	unload_status = status;
	unload_done = TRUE;
	pthread_cond_broadcast(&ph.cv);
	pthread_mutex_unlock(&ph.lock);
	return NULL;
}

static void unload_start(void)
{
	unload_done = FALSE;
	assert_int_equal(pthread_create(&unloader, NULL, unload_main, NULL), 0);
}

static BOOLEAN unload_finished(void)
{
	BOOLEAN done;

	pthread_mutex_lock(&ph.lock);
	done = unload_done;
	pthread_mutex_unlock(&ph.lock);
	return done;
}

static NTSTATUS unload_join(void)
{
	pthread_join(unloader, NULL);
	ph_filter_unloaded();
	return unload_status;
}

static void log_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)level;
	(void)prefix;
	(void)ctx;
	if (!strstr(msg, "communication server port(s) open"))
		return;
	pthread_mutex_lock(&ph.lock);
	warned = TRUE;
	pthread_cond_broadcast(&ph.cv);
	pthread_mutex_unlock(&ph.lock);
}

static void wait_warned(void)
{
	pthread_mutex_lock(&ph.lock);
	while (!warned)
		pthread_cond_wait(&ph.cv, &ph.lock);
	pthread_mutex_unlock(&ph.lock);
}

static void wait_held(int n)
{
	pthread_mutex_lock(&ph.lock);
	while (ph.notifies_held < n)
		pthread_cond_wait(&ph.cv, &ph.lock);
	pthread_mutex_unlock(&ph.lock);
}

/* Both clients are forked before any thread exists; the first connects. */
static int setup(void **state)
{
	(void)state;
	ph_reset();
	warned = FALSE;
	ph_spawn(&second, client_remote, 0);
	ph_open_remote(&first, 4);
	ph_go(&second);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_log_set_sink(NULL, NULL);
	ph_cmd(&first, 'e', 0);
	ph_cmd(&second, 'e', 0);
	assert_int_equal(ph_reap(&first), 0);
	assert_int_equal(ph_reap(&second), 0);
	ph_teardown();
	return 0;
}

static NTSTATUS never_connect(PFLT_PORT client, PVOID server_cookie, PVOID context, ULONG size,
			      PVOID *cookie)
{
	(void)client;
	(void)server_cookie;
	(void)context;
	(void)size;
	(void)cookie;
	return STATUS_ACCESS_DENIED;
}

static VOID never_disconnect(PVOID cookie)
{
	(void)cookie;
}

static NTSTATUS create_port(PFLT_FILTER filter, const WCHAR *wname, PFLT_PORT *port)
{
	static WCHAR name[32];
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	USHORT n = 0;

	while (wname[n] && n + 1 < 32) {
		name[n] = wname[n];
		n++;
	}
	name[n] = 0;
	us.Buffer = name;
	us.Length = (USHORT)(n * sizeof(WCHAR));
	us.MaximumLength = (USHORT)sizeof(name);
	InitializeObjectAttributes(&oa, &us, OBJ_KERNEL_HANDLE, NULL, NULL);
	return FltCreateCommunicationPort(filter, port, &oa, NULL, never_connect,
					  never_disconnect, NULL, 1);
}

static void create_port_takes_only_a_live_filter(void **state)
{
	PFLT_FILTER gone = PH_FILTER;
	PFLT_PORT port = NULL;
	int garbage[64] = { 0 };

	(void)state;
	assert_int_equal(create_port(NULL, L"\\other", &port), STATUS_INVALID_PARAMETER);
	assert_int_equal(create_port((PFLT_FILTER)garbage, L"\\other", &port),
			 STATUS_INVALID_PARAMETER);
	assert_null(port);
	/*
	 * A second close (the connection keeps the port's memory) is ignored:
	 * releasing the filter twice would leave the unload waiting forever.
	 */
	FltCloseCommunicationPort(ph.server);
	FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	/* The first client's connection ends with the filter: DisconnectNotify once. */
	assert_int_equal(ph_unload_filter(), STATUS_SUCCESS);
	assert_int_equal(ph_get(&ph.disconnects), 1);
	/* A filter that has unregistered is no filter object any more. */
	assert_int_equal(create_port(gone, L"\\other", &port), STATUS_INVALID_PARAMETER);
	assert_null(port);
}

static void unregister_waits_for_the_server_port_and_refuses_new_work(void **state)
{
	PFLT_FILTER filter = PH_FILTER;
	PFLT_PORT port = NULL;

	(void)state;
	assert_true(flt_port_callback_enter(filter));
	flt_port_filter_release(filter);
	altitude_log_set_sink(log_sink, NULL);
	unload_start();
	wait_warned();
	/* The connection was ended by the unregistration, before it waits. */
	ph_wait_disconnects(1);
	ph_cmd(&first, 's', 2, 5u, 16u);
	assert_int_not_equal(ph_read(&first), HR(S_OK));
	ph_read(&first);
	ph_read(&first);
	assert_int_equal(ph_get(&ph.message_notifies), 0);
	/* No new server port, connection or callback for a filter being deleted. */
	assert_int_equal(create_port(filter, L"\\other", &port), STATUS_FLT_DELETING_OBJECT);
	assert_null(port);
	assert_false(flt_port_callback_enter(filter));
	ph_cmd(&second, 'k', 1, 0u);
	assert_int_equal(ph_read(&second), HR(ERROR_FLT_DELETING_OBJECT));
	assert_int_equal(ph_get(&ph.connects), 1);
	/* The open server port holds the unregistration. */
	assert_false(unload_finished());
	FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	assert_int_equal(unload_join(), STATUS_SUCCESS);
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void unregister_waits_for_a_running_message_notify(void **state)
{
	(void)state;
	(void)PH_FILTER;
	ph_hold_notify(TRUE);
	ph_cmd(&first, 's', 2, 5u, 16u);
	wait_held(1);
	FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	unload_start();
	/* The unregistration ended the connection: the client's send fails... */
	assert_int_not_equal(ph_read(&first), HR(S_OK));
	ph_read(&first);
	ph_read(&first);
	/* ...but MessageNotify is still running, and the unregistration waits. */
	assert_false(unload_finished());
	assert_int_equal(ph_get(&ph.notifies_returned), 0);
	assert_int_equal(ph_get(&ph.disconnects), 0);
	ph_hold_notify(FALSE);
	assert_int_equal(unload_join(), STATUS_SUCCESS);
	/* DisconnectNotify followed MessageNotify, once, before the unload returned. */
	assert_int_equal(ph_get(&ph.notifies_returned), 1);
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_port_takes_only_a_live_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(unregister_waits_for_the_server_port_and_refuses_new_work,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unregister_waits_for_a_running_message_notify, setup,
						teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
