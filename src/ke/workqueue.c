/*
 * ExQueueWorkItem and the system worker thread pools (see nt/work.h).
 * A pool starts a new worker when more items wait than workers idle, up
 * to its maximum; workers sleep on the pool's condition variable.  An item
 * leaves the queue (List.Flink = NULL) before its routine runs, so the
 * routine may free or queue it again.
 */
#include <pthread.h>

#include "ke/dispatcher.h"

#define KE_WORK_POOL_THREADS 8

struct ke_work_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	LIST_ENTRY queue;
	ULONG queued;
	ULONG idle;
	ULONG threads;
	BOOLEAN stop;
	pthread_t workers[KE_WORK_POOL_THREADS];
};

static struct ke_work_pool ke_work_pools[2] = {
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	  { &ke_work_pools[0].queue, &ke_work_pools[0].queue }, 0, 0, 0, FALSE, { 0 } },
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	  { &ke_work_pools[1].queue, &ke_work_pools[1].queue }, 0, 0, 0, FALSE, { 0 } },
};

static struct ke_work_pool *ke_work_pool_for(WORK_QUEUE_TYPE type)
{
	switch (type) {
	case CriticalWorkQueue:
	case HyperCriticalWorkQueue:
	case SuperCriticalWorkQueue:
	case RealTimeWorkQueue:
		return &ke_work_pools[0];
	case DelayedWorkQueue:
	case NormalWorkQueue:
	case BackgroundWorkQueue:
		return &ke_work_pools[1];
	default:
		return NULL;
	}
}

static void ke_work_run(struct ke_work_pool *pool, PWORK_QUEUE_ITEM item)
{
	PWORKER_THREAD_ROUTINE routine = item->WorkerRoutine;
	PVOID parameter = item->Parameter;
	KIRQL irql;

	item->List.Flink = NULL;
	pthread_mutex_unlock(&pool->lock);
	routine(parameter);
	irql = KeGetCurrentIrql();
	if (irql != PASSIVE_LEVEL) {
		ke_irql_set(PASSIVE_LEVEL);
		ke_bugcheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG_PTR)routine, irql,
			    (ULONG_PTR)parameter, (ULONG_PTR)item, "ExpWorkerThread");
	}
	pthread_mutex_lock(&pool->lock);
}

static void *ke_work_main(void *arg)
{
	struct ke_work_pool *pool = arg;

	ke_irql_set(PASSIVE_LEVEL);
	ke_thread_mark_system();
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (IsListEmpty(&pool->queue) && !pool->stop) {
			pool->idle++;
			pthread_cond_wait(&pool->work, &pool->lock);
			pool->idle--;
		}
		if (IsListEmpty(&pool->queue))
			break;
		pool->queued--;
		ke_work_run(pool, CONTAINING_RECORD(RemoveHeadList(&pool->queue), WORK_QUEUE_ITEM, List));
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Under the pool lock: one more worker when items outnumber idle workers. */
static void ke_work_grow(struct ke_work_pool *pool)
{
	if (pool->stop || pool->queued <= pool->idle || pool->threads == KE_WORK_POOL_THREADS)
		return;
	if (pthread_create(&pool->workers[pool->threads], NULL, ke_work_main, pool) == 0)
		pool->threads++;
}

VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
	struct ke_work_pool *pool = ke_work_pool_for(QueueType);

	if (!ke_irql_at_most(DISPATCH_LEVEL, "ExQueueWorkItem"))
		return;
	if (pool == NULL || WorkItem == NULL || WorkItem->WorkerRoutine == NULL ||
	    WorkItem->List.Flink != NULL) {
		ke_bugcheck(WORKER_INVALID, (ULONG_PTR)WorkItem, (ULONG_PTR)QueueType, 0, 0,
			    "ExQueueWorkItem");
		return;
	}
	pthread_mutex_lock(&pool->lock);
	InsertTailList(&pool->queue, &WorkItem->List);
	pool->queued++;
	ke_work_grow(pool);
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
}

static void ke_work_pool_stop(struct ke_work_pool *pool)
{
	ULONG threads;

	pthread_mutex_lock(&pool->lock);
	pool->stop = TRUE;
	threads = pool->threads;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	/* No worker starts while stop is set, so `threads` is final. */
	for (ULONG i = 0; i < threads; i++)
		pthread_join(pool->workers[i], NULL);
	pthread_mutex_lock(&pool->lock);
	pool->threads = 0;
	pool->stop = FALSE;
	ke_work_grow(pool);
	pthread_mutex_unlock(&pool->lock);
}

void ke_workqueue_shutdown(void)
{
	for (size_t i = 0; i < RTL_NUMBER_OF(ke_work_pools); i++)
		ke_work_pool_stop(&ke_work_pools[i]);
}
