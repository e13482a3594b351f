/*
 * wdm.h: the kernel routines a driver calls.  Each concept lives in its own
 * header under nt/; this file gathers them in the WDK's order.
 */
#ifndef _WDMDDK_
#define _WDMDDK_
#include <ntdef.h>
#include <nt/lists.h>
#include <nt/interlocked.h>
#include <nt/rtl.h>
#include <nt/irql.h>
#include <nt/bugcheck.h>
#include <nt/dbg.h>
#include <nt/spinlock.h>
#include <nt/apc.h>
#include <nt/ex.h>
#include <nt/timefields.h>
#include <nt/mm.h>
#include <nt/ke.h>
#include <nt/ob.h>
#include <nt/ps.h>
#include <nt/work.h>
#include <nt/registry.h>

/*
 * PAGED_CODE() marks a routine that may run only at IRQL <= APC_LEVEL (its
 * code is pageable on Windows).  Altitude checks it in every build: above
 * APC_LEVEL it bugchecks IRQL_NOT_LESS_OR_EQUAL, as a checked build would.
 */
#define PAGED_CODE()                                                                      \
	do {                                                                              \
		if (KeGetCurrentIrql() > APC_LEVEL)                                       \
			KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, KeGetCurrentIrql(), APC_LEVEL, 0, 0); \
	} while (0)
#define PAGED_CODE_LOCKED() ((void)0)
#endif
