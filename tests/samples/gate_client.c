/*
 * The client of tests/samples/gate_module.c: connects to \AltitudeGatePort
 * and prints "connect <hr>"; for each "send" line on stdin calls
 * FilterSendMessage and prints "send <hr>"; closes the port at end of input.
 */
#include <stdio.h>
#include <string.h>

#include <fltUser.h>

int main(void)
{
	HANDLE port;
	HRESULT hr = FilterConnectCommunicationPort(L"\\AltitudeGatePort", 0, NULL, 0, NULL, &port);
	char line[64];

	printf("connect 0x%08X\n", (unsigned)hr);
	fflush(stdout);
	if (FAILED(hr))
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		char out[16];
		DWORD bytes = 0;

		if (strncmp(line, "send", 4) != 0)
			continue;
		hr = FilterSendMessage(port, "x", 1, out, sizeof(out), &bytes);
		printf("send 0x%08X\n", (unsigned)hr);
		fflush(stdout);
	}
	CloseHandle(port);
	return 0;
}
