/*
 * Context accounting for hosts and test harnesses: contexts alive, and
 * the contexts a filter still referenced when it unregistered (leaks).
 */
#ifndef ALTITUDE_FLT_CONTEXTS_H
#define ALTITUDE_FLT_CONTEXTS_H

#include <fltKernel.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct altitude_context_leak {
	WCHAR filter[64];     /* the filter's service name, truncated */
	FLT_CONTEXT_TYPE type;
	ULONG pool_tag;
	LONG references;      /* references left when the filter unregistered */
} altitude_context_leak;

/* Contexts allocated and not yet freed, all filters. */
ULONG altitude_flt_live_contexts(void);
/*
 * Copies up to `capacity` leak records (oldest first) and returns how many
 * leaks were reported since start or the last reset.
 */
ULONG altitude_flt_context_leaks(altitude_context_leak *leaks, ULONG capacity);
void altitude_flt_context_leaks_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_FLT_CONTEXTS_H */
