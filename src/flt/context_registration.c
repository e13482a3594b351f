/*
 * FLT_CONTEXT_REGISTRATION: validation at FltRegisterFilter and the choice
 * of a definition for FltAllocateContext.
 *
 * Rules (Microsoft Learn, "Registering context types"): each entry names
 * one context type; a fixed size is at most MAXUSHORT, or the size is
 * FLT_VARIABLE_SIZED_CONTEXTS; per type at most three fixed sizes, all
 * different, and one variable-size definition; the only flag is
 * FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH; an allocate callback
 * comes with a free callback and the other way round.  Anything else is
 * STATUS_FLT_INVALID_CONTEXT_REGISTRATION.
 *
 * Choice: a fixed definition of exactly the requested size; else, with
 * NO_EXACT_SIZE_MATCH, the smallest fixed definition at least that large;
 * else the variable-size definition when the size fits in MAXUSHORT.
 */
#include "flt/contexts.h"

#define FLT_CTX_MAX_FIXED 3

static BOOLEAN flt_ctx_type_single(FLT_CONTEXT_TYPE t)
{
	return t != 0 && (t & (t - 1)) == 0 && (t & FLT_ALL_CONTEXTS) == t;
}

static NTSTATUS flt_ctx_entry_check(const FLT_CONTEXT_REGISTRATION *r)
{
	if (!flt_ctx_type_single(r->ContextType))
		return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	if (r->Flags & ~FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH)
		return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	if (r->Size != FLT_VARIABLE_SIZED_CONTEXTS && r->Size > MAXUSHORT)
		return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	if (!r->ContextAllocateCallback != !r->ContextFreeCallback)
		return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	return STATUS_SUCCESS;
}

/* Per-type limits: entry i against the entries before it. */
static NTSTATUS flt_ctx_entry_against(const FLT_CONTEXT_REGISTRATION *regs, ULONG i)
{
	ULONG fixed = 0, variable = 0;

	for (ULONG k = 0; k <= i; k++) {
		if (regs[k].ContextType != regs[i].ContextType)
			continue;
		if (regs[k].Size == FLT_VARIABLE_SIZED_CONTEXTS) {
			variable++;
			continue;
		}
		fixed++;
		if (k < i && regs[i].Size == regs[k].Size)
			return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	}
	if (fixed > FLT_CTX_MAX_FIXED || variable > 1)
		return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
	return STATUS_SUCCESS;
}

NTSTATUS flt_context_registration_check(const FLT_CONTEXT_REGISTRATION *regs)
{
	for (ULONG i = 0; regs && regs[i].ContextType != FLT_CONTEXT_END; i++) {
		NTSTATUS s = flt_ctx_entry_check(&regs[i]);

		if (NT_SUCCESS(s))
			s = flt_ctx_entry_against(regs, i);
		if (!NT_SUCCESS(s))
			return s;
	}
	return STATUS_SUCCESS;
}

const FLT_CONTEXT_REGISTRATION *flt_context_registration_find(PFLT_FILTER filter,
							      FLT_CONTEXT_TYPE type, SIZE_T size)
{
	const FLT_CONTEXT_REGISTRATION *best = NULL, *variable = NULL;

	for (ULONG i = 0; i < filter->context_count; i++) {
		const FLT_CONTEXT_REGISTRATION *r = &filter->contexts[i];

		if (r->ContextType != type)
			continue;
		if (r->Size == FLT_VARIABLE_SIZED_CONTEXTS) {
			variable = r;
			continue;
		}
		if (r->Size == size)
			return r;
		if ((r->Flags & FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH) && r->Size > size &&
		    (!best || r->Size < best->Size))
			best = r;
	}
	if (best)
		return best;
	return size <= MAXUSHORT ? variable : NULL;
}
