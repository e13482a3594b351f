/*
 * Runtime threads seen from the host and test harnesses.
 */
#ifndef ALTITUDE_THREAD_H
#define ALTITUDE_THREAD_H

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Marks `thread` as being terminated (host shutdown, or the requester
 * process was killed) and ends a terminable wait it is in, or enters later,
 * with STATUS_THREAD_IS_TERMINATING (FltCancellableWaitFor*,
 * FltSendMessage).  Ordinary KeWait* waits are not affected.
 */
void altitude_thread_terminate(PETHREAD thread);

/*
 * Stops the runtime's worker, DPC and timer threads after they have run
 * what is queued, so that a host or test exits cleanly.  They start again
 * when needed.
 */
void altitude_ke_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_THREAD_H */
