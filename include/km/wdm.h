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
#endif
