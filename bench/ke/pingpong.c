/*
 * ke.event_pingpong: two threads hand a turn back and forth through two
 * synchronization events (KeSetEvent + KeWaitForSingleObject), against the
 * same ping-pong through a pthread mutex and two condition variables.
 * Reports nanoseconds per round trip (lower is better), best of 5 runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <wdm.h>
#include <altitude/thread.h>

#define ROUNDS 100000
#define RUNS 5

static KEVENT ping, pong;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *ke_partner(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		KeWaitForSingleObject(&ping, Executive, KernelMode, FALSE, NULL);
		KeSetEvent(&pong, IO_NO_INCREMENT, FALSE);
	}
	return NULL;
}

static double ke_run(void)
{
	pthread_t t;
	double start;

	KeInitializeEvent(&ping, SynchronizationEvent, FALSE);
	KeInitializeEvent(&pong, SynchronizationEvent, FALSE);
	pthread_create(&t, NULL, ke_partner, NULL);
	start = now_ns();
	for (int i = 0; i < ROUNDS; i++) {
		KeSetEvent(&ping, IO_NO_INCREMENT, FALSE);
		KeWaitForSingleObject(&pong, Executive, KernelMode, FALSE, NULL);
	}
	start = (now_ns() - start) / ROUNDS;
	pthread_join(t, NULL);
	return start;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ping_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pong_cond = PTHREAD_COND_INITIALIZER;
static int ping_flag, pong_flag;

static void *pthread_partner(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		while (!ping_flag)
			pthread_cond_wait(&ping_cond, &lock);
		ping_flag = 0;
		pong_flag = 1;
		pthread_cond_signal(&pong_cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static double pthread_run(void)
{
	pthread_t t;
	double start;

	ping_flag = pong_flag = 0;
	pthread_create(&t, NULL, pthread_partner, NULL);
	start = now_ns();
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		ping_flag = 1;
		pthread_cond_signal(&ping_cond);
		while (!pong_flag)
			pthread_cond_wait(&pong_cond, &lock);
		pong_flag = 0;
		pthread_mutex_unlock(&lock);
	}
	start = (now_ns() - start) / ROUNDS;
	pthread_join(t, NULL);
	return start;
}

int main(void)
{
	double ours = 1e18, base = 1e18;

	for (int r = 0; r < RUNS; r++) {
		double o = ke_run();
		double b = pthread_run();

		ours = o < ours ? o : ours;
		base = b < base ? b : base;
	}
	printf("BENCH ke.event_pingpong ours=%.0fns baseline=%.0fns ratio=%.2f\n", ours, base,
	       ours / base);
	altitude_ke_shutdown();
	return 0;
}
