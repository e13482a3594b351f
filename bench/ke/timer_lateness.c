/*
 * ke.timer_lateness: how late a 10 ms relative KeWaitForSingleObject
 * timeout returns on the real clock (median of 60 waits), against the
 * lateness of clock_nanosleep(10 ms) on CLOCK_MONOTONIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <wdm.h>
#include <altitude/thread.h>

#define WAITS 60
#define INTERVAL_NS 10000000LL

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static double median_us(long long *v)
{
	qsort(v, WAITS, sizeof(*v), compare);
	return (double)v[WAITS / 2] / 1000.0;
}

int main(void)
{
	long long ours[WAITS], base[WAITS];
	LARGE_INTEGER timeout = { .QuadPart = -(INTERVAL_NS / 100) };
	struct timespec interval = { 0, INTERVAL_NS };
	KEVENT never;
	double o, b;

	KeInitializeEvent(&never, NotificationEvent, FALSE);
	for (int i = 0; i < WAITS; i++) {
		long long start = now_ns();

		if (KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, &timeout) != STATUS_TIMEOUT)
			return 1;
		ours[i] = now_ns() - start - INTERVAL_NS;
		start = now_ns();
		clock_nanosleep(CLOCK_MONOTONIC, 0, &interval, NULL);
		base[i] = now_ns() - start - INTERVAL_NS;
	}
	o = median_us(ours);
	b = median_us(base);
	printf("BENCH ke.timer_lateness ours=%.1fus baseline=%.1fus ratio=%.2f\n", o, b, o / b);
	altitude_ke_shutdown();
	return 0;
}
