#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <altitude/harness.h>
#include <altitude/thread.h>
#include "harness.h"

#define S_OK_VALUE 0u

struct ph_state ph = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static char ph_dir[64];
static PFLT_FILTER ph_filter_object;

static const FLT_REGISTRATION ph_registration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
};

static NTSTATUS NTAPI ph_driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
	(void)registry_path;
	return FltRegisterFilter(driver, &ph_registration, &ph_filter_object);
}

PFLT_FILTER ph_filter(void)
{
	static const altitude_instance_config instance = { L"porttest", L"370000", 0 };
	static const altitude_filter_config config = { L"porttest", NULL, 1, &instance };

	if (!ph_filter_object)
		assert_int_equal(altitude_filter_load(&config, ph_driver_entry, NULL), STATUS_SUCCESS);
	return ph_filter_object;
}

NTSTATUS ph_unload_filter(void)
{
	NTSTATUS status = STATUS_SUCCESS;

	if (ph_filter_object)
		status = altitude_filter_unload(L"porttest", TRUE);
	ph_filter_object = NULL;
	return status;
}

void ph_filter_unloaded(void)
{
	ph_filter_object = NULL;
}

void ph_hold_notify(BOOLEAN hold)
{
	pthread_mutex_lock(&ph.lock);
	ph.hold_notify = hold;
	pthread_cond_broadcast(&ph.cv);
	pthread_mutex_unlock(&ph.lock);
}

void ph_hold_connect(BOOLEAN hold)
{
	pthread_mutex_lock(&ph.lock);
	ph.hold_connect = hold;
	pthread_cond_broadcast(&ph.cv);
	pthread_mutex_unlock(&ph.lock);
}

static void ph_cleanup_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ph_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", ph_dir);
}

void ph_runtime_init(void)
{
	snprintf(ph_dir, sizeof(ph_dir), "/tmp/altitude-port-XXXXXX");
	if (!mkdtemp(ph_dir) || chmod(ph_dir, 0755) < 0) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("ALTITUDE_RUNTIME_DIR", ph_dir, 1);
	atexit(ph_cleanup_dir);
}

void ph_reset(void)
{
	pthread_mutex_lock(&ph.lock);
	ph.server = NULL;
	ph.client = NULL;
	ph.port_count = 0;
	ph.connects = ph.disconnects = 0;
	ph.context_len = 0;
	ph.connect_status = STATUS_SUCCESS;
	ph.message_notifies = 0;
	ph.hold_notify = FALSE;
	ph.hold_connect = FALSE;
	ph.notifies_held = ph.notifies_returned = 0;
	pthread_mutex_unlock(&ph.lock);
}

static NTSTATUS ph_connect_notify(PFLT_PORT ClientPort, PVOID ServerPortCookie,
				  PVOID ConnectionContext, ULONG SizeOfContext,
				  PVOID *ConnectionPortCookie)
{
	NTSTATUS status;

	pthread_mutex_lock(&ph.lock);
	status = ph.connect_status;
	if (ServerPortCookie == &ph && NT_SUCCESS(status)) {
		ph.client = ClientPort;
		if (ph.port_count < (int)RTL_NUMBER_OF(ph.ports))
			ph.ports[ph.port_count++] = ClientPort;
		ph.connects++;
		*ConnectionPortCookie = (PVOID)(LONG_PTR)ph.connects;
		ph.context_len = SizeOfContext;
		if (SizeOfContext <= sizeof(ph.context) && SizeOfContext)
			memcpy(ph.context, ConnectionContext, SizeOfContext);
	}
	pthread_cond_broadcast(&ph.cv);
	while (ph.hold_connect)
		pthread_cond_wait(&ph.cv, &ph.lock);
	pthread_mutex_unlock(&ph.lock);
	return status;
}

static VOID ph_disconnect_notify(PVOID ConnectionCookie)
{
	pthread_mutex_lock(&ph.lock);
	ph.disconnects++;
	ph.last_cookie_disconnected = ConnectionCookie;
	pthread_cond_broadcast(&ph.cv);
	pthread_mutex_unlock(&ph.lock);
}

/* FilterSendMessage: answers "echo:" + input, length capped by the output. */
static NTSTATUS ph_message_notify(PVOID PortCookie, PVOID InputBuffer, ULONG InputBufferLength,
				  PVOID OutputBuffer, ULONG OutputBufferLength,
				  PULONG ReturnOutputBufferLength)
{
	char out[128];
	int n;

	(void)PortCookie;
	pthread_mutex_lock(&ph.lock);
	ph.message_notifies++;
	if (ph.hold_notify) {
		ph.notifies_held++;
		pthread_cond_broadcast(&ph.cv);
		while (ph.hold_notify)
			pthread_cond_wait(&ph.cv, &ph.lock);
	}
	ph.notifies_returned++;
	pthread_mutex_unlock(&ph.lock);
	if (InputBufferLength == 4 && !memcmp(InputBuffer, "fail", 4))
		return STATUS_ACCESS_DENIED;
	n = snprintf(out, sizeof(out), "echo:%.*s", (int)InputBufferLength, (char *)InputBuffer);
	if ((ULONG)n > OutputBufferLength)
		return STATUS_BUFFER_TOO_SMALL;
	memcpy(OutputBuffer, out, (size_t)n);
	*ReturnOutputBufferLength = (ULONG)n;
	return STATUS_SUCCESS;
}

