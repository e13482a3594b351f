/* The allocator behind every buffer Rtl returns to its caller. */
#include <stdlib.h>

#include "rtl/rtl.h"

void *rtl_allocate(size_t size, ULONG tag)
{
	(void)tag;
	if (size == 0)
		return NULL;
	return malloc(size);
}

void rtl_free(void *p)
{
	free(p);
}
