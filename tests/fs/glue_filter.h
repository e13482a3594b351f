/*
 * Test minifilters for volumes mounted through FUSE: up to three
 * passthrough filters registering every major function, pre and post.
 * Filter 0 can record what it sees for one file name, deny writes carrying
 * a marker, pend every read (completed from its own worker thread), and
 * hold reads of a file named "block" until the requester cancels them,
 * hide "secret.txt" from directory listings, and deny any major function
 * (or one FSCTL / information class) with STATUS_ACCESS_DENIED.
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
	LONGLONG basic_write_time; /* SET_INFORMATION FileBasicInformation */
	ULONG pid;		/* FltGetRequestorProcessId */
	NTSTATUS status;	/* in the post callback */
	UCHAR minor;
	UCHAR op_flags;		/* Iopb->OperationFlags (SL_RESTART_SCAN, ...) */
	ULONG entries;		/* DIRECTORY_CONTROL: entries in the buffer (after hiding) */
	/* DIRECTORY_CONTROL: the entry named gf.probe_entry, when listed */
	bool probe_found;
	LONGLONG probe_write_time;
	LONGLONG probe_size;
	LONGLONG probe_id;
	ULONG probe_attributes;
	ULONG_PTR information;	/* IoStatus.Information in the post callback */
	/* QUERY_EA: the first EaList name; SET_EA: the first entry */
	char ea_name[64];
	USHORT ea_value_length;
	ULONG ea_length;	/* Parameters.QueryEa/SetEa.Length */
	ULONG ea_list_length;	/* QUERY_EA */
	/* LOCK_CONTROL */
	LONGLONG lock_offset;
	LONGLONG lock_length;
	ULONG lock_key;
	BOOLEAN fail_immediately;
	BOOLEAN exclusive;
	BOOLEAN has_process;	/* Parameters.LockControl.ProcessId is set */
	/* FILE_SYSTEM_CONTROL: the code and its input's first two LONGLONGs */
	ULONG fsctl;
	LONGLONG fsctl_in[2];
	ULONG fsctl_out_length;
	/* SET_INFORMATION FileAllocationInformation */
	LONGLONG allocation;
	/* SET_SECURITY */
	ULONG security_info;
	BOOLEAN has_descriptor;
};

struct gf_state {
	/* configuration (filter 0), changed while operations may run */
	_Atomic(const WCHAR *) record_leaf;	/* record operations on files with this last component */
	_Atomic(const char *) deny_marker;	/* deny writes whose data contains it */
	atomic_bool pend_reads;
	atomic_bool hold_block_reads;
	atomic_bool halve_free_space;	/* post QUERY_VOLUME_INFORMATION halves the free units */
	atomic_bool record_queries;	/* record QUERY_INFORMATION too (getattr; its timing is the kernel's) */
	atomic_bool hide_secret;	/* post QUERY_DIRECTORY removes "secret.txt" */
	_Atomic(const WCHAR *) probe_entry;	/* directory entry whose fields are recorded */
	atomic_ullong deny_majors;	/* 1 << major: filter 0 denies these (STATUS_ACCESS_DENIED) */
	atomic_ulong deny_code;	/* when set, only the FSCTL / SET_INFORMATION class with this code */
	atomic_bool strip_owner_write;	/* pre SET_SECURITY takes write from the DACL's first ACE */
	/* observations */
	atomic_int pre[GF_MAX_FILTERS], post[GF_MAX_FILTERS];
	atomic_int denied, pended, completed_on_worker, held, cancelled;
	atomic_int major_post[IRP_MJ_MAXIMUM_FUNCTION + 1]; /* filter 0's post callbacks by major */
	atomic_int major_pre[IRP_MJ_MAXIMUM_FUNCTION + 1];  /* filter 0's pre callbacks by major */
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
