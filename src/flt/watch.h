/*
 * What the watchdog (watch.c, altitude_watchdog_scan) tracks besides the
 * operation records: FltSendMessage calls in progress, per filter.  The
 * port layer brackets its wait with a begin/end pair; the record lives on
 * the sender's stack, on its filter's list under the filter's watch lock.
 */
#ifndef ALTITUDE_SRC_FLT_WATCH_H
#define ALTITUDE_SRC_FLT_WATCH_H

#include "flt/callback.h"

struct flt_watch_send {
	LIST_ENTRY link;
	PFLT_FILTER filter; /* NULL: not tracked (not a filter object) */
	LONGLONG since;     /* coarse interrupt time */
	ULONGLONG serial;
	/* The callback the sender runs in, if any: its instance, its text
	 * ("IRP_MJ_CREATE pre-operation callback"), file object and requester. */
	PFLT_INSTANCE instance;
	char operation[64];
	PFILE_OBJECT file;
	ULONG pid;
};

void flt_watch_send_begin(struct flt_watch_send *w, PFLT_FILTER filter);
void flt_watch_send_end(struct flt_watch_send *w);

/*
 * Operations `inst` holds and the oldest one's start (0 when none); the
 * topology lock is held.  Adds to *count, lowers *oldest.
 */
void flt_watch_instance_pending(PFLT_INSTANCE inst, ULONG *count, LONGLONG *oldest);
/* Operations the filter's instances hold plus its sends in progress (topology lock held). */
void flt_watch_filter_pending(PFLT_FILTER filter, ULONG *count, LONGLONG *oldest);
/* Milliseconds from a start time returned above to now (0 for 0). */
ULONGLONG flt_watch_age_ms(LONGLONG since);

#endif /* ALTITUDE_SRC_FLT_WATCH_H */
