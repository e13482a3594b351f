/*
 * Filter Manager communication ports, kernel side (fltKernel.h).  A
 * minifilter creates a named server port; user-mode services connect with
 * FilterConnectCommunicationPort (fltUser.h, libfltlib) and exchange
 * messages.  See <altitude/port.h> for the Linux mapping (Unix sockets in the
 * runtime directory, uid/gid security) and SEMANTICS.md section 6 for the
 * exact FltSendMessage contract.
 */
#ifndef ALTITUDE_FLT_PORT_H
#define ALTITUDE_FLT_PORT_H

#include <wdm.h>

#ifndef FLTAPI
#define FLTAPI NTAPI
#endif

typedef struct _FLT_FILTER *PFLT_FILTER;
typedef struct _FLT_PORT *PFLT_PORT;

#ifndef ALTITUDE_SECURITY_DESCRIPTOR_DEFINED
#define ALTITUDE_SECURITY_DESCRIPTOR_DEFINED
typedef PVOID PSECURITY_DESCRIPTOR;
#endif

#define FLT_PORT_CONNECT 0x0001
#define FLT_PORT_ALL_ACCESS (FLT_PORT_CONNECT | STANDARD_RIGHTS_ALL)

/*
 * Runs (PASSIVE_LEVEL, on the connection's host thread) when a client whose
 * credentials the security descriptor admits connects.  ConnectionContext is
 * the client's lpContext (SizeOfContext bytes, valid during the call).  A
 * failure status refuses the connection; the client gets its HRESULT.
 */
typedef NTSTATUS (*PFLT_CONNECT_NOTIFY)(PFLT_PORT ClientPort, PVOID ServerPortCookie,
					PVOID ConnectionContext, ULONG SizeOfContext,
					PVOID *ConnectionPortCookie);
/* Runs exactly once per accepted connection, when it ends for any reason. */
typedef VOID (*PFLT_DISCONNECT_NOTIFY)(PVOID ConnectionCookie);
/* Runs for each FilterSendMessage, on the connection's host thread. */
typedef NTSTATUS (*PFLT_MESSAGE_NOTIFY)(PVOID PortCookie, PVOID InputBuffer,
					ULONG InputBufferLength, PVOID OutputBuffer,
					ULONG OutputBufferLength, PULONG ReturnOutputBufferLength);

/*
 * Returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL Filter, ServerPort,
 * ObjectAttributes, ObjectName or ConnectNotifyCallback / DisconnectNotify-
 * Callback, MaxConnections <= 0, OBJ_KERNEL_HANDLE missing);
 * STATUS_OBJECT_NAME_INVALID; STATUS_OBJECT_NAME_COLLISION (a live port of
 * that name exists); STATUS_ACCESS_DENIED (the ports directory is not the
 * host's alone); STATUS_OBJECT_PATH_NOT_FOUND (no runtime directory);
 * STATUS_INSUFFICIENT_RESOURCES.  A NULL SecurityDescriptor means the
 * default one (root and the host's user).
 */
NTSTATUS FLTAPI FltCreateCommunicationPort(PFLT_FILTER Filter, PFLT_PORT *ServerPort,
					   POBJECT_ATTRIBUTES ObjectAttributes,
					   PVOID ServerPortCookie,
					   PFLT_CONNECT_NOTIFY ConnectNotifyCallback,
					   PFLT_DISCONNECT_NOTIFY DisconnectNotifyCallback,
					   PFLT_MESSAGE_NOTIFY MessageNotifyCallback,
					   LONG MaxConnections);

/* Stops accepting connections; existing connections stay (as on Windows). */
VOID FLTAPI FltCloseCommunicationPort(PFLT_PORT ServerPort);

/*
 * Ends the connection (its waiting senders return STATUS_PORT_DISCONNECTED,
 * the client's pending gets fail with ERROR_INVALID_HANDLE), releases the
 * minifilter's reference and sets *ClientPort to NULL.  NULL *ClientPort:
 * nothing to do (typical when DisconnectNotify closes a port already closed).
 */
VOID FLTAPI FltCloseClientPort(PFLT_FILTER Filter, PFLT_PORT *ClientPort);

/*
 * Sends SenderBuffer to the client and, with a ReplyBuffer, waits for its
 * FilterReplyMessage.  Timeout covers delivery and reply together: NULL
 * waits indefinitely, 0 never waits (delivers only to a FilterGetMessage
 * already pending, and returns STATUS_TIMEOUT with a ReplyBuffer), negative
 * is relative, positive absolute.  Returns STATUS_SUCCESS; STATUS_TIMEOUT
 * (a success code: the message was withdrawn if undelivered, and a later
 * reply gets ERROR_FLT_NO_WAITER_FOR_REPLY); STATUS_BUFFER_OVERFLOW (the
 * reply was longer than *ReplyLength: the first *ReplyLength bytes were
 * copied); STATUS_PORT_DISCONNECTED; STATUS_INVALID_PARAMETER (NULL
 * ClientPort, ReplyBuffer without ReplyLength, SenderBuffer NULL with a
 * length, SenderBufferLength or *ReplyLength above ALTITUDE_PORT_MAX_MESSAGE);
 * STATUS_THREAD_IS_TERMINATING (the wait is terminable).  No allocation
 * happens on this path, so STATUS_INSUFFICIENT_RESOURCES does not occur.
 * IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltSendMessage(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer,
			       ULONG SenderBufferLength, PVOID ReplyBuffer, PULONG ReplyLength,
			       PLARGE_INTEGER Timeout);

/*
 * A descriptor admitting root and the host's effective user, for
 * DesiredAccess (FLT_PORT_ALL_ACCESS; a mask without FLT_PORT_CONNECT admits
 * nobody).  STATUS_SUCCESS, STATUS_INVALID_PARAMETER, or
 * STATUS_INSUFFICIENT_RESOURCES.  See altitude_port_build_security_descriptor
 * for a descriptor naming other users and groups.
 */
NTSTATUS FLTAPI FltBuildDefaultSecurityDescriptor(PSECURITY_DESCRIPTOR *SecurityDescriptor,
						  ACCESS_MASK DesiredAccess);
VOID FLTAPI FltFreeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor);

#endif /* ALTITUDE_FLT_PORT_H */
