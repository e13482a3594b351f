/*
 * The host log: sink, per-thread prefix and level mask behind DbgPrint.  A
 * line's prefix is the thread's own (set while DriverEntry or an unload
 * runs), or the name of the filter whose callback the thread is in, which
 * wins when both are set.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <altitude/log.h>
#include "rtl/rtl.h"

#define PREFIX_MAX 64

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static altitude_log_sink current_sink;
static void *current_ctx;
static ULONG level_mask = ALTITUDE_LOG_DEFAULT_MASK;
static __thread char thread_prefix[PREFIX_MAX];
__thread const struct rtl_callback *rtl_callback_current __attribute__((tls_model("initial-exec")));

/* One write per line, so lines of different threads do not interleave. */
static void stderr_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	if (prefix[0])
		fprintf(stderr, "[%s] %s\n", prefix, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

void altitude_log_set_sink(altitude_log_sink sink, void *ctx)
{
	pthread_mutex_lock(&sink_lock);
	current_sink = sink;
	current_ctx = sink ? ctx : NULL;
	pthread_mutex_unlock(&sink_lock);
}

void altitude_log_set_thread_prefix(const char *prefix)
{
	if (!prefix)
		prefix = "";
	snprintf(thread_prefix, sizeof(thread_prefix), "%s", prefix);
}

const char *altitude_log_thread_prefix(void)
{
	return thread_prefix;
}

void altitude_log_set_level(ULONG mask)
{
	__atomic_store_n(&level_mask, mask, __ATOMIC_RELAXED);
}

ULONG altitude_log_level(void)
{
	return __atomic_load_n(&level_mask, __ATOMIC_RELAXED);
}

BOOLEAN rtl_log_enabled(ULONG level)
{
	ULONG bits = level > 31 ? level & ~(ULONG)DPFLTR_MASK : 1u << level;

	return (altitude_log_level() & bits) != 0;
}

static const char *rtl_log_prefix(void)
{
	/* The innermost context names the line: a callback nested in DriverEntry is the callee's. */
	if (rtl_callback_current)
		return rtl_callback_current->filter;
	return thread_prefix;
}

void rtl_log_write(ULONG level, const char *msg)
{
	altitude_log_sink sink;
	void *ctx;
	int number = level > 31 ? __builtin_ctz((level & ~(ULONG)DPFLTR_MASK) | 0x80000000u) : (int)level;

	pthread_mutex_lock(&sink_lock);
	sink = current_sink ? current_sink : stderr_sink;
	ctx = current_ctx;
	pthread_mutex_unlock(&sink_lock);
	sink(number, rtl_log_prefix(), msg, ctx);
}
