/*++

Module Name:

    nullfilter.c

Abstract:

    The smallest useful minifilter: it registers with the Filter Manager,
    starts filtering, attaches to every volume it is offered, and unloads.
    It registers no operation callbacks, so it sees no I/O.

Environment:

    Kernel mode (Altitude host).

--*/

#include <fltKernel.h>

typedef struct _NULL_FILTER_DATA {

    //
    //  The filter handle that results from a call to FltRegisterFilter.
    //

    PFLT_FILTER FilterHandle;

} NULL_FILTER_DATA, *PNULL_FILTER_DATA;

static NULL_FILTER_DATA NullFilterData;

DRIVER_INITIALIZE DriverEntry;

static NTSTATUS FLTAPI
NullUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    );

static NTSTATUS FLTAPI
NullQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    );

static const FLT_REGISTRATION FilterRegistration = {

    sizeof( FLT_REGISTRATION ),         //  Size
    FLT_REGISTRATION_VERSION,           //  Version
    0,                                  //  Flags
    NULL,                               //  Context
    NULL,                               //  Operation callbacks
    NullUnload,                         //  FilterUnload
    NULL,                               //  InstanceSetup
    NullQueryTeardown,                  //  InstanceQueryTeardown
    NULL,                               //  InstanceTeardownStart
    NULL,                               //  InstanceTeardownComplete
    NULL,                               //  GenerateFileName
    NULL,                               //  NormalizeNameComponent
    NULL,                               //  NormalizeContextCleanup
    NULL,                               //  TransactionNotification
    NULL,                               //  NormalizeNameComponentEx
    NULL                                //  SectionNotification
};

NTSTATUS
DriverEntry (
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
/*++

Routine Description:

    Registers the filter and starts filtering.

Return Value:

    STATUS_SUCCESS, or the failure of FltRegisterFilter/FltStartFiltering.

--*/
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER( RegistryPath );

    status = FltRegisterFilter( DriverObject,
                                &FilterRegistration,
                                &NullFilterData.FilterHandle );
    if (!NT_SUCCESS( status )) {
        return status;
    }

    status = FltStartFiltering( NullFilterData.FilterHandle );
    if (!NT_SUCCESS( status )) {
        FltUnregisterFilter( NullFilterData.FilterHandle );
        NullFilterData.FilterHandle = NULL;
    }

    return status;
}

static NTSTATUS FLTAPI
NullUnload (
    _In_ FLT_FILTER_UNLOAD_FLAGS Flags
    )
/*++

Routine Description:

    Unregisters the filter; the Filter Manager detaches every instance.

--*/
{
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    FltUnregisterFilter( NullFilterData.FilterHandle );
    NullFilterData.FilterHandle = NULL;

    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI
NullQueryTeardown (
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags
    )
/*++

Routine Description:

    Allows every manual detach (fltmc detach).

--*/
{
    UNREFERENCED_PARAMETER( FltObjects );
    UNREFERENCED_PARAMETER( Flags );

    PAGED_CODE();

    return STATUS_SUCCESS;
}
