/*
 * Pool accounting and fault injection for hosts and test harnesses.
 *
 * Every pool allocation is counted under its tag: live allocations and bytes,
 * allocations ever made, and failed attempts.  Tags print as their four
 * characters in memory order, as Windows tools show them: the C constant
 * 'nacS' prints as "Scan" (a byte outside 0x20..0x7E prints as '.').
 */
#ifndef ALTITUDE_POOL_H
#define ALTITUDE_POOL_H

#include <stdio.h>
#include <altitude/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct altitude_pool_tag_info {
	ULONG tag;
	ULONG64 live_allocations;
	ULONG64 live_bytes;
	ULONG64 total_allocations;
	ULONG64 failures;
} altitude_pool_tag_info;

/* Fills *info for `tag`; FALSE when the tag was never used. */
BOOLEAN altitude_pool_query_tag(ULONG tag, altitude_pool_tag_info *info);

/*
 * Copies up to `capacity` tags (in no particular order) into `infos` and
 * returns how many tags were ever used (call with capacity 0 to size).
 */
ULONG altitude_pool_enumerate_tags(altitude_pool_tag_info *infos, ULONG capacity);

/* Live allocations across all tags. */
ULONG64 altitude_pool_live_allocations(void);

/*
 * Writes one line per tag with live allocations ("tag 'Scan' 3 allocations
 * 192 bytes") and returns the number of live allocations reported.
 */
ULONG64 altitude_pool_leak_report(FILE *out);

/*
 * Makes the next `count` allocations with `tag` (0: with any tag) fail as if
 * memory were exhausted.  A new call replaces the previous one; count 0
 * cancels.
 */
void altitude_pool_fail_next(ULONG tag, ULONG count);

/* The tag's four characters and a terminator. */
void altitude_pool_tag_string(ULONG tag, char out[5]);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_POOL_H */
