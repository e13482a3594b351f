/*
 * The runtime clock: real (CLOCK_REALTIME plus an optional offset set by
 * altitude_clock_set_system_time, and CLOCK_MONOTONIC) or virtual (two
 * counters that move only when a test says so).
 *
 * Virtual advances walk the timer queue in deadline order: the clock stops
 * at each deadline, the timers due there expire (their waiters wake, their
 * DPCs are queued), and the DPCs run before the clock moves on, so that a
 * periodic timer fires once per period and a test sees every effect of an
 * advance when it returns.
 */
#include <time.h>

#include "ke/dispatcher.h"
#include "ke/ke.h"
#include <altitude/clock.h>

static int ke_clock_is_virtual;       /* atomic */
static LONGLONG ke_virtual_system;    /* atomic */
static LONGLONG ke_virtual_interrupt; /* atomic */
static LONGLONG ke_real_offset;       /* atomic: added to CLOCK_REALTIME */

static LONGLONG ke_clock_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (LONGLONG)ts.tv_sec * 10000000LL + ts.tv_nsec / 100;
}

BOOLEAN ke_clock_virtual(void)
{
	return (BOOLEAN)__atomic_load_n(&ke_clock_is_virtual, __ATOMIC_ACQUIRE);
}

LONGLONG ke_clock_system(void)
{
	if (ke_clock_virtual())
		return __atomic_load_n(&ke_virtual_system, __ATOMIC_ACQUIRE);
	return ke_time_add(ke_clock_read(CLOCK_REALTIME) + ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME,
			   __atomic_load_n(&ke_real_offset, __ATOMIC_RELAXED));
}

LONGLONG ke_clock_interrupt(void)
{
	if (ke_clock_virtual())
		return __atomic_load_n(&ke_virtual_interrupt, __ATOMIC_ACQUIRE);
	return ke_clock_read(CLOCK_MONOTONIC);
}

LONGLONG ke_clock_interrupt_coarse(void)
{
	if (ke_clock_virtual())
		return __atomic_load_n(&ke_virtual_interrupt, __ATOMIC_ACQUIRE);
	return ke_clock_read(CLOCK_MONOTONIC_COARSE);
}

LONGLONG altitude_clock_system_time(void)
{
	return ke_clock_system();
}

LONGLONG altitude_clock_interrupt_time(void)
{
	return ke_clock_interrupt();
}

BOOLEAN altitude_clock_is_virtual(void)
{
	return ke_clock_virtual();
}

/* Under the lock: the DPCs queued by expired timers run before we go on. */
static void ke_clock_settle(void)
{
	if (ke_dpc_on_dpc_thread())
		return;
	ke_unlock();
	ke_dpc_flush();
	ke_lock();
}

void altitude_clock_use_virtual_at(LONGLONG system_time, LONGLONG interrupt_time)
{
	ke_lock();
	ke_timerq_shift_relative(ke_time_sub(interrupt_time, ke_clock_interrupt()));
	__atomic_store_n(&ke_virtual_system, system_time, __ATOMIC_RELEASE);
	__atomic_store_n(&ke_virtual_interrupt, interrupt_time, __ATOMIC_RELEASE);
	__atomic_store_n(&ke_clock_is_virtual, 1, __ATOMIC_RELEASE);
	ke_timerq_expire_due();
	ke_timerq_kick();
	ke_clock_settle();
	ke_unlock();
}

void altitude_clock_use_virtual(LONGLONG system_time)
{
	altitude_clock_use_virtual_at(system_time, 0);
}

void altitude_clock_use_real(void)
{
	ke_lock();
	if (ke_clock_virtual()) {
		ke_timerq_shift_relative(ke_time_sub(ke_clock_read(CLOCK_MONOTONIC), ke_clock_interrupt()));
		__atomic_store_n(&ke_clock_is_virtual, 0, __ATOMIC_RELEASE);
		ke_timerq_expire_due();
		ke_timerq_kick();
	}
	ke_unlock();
}

static void ke_clock_move(LONGLONG delta)
{
	__atomic_store_n(&ke_virtual_interrupt, ke_time_add(ke_virtual_interrupt, delta), __ATOMIC_RELEASE);
	__atomic_store_n(&ke_virtual_system, ke_time_add(ke_virtual_system, delta), __ATOMIC_RELEASE);
}

BOOLEAN altitude_clock_advance(LONGLONG delta_100ns)
{
	LONGLONG offset;

	if (delta_100ns < 0)
		return FALSE;
	ke_lock();
	if (!ke_clock_virtual()) {
		ke_unlock();
		return FALSE;
	}
	while (ke_timerq_next_offset(&offset) && offset <= delta_100ns) {
		if (offset > 0) {
			ke_clock_move(offset);
			delta_100ns -= offset;
		}
		ke_timerq_expire_due();
		ke_clock_settle();
	}
	ke_clock_move(delta_100ns);
	ke_unlock();
	return TRUE;
}

void altitude_clock_set_system_time(LONGLONG system_time)
{
	ke_lock();
	if (ke_clock_virtual())
		__atomic_store_n(&ke_virtual_system, system_time, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&ke_real_offset,
				 ke_time_sub(system_time, ke_clock_read(CLOCK_REALTIME) +
								  ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME),
				 __ATOMIC_RELAXED);
	ke_timerq_expire_due();
	ke_timerq_kick();
	ke_clock_settle();
	ke_unlock();
}
