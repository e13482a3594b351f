/*
 * The Altitude test harness: unit-test a minifilter on Linux.
 *
 * A memory volume is an in-memory file tree acting as the lower file
 * system.  Filters are loaded from their DriverEntry with an instance
 * configuration (what the registry's Instances key holds on Windows), and
 * attach to volumes at their altitudes.  Operations are issued through the
 * whole filter stack, synchronously or asynchronously, with per-operation
 * options (paging I/O, fast I/O, a top-level IRP, asynchronous completion
 * at DISPATCH_LEVEL, a lower-file-system error or hold).
 *
 * Example:
 *
 *     static const altitude_instance_config inst[] = {
 *             { L"Scanner Instance", L"265000", 0 },
 *     };
 *     static const altitude_filter_config cfg = { L"scanner", NULL, 1, inst };
 *     altitude_memvol *vol;
 *     altitude_file *file;
 *     IO_STATUS_BLOCK iosb;
 *     char buf[16];
 *
 *     altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol);
 *     altitude_memvol_add_file(vol, L"\\dir\\a.txt", "hello", 5);
 *     altitude_filter_load(&cfg, DriverEntry, NULL);   // attaches to vol
 *     altitude_create(vol, L"\\dir\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb);
 *     altitude_read(file, 0, buf, sizeof(buf), NULL, &iosb);   // iosb.Information == 5
 *     altitude_close_file(file);                              // cleanup + close
 *     altitude_filter_unload(L"scanner", TRUE);
 *     altitude_memvol_destroy(vol);
 *
 * Every call that issues an operation takes an optional altitude_op_options
 * (NULL: an ordinary synchronous IRP completed inline by the volume).
 * Functions return the operation's final status (also in *iosb), or
 * STATUS_PENDING when opts->async_out asks for an asynchronous operation
 * (not for altitude_create and altitude_close, nor for a directory query
 * with a pattern: STATUS_INVALID_PARAMETER).
 */
#ifndef ALTITUDE_HARNESS_H
#define ALTITUDE_HARNESS_H

#include <fltKernel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- filters -------------------------------------------------------- */

#define ALTITUDE_INSTANCE_NO_AUTOMATIC_ATTACH 0x00000001
#define ALTITUDE_INSTANCE_NO_MANUAL_ATTACH 0x00000002

typedef struct altitude_instance_config {
	const WCHAR *name;     /* instance name */
	const WCHAR *altitude; /* "385100", "370030.5" */
	ULONG flags;           /* ALTITUDE_INSTANCE_* */
} altitude_instance_config;

typedef struct altitude_filter_config {
	const WCHAR *name;             /* service name, e.g. L"scanner" */
	const WCHAR *default_instance; /* NULL: the first instance */
	ULONG instance_count;
	const altitude_instance_config *instances;
} altitude_filter_config;

/* Calls DriverEntry with a new DRIVER_OBJECT; returns its status. */
NTSTATUS altitude_filter_load(const altitude_filter_config *config, PDRIVER_INITIALIZE driver_entry,
			      PDRIVER_OBJECT *driver_out);
/*
 * Unloads a filter: its FilterUnloadCallback runs with
 * FLTFL_FILTER_UNLOAD_MANDATORY when `mandatory`.  A non-mandatory unload
 * may be refused (the callback's status, or STATUS_FLT_DO_NOT_DETACH when
 * the filter has no unload callback).  A mandatory unload always unloads:
 * a filter that did not unregister in its callback (or has none) is
 * unregistered by the Filter Manager.
 */
NTSTATUS altitude_filter_unload(const WCHAR *name, BOOLEAN mandatory);

/* ---- memory volumes --------------------------------------------------- */

typedef struct altitude_memvol altitude_memvol;

/* Creates a volume (e.g. L"\\Device\\AltitudeVolume1"); started filters attach to it. */
NTSTATUS altitude_memvol_create(const WCHAR *name, altitude_memvol **out);
/* Detaches every instance (VOLUME_DISMOUNT) and frees the tree; no operation may be in flight. */
void altitude_memvol_destroy(altitude_memvol *vol);
PFLT_VOLUME altitude_memvol_volume(altitude_memvol *vol);
/* Adds a file (parent directories are created) or a directory, bypassing the filters. */
NTSTATUS altitude_memvol_add_file(altitude_memvol *vol, const WCHAR *path, const void *data,
				  SIZE_T size);
NTSTATUS altitude_memvol_add_directory(altitude_memvol *vol, const WCHAR *path);
/* Reads a file's content bypassing the filters; *size gets its full size. */
NTSTATUS altitude_memvol_read_file(altitude_memvol *vol, const WCHAR *path, void *buffer,
				   SIZE_T capacity, SIZE_T *size);
