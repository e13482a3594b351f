/*
 * Critical and guarded regions: per-thread counters.  Owning a KMUTEX is
 * an implicit critical region.  See <nt/apc.h>.
 */
#include "ke/dispatcher.h"

static __thread ULONG ke_critical_depth;
static __thread ULONG ke_guarded_depth;

static void ke_region_mismatch(const char *routine)
{
	ke_bugcheck(APC_INDEX_MISMATCH, 0, 0, (ke_guarded_depth << 16) | ke_critical_depth, 0,
		    routine);
}

VOID NTAPI KeEnterCriticalRegion(VOID)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeEnterCriticalRegion"))
		return;
	ke_critical_depth++;
}

VOID NTAPI KeLeaveCriticalRegion(VOID)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeLeaveCriticalRegion"))
		return;
	if (ke_critical_depth == 0) {
		ke_region_mismatch("KeLeaveCriticalRegion");
		return;
	}
	ke_critical_depth--;
}

VOID NTAPI KeEnterGuardedRegion(VOID)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeEnterGuardedRegion"))
		return;
	ke_guarded_depth++;
}

VOID NTAPI KeLeaveGuardedRegion(VOID)
{
	if (!ke_irql_at_most(APC_LEVEL, "KeLeaveGuardedRegion"))
		return;
	if (ke_guarded_depth == 0) {
		ke_region_mismatch("KeLeaveGuardedRegion");
		return;
	}
	ke_guarded_depth--;
}

BOOLEAN NTAPI KeAreApcsDisabled(VOID)
{
	return ke_critical_depth != 0 || ke_guarded_depth != 0 || ke_mutex_owned_by_current();
}

BOOLEAN NTAPI KeAreAllApcsDisabled(VOID)
{
	return ke_guarded_depth != 0 || KeGetCurrentIrql() >= APC_LEVEL;
}
