/*
 * DPCs: one queue, in insertion order, run by one DPC thread at
 * DISPATCH_LEVEL (threaded DPCs too, which Windows allows).  A DPC leaves
 * the queue (DpcData = NULL) just before its routine runs, so the routine
 * may queue it again.  KeFlushQueuedDpcs returns once every DPC queued
 * before the call has run or been removed.  A routine that returns at
 * another IRQL than DISPATCH_LEVEL bugchecks IRQL_UNEXPECTED_VALUE.
 *
 * Lock order: the dispatcher lock may be held when taking the DPC lock
 * (timers queue DPCs), never the reverse.
 */
#include <pthread.h>

#include "ke/dispatcher.h"

static pthread_mutex_t ke_dpc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ke_dpc_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ke_dpc_done = PTHREAD_COND_INITIALIZER;
static PKDPC ke_dpc_head;
static PKDPC ke_dpc_tail;
static ULONGLONG ke_dpc_inserted;
static ULONGLONG ke_dpc_finished;
static pthread_t ke_dpc_thread;
static BOOLEAN ke_dpc_running;
static BOOLEAN ke_dpc_stop;
static __thread BOOLEAN ke_dpc_self;

static void ke_dpc_init(PRKDPC Dpc, UCHAR type, PKDEFERRED_ROUTINE routine, PVOID context)
{
	Dpc->TargetInfoAsUlong = 0;
	Dpc->Type = type;
	Dpc->Importance = MediumImportance;
	Dpc->DpcListEntry.Next = NULL;
	Dpc->ProcessorHistory = 0;
	Dpc->DeferredRoutine = routine;
	Dpc->DeferredContext = context;
	Dpc->SystemArgument1 = NULL;
	Dpc->SystemArgument2 = NULL;
	Dpc->DpcData = NULL;
}

VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
	ke_dpc_init(Dpc, DpcObject, DeferredRoutine, DeferredContext);
}

VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
				   PVOID DeferredContext)
{
	ke_dpc_init(Dpc, ThreadedDpcObject, DeferredRoutine, DeferredContext);
}

BOOLEAN ke_dpc_on_dpc_thread(void)
{
	return ke_dpc_self;
}

static void ke_dpc_run(PKDPC dpc)
{
	PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
	PVOID context = dpc->DeferredContext;
	PVOID arg1 = dpc->SystemArgument1;
	PVOID arg2 = dpc->SystemArgument2;
	KIRQL irql;

	pthread_mutex_unlock(&ke_dpc_lock);
	ke_irql_set(DISPATCH_LEVEL);
	routine(dpc, context, arg1, arg2);
	irql = KeGetCurrentIrql();
	ke_irql_set(PASSIVE_LEVEL);
	if (irql != DISPATCH_LEVEL)
		ke_bugcheck(IRQL_UNEXPECTED_VALUE, irql, DISPATCH_LEVEL, (ULONG_PTR)routine,
			    (ULONG_PTR)dpc, "KiRetireDpcList");
	pthread_mutex_lock(&ke_dpc_lock);
}

static PKDPC ke_dpc_next(PKDPC dpc)
{
	PSINGLE_LIST_ENTRY next = dpc->DpcListEntry.Next;

	return next != NULL ? CONTAINING_RECORD(next, KDPC, DpcListEntry) : NULL;
}

static PKDPC ke_dpc_pop(void)
{
	PKDPC dpc = ke_dpc_head;

	ke_dpc_head = ke_dpc_next(dpc);
	if (ke_dpc_head == NULL)
		ke_dpc_tail = NULL;
	dpc->DpcListEntry.Next = NULL;
	dpc->DpcData = NULL;
	return dpc;
}

