/* IoOpenDriverRegistryKey from a filter loaded by the harness (altitude_filter_load). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include <fltKernel.h>
#include <altitude/harness.h>

static PFLT_FILTER filter;
static NTSTATUS open_status;
static NTSTATUS write_status;

static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltUnregisterFilter(filter);
	return STATUS_SUCCESS;
}

static const FLT_REGISTRATION registration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
	.FilterUnloadCallback = unload,
};

static NTSTATUS NTAPI driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	UNICODE_STRING value = RTL_CONSTANT_STRING(L"Seen");
	ULONG data = 7;
	HANDLE key = NULL;
	NTSTATUS status;

	(void)path;
	open_status = IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ | KEY_WRITE, 0, &key);
	if (NT_SUCCESS(open_status)) {
		write_status = ZwSetValueKey(key, &value, 0, REG_DWORD, &data, sizeof(data));
		ZwClose(key);
	}
	status = FltRegisterFilter(driver, &registration, &filter);
	if (NT_SUCCESS(status))
		status = FltStartFiltering(filter);
	return status;
}

static void harness_load_binds_the_service_key(void **state)
{
	static const altitude_instance_config inst = { L"keyprobe Instance", L"123000", 0 };
	static const altitude_filter_config config = { L"keyprobe", NULL, 1, &inst };
	ULONG seen = 0;
	RTL_QUERY_REGISTRY_TABLE table[2] = { 0 };

	(void)state;
	assert_int_equal(altitude_filter_load(&config, driver_entry, NULL), STATUS_SUCCESS);
	assert_int_equal(open_status, STATUS_SUCCESS);
	assert_int_equal(write_status, STATUS_SUCCESS);
	/* the value landed in the service's Parameters key */
	table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
	table[0].Name = L"Seen";
	table[0].EntryContext = &seen;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"keyprobe\\Parameters", table,
						NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(seen, 7);
	assert_int_equal(altitude_filter_unload(L"keyprobe", FALSE), STATUS_SUCCESS);
}

int main(void)
{
	char dir[] = "/tmp/altitude-driverkey-XXXXXX";
	char cmd[64];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(harness_load_binds_the_service_key),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	setenv("ALTITUDE_REGISTRY_DIR", dir, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
