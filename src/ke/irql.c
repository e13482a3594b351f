/*
 * Per-thread IRQL.  A thread the runtime did not create starts at
 * PASSIVE_LEVEL the first time it calls in.
 */
#include "ke/ke.h"

static __thread KIRQL ke_current_irql = PASSIVE_LEVEL;

KIRQL NTAPI KeGetCurrentIrql(VOID)
{
	return ke_current_irql;
}

void ke_irql_set(KIRQL irql)
{
	ke_current_irql = irql;
}

KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql)
{
	KIRQL old = ke_current_irql;

	if (NewIrql < old || NewIrql > HIGH_LEVEL) {
		ke_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, old, NewIrql, 0, 0, "KeRaiseIrql");
		return old;
	}
	ke_current_irql = NewIrql;
	return old;
}

VOID NTAPI KeLowerIrql(KIRQL NewIrql)
{
	if (NewIrql > ke_current_irql) {
		ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, ke_current_irql, NewIrql, 0, 0, "KeLowerIrql");
		return;
	}
	ke_current_irql = NewIrql;
}

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID)
{
	return KfRaiseIrql(DISPATCH_LEVEL);
}

KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID)
{
	return KfRaiseIrql(SYNCH_LEVEL);
}

BOOLEAN ke_irql_at_most(KIRQL max, const char *routine)
{
	if (ke_current_irql <= max)
		return TRUE;
	ke_bugcheck(IRQL_NOT_LESS_OR_EQUAL, ke_current_irql, max, 0, 0, routine);
	return FALSE;
}
