#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fltKernel.h>
#include <altitude/harness.h>
#include <altitude/port.h>
#include <altitude/thread.h>
#include "bench_port.h"

static PFLT_PORT bench_server, bench_client;
static pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bench_cv = PTHREAD_COND_INITIALIZER;
static char bench_dir[64];
static PFLT_FILTER bench_filter;

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bench_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", bench_dir);
}

void bench_runtime_init(void)
{
	snprintf(bench_dir, sizeof(bench_dir), "/tmp/altitude-bench-XXXXXX");
	if (!mkdtemp(bench_dir) || chmod(bench_dir, 0755) < 0) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("ALTITUDE_RUNTIME_DIR", bench_dir, 1);
	atexit(bench_cleanup);
}

pid_t bench_spawn(int (*fn)(int ready), int *go_fd, int *ready_fd)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		exit(1);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(fn(ready[1]));
	}
	close(go[0]);
	close(ready[1]);
	*go_fd = go[1];
	*ready_fd = ready[0];
	return pid;
}

void bench_host_go(int go_fd, int ready_fd)
{
	char c = 'g';

	if (write(go_fd, &c, 1) != 1 || read(ready_fd, &c, 1) != 1) {
		fprintf(stderr, "bench: client failed to start\n");
		exit(1);
	}
}

static NTSTATUS bench_connect(PFLT_PORT client, PVOID cookie, PVOID ctx, ULONG len,
			      PVOID *conn_cookie)
{
	(void)cookie, (void)ctx, (void)len, (void)conn_cookie;
	pthread_mutex_lock(&bench_lock);
	bench_client = client;
	pthread_cond_broadcast(&bench_cv);
	pthread_mutex_unlock(&bench_lock);
	return STATUS_SUCCESS;
}

static VOID bench_disconnect(PVOID cookie)
{
	(void)cookie;
}

static NTSTATUS NTAPI bench_driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	static const FLT_REGISTRATION reg = { .Size = sizeof(FLT_REGISTRATION),
					      .Version = FLT_REGISTRATION_VERSION };

	(void)path;
	return FltRegisterFilter(driver, &reg, &bench_filter);
}

/* A real filter ("benchport") owns the port, as a minifilter's would. */
int bench_host_create(void)
{
	static const altitude_instance_config inst = { L"benchport", L"370000", 0 };
	static const altitude_filter_config cfg = { L"benchport", NULL, 1, &inst };
	static WCHAR name[] = BENCH_PORT_NAME;
	UNICODE_STRING us = { sizeof(name) - sizeof(WCHAR), sizeof(name), name };
	OBJECT_ATTRIBUTES oa;

	if (!NT_SUCCESS(altitude_filter_load(&cfg, bench_driver_entry, NULL)))
		return -1;
	InitializeObjectAttributes(&oa, &us, OBJ_KERNEL_HANDLE, NULL, NULL);
	return FltCreateCommunicationPort(bench_filter, &bench_server, &oa, NULL,
					  bench_connect, bench_disconnect, NULL, 1) == STATUS_SUCCESS
		       ? 0
		       : -1;
}

void *bench_host_client(void)
{
	pthread_mutex_lock(&bench_lock);
	while (!bench_client)
		pthread_cond_wait(&bench_cv, &bench_lock);
	pthread_mutex_unlock(&bench_lock);
	return &bench_client;
}

void bench_host_close(void)
{
	FltCloseClientPort(bench_filter, &bench_client);
	FltCloseCommunicationPort(bench_server);
	bench_server = NULL;
	altitude_filter_unload(L"benchport", TRUE);
	bench_filter = NULL;
	altitude_port_shutdown();
	altitude_ke_shutdown();
}

int32_t bench_host_send(void *client_port, const void *msg, uint32_t len)
{
	UCHAR reply;
	ULONG rlen = 1;

	return FltSendMessage(bench_filter, client_port, (PVOID)msg, len, &reply,
			      &rlen, NULL);
}
