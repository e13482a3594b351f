/*
 * Internal interface of the Filter Manager engine.
 *
 * Objects: filters (one per registered driver), volumes (created by an I/O
 * source over a lower file system) and instances (a filter attached to a
 * volume at an altitude).  Topology changes happen under flt_topology_lock;
 * the I/O path takes only the volume's lock, twice per operation (start and
 * end), never a lock per filter.
 *
 * An operation walks a snapshot of the volume's instances (highest altitude
 * first), taken when it starts.  Each instance counts what it still owes
 * ("active"): pre callbacks running, post callbacks expected, pended
 * operations.  Teardown marks the instance, drains the expected post
 * callbacks (FLTFL_POST_OPERATION_DRAINING) and waits for the count to
 * reach zero before InstanceTeardownComplete.
 */
#ifndef ALTITUDE_SRC_FLT_FLT_H
#define ALTITUDE_SRC_FLT_FLT_H

#include <pthread.h>
#include <stdatomic.h>

#include <fltKernel.h>
#include "ke/ke.h"
#include "flt/loader.h"
#include "flt/alloc.h"
#include "flt/cancel.h"

#define FLT_MAJOR_SLOTS 256

enum flt_kind { FLT_KIND_FILTER = 0x46544c46, FLT_KIND_VOLUME = 0x46544c56, FLT_KIND_INSTANCE = 0x46544c49 };

/* Rundown protection shared by the three kinds of objects. */
#define FLT_RUNDOWN_DELETING (1L << 40)
struct flt_object {
	ULONG kind;
	atomic_long rundown; /* FltObjectReference count, plus FLT_RUNDOWN_DELETING */
};

void flt_object_init(struct flt_object *obj, ULONG kind);
/* Takes a rundown reference unless the object is being deleted. */
BOOLEAN flt_object_acquire(struct flt_object *obj);
void flt_object_release(struct flt_object *obj);
/* Marks the object deleting and waits until no rundown reference is left. */
void flt_object_run_down(struct flt_object *obj);

/* Altitudes: parsed decimal strings. */
struct flt_altitude {
	ULONGLONG whole;
	char fraction[24]; /* digits after the point, trailing zeros removed */
};
BOOLEAN flt_altitude_parse(PCUNICODE_STRING text, struct flt_altitude *out);
int flt_altitude_compare(const struct flt_altitude *a, const struct flt_altitude *b);

/* Owned copies of strings. */
NTSTATUS flt_string_dup(PCUNICODE_STRING src, UNICODE_STRING *dst);
NTSTATUS flt_string_from_wsz(const WCHAR *src, UNICODE_STRING *dst);
void flt_string_free(UNICODE_STRING *s);
BOOLEAN flt_string_equal(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN case_insensitive);
void flt_string_init(UNICODE_STRING *s, const WCHAR *wsz);

struct flt_op_callbacks {
	PFLT_PRE_OPERATION_CALLBACK pre;
	PFLT_POST_OPERATION_CALLBACK post;
	FLT_OPERATION_REGISTRATION_FLAGS flags;
};

struct _FLT_FILTER {
	struct flt_object obj;
	atomic_long refs; /* memory: registration, instances */
	LIST_ENTRY link;
	PDRIVER_OBJECT driver;
	const struct flt_loader_record *config; /* owned by the driver object */
	BOOLEAN unloading;
	FLT_REGISTRATION reg;
	FLT_CONTEXT_REGISTRATION *contexts;
	ULONG context_count;
	UNICODE_STRING name;
	BOOLEAN started;
	BOOLEAN unregistering;
	atomic_bool ports_stopped; /* no new port callbacks (port_rundown.c) */
	FLT_FILTER_UNLOAD_FLAGS unload_flags;
	LIST_ENTRY instances; /* flt_topology_lock */
	struct flt_op_callbacks ops[FLT_MAJOR_SLOTS];
};

struct _FLT_INSTANCE {
	struct flt_object obj;
	atomic_long refs; /* memory: volume list, snapshots */
	PFLT_FILTER filter;
	PFLT_VOLUME volume;
	UNICODE_STRING name;
	UNICODE_STRING altitude_text;
	struct flt_altitude altitude;
	LIST_ENTRY volume_link; /* flt_topology_lock */
	LIST_ENTRY filter_link; /* flt_topology_lock */
	atomic_int tearing;
	atomic_long active;
	BOOLEAN setup_done;
};

/* Immutable instance list of a volume, highest altitude first. */
struct flt_snapshot {
	atomic_long refs;
	ULONG count;
	PFLT_INSTANCE inst[];
};

/*
 * The lower file system of a volume.  dispatch performs an operation: it
 * fills Data->IoStatus and returns the status, or returns STATUS_PENDING
 * and later calls flt_volume_complete(Data) from any thread.
 */
