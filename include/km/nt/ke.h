/*
 * Dispatcher objects (events, mutexes, semaphores, timers), waits, DPCs and
 * the time routines, with the WDK's x64 structure layouts: a minifilter
 * embeds these objects in its own structures and initialises them with the
 * Ke*Initialize* routines; all of an object's state lives inside its bytes.
 *
 * Behaviour (SEMANTICS.md sections 1, 2 and 7):
 * - Timeouts: NULL waits indefinitely, 0 polls (allowed at DISPATCH_LEVEL),
 *   < 0 is relative on the monotonic interrupt-time clock, > 0 an absolute
 *   system time that follows changes of the system time.
 * - Misuse reports a bugcheck (see <altitude/bugcheck.h>).  Under a harness
 *   hook the routine then returns with the object unchanged: waits refused
 *   for IRQL return STATUS_UNSUCCESSFUL, for too many objects
 *   STATUS_INVALID_PARAMETER, and a recursive mutex acquisition past MINLONG
 *   returns STATUS_MUTANT_LIMIT_EXCEEDED (the bugcheck code is that status).
 * - Wait-all on objects of which a mutex was abandoned returns
 *   STATUS_ABANDONED_WAIT_0.  A wait-all that names one object twice
 *   returns STATUS_INVALID_PARAMETER_MIX (as NtWaitForMultipleObjects does)
 *   and consumes nothing.
 * - Alertable waits and UserMode waits behave as non-alertable kernel waits:
 *   the runtime has no APCs, so STATUS_USER_APC and STATUS_ALERTED never occur.
 */
#ifndef ALTITUDE_NT_KE_H
#define ALTITUDE_NT_KE_H

#include <ntdef.h>
#include <nt/irql.h>

typedef char CCHAR, *PCCHAR;
typedef CCHAR KPROCESSOR_MODE;

#ifndef ALTITUDE_MODE_DEFINED
#define ALTITUDE_MODE_DEFINED
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;
#endif

typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KPROCESS *PKPROCESS, *PRKPROCESS;
typedef struct _EPROCESS *PEPROCESS;

typedef LONG KPRIORITY;
#define LOW_PRIORITY 0
#define LOW_REALTIME_PRIORITY 16
#define HIGH_PRIORITY 31
#define MAXIMUM_PRIORITY 32
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define SEMAPHORE_INCREMENT 1
#define MUTANT_INCREMENT 1

/* Dispatcher object types (DISPATCHER_HEADER.Type). */
typedef enum _KOBJECTS {
	EventNotificationObject = 0,
	EventSynchronizationObject = 1,
	MutantObject = 2,
	ProcessObject = 3,
	QueueObject = 4,
	SemaphoreObject = 5,
	ThreadObject = 6,
	GateObject = 7,
	TimerNotificationObject = 8,
	TimerSynchronizationObject = 9,
	DpcObject = 19,
	ThreadedDpcObject = 24,
} KOBJECTS;

typedef struct _DISPATCHER_HEADER {
	union {
		struct {
			UCHAR Type;
			union {
				UCHAR TimerControlFlags; /* timers: bit 0 = absolute due time */
				UCHAR Abandoned;
				UCHAR Signalling;
			};
			union {
				UCHAR ThreadControlFlags;
				UCHAR Hand;
				UCHAR Size; /* in LONG units */
			};
			union {
				UCHAR TimerMiscFlags; /* timers: bit 0 = in the timer queue */
				UCHAR DebugActive;
				UCHAR DpcActive;
			};
		};
		volatile LONG Lock;
		LONG LockNV;
	};
	LONG SignalState;
	LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll, WaitAny, WaitNotification, WaitDequeue, WaitDpc } WAIT_TYPE;

typedef enum _KWAIT_REASON {
	Executive,
	FreePage,
	PageIn,
	PoolAllocation,
	DelayExecution,
	Suspended,
	UserRequest,
	WrExecutive,
	WrFreePage,
	WrPageIn,
	WrPoolAllocation,
	WrDelayExecution,
	WrSuspended,
	WrUserRequest,
	WrEventPair,
	WrQueue,
	WrLpcReceive,
	WrLpcReply,
	WrVirtualMemory,
	WrPageOut,
	WrRendezvous,
	WrKeyedEvent,
	WrTerminated,
	WrProcessInSwap,
	WrCpuRateControl,
	WrCalloutStack,
	WrKernel,
	WrResource,
	WrPushLock,
	WrMutex,
	WrQuantumEnd,
	WrDispatchInt,
	WrPreempted,
	WrYieldExecution,
	WrFastMutex,
	WrGuardedMutex,
	WrRundown,
	WrAlertByThreadId,
	WrDeferredPreempt,
} KWAIT_REASON;

