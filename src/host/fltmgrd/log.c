/*
 * The daemon's log: lines with a level, to stderr ("fltmgrd: warning: ...")
 * or, with --journal, to syslog (which the journal collects, with the
 * priority).  DbgPrint/KdPrint output of filters comes through the rtl log
 * sink with the thread's prefix, the filter's name: "[scanner] message".
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <altitude/log.h>

#include "fltmgrd.h"

static const char *const fm_level_names[] = { "error", "warning", "info", "debug" };
static const int fm_priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

bool fm_log_parse_level(const char *text, enum fm_level *level)
{
	for (int i = FM_ERROR; i <= FM_DEBUG; i++) {
		if (strcmp(text, fm_level_names[i]) == 0) {
			*level = (enum fm_level)i;
			return true;
		}
	}
	return false;
}

static void fm_log_line(enum fm_level level, const char *prefix, const char *msg)
{
	if (level > fm_options.level)
		return;
	if (fm_options.journal) {
		syslog(fm_priorities[level], "%s%s%s%s", prefix[0] ? "[" : "", prefix,
		       prefix[0] ? "] " : "", msg);
		return;
	}
	fprintf(stderr, "fltmgrd: %s: %s%s%s%s\n", fm_level_names[level], prefix[0] ? "[" : "",
		prefix, prefix[0] ? "] " : "", msg);
}

void fm_log(enum fm_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fm_log_line(level, "", line);
}

/* DbgPrintEx levels: ERROR 0, WARNING 1, TRACE 2, INFO 3 (DbgPrint). */
static void fm_dbgprint_sink(int level, const char *prefix, const char *msg, void *ctx)
{
	static const enum fm_level map[] = { FM_ERROR, FM_WARNING, FM_DEBUG, FM_INFO };

	(void)ctx;
	fm_log_line(level >= 0 && level < 4 ? map[level] : FM_DEBUG, prefix, msg);
}

void fm_log_init(void)
{
	if (fm_options.journal)
		openlog("fltmgrd", LOG_PID, LOG_DAEMON);
	altitude_log_set_sink(fm_dbgprint_sink, NULL);
}
