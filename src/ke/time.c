/*
 * KeQuery*Time*, tick count, performance counter and local time, all read
 * through the runtime clock.  The "precise" and plain variants are the
 * same reading; the tick is KeQueryTimeIncrement() = 156250 units (15.625
 * ms), and the performance counter runs at 10 MHz (it is the interrupt
 * time).
 */
#include <time.h>

#include "ke/dispatcher.h"
#include <altitude/clock.h>

#define KE_TIME_INCREMENT 156250UL

VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = ke_clock_system();
}

VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = ke_clock_system();
}

ULONGLONG NTAPI KeQueryInterruptTime(VOID)
{
	return (ULONGLONG)ke_clock_interrupt();
}

ULONGLONG NTAPI KeQueryInterruptTimePrecise(PULONGLONG QpcTimeStamp)
{
	ULONGLONG now = (ULONGLONG)ke_clock_interrupt();

	if (QpcTimeStamp != NULL)
		*QpcTimeStamp = now;
	return now;
}

ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID)
{
	return (ULONGLONG)ke_clock_interrupt();
}

ULONG NTAPI KeQueryTimeIncrement(VOID)
{
	return KE_TIME_INCREMENT;
}

VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
	CurrentCount->QuadPart = ke_clock_interrupt() / (LONGLONG)KE_TIME_INCREMENT;
}

LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
	LARGE_INTEGER counter;

	if (PerformanceFrequency != NULL)
		PerformanceFrequency->QuadPart = 10000000LL;
	counter.QuadPart = ke_clock_interrupt();
	return counter;
}

/* Seconds east of UTC in the process's time zone at `unix_seconds`. */
static LONGLONG ke_time_zone_offset(time_t unix_seconds)
{
	struct tm tm;

	if (localtime_r(&unix_seconds, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

static time_t ke_time_unix_seconds(LONGLONG system_time)
{
	return (time_t)((system_time - ALTITUDE_UNIX_EPOCH_AS_SYSTEM_TIME) / 10000000LL);
}

VOID NTAPI ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime)
{
	LONGLONG offset = ke_time_zone_offset(ke_time_unix_seconds(SystemTime->QuadPart));

	LocalTime->QuadPart = SystemTime->QuadPart + offset * 10000000LL;
}

/*
 * Uses the offset in force at the resulting instant (found in two steps);
 * a local time that a daylight-saving change skips or repeats maps to one
 * of the candidate instants.
 */
VOID NTAPI ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime)
{
	LONGLONG guess = LocalTime->QuadPart -
			 ke_time_zone_offset(ke_time_unix_seconds(LocalTime->QuadPart)) * 10000000LL;
	LONGLONG offset = ke_time_zone_offset(ke_time_unix_seconds(guess));

	SystemTime->QuadPart = LocalTime->QuadPart - offset * 10000000LL;
}
