/*
 * System threads and the current thread/process.
 *
 * Every thread that calls into the runtime is a runtime thread with a
 * thread object (KTHREAD/ETHREAD), created the first time it is needed:
 * the program's threads, FUSE threads and the runtime's own.  Thread and
 * process ids are the Linux tid and pid.  A thread object is signalled
 * when its thread ends; mutexes it still owns are then abandoned.
 * PsIsSystemThread is TRUE for threads the runtime created
 * (PsCreateSystemThread, worker and DPC threads), FALSE for the others.
 */
#ifndef ALTITUDE_NT_PS_H
#define ALTITUDE_NT_PS_H

#include <ntdef.h>
#include <nt/ke.h>
#include <nt/ob.h>

typedef struct _CLIENT_ID {
	HANDLE UniqueProcess;
	HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;

/*
 * ProcessHandle must be NULL or NtCurrentProcess(); the handle is a kernel
 * handle when ObjectAttributes has OBJ_KERNEL_HANDLE.  The start routine
 * runs at PASSIVE_LEVEL; returning from it ends the thread as
 * PsTerminateSystemThread(STATUS_SUCCESS) does.
 */
NTKERNELAPI NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
						POBJECT_ATTRIBUTES ObjectAttributes,
						HANDLE ProcessHandle, PCLIENT_ID ClientId,
						PKSTART_ROUTINE StartRoutine, PVOID StartContext);
/* Ends the calling thread if PsCreateSystemThread created it; else STATUS_INVALID_PARAMETER. */
NTKERNELAPI NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus);

NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);
NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetThreadId(PETHREAD Thread);
NTKERNELAPI PEPROCESS NTAPI PsGetCurrentProcess(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetProcessId(PEPROCESS Process);
/*
 * A referenced process object for a running process (release it with
 * ObDereferenceObject); STATUS_INVALID_PARAMETER when no process has that id.
 */
NTKERNELAPI NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process);
NTKERNELAPI BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread);
/* The status the thread ended with (STATUS_SUCCESS when its routine returned), or STATUS_PENDING. */
NTKERNELAPI NTSTATUS NTAPI PsGetThreadExitStatus(PETHREAD Thread);
/* TRUE once the thread has ended or is being terminated (altitude_thread_terminate). */
NTKERNELAPI BOOLEAN NTAPI PsIsThreadTerminating(PETHREAD Thread);

#endif /* ALTITUDE_NT_PS_H */
