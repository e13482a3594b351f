/* Built against an installed tree with `pkg-config altitude-km`, as a user would. */
#include <fltKernel.h>
#include <ntstrsafe.h>

static NTSTATUS entry(PUNICODE_STRING RegistryPath)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"installed");
	WCHAR buf[64];
	NTSTATUS status;

	status = RtlStringCchPrintfW(buf, RTL_NUMBER_OF(buf), L"%wZ at %wZ", &name, RegistryPath);
	if (!NT_SUCCESS(status))
		return status;
	DbgPrint("%ws, tag %08lx\n", buf, (ULONG)'tsnI');
	return STATUS_SUCCESS;
}

int main(void)
{
	UNICODE_STRING path = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\Test");

	return entry(&path) == STATUS_SUCCESS ? 0 : 1;
}
