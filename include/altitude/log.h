/*
 * The host log: where DbgPrint, DbgPrintEx and KdPrint lines go.
 *
 * Each call produces one line (a trailing newline of the message is
 * removed) handed to the sink with its level and the calling thread's
 * prefix.  The default sink writes "[prefix] message" to stderr.
 */
#ifndef ALTITUDE_LOG_H
#define ALTITUDE_LOG_H

#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * level: the DbgPrintEx level (DPFLTR_ERROR_LEVEL 0 ... DPFLTR_INFO_LEVEL 3,
 * or for a mask level the number of its lowest bit); prefix: the name of
 * the filter whose callback (pre/post operation, work item, instance
 * setup and teardown) the thread is
 * running, else the thread's prefix ("" when neither); msg: the formatted
 * line without its newline.
 */
typedef void (*altitude_log_sink)(int level, const char *prefix, const char *msg, void *ctx);

/* Installs a sink; NULL restores the stderr sink. */
void altitude_log_set_sink(altitude_log_sink sink, void *ctx);

/*
 * The calling thread's prefix, e.g. the filter's name (copied, at most 63
 * bytes kept; NULL or "" removes it).
 */
void altitude_log_set_thread_prefix(const char *prefix);
const char *altitude_log_thread_prefix(void);

/*
 * Which DbgPrintEx levels are written: bit n set lets level n through.
 * The default, 0xF, lets ERROR, WARNING, TRACE and INFO (so DbgPrint and
 * KdPrint, which print at INFO) through.
 */
void altitude_log_set_level(ULONG mask);
ULONG altitude_log_level(void);

#define ALTITUDE_LOG_DEFAULT_MASK 0xFu

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_LOG_H */
