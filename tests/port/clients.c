#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>

#include <fltUser.h>
#include <altitude/port.h>
#include "clients.h"

static int cs_report(int out, uint32_t v)
{
	return write(out, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int cs_read(int in, uint32_t *v)
{
	return read(in, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

struct cs_remote {
	HANDLE port;
	HANDLE event;
	OVERLAPPED ov;
	UCHAR async_buf[512];
	ULONGLONG last_id;
	int in, out;
};

static int cs_connect(struct cs_remote *r)
{
	uint32_t len;
	HRESULT hr;

	if (cs_read(r->in, &len))
		return -1;
	hr = FilterConnectCommunicationPort(PH_PORT_NAME, 0, len ? PH_CONTEXT : NULL,
					    (WORD)len, NULL, &r->port);
	return cs_report(r->out, (uint32_t)hr);
}

static int cs_get(struct cs_remote *r)
{
	static UCHAR buf[sizeof(FILTER_MESSAGE_HEADER) + 16384];
	PFILTER_MESSAGE_HEADER mh = (PFILTER_MESSAGE_HEADER)buf;
	uint32_t size;
	HRESULT hr;

	if (cs_read(r->in, &size) || size > sizeof(buf))
		return -1;
	hr = FilterGetMessage(r->port, mh, size, NULL);
	if (cs_report(r->out, (uint32_t)hr))
		return -1;
	if (FAILED(hr))
		return 0;
	r->last_id = mh->MessageId;
	cs_report(r->out, mh->ReplyLength);
	cs_report(r->out, (uint32_t)mh->MessageId);
	cs_report(r->out, (uint32_t)(mh->MessageId >> 32));
	cs_report(r->out, buf[size - 1]);
	return cs_report(r->out, buf[sizeof(*mh)]);
}

static int cs_get_async(struct cs_remote *r)
{
	uint32_t size;
	HRESULT hr;

	if (cs_read(r->in, &size) || size > sizeof(r->async_buf))
		return -1;
	if (!r->event)
		r->event = CreateEventW(NULL, TRUE, FALSE, NULL);
	memset(&r->ov, 0, sizeof(r->ov));
	r->ov.hEvent = r->event;
	hr = FilterGetMessage(r->port, (PFILTER_MESSAGE_HEADER)r->async_buf, size, &r->ov);
	return cs_report(r->out, (uint32_t)hr);
}

static int cs_wait_async(struct cs_remote *r)
{
	DWORD bytes = 0, w;
	BOOL ok;

	w = WaitForSingleObject(r->event, INFINITE);
	ok = GetOverlappedResult(r->port, &r->ov, &bytes, FALSE);
	cs_report(r->out, ok);
	cs_report(r->out, ok ? (w == WAIT_OBJECT_0 ? 0 : w) : GetLastError());
	cs_report(r->out, bytes);
	if (ok)
		r->last_id = ((PFILTER_MESSAGE_HEADER)r->async_buf)->MessageId;
	return cs_report(r->out, ok ? r->async_buf[sizeof(FILTER_MESSAGE_HEADER)] : 0);
}

static int cs_cancel(struct cs_remote *r)
{
	BOOL ok = CancelIoEx(r->port, &r->ov);

	cs_report(r->out, ok);
	return cs_report(r->out, ok ? 0 : GetLastError());
}

static int cs_reply(struct cs_remote *r)
{
	UCHAR buf[sizeof(FILTER_REPLY_HEADER) + 256];
	PFILTER_REPLY_HEADER rh = (PFILTER_REPLY_HEADER)buf;
	uint32_t len, status;

	if (cs_read(r->in, &len) || cs_read(r->in, &status) || len > 256)
		return -1;
	rh->Status = (NTSTATUS)status;
	rh->MessageId = r->last_id;
	memset(buf + sizeof(*rh), 'R', len);
	return cs_report(r->out, (uint32_t)FilterReplyMessage(r->port, rh, sizeof(*rh) + len));
}

static int cs_send(struct cs_remote *r)
{
	char out[128] = { 0 };
	uint32_t len, cap;
	DWORD bytes = 0xFFFF;
	HRESULT hr;

	if (cs_read(r->in, &len) || cs_read(r->in, &cap) || len > 5 || cap > sizeof(out))
		return -1;
	hr = FilterSendMessage(r->port, len == 4 ? "fail" : "hello", len, out, cap, &bytes);
	cs_report(r->out, (uint32_t)hr);
	cs_report(r->out, bytes);
	return cs_report(r->out, (uint32_t)(UCHAR)out[0] << 8 | (UCHAR)out[5]);
}

int client_remote(int in, int out, long arg)
{
	struct cs_remote r = { .port = INVALID_HANDLE_VALUE, .in = in, .out = out };
	int rc = 0;
	char cmd;

	(void)arg;
	while (rc == 0 && read(in, &cmd, 1) == 1) {
		switch (cmd) {
		case 'k': rc = cs_connect(&r); break;
		case 'g': rc = cs_get(&r); break;
		case 'a': rc = cs_get_async(&r); break;
		case 'w': rc = cs_wait_async(&r); break;
		case 'c': rc = cs_cancel(&r); break;
		case 'i':
			cs_report(out, (uint32_t)r.ov.Internal);
			rc = cs_report(out, WaitForSingleObject(r.event, 0));
			break;
		case 'r': rc = cs_reply(&r); break;
		case 's': rc = cs_send(&r); break;
		case 'x':
			rc = cs_report(out, CloseHandle(r.port));
			r.port = INVALID_HANDLE_VALUE;
			break;
		case 'e':
			if (r.port != INVALID_HANDLE_VALUE)
				CloseHandle(r.port);
			if (r.event)
				CloseHandle(r.event);
			return 0;
		default: return 2;
		}
	}
	return rc ? 3 : 0;
}

static int cs_answer(HANDLE port, PFILTER_MESSAGE_HEADER mh, UCHAR value)
{
	struct {
		FILTER_REPLY_HEADER h;
		UCHAR v;
	} reply = { .h = { .Status = 0, .MessageId = mh->MessageId }, .v = value };

	return FAILED(FilterReplyMessage(port, &reply.h, sizeof(FILTER_REPLY_HEADER) + 1));
}

int client_iocp_poll(int in, int out, long arg)
{
	struct {
		OVERLAPPED ov;
		UCHAR buf[256];
	} gets[2];
	HANDLE port, iocp;
	struct pollfd p;
	long answered = 0;

	(void)in;
	if (FAILED(FilterConnectCommunicationPort(PH_PORT_NAME, 0, NULL, 0, NULL, &port)))
		return 10;
	iocp = CreateIoCompletionPort(port, NULL, 7, 1);
	if (!iocp)
		return 11;
	p.fd = altitude_completion_port_fd(iocp);
	p.events = POLLIN;
	for (int i = 0; i < 2; i++) {
		memset(&gets[i].ov, 0, sizeof(gets[i].ov));
		if (FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)gets[i].buf, sizeof(gets[i].buf),
				     &gets[i].ov) != HRESULT_FROM_WIN32(ERROR_IO_PENDING))
			return 12;
	}
	cs_report(out, 'r');
	while (answered < arg) {
		DWORD bytes;
		ULONG_PTR key;
		LPOVERLAPPED ov;
		PFILTER_MESSAGE_HEADER mh;

		if (poll(&p, 1, -1) != 1)
			return 13;
		if (!GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, 0))
			continue;
		if (key != 7 || bytes < sizeof(FILTER_MESSAGE_HEADER) + 1)
			return 14;
		mh = (PFILTER_MESSAGE_HEADER)((UCHAR *)ov + sizeof(OVERLAPPED));
		if (cs_answer(port, mh, ((UCHAR *)(mh + 1))[0]))
			return 15;
		answered++;
		if (FilterGetMessage(port, mh, sizeof(gets[0].buf), ov) !=
		    HRESULT_FROM_WIN32(ERROR_IO_PENDING))
			return 16;
	}
	cs_report(out, (uint32_t)answered);
	CloseHandle(port);
	CloseHandle(iocp);
	return 0;
}

struct cs_scanner {
	HANDLE port, iocp;
};

struct cs_get {
	OVERLAPPED ov;
	UCHAR buf[sizeof(FILTER_MESSAGE_HEADER) + 64];
};

static void *cs_scanner_thread(void *arg)
{
	struct cs_scanner *s = arg;
	struct cs_get gets[2];

	for (int i = 0; i < 2; i++) {
		memset(&gets[i].ov, 0, sizeof(gets[i].ov));
		FilterGetMessage(s->port, (PFILTER_MESSAGE_HEADER)gets[i].buf, sizeof(gets[i].buf),
				 &gets[i].ov);
	}
	for (;;) {
		struct {
			FILTER_REPLY_HEADER h;
			ULONGLONG seq;
		} reply;
		struct cs_get *g;
		DWORD bytes;
		ULONG_PTR key;
		LPOVERLAPPED ov;

		if (!GetQueuedCompletionStatus(s->iocp, &bytes, &key, &ov, INFINITE))
			break;
		g = (struct cs_get *)ov;
		reply.h.Status = 0;
		reply.h.MessageId = ((PFILTER_MESSAGE_HEADER)g->buf)->MessageId;
		memcpy(&reply.seq, g->buf + sizeof(FILTER_MESSAGE_HEADER), sizeof(reply.seq));
		if (FAILED(FilterReplyMessage(s->port, &reply.h, sizeof(reply))))
			break;
		if (FilterGetMessage(s->port, (PFILTER_MESSAGE_HEADER)g->buf, sizeof(g->buf), ov) !=
		    HRESULT_FROM_WIN32(ERROR_IO_PENDING))
			break;
	}
	return NULL;
}

int client_scanner(int in, int out, long arg)
{
	struct cs_scanner s;
	pthread_t t[4];

	(void)in;
	(void)arg;
	if (FAILED(FilterConnectCommunicationPort(PH_PORT_NAME, 0, NULL, 0, NULL, &s.port)))
		return 10;
	s.iocp = CreateIoCompletionPort(s.port, NULL, 0, 4);
	if (!s.iocp)
		return 11;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, cs_scanner_thread, &s);
	cs_report(out, 'r');
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}

