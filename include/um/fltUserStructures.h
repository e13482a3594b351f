/*
 * fltUserStructures.h subset: the structures shared by FilterGetMessage,
 * FilterReplyMessage and the minifilter's FltSendMessage.
 */
#ifndef __FLT_USER_STRUCTURES_H__
#define __FLT_USER_STRUCTURES_H__

#include <altitude/wintypes.h>

/* FilterConnectCommunicationPort dwOptions: the handle is for synchronous
 * I/O only (FilterGetMessage with an OVERLAPPED fails with E_INVALIDARG). */
#define FLT_PORT_FLAG_SYNC_HANDLE 0x00000001

/*
 * Precedes every message FilterGetMessage returns.  ReplyLength is the reply
 * capacity the sender allows plus sizeof(FILTER_REPLY_HEADER), or 0 when the
 * sender expects no reply.  MessageId identifies the message in
 * FilterReplyMessage.
 */
typedef struct _FILTER_MESSAGE_HEADER {
	ULONG ReplyLength;
	ULONGLONG MessageId;
} FILTER_MESSAGE_HEADER, *PFILTER_MESSAGE_HEADER;

/*
 * Precedes every reply.  FilterReplyMessage's dwReplyBufferSize counts this
 * header; the sender's *ReplyLength counts only what follows it.  A reply
 * structure declared as { FILTER_REPLY_HEADER; UCHAR x; } is 24 bytes, not
 * 17, so its payload part is 8 bytes: a sender that allowed 1 byte gets
 * STATUS_BUFFER_OVERFLOW.  Send sizeof(FILTER_REPLY_HEADER) + the payload
 * size, not sizeof of the padded structure.
 */
typedef struct _FILTER_REPLY_HEADER {
	NTSTATUS Status;
	ULONGLONG MessageId;
} FILTER_REPLY_HEADER, *PFILTER_REPLY_HEADER;

_Static_assert(sizeof(FILTER_MESSAGE_HEADER) == 16, "FILTER_MESSAGE_HEADER layout");
_Static_assert(sizeof(FILTER_REPLY_HEADER) == 16, "FILTER_REPLY_HEADER layout");

#endif /* __FLT_USER_STRUCTURES_H__ */