NTSTATUS ph_create_port(LONG max_connections, PSECURITY_DESCRIPTOR sd)
{
	static WCHAR name[] = PH_PORT_NAME;
	UNICODE_STRING us = { sizeof(name) - sizeof(WCHAR), sizeof(name), name };
	OBJECT_ATTRIBUTES oa;

	InitializeObjectAttributes(&oa, &us, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, sd);
	return FltCreateCommunicationPort(PH_FILTER, &ph.server, &oa, &ph, ph_connect_notify,
					  ph_disconnect_notify, ph_message_notify,
					  max_connections);
}

void ph_wait_connects(int n)
{
	pthread_mutex_lock(&ph.lock);
	while (ph.connects < n)
		pthread_cond_wait(&ph.cv, &ph.lock);
	pthread_mutex_unlock(&ph.lock);
}

void ph_wait_disconnects(int n)
{
	pthread_mutex_lock(&ph.lock);
	while (ph.disconnects < n)
		pthread_cond_wait(&ph.cv, &ph.lock);
	pthread_mutex_unlock(&ph.lock);
}

/*
 * The server frees a connection's slot after DisconnectNotify returns, on
 * the connection's own thread: wait for that before reusing the slot.
 */
void ph_wait_connections(LONG n)
{
	const struct timespec pause = { 0, 1000000 };

	for (int i = 0; i < 10000 && port_test_connections(ph.server) != n; i++)
		nanosleep(&pause, NULL);
	assert_int_equal(port_test_connections(ph.server), n);
}

void ph_close_port(PFLT_PORT *alias)
{
	PFLT_PORT port = *alias;

	pthread_mutex_lock(&ph.lock);
	for (int i = 0; port && i < ph.port_count; i++) {
		if (ph.ports[i] == port) {
			ph.ports[i] = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&ph.lock);
	FltCloseClientPort(PH_FILTER, alias);
}

void ph_teardown(void)
{
	ph.client = NULL;
	for (int i = 0; i < ph_get(&ph.port_count); i++) {
		pthread_mutex_lock(&ph.lock);
		PFLT_PORT port = ph.ports[i];
		ph.ports[i] = NULL;
		pthread_mutex_unlock(&ph.lock);
		if (port)
			FltCloseClientPort(PH_FILTER, &port);
	}
	if (ph.server)
		FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	assert_int_equal(ph_unload_filter(), STATUS_SUCCESS);
	altitude_port_shutdown();
	/* Back to one thread, so that the next test may fork its clients. */
	altitude_ke_shutdown();
}

void ph_spawn(struct ph_child *c, client_fn fn, long arg)
{
	int down[2], up[2];
	char go;

	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(1);
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		if (read(down[0], &go, 1) != 1)
			_exit(100);
		_exit(fn(down[0], up[1], arg));
	}
	close(down[0]);
	close(up[1]);
	c->to_child = down[1];
	c->from_child = up[0];
}

void ph_go(struct ph_child *c)
{
	ph_signal(c, 'g');
}

void ph_signal(struct ph_child *c, char step)
{
	if (write(c->to_child, &step, 1) != 1)
		fprintf(stderr, "ph_signal: child gone\n");
}

char ph_wait(struct ph_child *c)
{
	char step = 0;

	if (read(c->from_child, &step, 1) != 1)
		return 0;
	return step;
}

int ph_reap(struct ph_child *c)
{
	int st = 0;

	close(c->to_child);
	close(c->from_child);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 1000 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

void ph_kill(struct ph_child *c)
{
	kill(c->pid, SIGKILL);
}

static void *ph_sender_main(void *arg)
{
	struct ph_sender *s = arg;

	__atomic_store_n(&s->ethread, PsGetCurrentThread(), __ATOMIC_RELEASE);
	s->reply_len = s->reply_capacity ? s->reply_capacity : sizeof(s->reply);
	s->status = FltSendMessage(PH_FILTER, &ph.client, s->msg, s->msg_len,
				   s->want_reply ? s->reply : NULL,
				   s->want_reply ? &s->reply_len : NULL,
				   s->has_timeout ? &s->timeout : NULL);
	return NULL;
}

void ph_sender_start(struct ph_sender *s)
{
	pthread_create(&s->thread, NULL, ph_sender_main, s);
}

NTSTATUS ph_sender_join(struct ph_sender *s)
{
	pthread_join(s->thread, NULL);
	return s->status;
}

void ph_cmd(struct ph_child *c, char cmd, int nargs, ...)
{
	va_list ap;

	ph_signal(c, cmd);
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++) {
		uint32_t v = va_arg(ap, uint32_t);

		if (write(c->to_child, &v, sizeof(v)) != sizeof(v))
			fprintf(stderr, "ph_cmd: child gone\n");
	}
	va_end(ap);
}

uint32_t ph_read(struct ph_child *c)
{
	uint32_t v;

	if (read(c->from_child, &v, sizeof(v)) != sizeof(v))
		return 0xDEADDEADu;
	return v;
}

void ph_open_remote(struct ph_child *c, LONG max_connections)
{
	ph_spawn(c, client_remote, 0);
	assert_int_equal(ph_create_port(max_connections, NULL), STATUS_SUCCESS);
	ph_go(c);
	ph_cmd(c, 'k', 1, (uint32_t)(sizeof(PH_CONTEXT) - 1));
	assert_int_equal(ph_read(c), S_OK_VALUE);
	ph_wait_connects(1);
}

int ph_get(const int *field)
{
	int v;

	pthread_mutex_lock(&ph.lock);
	v = *field;
	pthread_mutex_unlock(&ph.lock);
	return v;
}
