/*
 * The filter callback a thread is running ("current callback" record).
 *
 * Around every call into a filter's pre/post-operation callback, work
 * item routine, instance callback (setup, query teardown, teardown
 * start and complete) or communication-port callback the engine links a record on its own stack into the
 * thread's rtl_callback_current (rtl/rtl.h): a handful of stack stores and
 * one TLS store each way, no lock, no clock.  Records nest: a callback that
 * issues I/O sees the callbacks of the filters below it inside its own.
 *
 * Readers: the log (DbgPrint lines take the filter's name as prefix) and
 * the host's crash report (flt_callback_describe, async-signal-safe).
 */
#ifndef ALTITUDE_SRC_FLT_CALLBACK_H
#define ALTITUDE_SRC_FLT_CALLBACK_H

#include "flt/flt.h"
#include "rtl/rtl.h"

enum flt_callback_kind {
	FLT_CALLBACK_PRE = 1,
	FLT_CALLBACK_POST,
	FLT_CALLBACK_POST_DRAINING,
	FLT_CALLBACK_DEFERRED_WORK,
	FLT_CALLBACK_GENERIC_WORK,
	FLT_CALLBACK_WHEN_SAFE,
	FLT_CALLBACK_INSTANCE_SETUP,
	FLT_CALLBACK_QUERY_TEARDOWN,
	FLT_CALLBACK_TEARDOWN_START,
	FLT_CALLBACK_TEARDOWN_COMPLETE,
	FLT_CALLBACK_PORT_CONNECT,
	FLT_CALLBACK_PORT_DISCONNECT,
	FLT_CALLBACK_PORT_MESSAGE,
};

struct flt_callback {
	struct rtl_callback base; /* base.filter: filter->log_name */
	PFLT_INSTANCE instance;   /* NULL for a filter's generic work item */
	PFLT_CALLBACK_DATA data;  /* the operation, or NULL */
	/* The parameters the callback sees (op->iopb, or a post's slot copy),
	 * read only by its own thread or while it waits in the callback. */
	const FLT_IO_PARAMETER_BLOCK *iopb;
	UCHAR kind;
};

/* `iopb`: the parameters the callback sees (NULL without an operation). */
static inline void flt_callback_enter(struct flt_callback *cb, PFLT_FILTER filter,
				      PFLT_INSTANCE inst, PFLT_CALLBACK_DATA data,
				      const FLT_IO_PARAMETER_BLOCK *iopb, enum flt_callback_kind kind)
{
	cb->base.outer = rtl_callback_current;
	cb->base.filter = filter->log_name;
	cb->instance = inst;
	cb->data = data;
	cb->iopb = iopb;
	cb->kind = (UCHAR)kind;
	rtl_callback_current = &cb->base;
}

static inline void flt_callback_leave(struct flt_callback *cb)
{
	rtl_callback_current = cb->base.outer;
}

/* The innermost callback record of the calling thread, or NULL. */
static inline const struct flt_callback *flt_callback_current(void)
{
	return (const struct flt_callback *)rtl_callback_current;
}

/* "IRP_MJ_READ", ... for every major function FLT_OPERATION_REGISTRATION accepts; "IRP_MJ_0x%02x" never: NULL. */
const char *flt_major_name(UCHAR major);

/* Copies a UTF-16 string as UTF-8 (cut at a character, always terminated); async-signal-safe. */
void flt_utf8_copy(char *out, size_t size, const WCHAR *s, size_t chars);

/* "IRP_MJ_WRITE pre-operation callback", "generic work item", ... (async-signal-safe). */
void flt_callback_operation(const struct flt_callback *cb, char *out, size_t size);

/* Formats a filter's log name from its UNICODE_STRING name (at registration). */
void flt_callback_set_log_name(PFLT_FILTER filter);

#endif /* ALTITUDE_SRC_FLT_CALLBACK_H */