int client_as_user(int in, int out, long arg)
{
	uid_t uid = (uid_t)(arg & 0xFFFFFFFF);
	gid_t gid = (gid_t)((unsigned long)arg >> 32);
	HANDLE port;
	HRESULT hr;

	(void)in;
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return 20;
	hr = FilterConnectCommunicationPort(PH_PORT_NAME, 0, NULL, 0, NULL, &port);
	cs_report(out, (uint32_t)hr);
	if (SUCCEEDED(hr))
		CloseHandle(port);
	return 0;
}

static void *cs_iocp_wait(void *arg)
{
	DWORD bytes;
	ULONG_PTR key = 0;
	LPOVERLAPPED ov;

	if (!GetQueuedCompletionStatus(arg, &bytes, &key, &ov, INFINITE))
		return NULL;
	return (void *)key;
}

int client_iocp_post(int in, int out, long arg)
{
	struct {
		OVERLAPPED ov;
		UCHAR buf[64];
	} get;
	HANDLE port, iocp;
	pthread_t t;
	void *key;

	(void)in;
	(void)arg;
	if (FAILED(FilterConnectCommunicationPort(PH_PORT_NAME, 0, NULL, 0, NULL, &port)))
		return 10;
	iocp = CreateIoCompletionPort(port, NULL, 1, 1);
	memset(&get.ov, 0, sizeof(get.ov));
	if (!iocp || FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)get.buf, sizeof(get.buf),
				      &get.ov) != HRESULT_FROM_WIN32(ERROR_IO_PENDING))
		return 11;
	pthread_create(&t, NULL, cs_iocp_wait, iocp);
	cs_report(out, 'r');
	/* The host says when the waiter is (very likely) reading the socket. */
	if (cs_read(in, (uint32_t *)&arg))
		return 12;
	PostQueuedCompletionStatus(iocp, 0, 99, NULL);
	pthread_join(t, &key);
	cs_report(out, (uint32_t)(uintptr_t)key);
	CloseHandle(port);
	CloseHandle(iocp);
	return 0;
}

