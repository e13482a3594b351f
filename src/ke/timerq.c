/*
 * The timer queue: KTIMERs (driver timers and each thread's wait timer) in
 * two lists ordered by due time, one keyed by interrupt time (relative
 * timeouts) and one by system time (absolute timeouts, which follow changes
 * of the system time).  Everything here runs under the dispatcher lock.
 *
 * On the real clock one timer thread sleeps until the earliest deadline
 * (a condition variable on CLOCK_MONOTONIC, timer slack 1 ns) and expires
 * what is due.  While absolute deadlines are pending it also wakes at least
 * once a second, so that a change of the real system clock is seen.  On
 * the virtual clock the thread idles and altitude_clock_* expire timers
 * synchronously.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include "ke/dispatcher.h"

#define KE_TIMERQ_ABSOLUTE_POLL 10000000LL /* 1 s in 100-ns units */

static LIST_ENTRY ke_timerq_relative = { &ke_timerq_relative, &ke_timerq_relative };
static LIST_ENTRY ke_timerq_absolute = { &ke_timerq_absolute, &ke_timerq_absolute };
static pthread_cond_t ke_timerq_cond;
static pthread_once_t ke_timerq_once = PTHREAD_ONCE_INIT;
static pthread_t ke_timerq_thread;
static BOOLEAN ke_timerq_running;
static BOOLEAN ke_timerq_stop;

static void ke_timerq_init(void)
{
	ke_cond_init_monotonic(&ke_timerq_cond);
}

BOOLEAN ke_timerq_inserted(PKTIMER timer)
{
	return (BOOLEAN)((timer->Header.TimerMiscFlags & KE_TIMER_INSERTED) != 0);
}

static LONGLONG ke_timer_due(PLIST_ENTRY entry)
{
	return (LONGLONG)CONTAINING_RECORD(entry, KTIMER, TimerListEntry)->DueTime.QuadPart;
}

static void *ke_timerq_main(void *arg);

/* Starts the real-clock timer thread on first use. */
static void ke_timerq_start(void)
{
	if (ke_timerq_running || ke_clock_virtual())
		return;
	pthread_once(&ke_timerq_once, ke_timerq_init);
	if (pthread_create(&ke_timerq_thread, NULL, ke_timerq_main, NULL) != 0) {
		ke_bugcheck(NO_MORE_SYSTEM_PTES, 0, 0, 0, 0, "KeSetTimer");
		return;
	}
	ke_timerq_running = TRUE;
}

void ke_timerq_kick(void)
{
	if (ke_timerq_running)
		pthread_cond_signal(&ke_timerq_cond);
}

void ke_timerq_insert(PKTIMER timer, LONGLONG due, BOOLEAN absolute)
{
	PLIST_ENTRY head = absolute ? &ke_timerq_absolute : &ke_timerq_relative;
	PLIST_ENTRY e = head->Blink;

	timer->DueTime.QuadPart = (ULONGLONG)due;
	if (absolute)
		timer->Header.TimerControlFlags |= KE_TIMER_ABSOLUTE;
	else
		timer->Header.TimerControlFlags &= (UCHAR)~KE_TIMER_ABSOLUTE;
	timer->Header.TimerMiscFlags |= KE_TIMER_INSERTED;
	/* New deadlines are usually the latest: search from the tail. */
	while (e != head && ke_timer_due(e) > due)
		e = e->Blink;
	InsertHeadList(e, &timer->TimerListEntry);
	if (head->Flink == &timer->TimerListEntry) {
		ke_timerq_start();
		ke_timerq_kick();
	}
}

void ke_timerq_remove(PKTIMER timer)
{
	if (!ke_timerq_inserted(timer))
		return;
	RemoveEntryList(&timer->TimerListEntry);
	timer->Header.TimerMiscFlags &= (UCHAR)~KE_TIMER_INSERTED;
}

static void ke_timerq_expire_list(PLIST_ENTRY head, LONGLONG now)
{
	while (!IsListEmpty(head) && ke_timer_due(head->Flink) <= now) {
		PKTIMER timer = CONTAINING_RECORD(head->Flink, KTIMER, TimerListEntry);

		ke_timerq_remove(timer);
		ke_timer_expire(timer);
	}
}

void ke_timerq_expire_due(void)
{
	ke_timerq_expire_list(&ke_timerq_relative, ke_clock_interrupt());
	ke_timerq_expire_list(&ke_timerq_absolute, ke_clock_system());
}

void ke_timerq_shift_relative(LONGLONG delta)
{
	PLIST_ENTRY head = &ke_timerq_relative;

	for (PLIST_ENTRY e = head->Flink; e != head; e = e->Flink) {
		PKTIMER timer = CONTAINING_RECORD(e, KTIMER, TimerListEntry);

		timer->DueTime.QuadPart = (ULONGLONG)ke_time_add((LONGLONG)timer->DueTime.QuadPart, delta);
	}
}

BOOLEAN ke_timerq_next_offset(LONGLONG *offset)
{
	BOOLEAN any = FALSE;
	LONGLONG best = 0;

	if (!IsListEmpty(&ke_timerq_relative)) {
		best = ke_time_sub(ke_timer_due(ke_timerq_relative.Flink), ke_clock_interrupt());
		any = TRUE;
	}
	if (!IsListEmpty(&ke_timerq_absolute)) {
		LONGLONG abs = ke_time_sub(ke_timer_due(ke_timerq_absolute.Flink), ke_clock_system());

		if (!any || abs < best)
			best = abs;
		any = TRUE;
	}
	*offset = best < 0 ? 0 : best;
	return any;
}

/* Under the lock: how long the real-clock thread may sleep; FALSE = until kicked. */
static BOOLEAN ke_timerq_sleep_for(LONGLONG *sleep)
{
	LONGLONG offset;

	if (ke_clock_virtual() || !ke_timerq_next_offset(&offset))
		return FALSE;
	if (!IsListEmpty(&ke_timerq_absolute) && offset > KE_TIMERQ_ABSOLUTE_POLL)
		offset = KE_TIMERQ_ABSOLUTE_POLL;
	*sleep = offset;
	return TRUE;
}

static void *ke_timerq_main(void *arg)
{
	(void)arg;
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	ke_lock();
	while (!ke_timerq_stop) {
		LONGLONG sleep;
		struct timespec until;

		if (!ke_clock_virtual())
			ke_timerq_expire_due();
		if (ke_ready_pending()) {
			/* Wake the waiters whose timeouts expired. */
			ke_unlock();
			ke_lock();
			continue;
		}
		if (!ke_timerq_sleep_for(&sleep)) {
			pthread_cond_wait(&ke_timerq_cond, ke_dispatcher_mutex());
			continue;
		}
		ke_monotonic_deadline(&until, sleep);
		pthread_cond_timedwait(&ke_timerq_cond, ke_dispatcher_mutex(), &until);
	}
	ke_unlock();
	return NULL;
}

void ke_timerq_shutdown(void)
{
	pthread_t thread;

	ke_lock();
	if (!ke_timerq_running) {
		ke_unlock();
		return;
	}
	ke_timerq_stop = TRUE;
	thread = ke_timerq_thread;
	pthread_cond_signal(&ke_timerq_cond);
	ke_unlock();
	pthread_join(thread, NULL);
	ke_lock();
	ke_timerq_running = FALSE;
	ke_timerq_stop = FALSE;
	/* A timer set while the thread was stopping still needs one. */
	if (!IsListEmpty(&ke_timerq_relative) || !IsListEmpty(&ke_timerq_absolute))
		ke_timerq_start();
	ke_unlock();
}
