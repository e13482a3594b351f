/*
 * fltUser.h communication-port functions.  Parameter checks follow the
 * documentation; every failure is an HRESULT (see fltUser.h).
 */
#include <string.h>

#include "port/user/client.h"

#define UM_PORT_NAME_MAX 32767

static HRESULT um_port_name_path(LPCWSTR name, char *path, size_t size)
{
	size_t count = 0;
	NTSTATUS st;

	while (count < UM_PORT_NAME_MAX && name[count])
		count++;
	if (count == UM_PORT_NAME_MAX)
		return E_INVALIDARG;
	st = port_wire_socket_path(name, count, path, size);
	if (st == STATUS_OBJECT_PATH_NOT_FOUND)
		return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
	return um_status_to_hresult(st);
}

HRESULT WINAPI FilterConnectCommunicationPort(LPCWSTR lpPortName, DWORD dwOptions,
					      LPCVOID lpContext, WORD wSizeOfContext,
					      LPSECURITY_ATTRIBUTES lpSecurityAttributes,
					      HANDLE *hPort)
{
	char path[108];
	struct um_port *p;
	HRESULT hr;
	HANDLE h;

	(void)lpSecurityAttributes;
	if (!hPort)
		return E_INVALIDARG;
	*hPort = INVALID_HANDLE_VALUE;
	if (!lpPortName || (dwOptions & ~(DWORD)FLT_PORT_FLAG_SYNC_HANDLE))
		return E_INVALIDARG;
	if ((lpContext == NULL) != (wSizeOfContext == 0))
		return E_INVALIDARG;
	hr = um_port_name_path(lpPortName, path, sizeof(path));
	if (FAILED(hr))
		return hr;
	hr = um_status_to_hresult(um_port_connect(path, dwOptions, lpContext, wSizeOfContext, &p));
	if (FAILED(hr))
		return hr;
	h = um_handle_insert(&p->obj);
	if (!h) {
		um_port_close(p);
		um_port_unref(p);
		return HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES);
	}
	*hPort = h;
	return S_OK;
}

HRESULT WINAPI FilterGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
				DWORD dwMessageBufferSize, LPOVERLAPPED lpOverlapped)
{
	struct um_request r = { .type = PORT_WIRE_GET };
	struct um_port *p;
	NTSTATUS st;

	if (!lpMessageBuffer || dwMessageBufferSize < sizeof(FILTER_MESSAGE_HEADER))
		return E_INVALIDARG;
	p = um_port_ref(hPort);
	if (!p)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	if (lpOverlapped) {
		if (p->options & FLT_PORT_FLAG_SYNC_HANDLE)
			st = STATUS_INVALID_PARAMETER;
		else
			st = um_port_get_async(p, lpMessageBuffer, dwMessageBufferSize, lpOverlapped);
		um_port_unref(p);
		return st == STATUS_PENDING ? HRESULT_FROM_WIN32(ERROR_IO_PENDING)
					    : um_status_to_hresult(st);
	}
	r.buf = lpMessageBuffer;
	r.size = dwMessageBufferSize;
	st = um_port_get(p, &r);
	um_port_unref(p);
	return um_status_to_hresult(st);
}

HRESULT WINAPI FilterReplyMessage(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer,
				  DWORD dwReplyBufferSize)
{
	struct um_request r = { .type = PORT_WIRE_REPLY };
	struct port_wire_header h;
	FILTER_REPLY_HEADER rh;
	struct um_port *p;
	NTSTATUS st;

	if (!lpReplyBuffer || dwReplyBufferSize < sizeof(FILTER_REPLY_HEADER) ||
	    dwReplyBufferSize - sizeof(FILTER_REPLY_HEADER) > PORT_WIRE_MAX_DATA)
		return E_INVALIDARG;
	p = um_port_ref(hPort);
	if (!p)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	memcpy(&rh, lpReplyBuffer, sizeof(rh));
	st = um_port_reply_shm(p, rh.MessageId, (const uint8_t *)lpReplyBuffer + sizeof(rh),
			       dwReplyBufferSize - sizeof(rh));
	if (st != STATUS_NOT_FOUND) {
		um_port_unref(p);
		return um_status_to_hresult(st);
	}
	port_wire_header_init(&h, PORT_WIRE_REPLY, 0);
	h.message = rh.MessageId;
	h.status = (uint32_t)rh.Status;
	st = um_port_transact(p, &r, &h, (const uint8_t *)lpReplyBuffer + sizeof(rh),
			      dwReplyBufferSize - sizeof(rh));
	um_port_unref(p);
	return um_status_to_hresult(st);
}

HRESULT WINAPI FilterSendMessage(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize,
				 LPVOID lpOutBuffer, DWORD dwOutBufferSize,
				 LPDWORD lpBytesReturned)
{
	struct um_request r = { .type = PORT_WIRE_SEND };
	struct port_wire_header h;
	struct um_port *p;
	NTSTATUS st;

	if (!lpBytesReturned || (!lpInBuffer && dwInBufferSize) ||
	    (!lpOutBuffer && dwOutBufferSize) || dwInBufferSize > PORT_WIRE_MAX_DATA)
		return E_INVALIDARG;
	*lpBytesReturned = 0;
	p = um_port_ref(hPort);
	if (!p)
		return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
	r.buf = lpOutBuffer;
	r.size = dwOutBufferSize < PORT_WIRE_MAX_DATA ? dwOutBufferSize : PORT_WIRE_MAX_DATA;
	port_wire_header_init(&h, PORT_WIRE_SEND, 0);
	h.value = r.size;
	st = um_port_transact(p, &r, &h, lpInBuffer, dwInBufferSize);
	um_port_unref(p);
	if (NT_SUCCESS(st))
		*lpBytesReturned = r.bytes;
	return um_status_to_hresult(st);
}
