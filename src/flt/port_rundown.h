/*
 * What the port layer needs from a filter object (src/flt/port_rundown.c).
 *
 * A server port holds a rundown reference on its filter from
 * FltCreateCommunicationPort to FltCloseCommunicationPort; an accepted
 * connection holds one from before ConnectNotify until DisconnectNotify
 * has returned; each MessageNotify call holds one while it runs.
 * FltUnregisterFilter first stops new callbacks (flt_port_callback_enter
 * fails), then asks the port layer to end the filter's connections, and
 * finally waits for every reference: running callbacks return, open
 * server ports are closed, ended connections have had their
 * DisconnectNotify.  After it returns no port callback of the filter runs
 * again, so the host may unmap the filter's image.
 */
#ifndef ALTITUDE_SRC_FLT_PORT_RUNDOWN_H
#define ALTITUDE_SRC_FLT_PORT_RUNDOWN_H

#include <fltKernel.h>

/*
 * Validates `filter` as a registered filter object (any pointer is safe to
 * pass) and takes a rundown reference on it: STATUS_SUCCESS,
 * STATUS_INVALID_PARAMETER (not a filter), or STATUS_FLT_DELETING_OBJECT
 * (FltUnregisterFilter has begun).
 */
NTSTATUS flt_port_filter_reference(PFLT_FILTER filter);
/* Takes a rundown reference for one callback unless the filter stopped taking them. */
BOOLEAN flt_port_callback_enter(PFLT_FILTER filter);
/* Releases a reference from either of the above. */
void flt_port_filter_release(PFLT_FILTER filter);

/*
 * The port layer's part of FltUnregisterFilter: ends every connection of
 * `filter` and returns how many of its server ports are still open (the
 * unregistration then waits for FltCloseCommunicationPort).
 */
typedef ULONG (*flt_port_stop_fn)(PFLT_FILTER filter);
void flt_port_set_stop(flt_port_stop_fn fn);

#endif /* ALTITUDE_SRC_FLT_PORT_RUNDOWN_H */
