/* Shared state of the harness's memory volume and operations. */
#ifndef ALTITUDE_SRC_FLT_HARNESS_H
#define ALTITUDE_SRC_FLT_HARNESS_H

#include "flt/memvol.h"

struct altitude_memvol {
	PFLT_VOLUME volume;
	pthread_mutex_t lock; /* the tree */
	struct memvol_node *root;
	LONGLONG next_id;
	pthread_mutex_t qlock; /* queue, held, thread */
	pthread_cond_t qcv;
	struct altitude_op *queue_head, *queue_tail;
	struct altitude_op *held_head, *held_tail;
	pthread_t thread;
	BOOLEAN thread_started;
	BOOLEAN stop;
};

struct altitude_file {
	altitude_memvol *vol;
	FILE_OBJECT fo;
};

struct altitude_op {
	altitude_memvol *vol;
	altitude_op_options opts;
	ULONG data_flags;
	FLT_IO_PARAMETER_BLOCK iopb; /* template, reused to reissue a disallowed fast I/O */
	IO_SECURITY_CONTEXT security;
	PFLT_CALLBACK_DATA data;
	struct altitude_op *next;
	BOOLEAN cancelled;
	BOOLEAN heap;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	BOOLEAN done;
	IO_STATUS_BLOCK iosb;
};

/* Completion of the harness's own operations (others are filters' targeted I/O). */
void harness_done(PFLT_CALLBACK_DATA data, void *ctx);
/* Issues op (iopb and data_flags filled); waits unless opts->async_out. */
NTSTATUS harness_issue(struct altitude_op *op);
/* Performs a queued or held operation on the tree, honouring cancel and error injection. */
NTSTATUS harness_perform(altitude_memvol *vol, struct altitude_op *op);

#endif /* ALTITUDE_SRC_FLT_HARNESS_H */
