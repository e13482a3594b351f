/*
 * Runtime thread records (struct _KTHREAD), system threads and thread
 * termination.
 *
 * A thread gets its record the first time it needs one (TLS); a pthread key
 * destructor ends it when the thread exits: mutexes it owns are abandoned,
 * the thread object is signalled, and the thread's own reference is
 * dropped.  Handles and ObReferenceObject references keep the record.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include "ke/dispatcher.h"
#include "ke/object.h"
#include <altitude/thread.h>

struct _OBJECT_TYPE ke_thread_object_type = { "Thread", NULL };
static POBJECT_TYPE ke_thread_type_pointer = &ke_thread_object_type;
POBJECT_TYPE *PsThreadType = &ke_thread_type_pointer;

__thread PKTHREAD ke_thread_self;
static pthread_key_t ke_thread_key;
static pthread_once_t ke_thread_once = PTHREAD_ONCE_INIT;

static void ke_thread_exit(void *allocation);

static void ke_thread_init_key(void)
{
	if (pthread_key_create(&ke_thread_key, ke_thread_exit) != 0)
		ke_bugcheck(NO_MORE_SYSTEM_PTES, 0, 0, 0, 0, "ke_thread_init_key");
}

static struct _KTHREAD *ke_thread_alloc(void)
{
	struct _KTHREAD *thread = ke_object_create(&ke_thread_object_type, sizeof(struct _ETHREAD));

	if (thread == NULL)
		return NULL;
	ke_dispatcher_init_header(&thread->Header, ThreadObject, 0, 0);
	InitializeListHead(&thread->owned_mutants);
	KeInitializeTimer(&thread->wait_timer);
	return thread;
}

/* Makes `thread` the calling thread's record (it holds one reference). */
static void ke_thread_attach(struct _KTHREAD *thread)
{
	pthread_once(&ke_thread_once, ke_thread_init_key);
	thread->tid = gettid();
	ke_thread_self = thread;
	/* The key holds the record's memory block: for the main thread, whose
	 * key destructor never runs, valgrind then reports it as reachable. */
	pthread_setspecific(ke_thread_key, ke_object_allocation(thread));
}

PKTHREAD ke_thread_attach_new(void)
{
	struct _KTHREAD *thread = ke_thread_alloc();

	if (thread == NULL) {
		ke_bugcheck(NO_MORE_SYSTEM_PTES, sizeof(struct _ETHREAD), 0, 0, 0, "KeGetCurrentThread");
		abort();
	}
	ke_thread_attach(thread);
	return thread;
}

static void ke_thread_exit(void *allocation)
{
	struct _KTHREAD *thread = ke_object_from_allocation(allocation);

	ke_lock();
	ke_mutex_abandon_all(thread);
	thread->exited = TRUE;
	thread->Header.SignalState = 1;
	ke_object_wake(&thread->Header);
	ke_unlock();
	ke_thread_self = NULL;
	ObfDereferenceObject(thread);
}

PKTHREAD NTAPI KeGetCurrentThread(VOID)
{
	return ke_thread_current();
}

PETHREAD NTAPI PsGetCurrentThread(VOID)
{
	return (PETHREAD)ke_thread_current();
}

HANDLE NTAPI PsGetCurrentThreadId(VOID)
{
	return (HANDLE)(ULONG_PTR)ke_thread_current()->tid;
}

HANDLE NTAPI PsGetThreadId(PETHREAD Thread)
{
	return (HANDLE)(ULONG_PTR)Thread->Tcb.tid;
}

BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread)
{
	return Thread->Tcb.system_thread;
}

BOOLEAN NTAPI PsIsThreadTerminating(PETHREAD Thread)
{
	BOOLEAN ending;

	ke_lock();
	ending = (BOOLEAN)(Thread->Tcb.exited || __atomic_load_n(&Thread->Tcb.terminating, __ATOMIC_ACQUIRE));
	ke_unlock();
	return ending;
}

NTSTATUS NTAPI PsGetThreadExitStatus(PETHREAD Thread)
{
	NTSTATUS status;

	ke_lock();
	status = Thread->Tcb.exited ? Thread->Tcb.exit_status : STATUS_PENDING;
	ke_unlock();
	return status;
}

