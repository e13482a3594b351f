/*
 * Bugcheck reports: printed with a backtrace and fatal by default, or handed
 * to a harness hook so that tests can assert that a misuse bugchecks.
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ke/ke.h"
#include <altitude/status.h>

static pthread_mutex_t ke_bugcheck_lock = PTHREAD_MUTEX_INITIALIZER;
static altitude_bugcheck_hook ke_bugcheck_hook;
static void *ke_bugcheck_context;
static ULONG ke_bugcheck_reports;
static altitude_bugcheck_report ke_bugcheck_last_report;
static BOOLEAN ke_bugcheck_have_last;

struct ke_bugcheck_name {
	ULONG code;
	const char *name;
};

#define KE_BUGCHECK_NAME(code) { code, #code }
static const struct ke_bugcheck_name ke_bugcheck_names[] = {
	KE_BUGCHECK_NAME(APC_INDEX_MISMATCH),
	KE_BUGCHECK_NAME(INVALID_DATA_ACCESS_TRAP),
	KE_BUGCHECK_NAME(INVALID_PROCESS_ATTACH_ATTEMPT),
	KE_BUGCHECK_NAME(INVALID_SOFTWARE_INTERRUPT),
	KE_BUGCHECK_NAME(IRQL_NOT_GREATER_OR_EQUAL),
	KE_BUGCHECK_NAME(IRQL_NOT_LESS_OR_EQUAL),
	KE_BUGCHECK_NAME(NO_EXCEPTION_HANDLING_SUPPORT),
	KE_BUGCHECK_NAME(MAXIMUM_WAIT_OBJECTS_EXCEEDED),
	KE_BUGCHECK_NAME(MUTEX_LEVEL_NUMBER_VIOLATION),
	KE_BUGCHECK_NAME(SPIN_LOCK_ALREADY_OWNED),
	KE_BUGCHECK_NAME(SPIN_LOCK_NOT_OWNED),
	KE_BUGCHECK_NAME(THREAD_NOT_MUTEX_OWNER),
	KE_BUGCHECK_NAME(TRAP_CAUSE_UNKNOWN),
	KE_BUGCHECK_NAME(BAD_POOL_HEADER),
	KE_BUGCHECK_NAME(KMODE_EXCEPTION_NOT_HANDLED),
	KE_BUGCHECK_NAME(KERNEL_APC_PENDING_DURING_EXIT),
	KE_BUGCHECK_NAME(NO_MORE_SYSTEM_PTES),
	KE_BUGCHECK_NAME(MULTIPLE_IRP_COMPLETE_REQUESTS),
	KE_BUGCHECK_NAME(PFN_LIST_CORRUPT),
	KE_BUGCHECK_NAME(PAGE_FAULT_IN_NONPAGED_AREA),
	KE_BUGCHECK_NAME(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED),
	KE_BUGCHECK_NAME(INVALID_WORK_QUEUE_ITEM),
	KE_BUGCHECK_NAME(ATTEMPTED_SWITCH_FROM_DPC),
	KE_BUGCHECK_NAME(BAD_POOL_CALLER),
	KE_BUGCHECK_NAME(DRIVER_VERIFIER_DETECTED_VIOLATION),
	KE_BUGCHECK_NAME(DRIVER_CORRUPTED_EXPOOL),
	KE_BUGCHECK_NAME(DRIVER_CAUGHT_MODIFYING_FREED_POOL),
	KE_BUGCHECK_NAME(TIMER_OR_DPC_INVALID),
	KE_BUGCHECK_NAME(IRQL_UNEXPECTED_VALUE),
	KE_BUGCHECK_NAME(DRIVER_VERIFIER_IOMANAGER_VIOLATION),
	KE_BUGCHECK_NAME(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS),
	KE_BUGCHECK_NAME(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS),
	KE_BUGCHECK_NAME(DRIVER_IRQL_NOT_LESS_OR_EQUAL),
	KE_BUGCHECK_NAME(WORKER_THREAD_RETURNED_AT_BAD_IRQL),
	KE_BUGCHECK_NAME(MANUALLY_INITIATED_CRASH),
	KE_BUGCHECK_NAME(RESOURCE_NOT_OWNED),
	KE_BUGCHECK_NAME(WORKER_INVALID),
	KE_BUGCHECK_NAME(THREAD_STUCK_IN_DEVICE_DRIVER),
	KE_BUGCHECK_NAME(DRIVER_RETURNED_STATUS_REPARSE_FOR_VOLUME_OPEN),
	KE_BUGCHECK_NAME(DRIVER_RETURNED_HOLDING_CANCEL_LOCK),
	KE_BUGCHECK_NAME(CRITICAL_OBJECT_TERMINATION),
	KE_BUGCHECK_NAME(FLTMGR_FILE_SYSTEM),
	KE_BUGCHECK_NAME(WORKER_THREAD_RETURNED_WITH_BAD_IO_PRIORITY),
	KE_BUGCHECK_NAME(INVALID_CALLBACK_STACK_ADDRESS),
	KE_BUGCHECK_NAME(MUTEX_ALREADY_OWNED),
};

const char *altitude_bugcheck_name(ULONG code)
{
	const char *status;

	for (size_t i = 0; i < RTL_NUMBER_OF(ke_bugcheck_names); i++) {
		if (ke_bugcheck_names[i].code == code)
			return ke_bugcheck_names[i].name;
	}
	/* Raised statuses (SEMANTICS.md section 2) are reported with the status as the code. */
	status = altitude_status_name((NTSTATUS)code);
	if (strncmp(status, "STATUS_", 7) == 0)
		return status;
	return "UNKNOWN_BUGCHECK";
}

