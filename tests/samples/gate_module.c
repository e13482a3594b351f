/*
 * A filter module for tests/samples/test_rundown.c: a port
 * (\AltitudeGatePort) whose MessageNotify blocks on a gate the test opens
 * (gate_wait_entered and gate_open, found with dlsym).  Its unload callback
 * closes the port, unregisters, and then logs what had run by the time
 * FltUnregisterFilter returned.
 */
#include <fltKernel.h>

static PFLT_FILTER gate_filter;
static PFLT_PORT gate_server, gate_client;
static KEVENT gate_entered, gate_opened;
static LONG gate_returned, gate_disconnects;

NTSTATUS gate_wait_entered(void);
VOID gate_open(void);

/* Waits until a MessageNotify call has reached the gate. */
NTSTATUS gate_wait_entered(void)
{
	return KeWaitForSingleObject(&gate_entered, Executive, KernelMode, FALSE, NULL);
}

VOID gate_open(void)
{
	KeSetEvent(&gate_opened, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS FLTAPI gate_connect(PFLT_PORT client, PVOID server_cookie, PVOID context,
				    ULONG size, PVOID *cookie)
{
	(void)server_cookie;
	(void)context;
	(void)size;
	*cookie = NULL;
	gate_client = client;
	return STATUS_SUCCESS;
}

static VOID FLTAPI gate_disconnect(PVOID cookie)
{
	(void)cookie;
	InterlockedIncrement(&gate_disconnects);
	FltCloseClientPort(gate_filter, &gate_client);
}

static NTSTATUS FLTAPI gate_message(PVOID cookie, PVOID in, ULONG in_length, PVOID out,
				    ULONG out_length, PULONG returned)
{
	(void)cookie;
	(void)in;
	(void)in_length;
	(void)out;
	(void)out_length;
	KeSetEvent(&gate_entered, IO_NO_INCREMENT, FALSE);
	KeWaitForSingleObject(&gate_opened, Executive, KernelMode, FALSE, NULL);
	*returned = 0;
	InterlockedIncrement(&gate_returned);
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI gate_unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltCloseCommunicationPort(gate_server);
	FltUnregisterFilter(gate_filter);
	DbgPrint("gate: unregistered, MessageNotify returned %ld, DisconnectNotify %ld\n",
		 (long)InterlockedCompareExchange(&gate_returned, 0, 0),
		 (long)InterlockedCompareExchange(&gate_disconnects, 0, 0));
	return STATUS_SUCCESS;
}

static const FLT_REGISTRATION gate_registration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
	.FilterUnloadCallback = gate_unload,
};

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\AltitudeGatePort");
	OBJECT_ATTRIBUTES oa;
	PSECURITY_DESCRIPTOR sd;
	NTSTATUS status;

	(void)registry_path;
	KeInitializeEvent(&gate_entered, NotificationEvent, FALSE);
	KeInitializeEvent(&gate_opened, NotificationEvent, FALSE);
	status = FltRegisterFilter(driver, &gate_registration, &gate_filter);
	if (!NT_SUCCESS(status))
		return status;
	status = FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
	if (NT_SUCCESS(status)) {
		InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL,
					   sd);
		status = FltCreateCommunicationPort(gate_filter, &gate_server, &oa, NULL,
						    gate_connect, gate_disconnect, gate_message, 1);
		FltFreeSecurityDescriptor(sd);
	}
	if (!NT_SUCCESS(status))
		FltUnregisterFilter(gate_filter);
	return status;
}