struct flt_lower_ops {
	NTSTATUS (*dispatch)(void *ctx, PFLT_CALLBACK_DATA data);
};

struct flt_volume_config {
	DEVICE_TYPE device_type;
	ULONG characteristics;
	USHORT sector_size;
	FLT_FILESYSTEM_TYPE fs_type;
	const WCHAR *fs_driver_name;
	const WCHAR *fs_device_name;
	const WCHAR *real_device_name;
};

struct flt_op;

struct _FLT_VOLUME {
	struct flt_object obj;
	LIST_ENTRY link;
	UNICODE_STRING name;
	UNICODE_STRING fs_driver_name;
	UNICODE_STRING fs_device_name;
	UNICODE_STRING real_device_name;
	DEVICE_TYPE device_type;
	ULONG characteristics;
	USHORT sector_size;
	FLT_FILESYSTEM_TYPE fs_type;
	const struct flt_lower_ops *lower;
	void *lower_ctx;
	LIST_ENTRY instances; /* flt_topology_lock; highest altitude first */
	BOOLEAN dismounting;

	pthread_mutex_t lock; /* snap, inflight, free ops */
	pthread_cond_t idle;
	struct flt_snapshot *snap;
	LIST_ENTRY inflight;
	ULONG inflight_count;
	struct flt_op *free_ops;
	ULONG free_count;
	ULONGLONG op_allocations; /* records ever allocated: steady state adds none */
	struct flt_name_cache *names; /* name.h; created on first use */
};

extern pthread_mutex_t flt_topology_lock;
extern LIST_ENTRY flt_filters;
extern LIST_ENTRY flt_volumes;

/* Waits used by teardown and unregistration (condition checked by caller). */
void flt_wait_lock(void);
void flt_wait_unlock(void);
void flt_wait(void);
void flt_wait_timed(ULONG ms);
void flt_wake_all(void);

/* Filters. */
void flt_filter_put(PFLT_FILTER filter);
NTSTATUS flt_filter_unload(PFLT_FILTER filter, BOOLEAN mandatory);
/* FltUnregisterFilter's first step: no new port callbacks, connections ended. */
void flt_filter_stop_ports(PFLT_FILTER filter);

/* Instances. */
void flt_instance_put(PFLT_INSTANCE inst);
BOOLEAN flt_instance_enter(PFLT_INSTANCE inst);
/* Tells teardown waiters that an instance's state changed. */
void flt_instance_kick(void);
void flt_instance_leave(PFLT_INSTANCE inst);
NTSTATUS flt_instance_attach(PFLT_FILTER filter, PFLT_VOLUME volume, PCUNICODE_STRING altitude,
			     PCUNICODE_STRING name, FLT_INSTANCE_SETUP_FLAGS flags,
			     PFLT_INSTANCE *out);
/* Tears down an instance (topology lock not held): start, drain, wait, complete. */
void flt_instance_teardown(PFLT_INSTANCE inst, FLT_INSTANCE_TEARDOWN_FLAGS reason);
/* Attaches a started filter's default instance (automatic attachment). */
void flt_instance_auto_attach(PFLT_FILTER filter, PFLT_VOLUME volume, FLT_INSTANCE_SETUP_FLAGS flags);
void flt_instance_related(PFLT_INSTANCE inst, PFILE_OBJECT file, FLT_RELATED_OBJECTS *out);

/* Volumes. */
NTSTATUS flt_volume_create(PCUNICODE_STRING name, const struct flt_volume_config *config,
			   const struct flt_lower_ops *lower, void *ctx, PFLT_VOLUME *out);
/* Detaches every instance (VOLUME_DISMOUNT), waits for operations, frees. */
void flt_volume_destroy(PFLT_VOLUME volume);
/* Publishes a new snapshot of volume->instances (topology lock held). */
NTSTATUS flt_volume_republish(PFLT_VOLUME volume);
void flt_snapshot_put(struct flt_snapshot *snap);

/* Operations. */
typedef void (*flt_op_done_fn)(PFLT_CALLBACK_DATA data, void *ctx);

struct flt_slot {
	PFLT_INSTANCE inst;
	atomic_int state;
	BOOLEAN sync;
	PVOID context;
	FLT_IO_PARAMETER_BLOCK iopb;
};

enum flt_slot_state { FLT_SLOT_NONE, FLT_SLOT_WAIT_POST, FLT_SLOT_CLAIMED };

