#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

#define TICKS_PER_DAY 864000000000LL
#define UNIX_EPOCH 116444736000000000LL

static LONGLONG to_time(int y, int mo, int d, int h, int mi, int s, int ms)
{
	TIME_FIELDS f = { (CSHORT)y, (CSHORT)mo, (CSHORT)d, (CSHORT)h,
			  (CSHORT)mi, (CSHORT)s, (CSHORT)ms, 0 };
	LARGE_INTEGER t;

	assert_true(RtlTimeFieldsToTime(&f, &t));
	return t.QuadPart;
}

static void known_dates(void **state)
{
	LARGE_INTEGER t;
	TIME_FIELDS f;

	(void)state;
	assert_int_equal(to_time(1601, 1, 1, 0, 0, 0, 0), 0);
	assert_int_equal(to_time(1970, 1, 1, 0, 0, 0, 0), UNIX_EPOCH);
	t.QuadPart = 0;
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Year, 1601);
	assert_int_equal(f.Month, 1);
	assert_int_equal(f.Day, 1);
	assert_int_equal(f.Weekday, 1); /* Monday */
	t.QuadPart = UNIX_EPOCH;
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Year, 1970);
	assert_int_equal(f.Weekday, 4); /* Thursday */
	/* 2000-02-29 12:34:56.789, a Tuesday */
	t.QuadPart = to_time(2000, 2, 29, 12, 34, 56, 789) + 9999;
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Year, 2000);
	assert_int_equal(f.Month, 2);
	assert_int_equal(f.Day, 29);
	assert_int_equal(f.Hour, 12);
	assert_int_equal(f.Minute, 34);
	assert_int_equal(f.Second, 56);
	assert_int_equal(f.Milliseconds, 789);
	assert_int_equal(f.Weekday, 2);
	/* 2026-11-22 is a Sunday. */
	t.QuadPart = to_time(2026, 11, 22, 0, 0, 0, 0);
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Weekday, 0);
	assert_int_equal(to_time(30827, 12, 31, 23, 59, 59, 999),
			 to_time(30827, 12, 31, 0, 0, 0, 0) + TICKS_PER_DAY - 10000);
}

static void invalid_fields_are_rejected(void **state)
{
	static const TIME_FIELDS bad[] = {
		{ 1600, 12, 31, 0, 0, 0, 0, 0 }, { 30828, 1, 1, 0, 0, 0, 0, 0 },
		{ 2001, 0, 1, 0, 0, 0, 0, 0 },   { 2001, 13, 1, 0, 0, 0, 0, 0 },
		{ 2001, 2, 29, 0, 0, 0, 0, 0 },  { 1900, 2, 29, 0, 0, 0, 0, 0 },
		{ 2001, 4, 31, 0, 0, 0, 0, 0 },  { 2001, 1, 0, 0, 0, 0, 0, 0 },
		{ 2001, 1, 1, 24, 0, 0, 0, 0 },  { 2001, 1, 1, 0, 60, 0, 0, 0 },
		{ 2001, 1, 1, 0, 0, 60, 0, 0 },  { 2001, 1, 1, 0, 0, 0, 1000, 0 },
		{ 2001, 1, 1, -1, 0, 0, 0, 0 },  { 2001, 1, 1, 0, 0, 0, -1, 0 },
	};
	LARGE_INTEGER t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TIME_FIELDS f = bad[i];

		t.QuadPart = 42;
		assert_false(RtlTimeFieldsToTime(&f, &t));
		assert_int_equal(t.QuadPart, 42);
	}
	assert_int_not_equal(to_time(2000, 2, 29, 0, 0, 0, 0), 0);
	assert_int_not_equal(to_time(2400, 2, 29, 0, 0, 0, 0), 0);
}

/* Every day from 1601 to 30827: fields round-trip, days are consecutive and weekdays cycle. */
static void every_day_round_trips(void **state)
{
	static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	LONGLONG expected = 0;
	int weekday = 1;

	(void)state;
	for (int y = 1601; y <= 30827; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		for (int m = 1; m <= 12; m++) {
			int days = month_days[m - 1] + (m == 2 && leap);

			for (int d = 1; d <= days; d++) {
				LARGE_INTEGER t;
				TIME_FIELDS f = { (CSHORT)y, (CSHORT)m, (CSHORT)d, 0, 0, 0, 0, 0 };

				assert_true(RtlTimeFieldsToTime(&f, &t));
				if (t.QuadPart != expected)
					fail_msg("%d-%d-%d gives %lld", y, m, d, (long long)t.QuadPart);
				t.QuadPart += TICKS_PER_DAY - 1;
				RtlTimeToTimeFields(&t, &f);
				if (f.Year != y || f.Month != m || f.Day != d || f.Weekday != weekday ||
				    f.Hour != 23 || f.Minute != 59 || f.Second != 59 ||
				    f.Milliseconds != 999)
					fail_msg("%d-%d-%d comes back as %d-%d-%d wd %d", y, m, d, f.Year,
						 f.Month, f.Day, f.Weekday);
				expected += TICKS_PER_DAY;
				weekday = (weekday + 1) % 7;
			}
		}
	}
}

static void every_millisecond_of_a_day_round_trips(void **state)
{
	LONGLONG base = to_time(2024, 2, 29, 0, 0, 0, 0);

	(void)state;
	for (LONGLONG ms = 0; ms < 86400000LL; ms += 97) {
		LARGE_INTEGER t = { .QuadPart = base + ms * 10000 + 3 };
		LARGE_INTEGER back;
		TIME_FIELDS f;

		RtlTimeToTimeFields(&t, &f);
		assert_true(RtlTimeFieldsToTime(&f, &back));
		if (back.QuadPart != t.QuadPart - 3)
			fail_msg("ms %lld", (long long)ms);
	}
}

static void negative_times_are_before_1601(void **state)
{
	LARGE_INTEGER t = { .QuadPart = -1 };
	TIME_FIELDS f;

	(void)state;
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Year, 1600);
	assert_int_equal(f.Month, 12);
	assert_int_equal(f.Day, 31);
	assert_int_equal(f.Hour, 23);
	assert_int_equal(f.Milliseconds, 999);
	assert_int_equal(f.Weekday, 0);
	t.QuadPart = MAXLONGLONG;
	RtlTimeToTimeFields(&t, &f);
	assert_int_equal(f.Year, 30828);
	t.QuadPart = (LONGLONG)0x8000000000000000ULL;
	RtlTimeToTimeFields(&t, &f);
	assert_true(f.Month >= 1 && f.Month <= 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_dates),
		cmocka_unit_test(invalid_fields_are_rejected),
		cmocka_unit_test(every_day_round_trips),
		cmocka_unit_test(every_millisecond_of_a_day_round_trips),
		cmocka_unit_test(negative_times_are_before_1601),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
