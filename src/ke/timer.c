/*
 * Timers.  Setting a timer resets it to not-signalled and replaces any
 * earlier due time, period and DPC; KeSetTimer(Ex) and KeCancelTimer return
 * TRUE when the timer was in the queue.  A due time in the past expires the
 * timer at once.  On expiry the timer is signalled (a notification timer
 * releases every waiter and stays signalled; a synchronization timer
 * releases one waiter), its DPC is queued with the expiry system time as
 * SystemArgument1 (low part) and SystemArgument2 (high part), and a
 * periodic timer is queued again Period ms after its previous due time (or
 * after now, when that has passed).  Cancelling a timer that is still set
 * also takes its DPC off the DPC queue if it is waiting there (a periodic
 * timer's previous expiry), so no DPC of a cancelled timer starts after
 * KeCancelTimer returns TRUE.
 */
#include "ke/dispatcher.h"

VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
	UCHAR type = Type == SynchronizationTimer ? TimerSynchronizationObject : TimerNotificationObject;

	ke_dispatcher_init_header(&Timer->Header, type, sizeof(KTIMER) / sizeof(LONG), 0);
	Timer->Header.TimerControlFlags = 0;
	Timer->Header.TimerMiscFlags = 0;
	Timer->DueTime.QuadPart = 0;
	InitializeListHead(&Timer->TimerListEntry);
	Timer->Dpc = NULL;
	Timer->Processor = 0;
	Timer->Period = 0;
}

VOID NTAPI KeInitializeTimer(PKTIMER Timer)
{
	KeInitializeTimerEx(Timer, NotificationTimer);
}

void ke_timer_expire(PKTIMER timer)
{
	LONGLONG now = ke_clock_system();

	timer->Header.SignalState = 1;
	ke_object_wake(&timer->Header);
	if (timer->Period != 0) {
		LONGLONG period = (LONGLONG)timer->Period * 10000;
		LONGLONG next = ke_time_add(ke_clock_interrupt(), period);
		LONGLONG after_due = ke_time_add((LONGLONG)timer->DueTime.QuadPart, period);

		if (!(timer->Header.TimerControlFlags & KE_TIMER_ABSOLUTE) &&
		    after_due > ke_clock_interrupt())
			next = after_due;
		ke_timerq_insert(timer, next, FALSE);
	}
	if (timer->Dpc != NULL)
		KeInsertQueueDpc(timer->Dpc, (PVOID)(ULONG_PTR)(ULONG)now,
				 (PVOID)(ULONG_PTR)(ULONG)((ULONGLONG)now >> 32));
}

static BOOLEAN ke_timer_set(PKTIMER Timer, LONGLONG due_time, ULONG period, PKDPC Dpc,
			    const char *routine)
{
	BOOLEAN was_set;
	LONGLONG due;
	BOOLEAN absolute = (BOOLEAN)(due_time >= 0);

	if (!ke_irql_at_most(DISPATCH_LEVEL, routine))
		return FALSE;
	ke_lock();
	was_set = ke_timerq_inserted(Timer);
	ke_timerq_remove(Timer);
	Timer->Header.SignalState = 0;
	Timer->Dpc = Dpc;
	Timer->Period = period;
	due = absolute ? due_time : ke_time_relative_due(due_time);
	if (absolute ? due <= ke_clock_system() : due <= ke_clock_interrupt())
		ke_timer_expire(Timer);
	else
		ke_timerq_insert(Timer, due, absolute);
	ke_unlock();
	return was_set;
}

BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
	return ke_timer_set(Timer, DueTime.QuadPart, 0, Dpc, "KeSetTimer");
}

BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
	if (Period < 0)
		return FALSE;
	return ke_timer_set(Timer, DueTime.QuadPart, (ULONG)Period, Dpc, "KeSetTimerEx");
}

BOOLEAN NTAPI KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
				    ULONG TolerableDelay, PKDPC Dpc)
{
	(void)TolerableDelay;
	return ke_timer_set(Timer, DueTime.QuadPart, Period, Dpc, "KeSetCoalescableTimer");
}

BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer)
{
	BOOLEAN was_set;

	if (!ke_irql_at_most(DISPATCH_LEVEL, "KeCancelTimer"))
		return FALSE;
	ke_lock();
	was_set = ke_timerq_inserted(Timer);
	ke_timerq_remove(Timer);
	if (was_set && Timer->Dpc != NULL)
		KeRemoveQueueDpc(Timer->Dpc);
	ke_unlock();
	return was_set;
}

BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer)
{
	return (BOOLEAN)(ke_read_signal_state(&Timer->Header) != 0);
}
