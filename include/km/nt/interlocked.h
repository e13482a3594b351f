/*
 * The Interlocked family.  Each is a full barrier, as on Windows; they are
 * inline so that a minifilter's hot paths cost what they cost on Windows.
 */
#ifndef ALTITUDE_NT_INTERLOCKED_H
#define ALTITUDE_NT_INTERLOCKED_H

#include <ntdef.h>

#define ALTITUDE_INTERLOCKED_FAMILY(suffix, type)                                        \
	FORCEINLINE type InterlockedIncrement##suffix(type volatile *Addend)               \
	{                                                                                   \
		return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);                     \
	}                                                                                   \
	FORCEINLINE type InterlockedDecrement##suffix(type volatile *Addend)               \
	{                                                                                   \
		return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);                     \
	}                                                                                   \
	FORCEINLINE type InterlockedExchange##suffix(type volatile *Target, type Value)    \
	{                                                                                   \
		return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);                \
	}                                                                                   \
	FORCEINLINE type InterlockedExchangeAdd##suffix(type volatile *Addend, type Value) \
	{                                                                                   \
		return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);                 \
	}                                                                                   \
	FORCEINLINE type InterlockedAdd##suffix(type volatile *Addend, type Value)         \
	{                                                                                   \
		return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);                 \
	}                                                                                   \
	FORCEINLINE type InterlockedCompareExchange##suffix(type volatile *Destination,    \
							    type Exchange, type Comperand) \
	{                                                                                   \
		__atomic_compare_exchange_n(Destination, &Comperand, Exchange, 0,           \
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
		return Comperand;                                                           \
	}                                                                                   \
	FORCEINLINE type InterlockedOr##suffix(type volatile *Destination, type Value)     \
	{                                                                                   \
		return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);            \
	}                                                                                   \
	FORCEINLINE type InterlockedAnd##suffix(type volatile *Destination, type Value)    \
	{                                                                                   \
		return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);            \
	}                                                                                   \
	FORCEINLINE type InterlockedXor##suffix(type volatile *Destination, type Value)    \
	{                                                                                   \
		return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);            \
	}

ALTITUDE_INTERLOCKED_FAMILY(, LONG)
ALTITUDE_INTERLOCKED_FAMILY(64, LONG64)
#undef ALTITUDE_INTERLOCKED_FAMILY

FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
	return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination,
						    PVOID Exchange, PVOID Comperand)
{
	__atomic_compare_exchange_n(Destination, &Comperand, Exchange, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return Comperand;
}

FORCEINLINE SIZE_T InterlockedExchangeAddSizeT(SIZE_T volatile *Addend, SIZE_T Value)
{
	return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementNoFence InterlockedDecrement

FORCEINLINE VOID KeMemoryBarrier(VOID)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
#define MemoryBarrier KeMemoryBarrier
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#else
#define YieldProcessor() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

#endif /* ALTITUDE_NT_INTERLOCKED_H */
