/*
 * Test minifilters for volumes mounted through FUSE: up to three
 * passthrough filters registering every major function, pre and post.
 * Filter 0 can record what it sees for one file name, deny writes carrying
 * a marker, pend every read (completed from its own worker thread), and
 * hold reads of a file named "block" until the requester cancels them.
 */
#ifndef ALTITUDE_TESTS_FS_GLUE_FILTER_H
#define ALTITUDE_TESTS_FS_GLUE_FILTER_H

#include <stdatomic.h>
#include <stdbool.h>

#include <altitude/harness.h>

#define GF_MAX_FILTERS 3
#define GF_MAX_RECORDS 64

struct gf_record {
	UCHAR major;
	ULONG disposition;	/* CREATE */
	ULONG options;		/* CREATE: options without the disposition */
	ACCESS_MASK access;	/* CREATE */
	LONGLONG offset;	/* READ, WRITE */
	ULONG length;		/* READ, WRITE */
	ULONG irp_flags;
	FILE_INFORMATION_CLASS info_class; /* QUERY/SET_INFORMATION */
	ULONG disposition_flags; /* SET_INFORMATION FileDispositionInformationEx */
	ULONG pid;		/* FltGetRequestorProcessId */
	NTSTATUS status;	/* in the post callback */
};

struct gf_state {
	/* configuration (filter 0), changed while operations may run */
	_Atomic(const WCHAR *) record_leaf;	/* record operations on files with this last component */
	_Atomic(const char *) deny_marker;	/* deny writes whose data contains it */
	atomic_bool pend_reads;
	atomic_bool hold_block_reads;
	/* observations */
	atomic_int pre[GF_MAX_FILTERS], post[GF_MAX_FILTERS];
	atomic_int denied, pended, completed_on_worker, held, cancelled;
	atomic_int records;	/* published after the record is written */
	struct gf_record record[GF_MAX_RECORDS];
};

extern struct gf_state gf;

/* Loads `count` filters (altitudes 370000, 360000, 350000); they attach to volumes mounted later. */
NTSTATUS gf_load(int count);
void gf_unload(void);
PFLT_FILTER gf_filter(int i);
/* Clears configuration and observations. */
void gf_reset(void);

#endif /* ALTITUDE_TESTS_FS_GLUE_FILTER_H */
