/*
 * Calls FilterLoad or FilterUnload and prints the HRESULT:
 * mgmt_probe load|unload <name>, or mgmt_probe null (both with NULL).
 */
#include <stdio.h>
#include <string.h>

#include <fltUser.h>

static void widen(const char *s, WCHAR *out, size_t size)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++)
		out[i] = (WCHAR)(unsigned char)s[i];
	out[i] = 0;
}

int main(int argc, char **argv)
{
	WCHAR name[256];

	if (argc == 2 && strcmp(argv[1], "null") == 0) {
		printf("0x%08X 0x%08X\n", (unsigned)FilterLoad(NULL), (unsigned)FilterUnload(NULL));
		return 0;
	}
	if (argc != 3)
		return 2;
	widen(argv[2], name, 256);
	if (strcmp(argv[1], "load") == 0)
		printf("0x%08X\n", (unsigned)FilterLoad(name));
	else if (strcmp(argv[1], "unload") == 0)
		printf("0x%08X\n", (unsigned)FilterUnload(name));
	else
		return 2;
	return 0;
}
