/*
 * Uncontended KeAcquireSpinLock + KeReleaseSpinLock against
 * pthread_spin_lock + pthread_spin_unlock, in the same run.  Each side runs
 * several rounds; the best round counts, to keep scheduler noise out.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <wdm.h>

#define ITERATIONS 5000000
#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double ours_round(void)
{
	static KSPIN_LOCK lock;
	double start;
	KIRQL old;

	KeInitializeSpinLock(&lock);
	start = now_ns();
	for (int i = 0; i < ITERATIONS; i++) {
		KeAcquireSpinLock(&lock, &old);
		KeReleaseSpinLock(&lock, old);
	}
	return (now_ns() - start) / ITERATIONS;
}

static double baseline_round(void)
{
	static pthread_spinlock_t lock;
	double start;

	pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
	start = now_ns();
	for (int i = 0; i < ITERATIONS; i++) {
		pthread_spin_lock(&lock);
		pthread_spin_unlock(&lock);
	}
	pthread_spin_destroy(&lock);
	return (now_ns() - start) / ITERATIONS;
}

int main(void)
{
	double ours = 1e30, baseline = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double o = ours_round();
		double b = baseline_round();

		ours = o < ours ? o : ours;
		baseline = b < baseline ? b : baseline;
	}
	printf("BENCH ke.spinlock ours=%.2fns baseline=%.2fns ratio=%.2f\n", ours, baseline,
	       ours / baseline);
	return 0;
}