static void *ke_dpc_main(void *arg)
{
	(void)arg;
	ke_dpc_self = TRUE;
	ke_thread_mark_system();
	pthread_mutex_lock(&ke_dpc_lock);
	for (;;) {
		while (ke_dpc_head == NULL && !ke_dpc_stop)
			pthread_cond_wait(&ke_dpc_work, &ke_dpc_lock);
		if (ke_dpc_head == NULL)
			break;
		ke_dpc_run(ke_dpc_pop());
		ke_dpc_finished++;
		pthread_cond_broadcast(&ke_dpc_done);
	}
	pthread_mutex_unlock(&ke_dpc_lock);
	return NULL;
}

/* Under the DPC lock. */
static BOOLEAN ke_dpc_start(void)
{
	if (ke_dpc_running)
		return TRUE;
	if (pthread_create(&ke_dpc_thread, NULL, ke_dpc_main, NULL) != 0)
		return FALSE;
	ke_dpc_running = TRUE;
	return TRUE;
}

BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
	BOOLEAN inserted = FALSE;

	pthread_mutex_lock(&ke_dpc_lock);
	if (Dpc->DpcData != NULL || !ke_dpc_start())
		goto out;
	Dpc->SystemArgument1 = SystemArgument1;
	Dpc->SystemArgument2 = SystemArgument2;
	Dpc->DpcData = &ke_dpc_head;
	Dpc->DpcListEntry.Next = NULL;
	if (ke_dpc_tail != NULL)
		ke_dpc_tail->DpcListEntry.Next = &Dpc->DpcListEntry;
	else
		ke_dpc_head = Dpc;
	ke_dpc_tail = Dpc;
	ke_dpc_inserted++;
	inserted = TRUE;
	pthread_cond_signal(&ke_dpc_work);
out:
	pthread_mutex_unlock(&ke_dpc_lock);
	return inserted;
}

BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc)
{
	PKDPC prev = NULL;
	PKDPC d;

	pthread_mutex_lock(&ke_dpc_lock);
	for (d = ke_dpc_head; d != NULL && d != Dpc; d = ke_dpc_next(d))
		prev = d;
	if (d != NULL) {
		if (prev == NULL)
			ke_dpc_head = ke_dpc_next(d);
		else
			prev->DpcListEntry.Next = d->DpcListEntry.Next;
		if (ke_dpc_tail == d)
			ke_dpc_tail = prev;
		d->DpcListEntry.Next = NULL;
		d->DpcData = NULL;
		ke_dpc_finished++;
		pthread_cond_broadcast(&ke_dpc_done);
	}
	pthread_mutex_unlock(&ke_dpc_lock);
	return (BOOLEAN)(d != NULL);
}

void ke_dpc_flush(void)
{
	ULONGLONG target;

	pthread_mutex_lock(&ke_dpc_lock);
	target = ke_dpc_inserted;
	while (ke_dpc_finished < target)
		pthread_cond_wait(&ke_dpc_done, &ke_dpc_lock);
	pthread_mutex_unlock(&ke_dpc_lock);
}

VOID NTAPI KeFlushQueuedDpcs(VOID)
{
	if (!ke_irql_at_most(PASSIVE_LEVEL, "KeFlushQueuedDpcs"))
		return;
	ke_dpc_flush();
}

void ke_dpc_shutdown(void)
{
	pthread_t thread;

	pthread_mutex_lock(&ke_dpc_lock);
	if (!ke_dpc_running) {
		pthread_mutex_unlock(&ke_dpc_lock);
		return;
	}
	ke_dpc_stop = TRUE;
	thread = ke_dpc_thread;
	pthread_cond_signal(&ke_dpc_work);
	pthread_mutex_unlock(&ke_dpc_lock);
	pthread_join(thread, NULL);
	pthread_mutex_lock(&ke_dpc_lock);
	ke_dpc_running = FALSE;
	ke_dpc_stop = FALSE;
	/* A DPC queued while the thread was stopping still runs. */
	if (ke_dpc_head != NULL)
		ke_dpc_start();
	pthread_mutex_unlock(&ke_dpc_lock);
}
