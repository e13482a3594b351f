/*
 * FltCancellableWaitForSingleObject/MultipleObjects and their FsRtl
 * counterparts: ke_wait_objects with the operation's abort event (its
 * cancellation) and a terminable wait (thread termination).
 *
 * An IRP-based CallbackData whose record carries no IRP (its flags were
 * changed after the operation started) is the checked-build assertion of
 * Windows: reported as DRIVER_VERIFIER_DETECTED_VIOLATION, and the wait
 * returns STATUS_INVALID_PARAMETER without waiting.
 */
#include "flt/flt.h"
#include "flt/cancel.h"

#define FLT_WAIT_NO_IRP 0xA9

static NTSTATUS flt_cwait(ULONG count, PVOID objects[], WAIT_TYPE type, PLARGE_INTEGER timeout,
			 PKWAIT_BLOCK blocks, PRKEVENT abort_event, BOOLEAN irp_based,
			 const char *routine)
{
	if (!ke_irql_at_most(irp_based ? PASSIVE_LEVEL : APC_LEVEL, routine))
		return STATUS_UNSUCCESSFUL;
	return ke_wait_objects(count, objects, type, timeout, blocks, abort_event, TRUE);
}

static NTSTATUS flt_wait_data(ULONG count, PVOID objects[], WAIT_TYPE type,
			      PLARGE_INTEGER timeout, PKWAIT_BLOCK blocks, PFLT_CALLBACK_DATA data,
			      const char *routine)
{
	PIRP irp;

	if (!data || !FLT_IS_IRP_OPERATION(data))
		return flt_cwait(count, objects, type, timeout, blocks, NULL, FALSE, routine);
	irp = flt_cancel_irp(data);
	if (!irp) {
		ke_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, FLT_WAIT_NO_IRP, (ULONG_PTR)data, 0, 0,
			    routine);
		return STATUS_INVALID_PARAMETER;
	}
	return flt_cwait(count, objects, type, timeout, blocks, flt_cancel_irp_event(irp), TRUE,
			routine);
}

NTSTATUS FLTAPI FltCancellableWaitForSingleObject(PVOID Object, PLARGE_INTEGER Timeout,
						  PFLT_CALLBACK_DATA CallbackData)
{
	return flt_wait_data(1, &Object, WaitAny, Timeout, NULL, CallbackData,
			     "FltCancellableWaitForSingleObject");
}

NTSTATUS FLTAPI FltCancellableWaitForMultipleObjects(ULONG Count, PVOID ObjectArray[],
						     WAIT_TYPE WaitType, PLARGE_INTEGER Timeout,
						     PKWAIT_BLOCK WaitBlockArray,
						     PFLT_CALLBACK_DATA CallbackData)
{
	return flt_wait_data(Count, ObjectArray, WaitType, Timeout, WaitBlockArray, CallbackData,
			     "FltCancellableWaitForMultipleObjects");
}

static NTSTATUS flt_wait_irp(ULONG count, PVOID objects[], WAIT_TYPE type, PLARGE_INTEGER timeout,
			     PKWAIT_BLOCK blocks, PIRP irp, const char *routine)
{
	if (!irp)
		return flt_cwait(count, objects, type, timeout, blocks, NULL, FALSE, routine);
	if (!ke_irql_at_most(PASSIVE_LEVEL, routine))
		return STATUS_UNSUCCESSFUL;
	/* An IRP of another origin: only its Cancel flag can be seen. */
	if (!flt_cancel_irp_event(irp) && __atomic_load_n(&irp->Cancel, __ATOMIC_ACQUIRE))
		return STATUS_CANCELLED;
	return flt_cwait(count, objects, type, timeout, blocks, flt_cancel_irp_event(irp), TRUE,
			routine);
}

NTSTATUS NTAPI FsRtlCancellableWaitForSingleObject(PVOID Object, PLARGE_INTEGER Timeout, PIRP Irp)
{
	return flt_wait_irp(1, &Object, WaitAny, Timeout, NULL, Irp,
			    "FsRtlCancellableWaitForSingleObject");
}

NTSTATUS NTAPI FsRtlCancellableWaitForMultipleObjects(ULONG Count, PVOID ObjectArray[],
						      WAIT_TYPE WaitType, PLARGE_INTEGER Timeout,
						      PKWAIT_BLOCK WaitBlockArray, PIRP Irp)
{
	return flt_wait_irp(Count, ObjectArray, WaitType, Timeout, WaitBlockArray, Irp,
			    "FsRtlCancellableWaitForMultipleObjects");
}
