/*
 * Run-down of a filter's communication ports (port_rundown.h): the filter
 * references ports and their callbacks take, and the step of
 * FltUnregisterFilter that stops them.
 */
#include "flt/flt.h"
#include "flt/port_rundown.h"

static _Atomic(flt_port_stop_fn) flt_port_stop;

NTSTATUS flt_port_filter_reference(PFLT_FILTER filter)
{
	NTSTATUS status = STATUS_INVALID_PARAMETER;

	if (!filter)
		return STATUS_INVALID_PARAMETER;
	/* Found by address in the list: a stale or garbage pointer is never read. */
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink) {
		if (CONTAINING_RECORD(e, struct _FLT_FILTER, link) != filter)
			continue;
		if (filter->unregistering || !flt_object_acquire(&filter->obj))
			status = STATUS_FLT_DELETING_OBJECT;
		else
			status = STATUS_SUCCESS;
		break;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return status;
}

BOOLEAN flt_port_callback_enter(PFLT_FILTER filter)
{
	if (!flt_object_acquire(&filter->obj))
		return FALSE;
	/*
	 * Checked after the reference is taken: either FltUnregisterFilter set
	 * the flag first and the callback is refused, or the reference came
	 * first and the unregistration's run-down waits for it.
	 */
	if (atomic_load(&filter->ports_stopped)) {
		flt_object_release(&filter->obj);
		return FALSE;
	}
	return TRUE;
}

void flt_port_filter_release(PFLT_FILTER filter)
{
	flt_object_release(&filter->obj);
}

void flt_port_set_stop(flt_port_stop_fn fn)
{
	atomic_store(&flt_port_stop, fn);
}

void flt_filter_stop_ports(PFLT_FILTER filter)
{
	flt_port_stop_fn stop;
	ULONG open;

	atomic_store(&filter->ports_stopped, TRUE);
	stop = atomic_load(&flt_port_stop);
	if (!stop)
		return;
	open = stop(filter);
	if (open)
		DbgPrintEx(DPFLTR_FLTMGR_ID, DPFLTR_ERROR_LEVEL,
			   "FLTMGR: filter %wZ unregistering with %lu communication server port(s) "
			   "open: FltUnregisterFilter waits for FltCloseCommunicationPort\n",
			   &filter->name, (unsigned long)open);
}
