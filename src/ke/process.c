/*
 * The process object: one, for the host process (the "System" process of
 * this runtime).  It is never signalled and never freed.
 */
#include <unistd.h>

#include "ke/dispatcher.h"
#include "ke/object.h"

struct _KPROCESS {
	DISPATCHER_HEADER Header;
};

struct _EPROCESS {
	struct _KPROCESS Pcb;
};

struct _OBJECT_TYPE ke_process_object_type = { "Process", NULL };
static POBJECT_TYPE ke_process_type_pointer = &ke_process_object_type;
POBJECT_TYPE *PsProcessType = &ke_process_type_pointer;

static struct _EPROCESS *ke_process;
static pthread_once_t ke_process_once = PTHREAD_ONCE_INIT;

static void ke_process_init(void)
{
	ke_process = ke_object_create(&ke_process_object_type, sizeof(struct _EPROCESS));
	if (ke_process == NULL) {
		ke_bugcheck(NO_MORE_SYSTEM_PTES, sizeof(struct _EPROCESS), 0, 0, 0, "PsGetCurrentProcess");
		return;
	}
	ke_object_make_permanent(ke_process);
	ke_dispatcher_init_header(&ke_process->Pcb.Header, ProcessObject, 0, 0);
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
	(void)Process;
	return (HANDLE)(ULONG_PTR)getpid();
}
