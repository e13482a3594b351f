/*
 * The dispatcher lock, object signal states and wait satisfaction.
 *
 * An object is signalled for a thread when its SignalState is positive, or,
 * for a mutex, when the thread already owns it (recursion).  When an object
 * becomes signalled, ke_object_wake walks its wait list in FIFO order: a
 * wait-any block takes the object at once; a wait-all block is satisfied
 * only when every object of that wait is signalled for its thread, and then
 * takes all of them.  The walk restarts after each satisfied wait because
 * satisfying a wait unlinks all of that thread's blocks.
 */
#include <pthread.h>
#include <time.h>

#include "ke/dispatcher.h"

static pthread_mutex_t ke_dispatcher_lock = PTHREAD_MUTEX_INITIALIZER;
/* Threads whose wait ended under the lock, woken by ke_unlock. */
static struct _KTHREAD *ke_ready_list;

void ke_lock(void)
{
	pthread_mutex_lock(&ke_dispatcher_lock);
}

/*
 * Waiters are woken only after the lock is released and the waker has
 * stopped touching the objects: a waiter may free the event it waited on
 * (an event on its stack) as soon as it runs, as on Windows.
 */
void ke_unlock(void)
{
	struct _KTHREAD *thread = ke_ready_list;

	ke_ready_list = NULL;
	pthread_mutex_unlock(&ke_dispatcher_lock);
	while (thread != NULL) {
		struct _KTHREAD *next = thread->ready_next;

		/* A thread that ended its own wait (its shared word changed) is
		 * running here: it reads its wake word without sleeping again. */
		BOOLEAN self = thread == ke_thread_self;

		/* After this store the thread may run and its record go away;
		 * FUTEX_WAKE on a stale address wakes nobody. */
		__atomic_store_n(&thread->wake, 1, __ATOMIC_RELEASE);
		if (!self)
			ke_futex_wake(&thread->wake, 1);
		thread = next;
	}
}

BOOLEAN ke_ready_pending(void)
{
	return (BOOLEAN)(ke_ready_list != NULL);
}

pthread_mutex_t *ke_dispatcher_mutex(void)
{
	return &ke_dispatcher_lock;
}

void ke_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

void ke_monotonic_deadline(struct timespec *deadline, LONGLONG interval)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += interval / 10000000LL;
	deadline->tv_nsec += (long)(interval % 10000000LL) * 100;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

LONG ke_read_signal_state(PDISPATCHER_HEADER header)
{
	LONG state;

	ke_lock();
	state = header->SignalState;
	ke_unlock();
	return state;
}

void ke_dispatcher_init_header(PDISPATCHER_HEADER header, UCHAR type, UCHAR size, LONG state)
{
	header->Lock = 0;
	header->Type = type;
	header->Size = size;
	header->SignalState = state;
	InitializeListHead(&header->WaitListHead);
}

BOOLEAN ke_object_signalled_for(PDISPATCHER_HEADER header, struct _KTHREAD *thread)
{
	if (header->Type == MutantObject) {
		PKMUTANT mutant = CONTAINING_RECORD(header, KMUTANT, Header);

		if (header->SignalState > 0)
			return TRUE;
		return (BOOLEAN)(mutant->OwnerThread == thread && header->SignalState != MINLONG);
	}
	return (BOOLEAN)(header->SignalState > 0);
}

static BOOLEAN ke_mutant_acquire(PKMUTANT mutant, struct _KTHREAD *thread)
{
	BOOLEAN abandoned = FALSE;

	mutant->Header.SignalState--;
	if (mutant->Header.SignalState == 0) {
		mutant->OwnerThread = thread;
		InsertTailList(&thread->owned_mutants, &mutant->MutantListEntry);
		abandoned = mutant->Abandoned;
		mutant->Abandoned = FALSE;
	}
	return abandoned;
}

BOOLEAN ke_object_acquire(PDISPATCHER_HEADER header, struct _KTHREAD *thread)
{
	switch (header->Type) {
	case EventSynchronizationObject:
	case TimerSynchronizationObject:
		header->SignalState = 0;
		return FALSE;
	case SemaphoreObject:
		header->SignalState--;
		return FALSE;
	case MutantObject:
		return ke_mutant_acquire(CONTAINING_RECORD(header, KMUTANT, Header), thread);
	default:
		return FALSE; /* notification objects stay signalled */
	}
}

