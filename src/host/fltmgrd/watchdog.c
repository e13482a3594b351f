/*
 * The watchdog (--watchdog-timeout SECONDS, 0 disables): a thread that
 * scans the engine (altitude_watchdog_scan) a few times per timeout and
 * logs at warning level every item older than the timeout: an operation a
 * filter holds, a FltSendMessage still waiting, an instance teardown or a
 * filter unload still draining.  Each item is logged once per crossing: it
 * is logged when a scan first finds it overdue, and again only if it went
 * away and came back (a new identity).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <altitude/host.h>

#include "fltmgrd.h"

struct fm_watch_ids {
	ULONGLONG *ids;
	size_t count, capacity;
};

static pthread_mutex_t fm_watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fm_watch_cond;
static bool fm_watch_stop;
static bool fm_watch_running;
static pthread_t fm_watch_thread;

struct fm_watch_pass {
	struct fm_watch_ids *previous, *current;
};

static bool fm_watch_seen(const struct fm_watch_ids *ids, ULONGLONG id)
{
	for (size_t i = 0; i < ids->count; i++)
		if (ids->ids[i] == id)
			return true;
	return false;
}

static void fm_watch_remember(struct fm_watch_ids *ids, ULONGLONG id)
{
	if (ids->count == ids->capacity) {
		size_t capacity = ids->capacity ? ids->capacity * 2 : 16;
		ULONGLONG *grown = realloc(ids->ids, capacity * sizeof(*grown));

		if (!grown)
			return;
		ids->ids = grown;
		ids->capacity = capacity;
	}
	ids->ids[ids->count++] = id;
}

/* ", file X, requester pid N" for the parts an item has. */
static void fm_watch_context(const altitude_watch_item *it, char *buf, size_t size)
{
	int n = 0;

	buf[0] = '\0';
	if (it->file[0])
		n = snprintf(buf, size, ", file %s", it->file);
	if (it->requestor_pid && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", requester pid %lu", (unsigned long)it->requestor_pid);
}

static void fm_watch_log(const altitude_watch_item *it)
{
	unsigned long long age = (unsigned long long)it->age_ms;
	char context[700];

	fm_watch_context(it, context, sizeof(context));
	switch (it->kind) {
	case ALTITUDE_WATCH_OPERATION:
		fm_log(FM_WARNING, "watchdog: filter %s has held %s for %llu ms (instance %s on %s%s)",
		       it->filter, it->operation, age, it->instance, it->volume, context);
		break;
	case ALTITUDE_WATCH_MESSAGE:
		fm_log(FM_WARNING, "watchdog: filter %s: FltSendMessage waiting for %llu ms%s%s%s%s",
		       it->filter, age, it->operation[0] ? " (in " : "", it->operation, context,
		       it->operation[0] ? ")" : "");
		break;
	case ALTITUDE_WATCH_DRAIN:
		fm_log(FM_WARNING,
		       "watchdog: filter %s: teardown of instance %s on %s draining for %llu ms, "
		       "%lu callback(s) or operation(s) outstanding",
		       it->filter, it->instance, it->volume, age, (unsigned long)it->owed);
		break;
	case ALTITUDE_WATCH_UNLOAD:
		fm_log(FM_WARNING, "watchdog: filter %s: unload waiting for %llu ms for %lu reference(s)",
		       it->filter, age, (unsigned long)it->owed);
		break;
	}
}

static void fm_watch_item(const altitude_watch_item *it, void *ctx)
{
	struct fm_watch_pass *pass = ctx;

	if (!fm_watch_seen(pass->previous, it->id))
		fm_watch_log(it);
	fm_watch_remember(pass->current, it->id);
}

/* Scans a few times per timeout, at least every 5 s and at most every 100 ms. */
static unsigned fm_watch_interval_ms(void)
{
	unsigned long long ms = (unsigned long long)fm_options.watchdog_timeout * 1000 / 4;

	return ms < 100 ? 100 : ms > 5000 ? 5000 : (unsigned)ms;
}

static void *fm_watch_main(void *arg)
{
	struct fm_watch_ids a = { 0 }, b = { 0 };
	struct fm_watch_pass pass = { &a, &b };
	unsigned interval = fm_watch_interval_ms();
	struct timespec due;

	(void)arg;
	pthread_mutex_lock(&fm_watch_lock);
	while (!fm_watch_stop) {
		struct fm_watch_ids *swap;

		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_sec += interval / 1000;
		due.tv_nsec += (long)(interval % 1000) * 1000000L;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		while (!fm_watch_stop && pthread_cond_timedwait(&fm_watch_cond, &fm_watch_lock, &due) != ETIMEDOUT)
			;
		if (fm_watch_stop)
			break;
		pthread_mutex_unlock(&fm_watch_lock);
		pass.current->count = 0;
		altitude_watchdog_scan((ULONGLONG)fm_options.watchdog_timeout * 1000, fm_watch_item, &pass);
		swap = pass.previous;
		pass.previous = pass.current;
		pass.current = swap;
		pthread_mutex_lock(&fm_watch_lock);
	}
	pthread_mutex_unlock(&fm_watch_lock);
	free(a.ids);
	free(b.ids);
	return NULL;
}

void fm_watchdog_start(void)
{
	pthread_condattr_t attr;

	if (!fm_options.watchdog_timeout)
		return;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fm_watch_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&fm_watch_thread, NULL, fm_watch_main, NULL) != 0) {
		fm_log(FM_WARNING, "watchdog: cannot start its thread; running without it");
		return;
	}
	fm_watch_running = true;
}

void fm_watchdog_stop(void)
{
	if (!fm_watch_running)
		return;
	pthread_mutex_lock(&fm_watch_lock);
	fm_watch_stop = true;
	pthread_cond_signal(&fm_watch_cond);
	pthread_mutex_unlock(&fm_watch_lock);
	pthread_join(fm_watch_thread, NULL);
	fm_watch_running = false;
}
