/*
 * Process objects.  The host process (the "System" process of this runtime)
 * has a permanent one.  Other Linux processes, the requesters of file
 * operations and the clients of ports, get one on demand through
 * PsLookupProcessByProcessId; it lives while referenced, and one object per
 * pid is shared by every lookup while it lives.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "ke/dispatcher.h"
#include "ke/object.h"

struct _KPROCESS {
	DISPATCHER_HEADER Header;
};

struct _EPROCESS {
	struct _KPROCESS Pcb;
	ULONG pid;
	struct _EPROCESS *next; /* ke_process_lock: the objects of other processes */
};

static void ke_process_delete(PVOID body);

struct _OBJECT_TYPE ke_process_object_type = { "Process", ke_process_delete };
static POBJECT_TYPE ke_process_type_pointer = &ke_process_object_type;
POBJECT_TYPE *PsProcessType = &ke_process_type_pointer;

static struct _EPROCESS *ke_process;
static pthread_once_t ke_process_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t ke_process_lock = PTHREAD_MUTEX_INITIALIZER;
static struct _EPROCESS *ke_processes;

static struct _EPROCESS *ke_process_create(ULONG pid)
{
	struct _EPROCESS *p = ke_object_create(&ke_process_object_type, sizeof(struct _EPROCESS));

	if (p == NULL)
		return NULL;
	ke_dispatcher_init_header(&p->Pcb.Header, ProcessObject, 0, 0);
	p->pid = pid;
	return p;
}

static void ke_process_init(void)
{
	ke_process = ke_process_create((ULONG)getpid());
	if (ke_process == NULL) {
		ke_bugcheck(NO_MORE_SYSTEM_PTES, sizeof(struct _EPROCESS), 0, 0, 0, "PsGetCurrentProcess");
		return;
	}
	ke_object_make_permanent(ke_process);
}

/* Unlinks an object of another process when its last reference goes. */
static void ke_process_delete(PVOID body)
{
	struct _EPROCESS **pp;

	pthread_mutex_lock(&ke_process_lock);
	for (pp = &ke_processes; *pp; pp = &(*pp)->next) {
		if (*pp == body) {
			*pp = ((struct _EPROCESS *)body)->next;
			break;
		}
	}
	pthread_mutex_unlock(&ke_process_lock);
}

PEPROCESS NTAPI PsGetCurrentProcess(VOID)
{
	pthread_once(&ke_process_once, ke_process_init);
	return ke_process;
}

HANDLE NTAPI PsGetCurrentProcessId(VOID)
{
	return (HANDLE)(ULONG_PTR)getpid();
}

HANDLE NTAPI PsGetProcessId(PEPROCESS Process)
{
	return (HANDLE)(ULONG_PTR)Process->pid;
}

static BOOLEAN ke_process_exists(ULONG pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process)
{
	ULONG_PTR id = (ULONG_PTR)ProcessId;
	struct _EPROCESS *p;

	if (Process == NULL)
		return STATUS_INVALID_PARAMETER;
	*Process = NULL;
	if (id == 0 || id > 0x7fffffff || !ke_process_exists((ULONG)id))
		return STATUS_INVALID_PARAMETER;
	if (id == (ULONG_PTR)getpid()) {
		p = PsGetCurrentProcess();
		ObfReferenceObject(p);
		*Process = p;
		return STATUS_SUCCESS;
	}
	pthread_mutex_lock(&ke_process_lock);
	for (p = ke_processes; p; p = p->next) {
		if (p->pid == id && ke_object_try_reference(p))
			break;
	}
	if (p == NULL) {
		p = ke_process_create((ULONG)id);
		if (p != NULL) {
			p->next = ke_processes;
			ke_processes = p;
		}
	}
	pthread_mutex_unlock(&ke_process_lock);
	if (p == NULL)
		return STATUS_INSUFFICIENT_RESOURCES;
	*Process = p;
	return STATUS_SUCCESS;
}
