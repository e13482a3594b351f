/*
 * What unloading a filter and stopping the host left behind: the pool tags
 * whose live allocations an unload released, the contexts a filter still
 * referenced when it unregistered, and at shutdown every live allocation.
 * The figures come from the runtime's per-tag pool accounting
 * (<altitude/pool.h>) and context accounting (<altitude/flt_contexts.h>).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <altitude/flt_contexts.h>
#include <altitude/pool.h>

#include "fltmgrd.h"

/* Tags with live allocations now; NULL when memory is short (no report). */
struct fm_pool_snapshot *fm_report_snapshot(void)
{
	struct fm_pool_snapshot *s;
	ULONG n = altitude_pool_enumerate_tags(NULL, 0);

	s = calloc(1, sizeof(*s) + (n + 16) * sizeof(s->tags[0]));
	if (!s)
		return NULL;
	s->capacity = n + 16;
	s->count = altitude_pool_enumerate_tags(s->tags, s->capacity);
	if (s->count > s->capacity)
		s->count = s->capacity;
	s->context_leaks = altitude_flt_context_leaks(NULL, 0);
	return s;
}

static ULONG64 fm_report_live(ULONG tag)
{
	altitude_pool_tag_info info;

	return altitude_pool_query_tag(tag, &info) ? info.live_allocations : 0;
}

void fm_report_unload(const char *filter, struct fm_pool_snapshot *before)
{
	char line[512], tag[5];
	size_t used = 0;
	ULONG leaks;

	if (!before)
		return;
	leaks = altitude_flt_context_leaks(NULL, 0) - before->context_leaks;
	for (ULONG i = 0; i < before->count && used < sizeof(line) - 64; i++) {
		ULONG64 was = before->tags[i].live_allocations, now;

		if (was == 0)
			continue;
		now = fm_report_live(before->tags[i].tag);
		if (now >= was)
			continue;
		altitude_pool_tag_string(before->tags[i].tag, tag);
		used += (size_t)snprintf(line + used, sizeof(line) - used, " '%s' %llu->%llu", tag,
					 (unsigned long long)was, (unsigned long long)now);
	}
	fm_log(leaks ? FM_WARNING : FM_INFO,
	       "filter %s: drained and unloaded; contexts still referenced: %lu; pool released:%s",
	       filter, (unsigned long)leaks, used ? line : " nothing");
	free(before);
}

void fm_report_shutdown(void)
{
	altitude_pool_tag_info *tags;
	ULONG64 live = altitude_pool_live_allocations();
	ULONG n, contexts = altitude_flt_live_contexts();
	char tag[5];

	fm_log(live || contexts ? FM_WARNING : FM_INFO,
	       "shutdown: %llu pool allocation(s) and %lu context(s) still live",
	       (unsigned long long)live, (unsigned long)contexts);
	if (!live)
		return;
	n = altitude_pool_enumerate_tags(NULL, 0);
	tags = calloc(n ? n : 1, sizeof(*tags));
	if (!tags)
		return;
	for (ULONG i = 0, got = altitude_pool_enumerate_tags(tags, n); i < got && i < n; i++) {
		if (tags[i].live_allocations == 0)
			continue;
		altitude_pool_tag_string(tags[i].tag, tag);
		fm_log(FM_WARNING, "shutdown: tag '%s' %llu allocation(s) %llu bytes", tag,
		       (unsigned long long)tags[i].live_allocations,
		       (unsigned long long)tags[i].live_bytes);
	}
	free(tags);
}
