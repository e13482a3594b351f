/*
 * Probe filters for the flt tests: up to three minifilters whose callbacks
 * record what they see and return what the test configures.
 */
#ifndef ALTITUDE_TESTS_FLT_PROBE_H
#define ALTITUDE_TESTS_FLT_PROBE_H

#include <pthread.h>
#include <stdatomic.h>

#include <altitude/harness.h>
#include <altitude/bugcheck.h>

#define PROBE_MAX 3

struct probe;
typedef FLT_PREOP_CALLBACK_STATUS (*probe_pre_hook)(struct probe *p, PFLT_CALLBACK_DATA data,
						    PCFLT_RELATED_OBJECTS objs, PVOID *ctx);
typedef FLT_POSTOP_CALLBACK_STATUS (*probe_post_hook)(struct probe *p, PFLT_CALLBACK_DATA data,
						      PCFLT_RELATED_OBJECTS objs, PVOID ctx,
						      FLT_POST_OPERATION_FLAGS flags);

struct probe {
	int index;
	PFLT_FILTER filter;
	/* configuration, set before probe_load or before an operation */
	FLT_PREOP_CALLBACK_STATUS pre_status;
	FLT_POSTOP_CALLBACK_STATUS post_status;
	NTSTATUS complete_status;
	FLT_OPERATION_REGISTRATION_FLAGS read_flags;
	BOOLEAN no_post_registered;
	BOOLEAN no_unload_callback;
	BOOLEAN no_query_teardown;
	NTSTATUS setup_status;
	NTSTATUS query_teardown_status;
	NTSTATUS unload_status;
	probe_pre_hook pre_hook;
	probe_post_hook post_hook;
	void (*teardown_start_hook)(struct probe *p, PCFLT_RELATED_OBJECTS objs);
	void *user;
	/* observations */
	atomic_int pre, post, drained, setup, query_teardown, teardown_start, teardown_complete;
	atomic_int unload, unload_mandatory;
	FLT_INSTANCE_SETUP_FLAGS setup_flags;
	FLT_INSTANCE_TEARDOWN_FLAGS teardown_reason;
	KIRQL post_irql;
	pthread_t pre_thread, post_thread;
	PVOID post_context;
	FLT_POST_OPERATION_FLAGS post_flags;
	NTSTATUS reference_in_teardown_complete; /* FltObjectReference(instance) there */
};

extern struct probe probes[PROBE_MAX];

/* The order in which callbacks ran: "A<" pre of probe 0, "A>" its post... */
extern char probe_trace[256];

void probe_reset(void);
/* Clears hooks and configured statuses, keeping the loaded filters. */
void probe_quiet(void);
/* Loads probe i as filter `name` with one instance "<name>I" at `altitude`, and starts it. */
NTSTATUS probe_load(int i, const WCHAR *name, const WCHAR *altitude);
/* Installs a bugcheck hook that records reports; returns the report store. */
altitude_bugcheck_report *probe_catch_bugchecks(void);

#endif /* ALTITUDE_TESTS_FLT_PROBE_H */
