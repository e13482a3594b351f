/* Internal interface of the ke layer, shared with the layers above it. */
#ifndef ALTITUDE_SRC_KE_KE_H
#define ALTITUDE_SRC_KE_KE_H

#include <wdm.h>
#include <altitude/bugcheck.h>

/*
 * Reports a bugcheck detected by the runtime in `routine`.  Without a
 * harness hook it never returns; with one it returns, and the caller must
 * leave its object unchanged and return.
 */
void ke_bugcheck(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4,
		 const char *routine);

/*
 * TRUE when the current IRQL is at most `max`; otherwise reports
 * IRQL_NOT_LESS_OR_EQUAL for `routine` (parameters: current IRQL, max) and
 * returns FALSE.
 */
BOOLEAN ke_irql_at_most(KIRQL max, const char *routine);

/* Sets the calling thread's IRQL without checks (runtime threads start here). */
void ke_irql_set(KIRQL irql);

/*
 * The wait under FltCancellableWaitFor*: KeWaitForMultipleObjects (same
 * timeout rules, bugchecks and results; `blocks` may be NULL for up to
 * THREAD_WAIT_OBJECTS objects), plus: when `abort_event` (optional) is or
 * becomes signalled the wait ends with STATUS_CANCELLED (wait-all too), and
 * when `terminable` and the thread is being terminated (before or during
 * the wait) it ends with STATUS_THREAD_IS_TERMINATING.  Neither consumes
 * any object.
 */
NTSTATUS ke_wait_objects(ULONG count, PVOID objects[], WAIT_TYPE type, PLARGE_INTEGER timeout,
			 PKWAIT_BLOCK blocks, PRKEVENT abort_event, BOOLEAN terminable);

/*
 * ke_wait_objects that also ends, with STATUS_ALERTED, once the 32-bit word
 * `*word` no longer holds `expected`.  The word may live in memory shared
 * with another process, which wakes the waiter with a (non-private)
 * FUTEX_WAKE after changing it.  STATUS_NOT_SUPPORTED when the kernel lacks
 * futex_waitv (the caller then uses another path); ke_wait_word_supported
 * says so beforehand.
 */
NTSTATUS ke_wait_objects_word(ULONG count, PVOID objects[], PLARGE_INTEGER timeout,
			      BOOLEAN terminable, volatile LONG *word, LONG expected);
BOOLEAN ke_wait_word_supported(void);

/* TRUE when altitude_thread_terminate was called for the calling thread. */
BOOLEAN ke_thread_is_terminating(void);

/*
 * The interrupt time (100-ns units; the virtual one under a virtual clock)
 * from the coarse monotonic clock: a few ns to read instead of tens, at
 * the kernel tick's resolution (1 to 4 ms).  For stamps a watchdog reads.
 */
LONGLONG ke_clock_interrupt_coarse(void);

#endif /* ALTITUDE_SRC_KE_KE_H */
