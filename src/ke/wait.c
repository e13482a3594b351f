/*
 * KeWaitForSingleObject, KeWaitForMultipleObjects, KeDelayExecutionThread
 * and ke_wait_objects (the cancellable/terminable wait under
 * FltCancellableWaitFor*).
 *
 * Order of the checks when a wait starts: a terminating thread in a
 * terminable wait and a signalled abort event end the wait first, without
 * consuming any object (a cancelled operation must not eat a signal); then
 * the objects are tested; then a zero or already-passed timeout returns
 * STATUS_TIMEOUT; otherwise the thread blocks.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "ke/dispatcher.h"

static ULONG ke_waiters;
static ULONG ke_waiters_watchers;
static pthread_cond_t ke_waiters_cond;
static pthread_once_t ke_waiters_once = PTHREAD_ONCE_INIT;

static void ke_waiters_init(void)
{
	ke_cond_init_monotonic(&ke_waiters_cond);
}

void ke_waiters_add(LONG delta)
{
	ke_waiters += delta;
	if (delta > 0 && ke_waiters_watchers > 0)
		pthread_cond_broadcast(&ke_waiters_cond);
}

ULONG altitude_clock_waiters(void)
{
	ULONG n;

	ke_lock();
	n = ke_waiters;
	ke_unlock();
	return n;
}

BOOLEAN altitude_clock_wait_for_waiters_timeout(ULONG count, ULONG real_timeout_ms)
{
	struct timespec deadline;
	BOOLEAN reached;

	pthread_once(&ke_waiters_once, ke_waiters_init);
	ke_monotonic_deadline(&deadline, (LONGLONG)real_timeout_ms * 10000LL);
	ke_lock();
	ke_waiters_watchers++;
	while (ke_waiters < count) {
		if (pthread_cond_timedwait(&ke_waiters_cond, ke_dispatcher_mutex(), &deadline) != 0)
			break;
	}
	reached = (BOOLEAN)(ke_waiters >= count);
	ke_waiters_watchers--;
	ke_unlock();
	return reached;
}

static BOOLEAN ke_wait_valid_object(PVOID object)
{
	PDISPATCHER_HEADER header = object;

	if (object == NULL)
		return FALSE;
	switch (header->Type) {
	case EventNotificationObject:
	case EventSynchronizationObject:
	case MutantObject:
	case ProcessObject:
	case SemaphoreObject:
	case ThreadObject:
	case TimerNotificationObject:
	case TimerSynchronizationObject:
		return TRUE;
	default:
		return FALSE;
	}
}

/* A mutex the thread owns MINLONG times over cannot be taken once more. */
static BOOLEAN ke_wait_mutant_at_limit(PDISPATCHER_HEADER header, struct _KTHREAD *thread)
{
	PKMUTANT mutant;

	if (header->Type != MutantObject)
		return FALSE;
	mutant = CONTAINING_RECORD(header, KMUTANT, Header);
	return (BOOLEAN)(mutant->OwnerThread == thread && header->SignalState == MINLONG);
}

static NTSTATUS ke_wait_try_any(struct _KTHREAD *thread, ULONG count, PVOID objects[])
{
	for (ULONG i = 0; i < count; i++) {
		if (ke_wait_mutant_at_limit(objects[i], thread))
			return STATUS_MUTANT_LIMIT_EXCEEDED;
		if (!ke_object_signalled_for(objects[i], thread))
			continue;
		if (ke_object_acquire(objects[i], thread))
			return STATUS_ABANDONED_WAIT_0 + (NTSTATUS)i;
		return STATUS_WAIT_0 + (NTSTATUS)i;
	}
	return STATUS_PENDING;
}

static NTSTATUS ke_wait_try_all(struct _KTHREAD *thread, ULONG count, PVOID objects[])
{
	BOOLEAN abandoned = FALSE;

	for (ULONG i = 0; i < count; i++) {
		if (ke_wait_mutant_at_limit(objects[i], thread))
			return STATUS_MUTANT_LIMIT_EXCEEDED;
	}
	for (ULONG i = 0; i < count; i++) {
		if (!ke_object_signalled_for(objects[i], thread))
			return STATUS_PENDING;
	}
	for (ULONG i = 0; i < count; i++)
		abandoned |= ke_object_acquire(objects[i], thread);
	return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
}

