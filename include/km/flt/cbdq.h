/*
 * Cancel-safe callback data queues (FltCbdq*), the Filter Manager's form of
 * the I/O manager's cancel-safe IRP queues.
 *
 * The minifilter owns the queue's storage and lock; it supplies six
 * callbacks (insert, remove, peek, acquire, release, complete-cancelled).
 * The Filter Manager calls them under the queue's lock and handles
 * cancellation: an operation cancelled while queued is removed with
 * RemoveIo and handed to CompleteCanceledIo exactly once; it is never
 * returned by FltCbdqRemoveIo or FltCbdqRemoveNextIo afterwards.
 *
 * Only IRP-based operations can be queued; a pre callback that queued its
 * operation returns FLT_PREOP_PENDING.  Do not use FltSetCancelCompletion on
 * an operation in a cancel-safe queue.
 */
#ifndef ALTITUDE_FLT_CBDQ_H
#define ALTITUDE_FLT_CBDQ_H

#include <flt/types.h>
#include <flt/callback_data.h>

#ifndef ALTITUDE_IO_CSQ_DEFINED
#define ALTITUDE_IO_CSQ_DEFINED
/* The I/O manager's cancel-safe queue header (the FltCbdq queue embeds it). */
typedef struct _IO_CSQ IO_CSQ, *PIO_CSQ;
typedef VOID IO_CSQ_INSERT_IRP(PIO_CSQ Csq, PIRP Irp);
typedef VOID IO_CSQ_REMOVE_IRP(PIO_CSQ Csq, PIRP Irp);
typedef PIRP IO_CSQ_PEEK_NEXT_IRP(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext);
typedef VOID IO_CSQ_ACQUIRE_LOCK(PIO_CSQ Csq, PKIRQL Irql);
typedef VOID IO_CSQ_RELEASE_LOCK(PIO_CSQ Csq, KIRQL Irql);
typedef VOID IO_CSQ_COMPLETE_CANCELED_IRP(PIO_CSQ Csq, PIRP Irp);
struct _IO_CSQ {
	ULONG Type;
	IO_CSQ_INSERT_IRP *CsqInsertIrp;
	IO_CSQ_REMOVE_IRP *CsqRemoveIrp;
	IO_CSQ_PEEK_NEXT_IRP *CsqPeekNextIrp;
	IO_CSQ_ACQUIRE_LOCK *CsqAcquireLock;
	IO_CSQ_RELEASE_LOCK *CsqReleaseLock;
	IO_CSQ_COMPLETE_CANCELED_IRP *CsqCompleteCanceledIrp;
	PVOID ReservePointer;
};
typedef struct _IO_CSQ_IRP_CONTEXT {
	ULONG Type;
	PIRP Irp;
	PIO_CSQ Csq;
} IO_CSQ_IRP_CONTEXT, *PIO_CSQ_IRP_CONTEXT;
#endif

typedef struct _FLT_CALLBACK_DATA_QUEUE FLT_CALLBACK_DATA_QUEUE, *PFLT_CALLBACK_DATA_QUEUE;

typedef struct _FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT {
	IO_CSQ_IRP_CONTEXT IoCsqIrpContext;
} FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT, *PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT;

typedef NTSTATUS(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_INSERT_IO)(PFLT_CALLBACK_DATA_QUEUE Cbdq,
							      PFLT_CALLBACK_DATA Cbd,
							      PVOID InsertContext);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO)(PFLT_CALLBACK_DATA_QUEUE Cbdq,
							  PFLT_CALLBACK_DATA Cbd);
typedef PFLT_CALLBACK_DATA(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO)(
	PFLT_CALLBACK_DATA_QUEUE Cbdq, PFLT_CALLBACK_DATA Cbd, PVOID PeekContext);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_ACQUIRE)(PFLT_CALLBACK_DATA_QUEUE Cbdq,
							PKIRQL Irql);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_RELEASE)(PFLT_CALLBACK_DATA_QUEUE Cbdq, KIRQL Irql);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO)(PFLT_CALLBACK_DATA_QUEUE Cbdq,
								     PFLT_CALLBACK_DATA Cbd);

/* Reserved for the Filter Manager. */
typedef ULONG FLT_CALLBACK_DATA_QUEUE_FLAGS;

struct _FLT_CALLBACK_DATA_QUEUE {
	IO_CSQ Csq;
	FLT_CALLBACK_DATA_QUEUE_FLAGS Flags;
	PFLT_INSTANCE Instance;
	PFLT_CALLBACK_DATA_QUEUE_INSERT_IO InsertIo;
	PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO RemoveIo;
	PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO PeekNextIo;
	PFLT_CALLBACK_DATA_QUEUE_ACQUIRE Acquire;
	PFLT_CALLBACK_DATA_QUEUE_RELEASE Release;
	PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CompleteCanceledIo;
};

/* STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL queue, instance or callback. The queue starts enabled. */
NTSTATUS FLTAPI FltCbdqInitialize(PFLT_INSTANCE Instance, PFLT_CALLBACK_DATA_QUEUE Cbdq,
				  PFLT_CALLBACK_DATA_QUEUE_INSERT_IO CbdqInsertIo,
				  PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO CbdqRemoveIo,
				  PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO CbdqPeekNextIo,
				  PFLT_CALLBACK_DATA_QUEUE_ACQUIRE CbdqAcquire,
				  PFLT_CALLBACK_DATA_QUEUE_RELEASE CbdqRelease,
				  PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CbdqCompleteCanceledIo);
VOID FLTAPI FltCbdqEnable(PFLT_CALLBACK_DATA_QUEUE Cbdq);
/* Later inserts fail with STATUS_FLT_CBDQ_DISABLED; queued operations stay. */
VOID FLTAPI FltCbdqDisable(PFLT_CALLBACK_DATA_QUEUE Cbdq);
/*
 * What the InsertIo callback returned (e.g. STATUS_SUCCESS or
 * STATUS_PENDING); STATUS_FLT_CBDQ_DISABLED when the queue is disabled;
 * STATUS_INVALID_PARAMETER for a NULL argument or an operation that is not
 * IRP-based.  An operation already cancelled is inserted, then removed and
 * handed to CompleteCanceledIo at once (the insert still succeeds).
 */
NTSTATUS FLTAPI FltCbdqInsertIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PFLT_CALLBACK_DATA Cbd,
				PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context, PVOID InsertContext);
/* The operation inserted with Context, or NULL when it left the queue (removed or cancelled). */
PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveIo(PFLT_CALLBACK_DATA_QUEUE Cbdq,
					  PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context);
/* The next operation PeekNextIo matches that is not being cancelled, or NULL. */
PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveNextIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PVOID PeekContext);

#endif /* ALTITUDE_FLT_CBDQ_H */
