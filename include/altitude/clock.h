/*
 * The runtime clock: every time read (KeQuerySystemTime,
 * KeQueryInterruptTime, wait timeouts, timers) goes through it.
 *
 * System time is in 100-ns units since 1601-01-01 UTC; interrupt time is a
 * monotonic count of 100-ns units.  By default both follow the real clocks
 * (CLOCK_REALTIME, CLOCK_MONOTONIC).  A test switches to a virtual clock
 * that moves only when told to; waits and timers react at once to every
 * change: a wait whose deadline is passed ends with STATUS_TIMEOUT, expired
 * timers are signalled and their DPCs run before altitude_clock_advance
 * returns.
 */
#ifndef ALTITUDE_CLOCK_H
#define ALTITUDE_CLOCK_H

#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 100-ns units between 1601-01-01 and 1970-01-01. */
#define ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME 116444736000000000LL

/*
 * Switches to the virtual clock: system time `system_time`, interrupt time
 * 0 (or `interrupt_time`).  Pending relative deadlines keep their remaining
 * time; absolute ones at or before `system_time` expire.
 */
void altitude_clock_use_virtual(LONGLONG system_time);
void altitude_clock_use_virtual_at(LONGLONG system_time, LONGLONG interrupt_time);
/* Back to the real clocks; pending relative deadlines keep their remaining time. */
void altitude_clock_use_real(void);
BOOLEAN altitude_clock_is_virtual(void);

/*
 * Moves both virtual clocks forward by delta_100ns (>= 0), expiring waits
 * and timers in deadline order; returns when the DPCs of expired timers
 * have run.  Returns FALSE (and does nothing) on the real clock or for a
 * negative delta.
 */
BOOLEAN altitude_clock_advance(LONGLONG delta_100ns);

/*
 * Sets the system time only (an administrator setting the clock): absolute
 * deadlines at or before it expire, relative ones are unaffected.  On the
 * real clock it sets an offset from CLOCK_REALTIME for this process.
 */
void altitude_clock_set_system_time(LONGLONG system_time);

LONGLONG altitude_clock_system_time(void);
LONGLONG altitude_clock_interrupt_time(void);

/* Number of threads blocked in a dispatcher wait (KeWait*, KeDelayExecutionThread). */
ULONG altitude_clock_waiters(void);
/*
 * Blocks until at least `count` threads are blocked in dispatcher waits, so
 * that a test can advance the clock once they wait.  Returns FALSE if that
 * did not happen within 30 s (or `real_timeout_ms`) of real time: a safety
 * net for a broken test, not a clock that tests measure.
 */
BOOLEAN altitude_clock_wait_for_waiters(ULONG count);
BOOLEAN altitude_clock_wait_for_waiters_timeout(ULONG count, ULONG real_timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_CLOCK_H */