/* Under the lock: the wait's result if it ends now, else STATUS_PENDING. */
static NTSTATUS ke_wait_try(struct _KTHREAD *thread, ULONG count, PVOID objects[], WAIT_TYPE type,
			    PRKEVENT abort_event, BOOLEAN terminable)
{
	if (terminable && __atomic_load_n(&thread->terminating, __ATOMIC_ACQUIRE))
		return STATUS_THREAD_IS_TERMINATING;
	if (abort_event != NULL && abort_event->Header.SignalState > 0)
		return STATUS_CANCELLED;
	if (type == WaitAny)
		return ke_wait_try_any(thread, count, objects);
	return ke_wait_try_all(thread, count, objects);
}

/* Under the lock: queues `block` on `object` for `thread`'s wait. */
static void ke_wait_block_link(PKWAIT_BLOCK block, struct _KTHREAD *thread, PVOID object,
			       WAIT_TYPE type, USHORT key)
{
	PDISPATCHER_HEADER header = object;

	block->WaitType = (UCHAR)type;
	block->BlockState = 1;
	block->WaitKey = key;
	block->Thread = thread;
	block->Object = object;
	InsertTailList(&header->WaitListHead, &block->WaitListEntry);
}

/* Under the lock: arms the thread's timer; FALSE when the deadline has passed. */
static BOOLEAN ke_wait_arm_timer(struct _KTHREAD *thread, LONGLONG timeout)
{
	PKTIMER timer = &thread->wait_timer;
	BOOLEAN absolute = (BOOLEAN)(timeout > 0);
	LONGLONG due;

	if (absolute) {
		due = timeout;
		if (due <= ke_clock_system())
			return FALSE;
	} else {
		due = ke_time_relative_due(timeout);
	}
	timer->Header.SignalState = 0;
	ke_wait_block_link(&thread->timer_block, thread, timer, WaitAny, KE_WAIT_KEY_TIMEOUT);
	thread->timer_armed = TRUE;
	ke_timerq_insert(timer, due, absolute);
	return TRUE;
}

static void ke_wait_link(struct _KTHREAD *thread, ULONG count, PVOID objects[], WAIT_TYPE type,
			 PKWAIT_BLOCK blocks, PRKEVENT abort_event, BOOLEAN terminable)
{
	for (ULONG i = 0; i < count; i++)
		ke_wait_block_link(&blocks[i], thread, objects[i], type, (USHORT)i);
	thread->wait_blocks = blocks;
	thread->wait_count = count;
	if (abort_event != NULL) {
		ke_wait_block_link(&thread->abort_block, thread, abort_event, WaitAny,
				   KE_WAIT_KEY_CANCEL);
		thread->abort_event = abort_event;
	}
	thread->terminable = terminable;
	thread->waiting = TRUE;
	__atomic_store_n(&thread->wake, 0, __ATOMIC_RELAXED);
	ke_waiters_add(1);
}

/*
 * A wait-all cannot name one object twice: it would take the object twice
 * (a semaphore with one unit would satisfy a wait for two).  Windows rejects
 * this with STATUS_INVALID_PARAMETER_MIX (NtWaitForMultipleObjects, the
 * ERROR_INVALID_PARAMETER of WaitForMultipleObjects); so does the runtime.
 */
static BOOLEAN ke_wait_has_duplicates(ULONG count, PVOID objects[])
{
	for (ULONG i = 1; i < count; i++) {
		for (ULONG j = 0; j < i; j++) {
			if (objects[i] == objects[j])
				return TRUE;
		}
	}
	return FALSE;
}

static NTSTATUS ke_wait_check_args(ULONG count, PVOID objects[], WAIT_TYPE type,
				   PLARGE_INTEGER timeout, PKWAIT_BLOCK blocks,
				   const char *routine)
{
	KIRQL max = (timeout != NULL && timeout->QuadPart == 0) ? DISPATCH_LEVEL : APC_LEVEL;

	if (count > MAXIMUM_WAIT_OBJECTS || (count > THREAD_WAIT_OBJECTS && blocks == NULL)) {
		ke_bugcheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED, count, (ULONG_PTR)blocks, 0, 0, routine);
		return STATUS_INVALID_PARAMETER;
	}
	if (!ke_irql_at_most(max, routine))
		return STATUS_UNSUCCESSFUL;
	if (type != WaitAny && type != WaitAll)
		return STATUS_INVALID_PARAMETER;
	for (ULONG i = 0; i < count; i++) {
		if (!ke_wait_valid_object(objects[i]))
			return STATUS_INVALID_PARAMETER;
	}
	if (type == WaitAll && ke_wait_has_duplicates(count, objects))
		return STATUS_INVALID_PARAMETER_MIX;
	return STATUS_SUCCESS;
}

