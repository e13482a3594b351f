/*
 * System time <-> TIME_FIELDS (see <nt/timefields.h>).  Dates are counted in
 * days from 1601-01-01, which starts a 400-year Gregorian cycle, so the
 * conversion works in whole cycles (146097 days) from there.
 */
#include "ke/kesync.h"

#define KE_TICKS_PER_MS 10000LL
#define KE_MS_PER_DAY 86400000LL
#define KE_DAYS_PER_400Y 146097LL
#define KE_DAYS_PER_100Y 36524LL
#define KE_DAYS_PER_4Y 1461LL
#define KE_MAX_YEAR 30827

static const CSHORT ke_month_days[2][12] = {
	{ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 },
	{ 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 },
};

static int ke_is_leap(LONGLONG year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static LONGLONG ke_floor_div(LONGLONG a, LONGLONG b)
{
	LONGLONG q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days from 1601-01-01 to year-month-day (month 1..12). */
static LONGLONG ke_days_from_date(LONGLONG year, int month, int day)
{
	LONGLONG y = year - 1601;
	LONGLONG days = y * 365 + ke_floor_div(y, 4) - ke_floor_div(y, 100) + ke_floor_div(y, 400);
	int leap = ke_is_leap(year);

	for (int m = 1; m < month; m++)
		days += ke_month_days[leap][m - 1];
	return days + day - 1;
}

static void ke_date_from_days(LONGLONG days, PTIME_FIELDS f)
{
	LONGLONG cycles = ke_floor_div(days, KE_DAYS_PER_400Y);
	LONGLONG rest = days - cycles * KE_DAYS_PER_400Y; /* 0 .. 146096 */
	LONGLONG centuries = rest / KE_DAYS_PER_100Y;
	LONGLONG quads, years;
	LONGLONG year;
	int leap, month = 0;

	if (centuries == 4) /* the last day of a leap 400th year */
		centuries = 3;
	rest -= centuries * KE_DAYS_PER_100Y;
	quads = rest / KE_DAYS_PER_4Y;
	rest -= quads * KE_DAYS_PER_4Y;
	years = rest / 365;
	if (years == 4) /* the last day of a leap year */
		years = 3;
	rest -= years * 365;
	year = 1601 + cycles * 400 + centuries * 100 + quads * 4 + years;
	leap = ke_is_leap(year);
	while (rest >= ke_month_days[leap][month])
		rest -= ke_month_days[leap][month++];
	f->Year = (CSHORT)year;
	f->Month = (CSHORT)(month + 1);
	f->Day = (CSHORT)(rest + 1);
	/* 1601-01-01 was a Monday. */
	f->Weekday = (CSHORT)(days + 1 - ke_floor_div(days + 1, 7) * 7);
}

VOID NTAPI RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields)
{
	LONGLONG ms = ke_floor_div(Time->QuadPart, KE_TICKS_PER_MS);
	LONGLONG days = ke_floor_div(ms, KE_MS_PER_DAY);
	LONGLONG in_day = ms - days * KE_MS_PER_DAY;

	ke_date_from_days(days, TimeFields);
	TimeFields->Hour = (CSHORT)(in_day / 3600000);
	TimeFields->Minute = (CSHORT)(in_day / 60000 % 60);
	TimeFields->Second = (CSHORT)(in_day / 1000 % 60);
	TimeFields->Milliseconds = (CSHORT)(in_day % 1000);
}

static BOOLEAN ke_time_fields_valid(const TIME_FIELDS *f)
{
	if (f->Year < 1601 || f->Year > KE_MAX_YEAR || f->Month < 1 || f->Month > 12)
		return FALSE;
	if (f->Day < 1 || f->Day > ke_month_days[ke_is_leap(f->Year)][f->Month - 1])
		return FALSE;
	return f->Hour >= 0 && f->Hour < 24 && f->Minute >= 0 && f->Minute < 60 &&
	       f->Second >= 0 && f->Second < 60 && f->Milliseconds >= 0 && f->Milliseconds < 1000;
}

BOOLEAN NTAPI RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time)
{
	const TIME_FIELDS *f = TimeFields;
	LONGLONG ms;

	if (!ke_time_fields_valid(f))
		return FALSE;
	ms = ke_days_from_date(f->Year, f->Month, f->Day) * KE_MS_PER_DAY +
	     ((f->Hour * 60LL + f->Minute) * 60 + f->Second) * 1000 + f->Milliseconds;
	Time->QuadPart = ms * KE_TICKS_PER_MS;
	return TRUE;
}
