/*
 * Events.  A notification event stays signalled and releases every waiter;
 * a synchronization event releases exactly one waiter and resets itself.
 * Set, reset and pulse return the previous state.  The Wait argument of
 * KeSetEvent/KePulseEvent (an NT optimisation: keep the dispatcher locked
 * for an immediate wait) is accepted and has no effect here.
 */
#include "ke/dispatcher.h"

VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
	UCHAR type = Type == SynchronizationEvent ? EventSynchronizationObject : EventNotificationObject;

	ke_dispatcher_init_header(&Event->Header, type, sizeof(KEVENT) / sizeof(LONG),
				  State ? 1 : 0);
}

static LONG ke_event_set(PRKEVENT Event, BOOLEAN pulse, const char *routine)
{
	LONG old;

	if (!ke_irql_at_most(DISPATCH_LEVEL, routine))
		return 0;
	ke_lock();
	old = Event->Header.SignalState;
	if (old == 0) {
		Event->Header.SignalState = 1;
		ke_object_wake(&Event->Header);
	}
	if (pulse)
		Event->Header.SignalState = 0;
	ke_unlock();
	return old;
}

LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	(void)Increment;
	(void)Wait;
	return ke_event_set(Event, FALSE, "KeSetEvent");
}

LONG NTAPI KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	(void)Increment;
	(void)Wait;
	return ke_event_set(Event, TRUE, "KePulseEvent");
}

LONG NTAPI KeResetEvent(PRKEVENT Event)
{
	LONG old;

	if (!ke_irql_at_most(DISPATCH_LEVEL, "KeResetEvent"))
		return 0;
	ke_lock();
	old = Event->Header.SignalState;
	Event->Header.SignalState = 0;
	ke_unlock();
	return old;
}

VOID NTAPI KeClearEvent(PRKEVENT Event)
{
	if (!ke_irql_at_most(DISPATCH_LEVEL, "KeClearEvent"))
		return;
	ke_lock();
	Event->Header.SignalState = 0;
	ke_unlock();
}

LONG NTAPI KeReadStateEvent(PRKEVENT Event)
{
	return ke_read_signal_state(&Event->Header);
}
