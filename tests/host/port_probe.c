/*
 * A port client for test_daemon_port.sh: connects to \AltitudeHostTestPort
 * ("connect <hr>"), sends "ping" ("reply <hr> <text>"), then waits in a
 * blocking FilterGetMessage until the connection ends ("get <hr>"), and
 * exits 0.  Each line is flushed at once: the script reads them while the
 * probe runs.
 */
#include <stdio.h>

#include <fltUser.h>

int main(void)
{
	HANDLE port;
	HRESULT hr;
	char reply[16] = { 0 };
	DWORD bytes = 0;
	union {
		FILTER_MESSAGE_HEADER header;
		char buffer[256];
	} message;

	setvbuf(stdout, NULL, _IONBF, 0);
	hr = FilterConnectCommunicationPort(L"\\AltitudeHostTestPort", 0, NULL, 0, NULL, &port);
	printf("connect 0x%08X\n", (unsigned)hr);
	if (FAILED(hr))
		return 1;
	hr = FilterSendMessage(port, "ping", 4, reply, sizeof(reply) - 1, &bytes);
	printf("reply 0x%08X %.*s\n", (unsigned)hr, (int)bytes, reply);
	hr = FilterGetMessage(port, &message.header, sizeof(message), NULL);
	printf("get 0x%08X\n", (unsigned)hr);
	CloseHandle(port);
	return 0;
}
