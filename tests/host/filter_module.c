/*
 * A test filter module for fltmgrd (built twice, as alpha.so and beta.so).
 * Its service's Parameters key selects behaviour: FailEntry (DWORD, a
 * status DriverEntry returns), RefuseUnload (DWORD, non-zero: a
 * non-mandatory unload is refused), CrashEntry (DWORD, non-zero:
 * DriverEntry writes through a bad pointer), Port (DWORD, non-zero: a
 * communication port \AltitudeHostTestPort, one connection at a time, whose
 * MessageNotify answers "pong").  Every callback says so with DbgPrint,
 * which fltmgrd logs prefixed with the filter's name.
 */
#include <fltKernel.h>

static PFLT_FILTER test_filter;
static ULONG test_fail_entry;
static ULONG test_refuse_unload;
static ULONG test_crash_entry;
static ULONG test_port;
static PFLT_PORT test_server_port, test_client_port;
static UNICODE_STRING test_name;
/* An address no page maps, and not NULL: UBSan does not stop the fault first. */
static int *volatile test_bad_pointer = (int *)16;

static NTSTATUS FLTAPI test_unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	BOOLEAN mandatory = (flags & FLTFL_FILTER_UNLOAD_MANDATORY) != 0;

	if (test_refuse_unload && !mandatory) {
		DbgPrint("unload refused\n");
		return STATUS_FLT_DO_NOT_DETACH;
	}
	DbgPrint("unload%s\n", mandatory ? " mandatory" : "");
	if (test_server_port)
		FltCloseCommunicationPort(test_server_port);
	test_server_port = NULL;
	FltUnregisterFilter(test_filter);
	test_filter = NULL;
	return STATUS_SUCCESS;
}

static VOID NTAPI test_driver_unload(PDRIVER_OBJECT driver)
{
	DbgPrint("DriverUnload %wZ\n", &driver->DriverName);
}

static NTSTATUS FLTAPI test_setup(PCFLT_RELATED_OBJECTS objects, FLT_INSTANCE_SETUP_FLAGS flags,
				  DEVICE_TYPE type, FLT_FILESYSTEM_TYPE fs)
{
	(void)objects;
	(void)flags;
	(void)type;
	(void)fs;
	return STATUS_SUCCESS;
}

/* Manual detach is allowed. */
static NTSTATUS FLTAPI test_query_teardown(PCFLT_RELATED_OBJECTS objects,
					   FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
	(void)objects;
	(void)flags;
	return STATUS_SUCCESS;
}

/* Callbacks on I/O threads carry no log prefix: the line names the filter. */
static FLT_PREOP_CALLBACK_STATUS FLTAPI test_pre_write(PFLT_CALLBACK_DATA data,
						       PCFLT_RELATED_OBJECTS objects, PVOID *context)
{
	(void)data;
	(void)context;
	DbgPrint("%wZ pre write %p\n", &test_name, (void *)objects->FileObject);
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION test_operations[] = {
	{ IRP_MJ_WRITE, 0, test_pre_write, NULL, NULL },
	{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
};

static const FLT_REGISTRATION test_registration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
	.OperationRegistration = test_operations,
	.FilterUnloadCallback = test_unload,
	.InstanceSetupCallback = test_setup,
	.InstanceQueryTeardownCallback = test_query_teardown,
};

/* Port callbacks run on the connection's thread: the line names the filter. */
static NTSTATUS FLTAPI test_port_connect(PFLT_PORT client, PVOID server_cookie, PVOID context,
					 ULONG size, PVOID *cookie)
{
	(void)server_cookie;
	(void)context;
	(void)size;
	*cookie = NULL;
	test_client_port = client;
	DbgPrint("%wZ port connect\n", &test_name);
	return STATUS_SUCCESS;
}

static VOID FLTAPI test_port_disconnect(PVOID cookie)
{
	(void)cookie;
	DbgPrint("%wZ port disconnect\n", &test_name);
	FltCloseClientPort(test_filter, &test_client_port);
}

static NTSTATUS FLTAPI test_port_message(PVOID cookie, PVOID in, ULONG in_length, PVOID out,
					 ULONG out_length, PULONG returned)
{
	(void)cookie;
	(void)in;
	(void)in_length;
	if (!out || out_length < 4)
		return STATUS_BUFFER_TOO_SMALL;
	RtlCopyMemory(out, "pong", 4);
	*returned = 4;
	DbgPrint("%wZ port message\n", &test_name);
	return STATUS_SUCCESS;
}

static NTSTATUS test_create_port(void)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\AltitudeHostTestPort");
	OBJECT_ATTRIBUTES oa;
	PSECURITY_DESCRIPTOR sd;
	NTSTATUS status;

	status = FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
	if (!NT_SUCCESS(status))
		return status;
	InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, sd);
	status = FltCreateCommunicationPort(test_filter, &test_server_port, &oa, NULL,
					    test_port_connect, test_port_disconnect,
					    test_port_message, 1);
	FltFreeSecurityDescriptor(sd);
	return status;
}

static NTSTATUS test_read_parameters(PUNICODE_STRING registry_path)
{
	RTL_QUERY_REGISTRY_TABLE table[5];
	WCHAR path[256];
	UNICODE_STRING p = { 0, sizeof(path), path };

	RtlCopyUnicodeString(&p, registry_path);
	RtlAppendUnicodeToString(&p, L"\\Parameters");
	RtlZeroMemory(table, sizeof(table));
	table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
	table[0].Name = L"FailEntry";
	table[0].EntryContext = &test_fail_entry;
	table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
	table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
	table[1].Name = L"RefuseUnload";
	table[1].EntryContext = &test_refuse_unload;
	table[1].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
	table[2].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
	table[2].Name = L"CrashEntry";
	table[2].EntryContext = &test_crash_entry;
	table[2].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
	table[3].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
	table[3].Name = L"Port";
	table[3].EntryContext = &test_port;
	table[3].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
	return RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, path, table, NULL, NULL);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
	NTSTATUS status;

	DbgPrint("DriverEntry %wZ service %wZ\n", registry_path,
		 &driver->DriverExtension->ServiceKeyName);
	status = test_read_parameters(registry_path);
	if (!NT_SUCCESS(status))
		return status;
	if (test_fail_entry)
		return (NTSTATUS)test_fail_entry;
	if (test_crash_entry)
		*test_bad_pointer = 1; /* a filter bug: fltmgrd's crash report must name us */
	driver->DriverUnload = test_driver_unload;
	test_name = driver->DriverName;
	status = FltRegisterFilter(driver, &test_registration, &test_filter);
	if (!NT_SUCCESS(status))
		return status;
	if (test_port)
		status = test_create_port();
	if (NT_SUCCESS(status))
		status = FltStartFiltering(test_filter);
	if (NT_SUCCESS(status))
		return status;
	if (test_server_port)
		FltCloseCommunicationPort(test_server_port);
	test_server_port = NULL;
	FltUnregisterFilter(test_filter);
	return status;
}