void altitude_bugcheck_set_hook(altitude_bugcheck_hook hook, void *context)
{
	pthread_mutex_lock(&ke_bugcheck_lock);
	ke_bugcheck_hook = hook;
	ke_bugcheck_context = context;
	pthread_mutex_unlock(&ke_bugcheck_lock);
}

ULONG altitude_bugcheck_count(void)
{
	ULONG n;

	pthread_mutex_lock(&ke_bugcheck_lock);
	n = ke_bugcheck_reports;
	pthread_mutex_unlock(&ke_bugcheck_lock);
	return n;
}

BOOLEAN altitude_bugcheck_last(altitude_bugcheck_report *report)
{
	BOOLEAN have;

	pthread_mutex_lock(&ke_bugcheck_lock);
	have = ke_bugcheck_have_last;
	if (have)
		*report = ke_bugcheck_last_report;
	pthread_mutex_unlock(&ke_bugcheck_lock);
	return have;
}

void altitude_bugcheck_reset(void)
{
	pthread_mutex_lock(&ke_bugcheck_lock);
	ke_bugcheck_reports = 0;
	ke_bugcheck_have_last = FALSE;
	pthread_mutex_unlock(&ke_bugcheck_lock);
}

static void ke_bugcheck_print(const altitude_bugcheck_report *r)
{
	void *frames[64];
	int n;

	fprintf(stderr,
		"\n*** BUGCHECK %s (0x%X) in %s\n"
		"*** parameters: 0x%016lx 0x%016lx 0x%016lx 0x%016lx\n"
		"*** backtrace:\n",
		altitude_bugcheck_name(r->code), r->code, r->routine ? r->routine : "?",
		(unsigned long)r->parameters[0], (unsigned long)r->parameters[1],
		(unsigned long)r->parameters[2], (unsigned long)r->parameters[3]);
	fflush(stderr);
	n = backtrace(frames, (int)RTL_NUMBER_OF(frames));
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

/* Returns TRUE when a hook took the report (the caller goes on). */
static BOOLEAN ke_bugcheck_report(const altitude_bugcheck_report *r)
{
	altitude_bugcheck_hook hook;
	void *context;

	pthread_mutex_lock(&ke_bugcheck_lock);
	ke_bugcheck_reports++;
	ke_bugcheck_last_report = *r;
	ke_bugcheck_have_last = TRUE;
	hook = ke_bugcheck_hook;
	context = ke_bugcheck_context;
	pthread_mutex_unlock(&ke_bugcheck_lock);

	if (hook == NULL) {
		ke_bugcheck_print(r);
		return FALSE;
	}
	hook(r, context);
	return TRUE;
}

void ke_bugcheck(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4,
		 const char *routine)
{
	altitude_bugcheck_report r = { code, { p1, p2, p3, p4 }, routine };

	if (!ke_bugcheck_report(&r))
		abort();
}

VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
			ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3,
			ULONG_PTR BugCheckParameter4)
{
	altitude_bugcheck_report r = { BugCheckCode,
				       { BugCheckParameter1, BugCheckParameter2,
					 BugCheckParameter3, BugCheckParameter4 },
				       "KeBugCheckEx" };

	if (ke_bugcheck_report(&r))
		pthread_exit(NULL);
	abort();
}

VOID NTAPI KeBugCheck(ULONG BugCheckCode)
{
	KeBugCheckEx(BugCheckCode, 0, 0, 0, 0);
}