/* Dequeues one completion of client_readahead_sizes: ok, error, which get, bytes. */
static int cs_ra_dequeue(HANDLE iocp, const OVERLAPPED *first, DWORD ms, int out,
			 PULONG_PTR index)
{
	DWORD bytes = 0;
	ULONG_PTR key;
	LPOVERLAPPED ov = NULL;
	BOOL ok = GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, ms);

	*index = ov ? (ULONG_PTR)(ov - first) : 0xFF;
	cs_report(out, (uint32_t)ok);
	cs_report(out, ok ? 0 : GetLastError());
	cs_report(out, (uint32_t)*index);
	return cs_report(out, bytes);
}

int client_readahead_sizes(int in, int out, long arg)
{
	static struct {
		OVERLAPPED ov[3];
		UCHAR buf[3][sizeof(FILTER_MESSAGE_HEADER) + 8192];
	} g;
	const DWORD size[3] = { sizeof(g.buf[0]), sizeof(FILTER_MESSAGE_HEADER) + 100,
				sizeof(g.buf[0]) };
	HANDLE port, iocp;
	ULONG_PTR index;
	DWORD bytes;
	ULONG_PTR key;
	LPOVERLAPPED ov;
	char step;

	(void)arg;
	if (FAILED(FilterConnectCommunicationPort(PH_PORT_NAME, 0, NULL, 0, NULL, &port)))
		return 10;
	iocp = CreateIoCompletionPort(port, NULL, 7, 1);
	if (!iocp)
		return 11;
	cs_report(out, 'c');
	memset(&g, 0, sizeof(g));
	if (FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)g.buf[0], size[0], &g.ov[0]) !=
		    HRESULT_FROM_WIN32(ERROR_IO_PENDING) ||
	    !GetQueuedCompletionStatus(iocp, &bytes, &key, &ov, INFINITE) || ov != &g.ov[0])
		return 12;
	/* No get outstanding after this reply: the library posts its read-ahead credit. */
	if (cs_answer(port, (PFILTER_MESSAGE_HEADER)g.buf[0], 1))
		return 13;
	cs_report(out, 'r');
	if (read(in, &step, 1) != 1)
		return 14;
	for (int i = 1; i < 3; i++)
		if (FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)g.buf[i], size[i], &g.ov[i]) !=
		    HRESULT_FROM_WIN32(ERROR_IO_PENDING))
			return 15;
	/* The second completion must already be queued when the first is. */
	if (cs_ra_dequeue(iocp, g.ov, INFINITE, out, &index) ||
	    cs_ra_dequeue(iocp, g.ov, 0, out, &index))
		return 16;
	if (index == 2 && cs_answer(port, (PFILTER_MESSAGE_HEADER)g.buf[2], 2))
		return 17;
	if (read(in, &step, 1) != 1)
		return 18;
	CloseHandle(port);
	CloseHandle(iocp);
	return 0;
}
