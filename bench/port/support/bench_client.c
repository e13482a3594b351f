#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <fltUser.h>
#include "bench_port.h"

static int bench_ready(int fd)
{
	char c = 'r';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

struct bench_reply {
	FILTER_REPLY_HEADER h;
	UCHAR verdict;
};

static HRESULT bench_answer(HANDLE port, PFILTER_MESSAGE_HEADER mh)
{
	struct bench_reply r = { .h = { 0, mh->MessageId }, .verdict = 1 };

	return FilterReplyMessage(port, &r.h, sizeof(FILTER_REPLY_HEADER) + 1);
}

int bench_client_sync(int ready)
{
	UCHAR buf[sizeof(FILTER_MESSAGE_HEADER) + 128];
	HANDLE port;

	if (FAILED(FilterConnectCommunicationPort(BENCH_PORT_NAME, FLT_PORT_FLAG_SYNC_HANDLE, NULL,
						  0, NULL, &port)))
		return 1;
	bench_ready(ready);
	while (SUCCEEDED(FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)buf, sizeof(buf), NULL)))
		if (FAILED(bench_answer(port, (PFILTER_MESSAGE_HEADER)buf)))
			break;
	CloseHandle(port);
	return 0;
}

struct bench_get {
	OVERLAPPED ov;
	UCHAR buf[sizeof(FILTER_MESSAGE_HEADER) + 128];
};

struct bench_scanner {
	HANDLE port, iocp;
};

static void *bench_scanner_thread(void *arg)
{
	struct bench_scanner *s = arg;
	struct bench_get gets[2];

	for (int i = 0; i < 2; i++) {
		memset(&gets[i].ov, 0, sizeof(gets[i].ov));
		FilterGetMessage(s->port, (PFILTER_MESSAGE_HEADER)gets[i].buf, sizeof(gets[i].buf),
				 &gets[i].ov);
	}
	for (;;) {
		DWORD bytes;
		ULONG_PTR key;
		LPOVERLAPPED ov;
		struct bench_get *g;

		if (!GetQueuedCompletionStatus(s->iocp, &bytes, &key, &ov, INFINITE))
			break;
		g = (struct bench_get *)ov;
		if (FAILED(bench_answer(s->port, (PFILTER_MESSAGE_HEADER)g->buf)))
			break;
		if (FilterGetMessage(s->port, (PFILTER_MESSAGE_HEADER)g->buf, sizeof(g->buf), ov) !=
		    HRESULT_FROM_WIN32(ERROR_IO_PENDING))
			break;
	}
	return NULL;
}

static int bench_client_threads(int ready, int threads)
{
	struct bench_scanner s;
	pthread_t t[4];

	if (FAILED(FilterConnectCommunicationPort(BENCH_PORT_NAME, 0, NULL, 0, NULL, &s.port)))
		return 1;
	s.iocp = CreateIoCompletionPort(s.port, NULL, 0, (DWORD)threads);
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, bench_scanner_thread, &s);
	bench_ready(ready);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}

int bench_client_scanner(int ready)
{
	return bench_client_threads(ready, 4);
}

int bench_client_overlapped(int ready)
{
	return bench_client_threads(ready, 1);
}

int bench_client_idle(int ready)
{
	HANDLE port;

	if (FAILED(FilterConnectCommunicationPort(BENCH_PORT_NAME, 0, NULL, 0, NULL, &port)))
		return 1;
	bench_ready(ready);
	for (;;)
		pause();
}