/* An optional shared futex word that also ends a wait (ke_wait_objects_word). */
struct ke_wait_word {
	volatile LONG *word;
	LONG expected;
};

static NTSTATUS ke_wait(ULONG count, PVOID objects[], WAIT_TYPE type, PLARGE_INTEGER timeout,
			PKWAIT_BLOCK blocks, PRKEVENT abort_event, BOOLEAN terminable,
			const char *routine, const struct ke_wait_word *ext)
{
	struct _KTHREAD *thread;
	NTSTATUS status;

	status = ke_wait_check_args(count, objects, type, timeout, blocks, routine);
	if (!NT_SUCCESS(status))
		return status;
	thread = ke_thread_current();
	if (blocks == NULL)
		blocks = thread->builtin_blocks;

	ke_lock();
	status = ke_wait_try(thread, count, objects, type, abort_event, terminable);
	if (status != STATUS_PENDING)
		goto out;
	status = STATUS_ALERTED;
	if (ext != NULL && __atomic_load_n(ext->word, __ATOMIC_ACQUIRE) != ext->expected)
		goto out;
	status = STATUS_TIMEOUT;
	if (timeout != NULL && (timeout->QuadPart == 0 || !ke_wait_arm_timer(thread, timeout->QuadPart)))
		goto out;
	ke_wait_link(thread, count, objects, type, blocks, abort_event, terminable);
	ke_unlock();
	thread->ext_word = ext ? ext->word : NULL;
	thread->ext_expected = ext ? ext->expected : 0;
	ke_thread_block(thread);
	thread->ext_word = NULL;
	return thread->wait_status;
out:
	ke_unlock();
	if (status == STATUS_MUTANT_LIMIT_EXCEEDED)
		ke_bugcheck((ULONG)STATUS_MUTANT_LIMIT_EXCEEDED, (ULONG_PTR)thread, 0, 0, 0, routine);
	return status;
}

NTSTATUS ke_wait_objects(ULONG count, PVOID objects[], WAIT_TYPE type, PLARGE_INTEGER timeout,
			 PKWAIT_BLOCK blocks, PRKEVENT abort_event, BOOLEAN terminable)
{
	return ke_wait(count, objects, type, timeout, blocks, abort_event, terminable,
		       "KeWaitForMultipleObjects", NULL);
}

BOOLEAN ke_wait_word_supported(void)
{
	return ke_futex_waitv_supported();
}

NTSTATUS ke_wait_objects_word(ULONG count, PVOID objects[], PLARGE_INTEGER timeout,
			      BOOLEAN terminable, volatile LONG *word, LONG expected)
{
	struct ke_wait_word ext = { word, expected };

	if (!ke_futex_waitv_supported())
		return STATUS_NOT_SUPPORTED;
	return ke_wait(count, objects, WaitAny, timeout, NULL, NULL, terminable,
		       "KeWaitForMultipleObjects", &ext);
}

NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
				     BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	return ke_wait(1, &Object, WaitAny, Timeout, NULL, NULL, FALSE, "KeWaitForSingleObject", NULL);
}

NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
					KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
					BOOLEAN Alertable, PLARGE_INTEGER Timeout,
					PKWAIT_BLOCK WaitBlockArray)
{
	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	if (Count == 0 || Object == NULL)
		return STATUS_INVALID_PARAMETER;
	return ke_wait(Count, Object, WaitType, Timeout, WaitBlockArray, NULL, FALSE,
		       "KeWaitForMultipleObjects", NULL);
}

NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
				      PLARGE_INTEGER Interval)
{
	NTSTATUS status;

	(void)WaitMode;
	(void)Alertable;
	if (!ke_irql_at_most(APC_LEVEL, "KeDelayExecutionThread"))
		return STATUS_UNSUCCESSFUL;
	if (Interval == NULL)
		return STATUS_INVALID_PARAMETER;
	if (Interval->QuadPart == 0) {
		sched_yield();
		return STATUS_SUCCESS;
	}
	status = ke_wait(0, NULL, WaitAny, Interval, NULL, NULL, FALSE, "KeDelayExecutionThread", NULL);
	return status == STATUS_TIMEOUT ? STATUS_SUCCESS : status;
}

BOOLEAN altitude_clock_wait_for_waiters(ULONG count)
{
	return altitude_clock_wait_for_waiters_timeout(count, 30000);
}