void ke_thread_mark_system(void)
{
	ke_thread_current()->system_thread = TRUE;
}

struct ke_thread_start {
	struct _KTHREAD *thread;
	PKSTART_ROUTINE routine;
	PVOID context;
	sem_t started;
};

static void *ke_thread_trampoline(void *arg)
{
	struct ke_thread_start *start = arg;
	PKSTART_ROUTINE routine = start->routine;
	PVOID context = start->context;

	ke_thread_attach(start->thread);
	ke_irql_set(PASSIVE_LEVEL);
	sem_post(&start->started); /* `start` is gone after this */
	routine(context);
	return NULL;
}

static BOOLEAN ke_thread_kernel_handle(POBJECT_ATTRIBUTES attributes)
{
	return (BOOLEAN)(attributes != NULL && (attributes->Attributes & OBJ_KERNEL_HANDLE) != 0);
}

NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
				    POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
				    PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
				    PVOID StartContext)
{
	struct ke_thread_start start = { .routine = StartRoutine, .context = StartContext };
	pthread_attr_t attr;
	pthread_t pthread;
	HANDLE handle = NULL;
	NTSTATUS status = STATUS_INVALID_PARAMETER;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "PsCreateSystemThread"))
		return STATUS_UNSUCCESSFUL;
	if (ThreadHandle == NULL || StartRoutine == NULL)
		return STATUS_INVALID_PARAMETER;
	if (ProcessHandle != NULL && ProcessHandle != NtCurrentProcess())
		return STATUS_INVALID_HANDLE;
	status = STATUS_INSUFFICIENT_RESOURCES;
	start.thread = ke_thread_alloc();
	if (start.thread == NULL)
		return status;
	start.thread->system_thread = TRUE;
	start.thread->ps_thread = TRUE;
	if (DesiredAccess & GENERIC_ALL)
		DesiredAccess = THREAD_ALL_ACCESS;
	handle = ke_handle_create(start.thread, DesiredAccess, ke_thread_kernel_handle(ObjectAttributes));
	if (handle == NULL)
		goto out;
	sem_init(&start.started, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&pthread, &attr, ke_thread_trampoline, &start) != 0) {
		ZwClose(handle);
		pthread_attr_destroy(&attr);
		sem_destroy(&start.started);
		goto out;
	}
	pthread_attr_destroy(&attr);
	while (sem_wait(&start.started) != 0)
		;
	sem_destroy(&start.started);
	*ThreadHandle = handle;
	if (ClientId != NULL) {
		ClientId->UniqueProcess = (HANDLE)(ULONG_PTR)getpid();
		ClientId->UniqueThread = (HANDLE)(ULONG_PTR)start.thread->tid;
	}
	return STATUS_SUCCESS;
out:
	ObfDereferenceObject(start.thread);
	return status;
}

NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus)
{
	struct _KTHREAD *thread = ke_thread_current();

	if (!ke_irql_at_most(PASSIVE_LEVEL, "PsTerminateSystemThread"))
		return STATUS_UNSUCCESSFUL;
	if (!thread->ps_thread)
		return STATUS_INVALID_PARAMETER;
	thread->exit_status = ExitStatus;
	pthread_exit(NULL);
}

void altitude_thread_terminate(PETHREAD thread)
{
	struct _KTHREAD *t = &thread->Tcb;

	ke_lock();
	__atomic_store_n(&t->terminating, 1, __ATOMIC_RELEASE);
	if (t->waiting && t->terminable)
		ke_thread_unwait(t, STATUS_THREAD_IS_TERMINATING);
	ke_unlock();
}

BOOLEAN ke_thread_is_terminating(void)
{
	return (BOOLEAN)__atomic_load_n(&ke_thread_current()->terminating, __ATOMIC_ACQUIRE);
}

void altitude_ke_shutdown(void)
{
	ke_workqueue_shutdown();
	ke_dpc_shutdown();
	ke_timerq_shutdown();
}
