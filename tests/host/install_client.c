/* Built against an installed tree with `pkg-config altitude-um`, as a service author would. */
#include <stdio.h>
#include <windows.h>
#include <fltUser.h>

int main(void)
{
	HANDLE port = INVALID_HANDLE_VALUE;
	HRESULT hr;

	hr = FilterConnectCommunicationPort(L"\\NoSuchPort", 0, NULL, 0, NULL, &port);
	printf("connect to a missing port: 0x%08X\n", (unsigned)hr);
	return FAILED(hr) && port == INVALID_HANDLE_VALUE ? 0 : 1;
}
