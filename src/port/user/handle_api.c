/* CloseHandle and the overlapped-I/O functions of the Win32 subset. */
#include "port/user/client.h"

BOOL WINAPI CloseHandle(HANDLE hObject)
{
	struct um_object *o = um_handle_remove(hObject);

	if (!o) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	if (o->kind == UM_KIND_PORT)
		um_port_close((struct um_port *)o);
	else if (o->kind == UM_KIND_IOCP)
		um_iocp_close((struct um_iocp *)o);
	um_object_unref(o);
	return TRUE;
}

static BOOL um_cancel(HANDLE hFile, LPOVERLAPPED ov, BOOL this_thread_only)
{
	struct um_port *p = um_port_ref(hFile);
	BOOL ok;

	if (!p) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	ok = um_port_cancel(p, ov, this_thread_only);
	um_port_unref(p);
	return ok;
}

BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)
{
	return um_cancel(hFile, lpOverlapped, FALSE);
}

BOOL WINAPI CancelIo(HANDLE hFile)
{
	return um_cancel(hFile, NULL, TRUE);
}

BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
				LPDWORD lpNumberOfBytesTransferred, BOOL bWait)
{
	struct um_port *p;
	BOOL ok;

	if (!lpOverlapped || !lpNumberOfBytesTransferred) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	p = um_port_ref(hFile);
	if (!p) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	ok = um_port_overlapped_result(p, lpOverlapped, lpNumberOfBytesTransferred, bWait);
	um_port_unref(p);
	return ok;
}