static BOOLEAN ke_wait_all_ready(struct _KTHREAD *thread)
{
	for (ULONG i = 0; i < thread->wait_count; i++) {
		if (!ke_object_signalled_for(thread->wait_blocks[i].Object, thread))
			return FALSE;
	}
	return TRUE;
}

static NTSTATUS ke_wait_all_take(struct _KTHREAD *thread)
{
	BOOLEAN abandoned = FALSE;

	for (ULONG i = 0; i < thread->wait_count; i++)
		abandoned |= ke_object_acquire(thread->wait_blocks[i].Object, thread);
	return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
}

static NTSTATUS ke_wait_key_status(USHORT key)
{
	if (key == KE_WAIT_KEY_TIMEOUT)
		return STATUS_TIMEOUT;
	return STATUS_CANCELLED;
}

/* Satisfies the first wait the object allows; FALSE when none. */
static BOOLEAN ke_object_wake_one(PDISPATCHER_HEADER header)
{
	PLIST_ENTRY head = &header->WaitListHead;

	for (PLIST_ENTRY e = head->Flink; e != head; e = e->Flink) {
		PKWAIT_BLOCK block = CONTAINING_RECORD(e, KWAIT_BLOCK, WaitListEntry);
		struct _KTHREAD *thread = block->Thread;

		if (block->WaitType == WaitAny) {
			NTSTATUS status;

			if (block->WaitKey >= MAXIMUM_WAIT_OBJECTS) {
				status = ke_wait_key_status(block->WaitKey);
			} else {
				status = block->WaitKey;
				if (ke_object_acquire(header, thread))
					status += STATUS_ABANDONED_WAIT_0;
			}
			ke_thread_unwait(thread, status);
			return TRUE;
		}
		if (ke_wait_all_ready(thread)) {
			ke_thread_unwait(thread, ke_wait_all_take(thread));
			return TRUE;
		}
	}
	return FALSE;
}

void ke_object_wake(PDISPATCHER_HEADER header)
{
	while (header->SignalState > 0 && ke_object_wake_one(header))
		;
}

void ke_thread_unwait(struct _KTHREAD *thread, NTSTATUS status)
{
	for (ULONG i = 0; i < thread->wait_count; i++)
		RemoveEntryList(&thread->wait_blocks[i].WaitListEntry);
	thread->wait_count = 0;
	if (thread->timer_armed) {
		RemoveEntryList(&thread->timer_block.WaitListEntry);
		ke_timerq_remove(&thread->wait_timer);
		thread->timer_armed = FALSE;
	}
	if (thread->abort_event != NULL) {
		RemoveEntryList(&thread->abort_block.WaitListEntry);
		thread->abort_event = NULL;
	}
	thread->waiting = FALSE;
	thread->wait_status = status;
	ke_waiters_add(-1);
	thread->ready_next = ke_ready_list;
	ke_ready_list = thread;
}

/*
 * Sleeps on the thread's wake word and on its shared word at once; once the
 * shared word has changed, the thread ends its own wait (STATUS_ALERTED)
 * unless someone else ended it first, then waits for its wake word alone.
 */
static void ke_thread_block_word(struct _KTHREAD *thread)
{
	while (__atomic_load_n(&thread->wake, __ATOMIC_ACQUIRE) == 0) {
		if (__atomic_load_n(thread->ext_word, __ATOMIC_ACQUIRE) != thread->ext_expected) {
			ke_lock();
			if (thread->waiting)
				ke_thread_unwait(thread, STATUS_ALERTED);
			ke_unlock();
			break;
		}
		ke_futex_waitv2(&thread->wake, 0, thread->ext_word, thread->ext_expected);
	}
	while (__atomic_load_n(&thread->wake, __ATOMIC_ACQUIRE) == 0)
		ke_futex_wait(&thread->wake, 0);
}

void ke_thread_block(struct _KTHREAD *thread)
{
	if (thread->ext_word != NULL) {
		ke_thread_block_word(thread);
		return;
	}
	while (__atomic_load_n(&thread->wake, __ATOMIC_ACQUIRE) == 0)
		ke_futex_wait(&thread->wake, 0);
}
