/*
 * Targeted I/O: operations a filter issues are seen only by the instances
 * below it; sync and async read/write with offsets and
 * DO_NOT_UPDATE_BYTE_OFFSET; callback data allocation and reuse; files a
 * filter opens; information, directory, volume and flush operations; MDLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/pool.h>
#include "flt/flt.h"
#include "probe.h"

#define VOLUME_NAME L"\\Device\\AltitudeVolume1"
#define MDL_TAG ((ULONG)'M' | (ULONG)'d' << 8 | (ULONG)'l' << 16 | (ULONG)' ' << 24)

static altitude_memvol *vol;
static altitude_file *file;
static PFLT_INSTANCE inst[PROBE_MAX];

static void clear_trace(void)
{
	for (int i = 0; i < PROBE_MAX; i++) {
		atomic_store(&probes[i].pre, 0);
		atomic_store(&probes[i].post, 0);
	}
	probe_trace[0] = 0;
}

static int setup(void **state)
{
	IO_STATUS_BLOCK iosb;

	(void)state;
	probe_reset();
	if (altitude_memvol_create(VOLUME_NAME, &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\dir\\a.txt", "0123456789", 10);
	altitude_memvol_add_file(vol, L"\\dir\\b.txt", "bb", 2);
	if (probe_load(0, L"alpha", L"300000") || probe_load(1, L"beta", L"200000") ||
	    probe_load(2, L"gamma", L"100000"))
		return -1;
	for (int i = 0; i < PROBE_MAX; i++) {
		ULONG n = 0;

		if (FltEnumerateInstances(altitude_memvol_volume(vol), probes[i].filter, &inst[i], 1, &n) ||
		    n != 1)
			return -1;
		FltObjectDereference(inst[i]);
	}
	if (altitude_create(vol, L"\\dir\\a.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE, FILE_OPEN, 0,
			    NULL, &file, &iosb))
		return -1;
	/* As if opened with FILE_SYNCHRONOUS_IO_NONALERT: it has a current position. */
	altitude_file_object(file)->Flags |= FO_SYNCHRONOUS_IO;
	clear_trace();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	probe_quiet();
	altitude_close_file(file);
	altitude_filter_unload(L"alpha", TRUE);
	altitude_filter_unload(L"beta", TRUE);
	altitude_filter_unload(L"gamma", TRUE);
	altitude_memvol_destroy(vol);
	altitude_bugcheck_set_hook(NULL, NULL);
	return altitude_flt_live_objects() == 0 ? 0 : -1;
}

