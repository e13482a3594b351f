/*
 * Engine allocations come from nonpaged pool under Filter Manager tags, so
 * the harness's per-tag accounting (<altitude/pool.h>) shows what the
 * engine holds and fault injection reaches every allocation.  The memory
 * is zeroed.
 */
#ifndef ALTITUDE_SRC_FLT_ALLOC_H
#define ALTITUDE_SRC_FLT_ALLOC_H

#include <wdm.h>

/* A tag whose four characters read a, b, c, d in memory (as tools print them). */
#define FLT_TAG(a, b, c, d) \
	((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

#define FLT_TAG_FILTER FLT_TAG('F', 'M', 'f', 'l')
#define FLT_TAG_VOLUME FLT_TAG('F', 'M', 'v', 'o')
#define FLT_TAG_INSTANCE FLT_TAG('F', 'M', 'i', 'n')
#define FLT_TAG_SNAPSHOT FLT_TAG('F', 'M', 's', 'n')
#define FLT_TAG_OPERATION FLT_TAG('F', 'M', 'o', 'p')
#define FLT_TAG_STRING FLT_TAG('F', 'M', 's', 't')
#define FLT_TAG_DRIVER FLT_TAG('F', 'M', 'd', 'r')
#define FLT_TAG_WORKITEM FLT_TAG('F', 'M', 'w', 'i')
#define FLT_TAG_TEMP FLT_TAG('F', 'M', 't', 'p')
#define FLT_TAG_HARNESS FLT_TAG('F', 'M', 'h', 's')
#define FLT_TAG_MEMVOL FLT_TAG('F', 'M', 'm', 'v')

static inline void *flt_alloc(SIZE_T size, ULONG tag)
{
	return ExAllocatePool2(POOL_FLAG_NON_PAGED, size ? size : 1, tag);
}

static inline void flt_free(void *p, ULONG tag)
{
	if (p)
		ExFreePoolWithTag(p, tag);
}

#endif /* ALTITUDE_SRC_FLT_ALLOC_H */