struct flt_op {
	FLT_CALLBACK_DATA data;
	FLT_IO_PARAMETER_BLOCK iopb;
	LIST_ENTRY link;
	struct flt_op *next_free;
	PFLT_VOLUME volume;
	struct flt_snapshot *snap;
	flt_op_done_fn done;
	void *done_ctx;
	ULONG requestor_pid;
	PEPROCESS requestor_process; /* FltGetRequestorProcess: referenced until the operation ends */
	atomic_int holds;        /* walker + drains running a post on it */
	LONG pended_pre;         /* slot whose pre returned PENDING, or -1 */
	LONG pended_post;        /* slot whose post returned MORE_PROCESSING, or -1 */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cv;
	LONG sync_reached;       /* slot the post walk handed to its pre thread */
	void *locked_mdls;       /* FltLockUserBuffer's MDLs, freed when the operation ends */
	struct flt_cancel cancel; /* cancel bit, cancel routine, abort event, IRP */
	ULONG capacity;
	struct flt_slot slots[];
};

static inline struct flt_op *flt_op_from_data(PFLT_CALLBACK_DATA data)
{
	return CONTAINING_RECORD(data, struct flt_op, data);
}

/*
 * Takes an operation record for `volume` (from its free list: no heap
 * allocation in steady state).  The caller fills Flags, the Iopb and
 * IoStatus, then calls flt_op_start.  NULL when out of memory or the
 * volume is going away.
 */
PFLT_CALLBACK_DATA flt_op_begin(PFLT_VOLUME volume);
/* Runs the operation; `done` is called exactly once, then the record is reused. */
void flt_op_start(PFLT_CALLBACK_DATA data, flt_op_done_fn done, void *ctx);
/* Drops a hold on the record (holds counts the walker and anyone keeping it alive). */
void flt_op_release(struct flt_op *op);
/* Called by the lower file system for an operation it returned STATUS_PENDING for. */
void flt_volume_complete(PFLT_CALLBACK_DATA data);
/* TRUE inside a post callback called with FLTFL_POST_OPERATION_DRAINING. */
BOOLEAN flt_thread_draining(void);
/* Drains the expected post callbacks of `inst` on its volume's operations. */
void flt_op_drain_instance(PFLT_INSTANCE inst);

/*
 * Targeted I/O hooks (dispatch.c): run an operation record the caller keeps
 * from snapshot slot `first` down (instances above are skipped); `done`
 * runs once, and the record stays the caller's until flt_op_free.  It may
 * be started again after `done`.
 */
void flt_op_start_at(PFLT_CALLBACK_DATA data, ULONG first, flt_op_done_fn done, void *ctx);
void flt_op_free(PFLT_CALLBACK_DATA data);
/*
 * Targeted I/O (targeted_io.c).  flt_io_allocate takes a record for a
 * filter-issued operation on `volume` (flags IRP | GENERATED_IO, Iopb
 * TargetInstance = issuer, TargetFileObject = file).  flt_io_run runs it
 * from below `issuer` (NULL: the top) or, with `bypass`, straight to the
 * file system, and waits.  Both return a status.
 */
#define FLT_TARGETED_IO_TAG FLT_TAG('F', 'M', 't', 'i')
NTSTATUS flt_io_allocate(PFLT_VOLUME volume, PFLT_INSTANCE issuer, PFILE_OBJECT file,
			 PFLT_CALLBACK_DATA *out);
NTSTATUS flt_io_run(PFLT_CALLBACK_DATA data, BOOLEAN bypass);
/* The volume a file object opened by FltCreateFile* is on, or NULL. */
PFLT_VOLUME flt_io_file_volume(PFILE_OBJECT file);
/* Name cache (name_cache.c): sees every operation at the lower file system. */
void flt_name_observe(PFLT_VOLUME volume, PFLT_CALLBACK_DATA data, BOOLEAN completed);
void flt_name_cache_free(PFLT_VOLUME volume);
/* Frees the MDLs FltLockUserBuffer made for an operation (mdl.c), when it ends. */
void flt_mdl_release_locked(PFLT_CALLBACK_DATA data);

/* Work: routines run at PASSIVE_LEVEL on the system worker threads (ExQueueWorkItem). */
typedef void (*flt_work_fn)(void *ctx);
struct flt_work {
	WORK_QUEUE_ITEM item;
	flt_work_fn fn;
	void *ctx;
};
void flt_work_queue(struct flt_work *work, flt_work_fn fn, void *ctx, WORK_QUEUE_TYPE queue);

/* Reports a filter's misuse with the filter's name in the routine text. */
void flt_report_filter(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, PFLT_FILTER filter,
		       const char *what);

/* Live engine records (filters, volumes, instances, work items), for leak checks. */
void flt_live_add(LONG delta);
LONG flt_live_count(void);

#endif /* ALTITUDE_SRC_FLT_FLT_H */
