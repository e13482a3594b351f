/*
 * TIME_FIELDS and the conversions between a system time (100-ns units since
 * 1601-01-01 00:00 UTC) and its calendar fields, in the proleptic Gregorian
 * calendar.  Weekday runs from 0 (Sunday) to 6 (Saturday).
 *
 * RtlTimeFieldsToTime ignores Weekday and returns FALSE, leaving *Time
 * unchanged, unless 1601 <= Year <= 30827, 1 <= Month <= 12, 1 <= Day <= the
 * days of that month (leap years included), Hour < 24, Minute < 60,
 * Second < 60 and Milliseconds < 1000.  RtlTimeToTimeFields accepts any
 * 64-bit time; negative times give dates before 1601.
 */
#ifndef ALTITUDE_NT_TIMEFIELDS_H
#define ALTITUDE_NT_TIMEFIELDS_H

#include <ntdef.h>

typedef short CSHORT;

typedef struct _TIME_FIELDS {
	CSHORT Year;
	CSHORT Month;
	CSHORT Day;
	CSHORT Hour;
	CSHORT Minute;
	CSHORT Second;
	CSHORT Milliseconds;
	CSHORT Weekday;
} TIME_FIELDS, *PTIME_FIELDS;

_Static_assert(sizeof(TIME_FIELDS) == 16, "TIME_FIELDS layout");

NTSYSAPI VOID NTAPI RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields);
NTSYSAPI BOOLEAN NTAPI RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time);

#endif /* ALTITUDE_NT_TIMEFIELDS_H */