static void read_from_the_middle_is_seen_only_below(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	LARGE_INTEGER off = { .QuadPart = 3 };
	ULONG got = 0;
	char buf[8];

	(void)state;
	assert_int_equal(FltReadFile(inst[1], fo, &off, 4, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "3456", 4);
	assert_string_equal(probe_trace, "C<C>");
	assert_int_equal(atomic_load(&probes[0].pre), 0);
	assert_int_equal(atomic_load(&probes[1].pre), 0);
	/* The bottom instance issues straight to the file system. */
	clear_trace();
	assert_int_equal(FltReadFile(inst[2], fo, &off, 4, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "");
}

static char nested_buf[4];
static NTSTATUS nested_status;

/* beta, in its pre-read, reads the same file itself. */
static FLT_PREOP_CALLBACK_STATUS beta_reads_too(struct probe *p, PFLT_CALLBACK_DATA data,
					       PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	LARGE_INTEGER off = { .QuadPart = 6 };
	ULONG got = 0;

	(void)p;
	*ctx = NULL;
	nested_status = FltReadFile(objs->Instance, objs->FileObject, &off, 4, nested_buf,
				    FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, &got, NULL, NULL);
	(void)data;
	return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static void middle_filter_issues_io_from_its_callback(void **state)
{
	IO_STATUS_BLOCK iosb;
	char buf[4];

	(void)state;
	probes[1].pre_hook = beta_reads_too;
	assert_int_equal(altitude_read(file, 0, buf, 2, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(nested_status, STATUS_SUCCESS);
	assert_memory_equal(nested_buf, "6789", 4);
	assert_memory_equal(buf, "01", 2);
	/* Only gamma saw beta's read; then the original read went on down and back up. */
	assert_string_equal(probe_trace, "A<B<C<C>C<C>B>A>");
	assert_int_equal(atomic_load(&probes[0].pre), 1);
	assert_int_equal(atomic_load(&probes[2].pre), 2);
}

static PFLT_CALLBACK_DATA seen_by_gamma;
static ULONG gamma_irp_flags;

static FLT_PREOP_CALLBACK_STATUS record_generated(struct probe *p, PFLT_CALLBACK_DATA data,
						  PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	seen_by_gamma = data;
	gamma_irp_flags = data->Iopb->IrpFlags;
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void generated_io_is_marked_and_targets_the_issuer(void **state)
{
	LARGE_INTEGER off = { .QuadPart = 0 };
	ULONG flags;
	char buf[4];

	(void)state;
	probes[2].pre_hook = record_generated;
	assert_int_equal(FltReadFile(inst[0], altitude_file_object(file), &off, 4, buf,
				     FLTFL_IO_OPERATION_NON_CACHED, NULL, NULL, NULL),
			 STATUS_SUCCESS);
	assert_non_null(seen_by_gamma);
	flags = seen_by_gamma->Flags;
	assert_true(flags & FLTFL_CALLBACK_DATA_GENERATED_IO);
	assert_true(flags & FLTFL_CALLBACK_DATA_IRP_OPERATION);
	assert_string_equal(probe_trace, "B<C<B>");
	assert_true(gamma_irp_flags & IRP_NOCACHE);
	assert_false(gamma_irp_flags & IRP_PAGING_IO);
	assert_true(gamma_irp_flags & IRP_SYNCHRONOUS_API);
	assert_true(gamma_irp_flags & IRP_READ_OPERATION);
	assert_int_equal(FltWriteFile(inst[0], altitude_file_object(file), &off, 2, "ab",
				      FLTFL_IO_OPERATION_PAGING | FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING, NULL,
				      NULL, NULL),
			 STATUS_SUCCESS);
	assert_true(gamma_irp_flags & IRP_PAGING_IO);
	assert_true(gamma_irp_flags & IRP_NOCACHE);
	assert_true(gamma_irp_flags & IRP_SYNCHRONOUS_PAGING_IO);
	assert_true(gamma_irp_flags & IRP_WRITE_OPERATION);
}

static void offsets_and_do_not_update_byte_offset(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	LARGE_INTEGER off = { .QuadPart = 2 };
	ULONG got = 0;
	char buf[8];

	(void)state;
	assert_int_equal(FltReadFile(inst[1], fo, &off, 3, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 5);
	/* ByteOffset NULL: the current position. */
	assert_int_equal(FltReadFile(inst[1], fo, NULL, 2, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_memory_equal(buf, "56", 2);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 7);
	off.QuadPart = 0;
	assert_int_equal(FltReadFile(inst[1], fo, &off, 4, buf,
				     FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, &got, NULL, NULL),
			 STATUS_SUCCESS);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 7);
	assert_int_equal(FltWriteFile(inst[1], fo, &off, 2, "XY",
				      FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, &got, NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(got, 2);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 7);
	off.QuadPart = 10;
	assert_int_equal(FltReadFile(inst[1], fo, &off, 4, buf, 0, &got, NULL, NULL), STATUS_END_OF_FILE);
	assert_int_equal(got, 0);
}

static void write_then_read_back(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	LARGE_INTEGER off = { .QuadPart = 8 };
	char content[16];
	SIZE_T size = 0;
	ULONG got = 0;

	(void)state;
	assert_int_equal(FltWriteFile(inst[0], fo, &off, 4, "WXYZ", 0, &got, NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(got, 4);
	assert_int_equal(altitude_memvol_read_file(vol, L"\\dir\\a.txt", content, sizeof(content), &size),
			 STATUS_SUCCESS);
	assert_int_equal(size, 12);
	assert_memory_equal(content, "01234567WXYZ", 12);
	assert_string_equal(probe_trace, "B<C<C>B>");
}

struct completion {
	int calls;
	NTSTATUS status;
	ULONG_PTR information;
	PFLT_CALLBACK_DATA data;
};

static VOID FLTAPI on_complete(PFLT_CALLBACK_DATA data, PFLT_CONTEXT ctx)
{
	struct completion *c = ctx;

	c->calls++;
	c->status = data->IoStatus.Status;
	c->information = data->IoStatus.Information;
	c->data = data;
}

static PFLT_CALLBACK_DATA pended;

static FLT_PREOP_CALLBACK_STATUS pend_it(struct probe *p, PFLT_CALLBACK_DATA data,
					 PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	pended = data;
	return FLT_PREOP_PENDING;
}

static void async_read_completes_later_through_the_routine(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	LARGE_INTEGER off = { .QuadPart = 6 };
	struct completion c = { 0 };
	ULONG ignored = 77;
	char buf[8];

	(void)state;
	probes[2].pre_hook = pend_it;
	assert_int_equal(FltReadFile(inst[1], fo, &off, 4, buf, 0, &ignored, on_complete, &c),
			 STATUS_PENDING);
	assert_int_equal(c.calls, 0);
	assert_non_null(pended);
	FltCompletePendedPreOperation(pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.status, STATUS_SUCCESS);
	assert_int_equal(c.information, 4);
	assert_memory_equal(buf, "6789", 4);
	assert_int_equal(ignored, 77);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 10);
}

static pthread_t completer;

static void *complete_pended(void *arg)
{
	FltCompletePendedPreOperation(arg, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
	return NULL;
}

static FLT_PREOP_CALLBACK_STATUS pend_and_complete_elsewhere(struct probe *p, PFLT_CALLBACK_DATA data,
							     PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	(void)p;
	(void)objs;
	*ctx = NULL;
	if (pthread_create(&completer, NULL, complete_pended, data))
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	return FLT_PREOP_PENDING;
}

static void sync_read_waits_for_a_lower_filter_that_pends(void **state)
{
	LARGE_INTEGER off = { .QuadPart = 1 };
	ULONG got = 0;
	char buf[4];

	(void)state;
	probes[2].pre_hook = pend_and_complete_elsewhere;
	for (int i = 0; i < 20; i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(FltReadFile(inst[0], altitude_file_object(file), &off, 3, buf, 0, &got,
					     NULL, NULL),
				 STATUS_SUCCESS);
		pthread_join(completer, NULL);
		assert_int_equal(got, 3);
		assert_memory_equal(buf, "123", 3);
	}
}

static void async_write_keeps_the_offset_when_asked(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	LARGE_INTEGER off = { .QuadPart = 0 };
	struct completion c = { 0 };
	char content[16];
	SIZE_T size;

	(void)state;
	fo->CurrentByteOffset.QuadPart = 3;
	/* Completed before returning: the final status, and the routine already ran. */
	assert_int_equal(FltWriteFile(inst[0], fo, &off, 3, "abc",
				      FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, NULL, on_complete, &c),
			 STATUS_SUCCESS);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.status, STATUS_SUCCESS);
	assert_int_equal(c.information, 3);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 3);
	assert_int_equal(altitude_memvol_read_file(vol, L"\\dir\\a.txt", content, sizeof(content), &size),
			 STATUS_SUCCESS);
	assert_memory_equal(content, "abc3456789", 10);
	assert_string_equal(probe_trace, "B<C<C>B>");
}

static void callback_data_allocated_performed_and_reused(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	FILE_STANDARD_INFORMATION std;
	PFLT_CALLBACK_DATA d = NULL;
	struct completion c = { 0 };
	ULONGLONG records;
	char buf[4];

	(void)state;
	assert_int_equal(FltAllocateCallbackData(inst[1], fo, &d), STATUS_SUCCESS);
	assert_ptr_equal(d->Iopb->TargetInstance, inst[1]);
	assert_ptr_equal(d->Iopb->TargetFileObject, fo);
	d->Iopb->MajorFunction = IRP_MJ_READ;
	d->Iopb->Parameters.Read.Length = 2;
	d->Iopb->Parameters.Read.ByteOffset.QuadPart = 1;
	d->Iopb->Parameters.Read.ReadBuffer = buf;
	FltPerformSynchronousIo(d);
	assert_int_equal(d->IoStatus.Status, STATUS_SUCCESS);
	assert_int_equal(d->IoStatus.Information, 2);
	assert_memory_equal(buf, "12", 2);
	assert_ptr_equal(d->Iopb->TargetInstance, inst[1]);
	records = altitude_memvol_op_allocations(vol);

	FltReuseCallbackData(d);
	assert_int_equal(d->Iopb->MajorFunction, IRP_MJ_CREATE);
	assert_int_equal(d->IoStatus.Information, 0);
	assert_ptr_equal(d->Iopb->TargetFileObject, fo);
	d->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
	d->Iopb->Parameters.QueryFileInformation.Length = sizeof(std);
	d->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileStandardInformation;
	d->Iopb->Parameters.QueryFileInformation.InfoBuffer = &std;
	assert_int_equal(FltPerformAsynchronousIo(d, on_complete, &c), STATUS_SUCCESS);
	assert_int_equal(c.calls, 1);
	assert_ptr_equal(c.data, d);
	assert_int_equal(c.status, STATUS_SUCCESS);
	assert_int_equal(std.EndOfFile.QuadPart, 10);
	assert_string_equal(probe_trace, "C<C>C<C>");
	FltFreeCallbackData(d);
	/* Reuse and perform took no new operation record. */
	assert_int_equal(altitude_memvol_op_allocations(vol), records);
}

static void create_cannot_be_asynchronous(void **state)
{
	PFLT_CALLBACK_DATA d = NULL;
	struct completion c = { 0 };

	(void)state;
	assert_int_equal(FltAllocateCallbackData(inst[0], NULL, &d), STATUS_SUCCESS);
	d->Iopb->MajorFunction = IRP_MJ_CREATE;
	assert_int_equal(FltPerformAsynchronousIo(d, on_complete, &c),
			 STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.status, STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
	assert_string_equal(probe_trace, "");
	FltFreeCallbackData(d);
}

static void callback_data_arguments(void **state)
{
	PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)1;

	(void)state;
	assert_int_equal(FltAllocateCallbackData(NULL, NULL, &d), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltAllocateCallbackData(inst[0], NULL, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltPerformAsynchronousIo(NULL, on_complete, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltReadFile(NULL, altitude_file_object(file), NULL, 1, &d, 0, NULL, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltWriteFile(inst[0], NULL, NULL, 1, &d, 0, NULL, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltReadFile(inst[0], altitude_file_object(file), NULL, 1, NULL, 0, NULL, NULL,
				     NULL),
			 STATUS_INVALID_PARAMETER);
}

static NTSTATUS open_file(PFLT_INSTANCE where, PFLT_FILTER filter, const WCHAR *name, ULONG disposition,
			  ULONG options, HANDLE *h, PFILE_OBJECT *fo, PIO_STATUS_BLOCK iosb)
{
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING n;

	RtlInitUnicodeString(&n, name);
	InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
	return FltCreateFileEx2(filter, where, h, fo, FILE_GENERIC_READ | FILE_GENERIC_WRITE, &oa, iosb,
				NULL, FILE_ATTRIBUTE_NORMAL, 0, disposition, options, NULL, 0,
				IO_IGNORE_SHARE_ACCESS_CHECK, NULL);
}

static void filter_opens_reads_and_closes_a_file(void **state)
{
	IO_STATUS_BLOCK iosb;
	PFILE_OBJECT fo = NULL, ref = NULL;
	HANDLE h = NULL;
	ULONG got;
	char buf[4];

	(void)state;
	assert_int_equal(open_file(inst[1], probes[1].filter, VOLUME_NAME L"\\dir\\b.txt", FILE_OPEN,
				   FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &h, &fo, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_OPENED);
	assert_non_null(h);
	assert_non_null(fo);
	assert_string_equal(probe_trace, "C<C>");
	assert_int_equal(ObReferenceObjectByHandle(h, 0, *IoFileObjectType, KernelMode, (PVOID *)&ref, NULL),
			 STATUS_SUCCESS);
	assert_ptr_equal(ref, fo);
	ObDereferenceObject(ref);
	assert_int_equal(FltReadFile(inst[1], fo, NULL, 4, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(got, 2);
	clear_trace();
	assert_int_equal(FltClose(h), STATUS_SUCCESS);
	assert_string_equal(probe_trace, "C<C>"); /* cleanup; the file object is still referenced */
	ObDereferenceObject(fo);
	assert_string_equal(probe_trace, "C<C>C<C>"); /* close */
	assert_int_equal(FltClose(h), STATUS_INVALID_HANDLE);
}

static void asynchronous_file_object_has_no_position(void **state)
{
	LARGE_INTEGER off = { .QuadPart = 1 }, use_position = { .LowPart = FILE_USE_FILE_POINTER_POSITION, .HighPart = -1 };
	IO_STATUS_BLOCK iosb;
	PFILE_OBJECT fo = NULL;
	HANDLE h = NULL;
	ULONG got = 0;
	char buf[4];

	(void)state;
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir\\a.txt", FILE_OPEN, 0, &h,
				   &fo, &iosb),
			 STATUS_SUCCESS);
	assert_false(fo->Flags & FO_SYNCHRONOUS_IO);
	assert_int_equal(FltReadFile(inst[0], fo, &off, 2, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_memory_equal(buf, "12", 2);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 0);
	assert_int_equal(FltReadFile(inst[0], fo, NULL, 2, buf, 0, &got, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltReadFile(inst[0], fo, &use_position, 2, buf, 0, &got, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltClose(h), STATUS_SUCCESS);
	ObDereferenceObject(fo);
	/* Opened for synchronous I/O: the position moves. */
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir\\a.txt", FILE_OPEN,
				   FILE_SYNCHRONOUS_IO_NONALERT, &h, &fo, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(FltReadFile(inst[0], fo, &off, 2, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 3);
	assert_int_equal(FltClose(h), STATUS_SUCCESS);
	ObDereferenceObject(fo);
}

static void null_instance_opens_at_the_top(void **state)
{
	IO_STATUS_BLOCK iosb;
	HANDLE h = NULL;

	(void)state;
	assert_int_equal(open_file(NULL, probes[1].filter, VOLUME_NAME L"\\dir\\new.txt", FILE_CREATE, 0,
				   &h, NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_CREATED);
	assert_string_equal(probe_trace, "A<B<C<C>B>A>");
	assert_true(altitude_memvol_exists(vol, L"\\dir\\new.txt"));
	assert_int_equal(FltClose(h), STATUS_SUCCESS);
}

static void create_failures(void **state)
{
	IO_STATUS_BLOCK iosb;
	HANDLE h = (HANDLE)1;
	PFILE_OBJECT fo = (PFILE_OBJECT)1;

	(void)state;
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir\\none.txt", FILE_OPEN, 0,
				   &h, &fo, &iosb),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_null(h);
	assert_null(fo);
	assert_int_equal(open_file(inst[0], probes[0].filter, L"\\Device\\Other\\a.txt", FILE_OPEN, 0, &h,
				   NULL, &iosb),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(open_file(NULL, probes[0].filter, L"\\Device\\Other\\a.txt", FILE_OPEN, 0, &h,
				   NULL, &iosb),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(open_file(inst[0], probes[1].filter, VOLUME_NAME L"\\dir\\a.txt", FILE_OPEN, 0,
				   &h, NULL, &iosb),
			 STATUS_INVALID_PARAMETER); /* the instance is not the filter's */
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir\\a.txt", 9, 0, &h, NULL,
				   &iosb),
			 STATUS_INVALID_PARAMETER);
}

static void relative_open_from_a_directory_handle(void **state)
{
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING n;
	IO_STATUS_BLOCK iosb;
	HANDLE dir = NULL, h = NULL;
	PFILE_OBJECT fo = NULL;
	ULONG got;
	char buf[4];

	(void)state;
	assert_int_equal(open_file(inst[1], probes[1].filter, VOLUME_NAME L"\\dir", FILE_OPEN,
				   FILE_DIRECTORY_FILE, &dir, NULL, &iosb),
			 STATUS_SUCCESS);
	RtlInitUnicodeString(&n, L"b.txt");
	InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, dir, NULL);
	assert_int_equal(FltCreateFileEx(probes[1].filter, inst[1], &h, &fo, FILE_GENERIC_READ, &oa, &iosb,
					 NULL, 0, FILE_SHARE_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL,
					 0, 0),
			 STATUS_SUCCESS);
	assert_int_equal(FltReadFile(inst[1], fo, NULL, 4, buf, 0, &got, NULL, NULL), STATUS_SUCCESS);
	assert_memory_equal(buf, "bb", 2);
	assert_int_equal(FltClose(h), STATUS_SUCCESS);
	ObDereferenceObject(fo);
	assert_int_equal(FltClose(dir), STATUS_SUCCESS);
}

static void information_directory_volume_and_flush(void **state)
{
	PFILE_OBJECT fo = altitude_file_object(file);
	union {
		FILE_NAMES_INFORMATION names;
		UCHAR raw[256];
	} dirbuf;
	FILE_FS_SIZE_INFORMATION size;
	FILE_POSITION_INFORMATION pos = { .CurrentByteOffset.QuadPart = 4 };
	FILE_STANDARD_INFORMATION std;
	IO_STATUS_BLOCK iosb;
	PFILE_OBJECT dfo = NULL;
	HANDLE dir = NULL;
	BOOLEAN isdir = TRUE;
	ULONG len = 0;

	(void)state;
	assert_int_equal(FltQueryInformationFile(inst[0], fo, &std, sizeof(std), FileStandardInformation,
						 &len),
			 STATUS_SUCCESS);
	assert_int_equal(len, sizeof(std));
	assert_int_equal(std.EndOfFile.QuadPart, 10);
	assert_int_equal(FltQueryInformationFile(inst[0], fo, &std, 4, FileStandardInformation, &len),
			 STATUS_INFO_LENGTH_MISMATCH);
	assert_int_equal(FltSetInformationFile(inst[0], fo, &pos, sizeof(pos), FilePositionInformation),
			 STATUS_SUCCESS);
	assert_int_equal(fo->CurrentByteOffset.QuadPart, 4);
	assert_int_equal(FltIsDirectory(fo, inst[0], &isdir), STATUS_SUCCESS);
	assert_false(isdir);
	assert_int_equal(FltQueryVolumeInformationFile(inst[0], fo, &size, sizeof(size),
						       FileFsSizeInformation, &len),
			 STATUS_SUCCESS);
	assert_int_equal(len, sizeof(size));
	assert_int_equal(FltQueryVolumeInformation(inst[0], &iosb, &size, sizeof(size),
						   FileFsSizeInformation),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, sizeof(size));
	assert_int_equal(size.BytesPerSector, 512);
	assert_int_equal(FltFlushBuffers(inst[0], fo), STATUS_SUCCESS);
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir", FILE_OPEN,
				   FILE_DIRECTORY_FILE, &dir, &dfo, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(FltIsDirectory(dfo, inst[0], &isdir), STATUS_SUCCESS);
	assert_true(isdir);
	assert_int_equal(FltQueryDirectoryFile(inst[0], dfo, &dirbuf, sizeof(dirbuf), FileNamesInformation,
					       TRUE, NULL, TRUE, &len),
			 STATUS_SUCCESS);
	assert_int_equal(dirbuf.names.FileNameLength, 5 * sizeof(WCHAR));
	assert_int_equal(FltClose(dir), STATUS_SUCCESS);
	ObDereferenceObject(dfo);
	assert_int_equal(FltFlushBuffers(inst[0], NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltQueryVolumeInformation(inst[0], NULL, &size, sizeof(size),
						   FileFsSizeInformation),
			 STATUS_INVALID_PARAMETER);
}

static FLT_POSTOP_CALLBACK_STATUS cancel_open(struct probe *p, PFLT_CALLBACK_DATA data,
					      PCFLT_RELATED_OBJECTS objs, PVOID ctx,
					      FLT_POST_OPERATION_FLAGS flags)
{
	(void)p;
	(void)ctx;
	(void)flags;
	if (data->Iopb->MajorFunction != IRP_MJ_CREATE || !NT_SUCCESS(data->IoStatus.Status))
		return FLT_POSTOP_FINISHED_PROCESSING;
	FltCancelFileOpen(objs->Instance, objs->FileObject);
	data->IoStatus.Status = STATUS_ACCESS_DENIED;
	data->IoStatus.Information = 0;
	return FLT_POSTOP_FINISHED_PROCESSING;
}

static void cancel_file_open_closes_below(void **state)
{
	altitude_file *f = NULL;
	IO_STATUS_BLOCK iosb;

	(void)state;
	probes[1].post_hook = cancel_open;
	assert_int_equal(altitude_create(vol, L"\\dir\\b.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &f,
					 &iosb),
			 STATUS_ACCESS_DENIED);
	assert_null(f);
	/* beta cancels the open in its post-create: only gamma sees the cleanup and close */
	assert_string_equal(probe_trace, "A<B<C<C>B>C<C>C<C>A>");
}

static void aligned_pool(void **state)
{
	altitude_pool_tag_info info;
	PVOID p;

	(void)state;
	p = FltAllocatePoolAlignedWithTag(inst[0], NonPagedPool, 100, 'tlAT');
	assert_non_null(p);
	assert_int_equal((ULONG_PTR)p % 512, 0);
	memset(p, 0x5a, 100);
	assert_true(altitude_pool_query_tag('tlAT', &info));
	assert_int_equal(info.live_allocations, 1);
	FltFreePoolAlignedWithTag(inst[0], p, 'tlAT');
	assert_true(altitude_pool_query_tag('tlAT', &info));
	assert_int_equal(info.live_allocations, 0);
	assert_null(FltAllocatePoolAlignedWithTag(inst[0], NonPagedPool, 0, 'tlAT'));
	assert_null(FltAllocatePoolAlignedWithTag(NULL, NonPagedPool, 8, 'tlAT'));
}

static void mdl_basics(void **state)
{
	static char buffer[10000];
	PMDL m;

	(void)state;
	assert_null(IoAllocateMdl(buffer, 0, FALSE, FALSE, NULL));
	m = IoAllocateMdl(buffer + 5, 6000, FALSE, FALSE, NULL);
	assert_non_null(m);
	assert_int_equal(MmGetMdlByteCount(m), 6000);
	assert_ptr_equal(MmGetMdlVirtualAddress(m), buffer + 5);
	assert_int_equal(MmGetMdlByteOffset(m), ((ULONG_PTR)(buffer + 5)) & (PAGE_SIZE - 1));
	assert_null(MmGetSystemAddressForMdlSafe(m, NormalPagePriority));
	MmBuildMdlForNonPagedPool(m);
	assert_ptr_equal(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), buffer + 5);
	IoFreeMdl(m);
	m = IoAllocateMdl(buffer, 100, FALSE, FALSE, NULL);
	MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
	assert_true(m->MdlFlags & MDL_PAGES_LOCKED);
	assert_ptr_equal(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), buffer);
	assert_true(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

static void allocation_failures(void **state)
{
	LARGE_INTEGER off = { .QuadPart = 0 };
	struct completion c = { 0 };
	IO_STATUS_BLOCK iosb;
	HANDLE h = NULL;
	char buf[4];

	(void)state;
	altitude_pool_fail_next(FLT_TARGETED_IO_TAG, 1);
	assert_int_equal(FltReadFile(inst[0], altitude_file_object(file), &off, 4, buf, 0, NULL, on_complete,
				     &c),
			 STATUS_INSUFFICIENT_RESOURCES);
	/* The routine still ran, with the failure. */
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.status, STATUS_INSUFFICIENT_RESOURCES);
	altitude_pool_fail_next(FLT_TARGETED_IO_TAG, 1);
	assert_int_equal(open_file(inst[0], probes[0].filter, VOLUME_NAME L"\\dir\\a.txt", FILE_OPEN, 0, &h,
				   NULL, &iosb),
			 STATUS_INSUFFICIENT_RESOURCES);
	assert_null(h);
	altitude_pool_fail_next(0, 0);
	assert_string_equal(probe_trace, "");
}

static void misuse_is_reported(void **state)
{
	altitude_bugcheck_report *r = probe_catch_bugchecks();
	PFLT_CALLBACK_DATA d = NULL;
	static char buffer[16];
	PMDL m;

	(void)state;
	MmProbeAndLockPages(NULL, KernelMode, IoReadAccess);
	assert_int_equal(r->code, KMODE_EXCEPTION_NOT_HANDLED);
	assert_int_equal(r->parameters[0], (ULONG_PTR)STATUS_ACCESS_VIOLATION);
	m = IoAllocateMdl(buffer, sizeof(buffer), FALSE, FALSE, NULL);
	assert_null(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority));
	IoFreeMdl(m);
	/* Callback data of an operation the filter did not allocate. */
	assert_int_equal(FltAllocateCallbackData(inst[0], NULL, &d), STATUS_SUCCESS);
	d->Flags &= ~FLTFL_CALLBACK_DATA_GENERATED_IO;
	memset(r, 0, sizeof(*r));
	FltFreeCallbackData(d);
	assert_int_equal(r->code, DRIVER_VERIFIER_DETECTED_VIOLATION);
	assert_int_equal(r->parameters[0], 0xAA);
	d->Flags |= FLTFL_CALLBACK_DATA_GENERATED_IO;
	FltFreeCallbackData(d);
}

static void lock_user_buffer_operations(void **state)
{
	PFLT_CALLBACK_DATA d = NULL;
	char buf[8];

	(void)state;
	assert_int_equal(FltAllocateCallbackData(inst[0], altitude_file_object(file), &d), STATUS_SUCCESS);
	d->Iopb->MajorFunction = IRP_MJ_CREATE;
	assert_int_equal(FltLockUserBuffer(d), STATUS_INVALID_PARAMETER);
	d->Iopb->MajorFunction = IRP_MJ_READ;
	d->Iopb->MinorFunction = IRP_MN_MDL;
	d->Iopb->Parameters.Read.ReadBuffer = buf;
	d->Iopb->Parameters.Read.Length = sizeof(buf);
	assert_int_equal(FltLockUserBuffer(d), STATUS_INVALID_PARAMETER);
	d->Iopb->MinorFunction = IRP_MN_NORMAL;
	assert_int_equal(FltLockUserBuffer(d), STATUS_SUCCESS);
	assert_non_null(d->Iopb->Parameters.Read.MdlAddress);
	assert_int_equal(MmGetMdlByteCount(d->Iopb->Parameters.Read.MdlAddress), sizeof(buf));
	/* Already locked: nothing more. */
	assert_int_equal(FltLockUserBuffer(d), STATUS_SUCCESS);
	d->Iopb->Parameters.Read.ByteOffset.QuadPart = 0;
	FltPerformSynchronousIo(d);
	assert_int_equal(d->IoStatus.Status, STATUS_SUCCESS);
	assert_memory_equal(buf, "01234567", 8);
	FltFreeCallbackData(d);
	assert_int_equal(FltLockUserBuffer(NULL), STATUS_INVALID_PARAMETER);
}

static PVOID locked_address;

static FLT_PREOP_CALLBACK_STATUS lock_buffer(struct probe *p, PFLT_CALLBACK_DATA data,
					     PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
	PMDL m;

	(void)p;
	(void)objs;
	*ctx = NULL;
	if (data->Iopb->MajorFunction != IRP_MJ_READ)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	if (FltLockUserBuffer(data) != STATUS_SUCCESS)
		return FLT_PREOP_SUCCESS_NO_CALLBACK;
	m = data->Iopb->Parameters.Read.MdlAddress;
	locked_address = m ? MmGetSystemAddressForMdlSafe(m, NormalPagePriority) : NULL;
	return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static void lock_user_buffer_gives_an_mdl_freed_with_the_operation(void **state)
{
	altitude_pool_tag_info before, after;
	IO_STATUS_BLOCK iosb;
	char buf[4];

	(void)state;
	altitude_pool_query_tag(MDL_TAG, &before);
	probes[1].pre_hook = lock_buffer;
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, &iosb), STATUS_SUCCESS);
	assert_ptr_equal(locked_address, buf);
	assert_true(altitude_pool_query_tag(MDL_TAG, &after));
	assert_true(after.total_allocations > before.total_allocations);
	assert_int_equal(after.live_allocations, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_from_the_middle_is_seen_only_below, setup, teardown),
		cmocka_unit_test_setup_teardown(middle_filter_issues_io_from_its_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(generated_io_is_marked_and_targets_the_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(offsets_and_do_not_update_byte_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(write_then_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(async_read_completes_later_through_the_routine, setup, teardown),
		cmocka_unit_test_setup_teardown(async_write_keeps_the_offset_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_read_waits_for_a_lower_filter_that_pends, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_data_allocated_performed_and_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_data_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(create_cannot_be_asynchronous, setup, teardown),
		cmocka_unit_test_setup_teardown(asynchronous_file_object_has_no_position, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_opens_reads_and_closes_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(null_instance_opens_at_the_top, setup, teardown),
		cmocka_unit_test_setup_teardown(create_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_open_from_a_directory_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(information_directory_volume_and_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_file_open_closes_below, setup, teardown),
		cmocka_unit_test_setup_teardown(aligned_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(mdl_basics, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_user_buffer_gives_an_mdl_freed_with_the_operation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lock_user_buffer_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(misuse_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
