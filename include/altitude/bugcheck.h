/*
 * Bugcheck reporting for hosts and test harnesses.
 *
 * By default a bugcheck (KeBugCheckEx, or a rule the runtime enforces: IRQL,
 * wait arguments, mutex ownership, limits) prints a report to stderr (code
 * and name, four parameters, routine, backtrace) and aborts the process.
 *
 * With a hook installed, the report goes to the hook instead and the process
 * goes on: a runtime check returns to its caller with the object unchanged
 * (the routine returns a failure value where it has one); KeBugCheckEx, which
 * never returns, ends the calling thread after the hook returns.
 */
#ifndef ALTITUDE_BUGCHECK_H
#define ALTITUDE_BUGCHECK_H

#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct altitude_bugcheck_report {
	ULONG code;
	ULONG_PTR parameters[4];
	const char *routine; /* the routine that detected it, e.g. "KeReleaseMutex" */
} altitude_bugcheck_report;

typedef void (*altitude_bugcheck_hook)(const altitude_bugcheck_report *report, void *context);

/* Installs a hook (NULL restores print-and-abort). */
void altitude_bugcheck_set_hook(altitude_bugcheck_hook hook, void *context);

/*
 * The bugcheck's symbolic name ("IRQL_NOT_LESS_OR_EQUAL"); for a raised
 * NTSTATUS reported as the code (STATUS_MUTANT_NOT_OWNED, ...) the status
 * name; otherwise "UNKNOWN_BUGCHECK".
 */
const char *altitude_bugcheck_name(ULONG code);

/* Bugchecks reported since start (or since the last altitude_bugcheck_reset). */
ULONG altitude_bugcheck_count(void);
/* The last report; returns FALSE when there was none. */
BOOLEAN altitude_bugcheck_last(altitude_bugcheck_report *report);
void altitude_bugcheck_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_BUGCHECK_H */
