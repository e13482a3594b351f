/*
 * Targeted information, directory, volume and flush operations: each
 * builds one operation, runs it below the instance and waits.  IRQL
 * PASSIVE_LEVEL.  LengthReturned gets IoStatus.Information.
 */
#include "flt/flt.h"

static NTSTATUS flt_io_begin(PFLT_INSTANCE inst, PFILE_OBJECT fo, BOOLEAN need_file, UCHAR major,
			     const char *name, PFLT_CALLBACK_DATA *out)
{
	NTSTATUS s;

	if (!inst || (need_file && !fo))
		return STATUS_INVALID_PARAMETER;
	if (!ke_irql_at_most(PASSIVE_LEVEL, name))
		return STATUS_UNSUCCESSFUL;
	s = flt_io_allocate(inst->volume, inst, fo, out);
	if (NT_SUCCESS(s))
		(*out)->Iopb->MajorFunction = major;
	return s;
}

/* Runs, reports Information, frees; returns the status. */
static NTSTATUS flt_io_finish(PFLT_CALLBACK_DATA d, PULONG returned, PIO_STATUS_BLOCK iosb)
{
	NTSTATUS s = flt_io_run(d, FALSE);

	if (returned)
		*returned = (ULONG)d->IoStatus.Information;
	if (iosb)
		*iosb = d->IoStatus;
	FltFreeCallbackData(d);
	return s;
}

NTSTATUS FLTAPI FltQueryInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					PVOID FileInformation, ULONG Length,
					FILE_INFORMATION_CLASS FileInformationClass,
					PULONG LengthReturned)
{
	PFLT_CALLBACK_DATA d;
	NTSTATUS s;

	if (Length && !FileInformation)
		return STATUS_INVALID_PARAMETER;
	s = flt_io_begin(Instance, FileObject, TRUE, IRP_MJ_QUERY_INFORMATION,
			 "FltQueryInformationFile", &d);
	if (!NT_SUCCESS(s))
		return s;
	d->Iopb->Parameters.QueryFileInformation.Length = Length;
	d->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileInformationClass;
	d->Iopb->Parameters.QueryFileInformation.InfoBuffer = FileInformation;
	return flt_io_finish(d, LengthReturned, NULL);
}

NTSTATUS FLTAPI FltSetInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				      PVOID FileInformation, ULONG Length,
				      FILE_INFORMATION_CLASS FileInformationClass)
{
	PFLT_CALLBACK_DATA d;
	NTSTATUS s;

	if (Length && !FileInformation)
		return STATUS_INVALID_PARAMETER;
	s = flt_io_begin(Instance, FileObject, TRUE, IRP_MJ_SET_INFORMATION, "FltSetInformationFile",
			 &d);
	if (!NT_SUCCESS(s))
		return s;
	d->Iopb->Parameters.SetFileInformation.Length = Length;
	d->Iopb->Parameters.SetFileInformation.FileInformationClass = FileInformationClass;
	d->Iopb->Parameters.SetFileInformation.InfoBuffer = FileInformation;
	return flt_io_finish(d, NULL, NULL);
}

NTSTATUS FLTAPI FltQueryDirectoryFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				      PVOID FileInformation, ULONG Length,
				      FILE_INFORMATION_CLASS FileInformationClass,
				      BOOLEAN ReturnSingleEntry, PUNICODE_STRING FileName,
				      BOOLEAN RestartScan, PULONG LengthReturned)
{
	PFLT_CALLBACK_DATA d;
	NTSTATUS s;

	if (!FileInformation || !Length)
		return STATUS_INVALID_PARAMETER;
	s = flt_io_begin(Instance, FileObject, TRUE, IRP_MJ_DIRECTORY_CONTROL, "FltQueryDirectoryFile",
			 &d);
	if (!NT_SUCCESS(s))
		return s;
	d->Iopb->MinorFunction = IRP_MN_QUERY_DIRECTORY;
	d->Iopb->OperationFlags = (UCHAR)((ReturnSingleEntry ? SL_RETURN_SINGLE_ENTRY : 0) |
					  (RestartScan ? SL_RESTART_SCAN : 0));
	d->Iopb->Parameters.DirectoryControl.QueryDirectory.Length = Length;
	d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileName = FileName;
	d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass = FileInformationClass;
	d->Iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = FileInformation;
	return flt_io_finish(d, LengthReturned, NULL);
}

static NTSTATUS flt_io_query_volume(PFLT_INSTANCE inst, PFILE_OBJECT fo, PVOID buf, ULONG len,
				    FS_INFORMATION_CLASS cls, PULONG returned,
				    PIO_STATUS_BLOCK iosb, const char *name)
{
	PFLT_CALLBACK_DATA d;
	NTSTATUS s;

	if (len && !buf)
		return STATUS_INVALID_PARAMETER;
	s = flt_io_begin(inst, fo, FALSE, IRP_MJ_QUERY_VOLUME_INFORMATION, name, &d);
	if (!NT_SUCCESS(s))
		return s;
	d->Iopb->Parameters.QueryVolumeInformation.Length = len;
	d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass = cls;
	d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer = buf;
	return flt_io_finish(d, returned, iosb);
}

NTSTATUS FLTAPI FltQueryVolumeInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					      PVOID FsInformation, ULONG Length,
					      FS_INFORMATION_CLASS FsInformationClass,
					      PULONG LengthReturned)
{
	if (!FileObject)
		return STATUS_INVALID_PARAMETER;
	return flt_io_query_volume(Instance, FileObject, FsInformation, Length, FsInformationClass,
				   LengthReturned, NULL, "FltQueryVolumeInformationFile");
}

NTSTATUS FLTAPI FltQueryVolumeInformation(PFLT_INSTANCE Instance, PIO_STATUS_BLOCK Iosb,
					  PVOID FsInformation, ULONG Length,
					  FS_INFORMATION_CLASS FsInformationClass)
{
	if (!Iosb)
		return STATUS_INVALID_PARAMETER;
	return flt_io_query_volume(Instance, NULL, FsInformation, Length, FsInformationClass, NULL,
				   Iosb, "FltQueryVolumeInformation");
}

NTSTATUS FLTAPI FltFlushBuffers(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject)
{
	PFLT_CALLBACK_DATA d;
	NTSTATUS s = flt_io_begin(Instance, FileObject, TRUE, IRP_MJ_FLUSH_BUFFERS, "FltFlushBuffers",
				  &d);

	if (!NT_SUCCESS(s))
		return s;
	return flt_io_finish(d, NULL, NULL);
}

NTSTATUS FLTAPI FltIsDirectory(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance, PBOOLEAN IsDirectory)
{
	FILE_STANDARD_INFORMATION info;
	NTSTATUS s;

	if (!IsDirectory)
		return STATUS_INVALID_PARAMETER;
	s = FltQueryInformationFile(Instance, FileObject, &info, sizeof(info), FileStandardInformation,
				    NULL);
	if (NT_SUCCESS(s))
		*IsDirectory = info.Directory;
	return s;
}