BOOLEAN altitude_memvol_exists(altitude_memvol *vol, const WCHAR *path);
/* Completes every operation held by ALTITUDE_OP_HOLD (in issue order). */
ULONG altitude_memvol_release_held(altitude_memvol *vol);
/* Operations records allocated by the volume so far (steady state adds none). */
ULONGLONG altitude_memvol_op_allocations(altitude_memvol *vol);

/* ---- operations ------------------------------------------------------- */

typedef struct altitude_file altitude_file;
typedef struct altitude_op altitude_op;

#define ALTITUDE_OP_PAGING_IO 0x00000001     /* IRP_PAGING_IO (read/write) */
#define ALTITUDE_OP_FAST_IO 0x00000002       /* a fast I/O operation (reissued as IRP if disallowed) */
#define ALTITUDE_OP_TOP_LEVEL_IRP 0x00000004 /* the issuing thread has a top-level IRP set */
#define ALTITUDE_OP_ASYNC_COMPLETION 0x00000008 /* the volume completes on its completion thread: post callbacks at DISPATCH_LEVEL */
#define ALTITUDE_OP_HOLD 0x00000010          /* the volume holds the operation until altitude_memvol_release_held */
#define ALTITUDE_OP_NOCACHE 0x00000020       /* IRP_NOCACHE */
#define ALTITUDE_OP_FS_FILTER 0x00000040     /* an FsFilter callback operation */
#define ALTITUDE_OP_SYNCHRONOUS_API 0x00000080 /* IRP_SYNCHRONOUS_API */

typedef struct altitude_op_options {
	ULONG flags;             /* ALTITUDE_OP_* */
	NTSTATUS lower_status;   /* non-zero: the volume fails the operation with it */
	ULONG lower_delay_us;    /* asynchronous completion waits this long first */
	ULONG requestor_pid;     /* 0: this process */
	altitude_op **async_out; /* non-NULL: do not wait; the handle goes here */
} altitude_op_options;

/* Waits for an asynchronous operation; returns its status and fills *iosb. */
NTSTATUS altitude_op_wait(altitude_op *op, PIO_STATUS_BLOCK iosb);
BOOLEAN altitude_op_done(altitude_op *op);
/*
 * Requests cancellation of an operation in flight: an operation the volume
 * holds completes with STATUS_CANCELLED; the request stays visible to the
 * engine for cancellable waits.
 */
VOID altitude_op_cancel(altitude_op *op);
/* Frees a completed asynchronous operation's handle (waits if needed). */
VOID altitude_op_free(altitude_op *op);
/* Operations completed (requester saw the completion) since start. */
ULONGLONG altitude_ops_completed(void);

/* IRP_MJ_CREATE; *file_out is set on success. */
NTSTATUS altitude_create(altitude_memvol *vol, const WCHAR *path, ACCESS_MASK desired_access,
			 ULONG disposition, ULONG create_options, const altitude_op_options *opts,
			 altitude_file **file_out, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_read(altitude_file *file, LONGLONG offset, void *buffer, ULONG length,
		       const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_write(altitude_file *file, LONGLONG offset, const void *buffer, ULONG length,
			const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_query_information(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				    ULONG length, const altitude_op_options *opts,
				    PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_set_information(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				  ULONG length, const altitude_op_options *opts,
				  PIO_STATUS_BLOCK iosb);
/* IRP_MN_QUERY_DIRECTORY; pattern may be NULL ("*"); flags are SL_RESTART_SCAN / SL_RETURN_SINGLE_ENTRY. */
NTSTATUS altitude_query_directory(altitude_file *file, FILE_INFORMATION_CLASS cls, void *buffer,
				  ULONG length, const WCHAR *pattern, UCHAR flags,
				  const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_query_volume_information(altitude_file *file, FS_INFORMATION_CLASS cls,
					   void *buffer, ULONG length,
					   const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_flush(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
NTSTATUS altitude_cleanup(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
/* IRP_MJ_CLOSE; frees the handle whatever the status. */
NTSTATUS altitude_close(altitude_file *file, const altitude_op_options *opts, PIO_STATUS_BLOCK iosb);
/* Cleanup then close, synchronously. */
VOID altitude_close_file(altitude_file *file);
PFILE_OBJECT altitude_file_object(altitude_file *file);

/* ---- accounting --------------------------------------------------------- */

/*
 * Engine and harness memory comes from nonpaged pool under these tags, so
 * <altitude/pool.h> accounts for it per tag (altitude_pool_query_tag,
 * altitude_pool_leak_report) and altitude_pool_fail_next injects failures:
 * "FMfl" filters, "FMvo" volumes, "FMin" instances, "FMsn" instance
 * snapshots, "FMop" operation records, "FMst" names, "FMdr" driver objects,
 * "FMwi" work items, "FMtp" temporary lists, "FMhs" harness operations and
 * files, "FMmv" the memory volume's tree.
 */

/* Engine objects alive (filters, volumes, instances, driver objects, work items). */
LONG altitude_flt_live_objects(void);

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_HARNESS_H */
