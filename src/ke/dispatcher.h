/*
 * Private to src/ke: the dispatcher lock, the runtime thread record
 * (struct _KTHREAD) and the helpers the dispatcher-object files share.
 *
 * One global dispatcher lock protects every dispatcher object's
 * SignalState and wait list, the timer queue and every thread's wait state.
 * A waiting thread links one KWAIT_BLOCK per object into the object's
 * WaitListHead (as the NT dispatcher does) and sleeps on a futex in its own
 * record; whoever satisfies the wait (under the lock) unlinks all of the
 * thread's wait blocks, stores the wait status and wakes it.
 */
#ifndef ALTITUDE_SRC_KE_DISPATCHER_H
#define ALTITUDE_SRC_KE_DISPATCHER_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>
#include <semaphore.h>

#include "ke/kesync.h"

/* Wait keys of the internal wait blocks (object blocks use 0..63). */
#define KE_WAIT_KEY_TIMEOUT 0x0102 /* the thread's own timer: STATUS_TIMEOUT */
#define KE_WAIT_KEY_CANCEL 0xFFFF  /* ke_wait_objects' abort event: STATUS_CANCELLED */

/* DISPATCHER_HEADER flag bits used for timers. */
#define KE_TIMER_ABSOLUTE 0x01 /* TimerControlFlags: DueTime is a system time */
#define KE_TIMER_INSERTED 0x01 /* TimerMiscFlags: in the timer queue */

struct _KTHREAD {
	DISPATCHER_HEADER Header; /* a thread object: signalled when it ends */
	LIST_ENTRY owned_mutants; /* KMUTANT.MutantListEntry */
	pid_t tid;
	BOOLEAN system_thread; /* created by the runtime (PsCreateSystemThread, workers) */
	BOOLEAN ps_thread;     /* created by PsCreateSystemThread */
	BOOLEAN exited;
	NTSTATUS exit_status;
	int terminating; /* atomic: altitude_thread_terminate was called */

	/* Wait state, under the dispatcher lock. */
	BOOLEAN waiting;
	BOOLEAN terminable;
	BOOLEAN timer_armed;
	PKWAIT_BLOCK wait_blocks;
	ULONG wait_count;
	PRKEVENT abort_event;
	NTSTATUS wait_status;
	volatile LONG wake; /* futex word, atomic: 1 once the wait is satisfied */
	/* ke_wait_objects_word: a shared futex word that also ends the wait
	 * (the waiting thread's own fields, no lock). */
	volatile LONG *ext_word;
	LONG ext_expected;
	struct _KTHREAD *ready_next; /* on the list ke_unlock wakes */
	KWAIT_BLOCK builtin_blocks[THREAD_WAIT_OBJECTS];
	KWAIT_BLOCK timer_block;
	KWAIT_BLOCK abort_block;
	KTIMER wait_timer;
};

struct _ETHREAD {
	struct _KTHREAD Tcb;
};

/* dispatcher.c */
void ke_lock(void);
/* Unlocks, then wakes the threads whose waits ended meanwhile. */
void ke_unlock(void);
/* Under the lock: TRUE when ke_unlock has threads to wake. */
BOOLEAN ke_ready_pending(void);
/* For condition variables that wait under the dispatcher lock. */
pthread_mutex_t *ke_dispatcher_mutex(void);
/* A condition variable whose timed waits use CLOCK_MONOTONIC deadlines. */
void ke_cond_init_monotonic(pthread_cond_t *cond);
/* The CLOCK_MONOTONIC time `interval` (100-ns units, >= 0) from now. */
void ke_monotonic_deadline(struct timespec *deadline, LONGLONG interval);
/* The object's SignalState, read under the lock (the KeReadState* routines). */
LONG ke_read_signal_state(PDISPATCHER_HEADER header);
void ke_dispatcher_init_header(PDISPATCHER_HEADER header, UCHAR type, UCHAR size, LONG state);
BOOLEAN ke_object_signalled_for(PDISPATCHER_HEADER header, struct _KTHREAD *thread);
/* Consumes one signal for `thread`; returns TRUE when it took an abandoned mutex. */
BOOLEAN ke_object_acquire(PDISPATCHER_HEADER header, struct _KTHREAD *thread);
/* Satisfies the waits that the object's signal state now allows. */
void ke_object_wake(PDISPATCHER_HEADER header);
/* Ends `thread`'s wait with `status`; ke_unlock wakes it. */
void ke_thread_unwait(struct _KTHREAD *thread, NTSTATUS status);
/* Blocks the calling thread until ke_thread_unwait (lock not held). */
void ke_thread_block(struct _KTHREAD *thread);
void ke_waiters_add(LONG delta);

/* mutex.c */
void ke_mutex_abandon_all(struct _KTHREAD *thread);
/* TRUE when the calling thread owns a mutex (KMUTEX). */
BOOLEAN ke_mutex_owned_by_current(void);

/* thread.c (ke_thread_current is in kesync.h) */
/* Marks the calling thread as a system thread (runtime worker threads). */
void ke_thread_mark_system(void);

/* clock.c: the clock reads every time source uses. */
LONGLONG ke_clock_system(void);
LONGLONG ke_clock_interrupt(void);
BOOLEAN ke_clock_virtual(void);

/* a + b, saturated: deadlines far in the future must not wrap. */
static inline LONGLONG ke_time_add(LONGLONG a, LONGLONG b)
{
	LONGLONG sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? MAXLONGLONG : -MAXLONGLONG - 1;
	return sum;
}

/* a - b, saturated. */
static inline LONGLONG ke_time_sub(LONGLONG a, LONGLONG b)
{
	LONGLONG diff;

	if (__builtin_sub_overflow(a, b, &diff))
		return b < 0 ? MAXLONGLONG : -MAXLONGLONG - 1;
	return diff;
}

/* The interrupt-time deadline of a relative (negative) timeout. */
static inline LONGLONG ke_time_relative_due(LONGLONG timeout)
{
	return ke_time_sub(ke_clock_interrupt(), timeout);
}

/* timerq.c, under the dispatcher lock. */
void ke_timerq_insert(PKTIMER timer, LONGLONG due, BOOLEAN absolute);
void ke_timerq_remove(PKTIMER timer);
BOOLEAN ke_timerq_inserted(PKTIMER timer);
/* Expires every timer whose due time the clock has reached. */
void ke_timerq_expire_due(void);
/* Adds `delta` to every relative due time (clock switches keep remaining time). */
void ke_timerq_shift_relative(LONGLONG delta);
/* Earliest deadline as an interrupt-time offset from now; FALSE when empty. */
BOOLEAN ke_timerq_next_offset(LONGLONG *offset);
/* Tells the real-clock timer thread that the queue head or the clock changed. */
void ke_timerq_kick(void);
void ke_timerq_shutdown(void);

/* timer.c, under the dispatcher lock: the timer reached its due time. */
void ke_timer_expire(PKTIMER timer);

/* dpc.c */
void ke_dpc_flush(void);
BOOLEAN ke_dpc_on_dpc_thread(void);
void ke_dpc_shutdown(void);

/* workqueue.c */
void ke_workqueue_shutdown(void);

#endif /* ALTITUDE_SRC_KE_DISPATCHER_H */