typedef struct _KEVENT {
	DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KMUTANT {
	DISPATCHER_HEADER Header;
	LIST_ENTRY MutantListEntry;
	struct _KTHREAD *OwnerThread;
	BOOLEAN Abandoned;
	UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

typedef struct _KSEMAPHORE {
	DISPATCHER_HEADER Header;
	LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

struct _KDPC;
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1,
			       PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef enum _KDPC_IMPORTANCE {
	LowImportance,
	MediumImportance,
	HighImportance,
	MediumHighImportance,
} KDPC_IMPORTANCE;

typedef struct _KDPC {
	union {
		ULONG TargetInfoAsUlong;
		struct {
			UCHAR Type;
			UCHAR Importance;
			volatile USHORT Number;
		};
	};
	SINGLE_LIST_ENTRY DpcListEntry;
	KAFFINITY ProcessorHistory;
	PKDEFERRED_ROUTINE DeferredRoutine;
	PVOID DeferredContext;
	PVOID SystemArgument1;
	PVOID SystemArgument2;
	volatile PVOID DpcData; /* non-NULL while the DPC is queued */
} KDPC, *PKDPC, *PRKDPC;

typedef struct _KTIMER {
	DISPATCHER_HEADER Header;
	ULARGE_INTEGER DueTime; /* interrupt time, or system time when absolute */
	LIST_ENTRY TimerListEntry;
	struct _KDPC *Dpc;
	ULONG Processor;
	ULONG Period; /* milliseconds */
} KTIMER, *PKTIMER, *PRKTIMER;

typedef struct _KWAIT_BLOCK {
	LIST_ENTRY WaitListEntry;
	UCHAR WaitType;
	volatile UCHAR BlockState;
	USHORT WaitKey;
	LONG SpareLong;
	struct _KTHREAD *Thread;
	PVOID Object;
	PVOID SparePtr;
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;

#define THREAD_WAIT_OBJECTS 3
#define MAXIMUM_WAIT_OBJECTS 64

_Static_assert(sizeof(DISPATCHER_HEADER) == 24, "DISPATCHER_HEADER is 24 bytes");
_Static_assert(offsetof(DISPATCHER_HEADER, SignalState) == 4, "SignalState offset");
_Static_assert(offsetof(DISPATCHER_HEADER, WaitListHead) == 8, "WaitListHead offset");
_Static_assert(sizeof(KEVENT) == 24, "KEVENT is 24 bytes");
_Static_assert(sizeof(KMUTANT) == 56, "KMUTANT is 56 bytes");
_Static_assert(offsetof(KMUTANT, OwnerThread) == 40, "KMUTANT.OwnerThread offset");
_Static_assert(sizeof(KSEMAPHORE) == 32, "KSEMAPHORE is 32 bytes");
_Static_assert(sizeof(KTIMER) == 64, "KTIMER is 64 bytes");
_Static_assert(offsetof(KTIMER, Dpc) == 48, "KTIMER.Dpc offset");
_Static_assert(sizeof(KDPC) == 64, "KDPC is 64 bytes");
_Static_assert(offsetof(KDPC, DeferredRoutine) == 24, "KDPC.DeferredRoutine offset");
_Static_assert(sizeof(KWAIT_BLOCK) == 48, "KWAIT_BLOCK is 48 bytes");
_Static_assert(offsetof(KWAIT_BLOCK, Object) == 32, "KWAIT_BLOCK.Object offset");

/* Events */
NTKERNELAPI VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
NTKERNELAPI LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeResetEvent(PRKEVENT Event);
NTKERNELAPI VOID NTAPI KeClearEvent(PRKEVENT Event);
NTKERNELAPI LONG NTAPI KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateEvent(PRKEVENT Event);

/* Mutexes: the level is accepted and ignored. */
NTKERNELAPI VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
NTKERNELAPI LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex);

/* Semaphores */
NTKERNELAPI VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
NTKERNELAPI LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment,
					  LONG Adjustment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

/* Waits */
NTKERNELAPI NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
						 KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
						 PLARGE_INTEGER Timeout);
NTKERNELAPI NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
						    KWAIT_REASON WaitReason,
						    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
						    PLARGE_INTEGER Timeout,
						    PKWAIT_BLOCK WaitBlockArray);
#define KeWaitForMutexObject KeWaitForSingleObject
/* Returns STATUS_SUCCESS once the interval has passed (0 only yields). */
NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
						  PLARGE_INTEGER Interval);

/* Timers: the DPC of an expired timer runs on the DPC thread. */
NTKERNELAPI VOID NTAPI KeInitializeTimer(PKTIMER Timer);
NTKERNELAPI VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
NTKERNELAPI BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
/* A negative Period is refused: the timer is left as it was and FALSE returned. */
NTKERNELAPI BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc);
/* The tolerable delay is treated as zero. */
NTKERNELAPI BOOLEAN NTAPI KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
						ULONG TolerableDelay, PKDPC Dpc);
NTKERNELAPI BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer);
NTKERNELAPI BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer);

/* DPCs: one DPC thread runs them in order at DISPATCH_LEVEL. */
NTKERNELAPI VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
				       PVOID DeferredContext);
NTKERNELAPI VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
					       PVOID DeferredContext);
NTKERNELAPI BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);
NTKERNELAPI BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc);
NTKERNELAPI VOID NTAPI KeFlushQueuedDpcs(VOID);

/*
 * Time, in 100-ns units: system time since 1601-01-01 UTC, interrupt time
 * monotonic.  Every read goes through the runtime clock (<altitude/clock.h>).
 */
NTKERNELAPI VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTimePrecise(PULONGLONG QpcTimeStamp);
NTKERNELAPI ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID);
NTKERNELAPI VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount);
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
/* Frequency 10 MHz: the counter is the interrupt time. */
NTKERNELAPI LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
/* Local time uses the process's time zone (TZ), as localtime_r does. */
NTKERNELAPI VOID NTAPI ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime);
NTKERNELAPI VOID NTAPI ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime);

#endif /* ALTITUDE_NT_KE_H */
