/*
 * Targeted I/O: I/O a minifilter issues itself.  An operation issued with
 * an instance is seen only by the instances below it (lower altitudes),
 * then by the file system; with a NULL instance (FltCreateFile*) it starts
 * at the top of the volume's stack.  Generated callback data carry
 * FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO.
 *
 * Files opened by FltCreateFile* are kernel handles to FILE_OBJECTs
 * (ObReferenceObjectByHandle with *IoFileObjectType works on them).
 * FltClose sends IRP_MJ_CLEANUP below the instance and closes the handle;
 * the last reference to the file object sends IRP_MJ_CLOSE.  Close every
 * such file before its volume goes away.  The memory volume has no share
 * access checks, so IO_IGNORE_SHARE_ACCESS_CHECK changes nothing there.
 *
 * With a callback routine, the routine is called exactly once (also on
 * failure), possibly before the call returns, at IRQL <= DISPATCH_LEVEL.
 * The call returns STATUS_PENDING when the operation is still in flight;
 * when it already completed, Flt{Read,Write}File return its final status
 * and FltPerformAsynchronousIo STATUS_SUCCESS.  The callback data of
 * Flt{Read,Write}File is freed after the routine returns; that of
 * FltPerformAsynchronousIo stays the caller's.
 *
 * Flt{Read,Write}File use and update the file object's CurrentByteOffset
 * only for a file opened for synchronous I/O (FO_SYNCHRONOUS_IO), unless
 * FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET (filters below still see
 * the updated value); for other files ByteOffset is required
 * (STATUS_INVALID_PARAMETER).
 */
#ifndef ALTITUDE_FLT_IO_H
#define ALTITUDE_FLT_IO_H

#include <flt/types.h>
#include <flt/callback_data.h>
#include <nt/ob.h>
#include <nt/ex.h>
#include <nt/mdl.h>

/* FltReadFile / FltWriteFile flags. */
#define FLTFL_IO_OPERATION_NON_CACHED 0x00000001
#define FLTFL_IO_OPERATION_PAGING 0x00000002
#define FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET 0x00000004
#define FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING 0x00000008

/* FltCreateFile* Flags. */
#define IO_FORCE_ACCESS_CHECK 0x0001
#define IO_NO_PARAMETER_CHECKING 0x0100
#define IO_IGNORE_SHARE_ACCESS_CHECK 0x0800

#define FILE_USE_FILE_POINTER_POSITION 0xfffffffe
#define FILE_WRITE_TO_END_OF_FILE 0xffffffff

typedef struct _ECP_LIST *PECP_LIST;
typedef struct _TXN_PARAMETER_BLOCK *PTXN_PARAMETER_BLOCK;
typedef struct _ESILO *PESILO;

typedef struct _IO_DRIVER_CREATE_CONTEXT {
	CSHORT Size;
	PECP_LIST ExtraCreateParameter;
	PVOID DeviceObjectHint;
	PTXN_PARAMETER_BLOCK TxnParameters;
	PESILO SiloContext;
} IO_DRIVER_CREATE_CONTEXT, *PIO_DRIVER_CREATE_CONTEXT;
_Static_assert(sizeof(IO_DRIVER_CREATE_CONTEXT) == 40, "IO_DRIVER_CREATE_CONTEXT is 40 bytes on x64");

static inline VOID IoInitializeDriverCreateContext(PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
	RtlZeroMemory(DriverContext, sizeof(*DriverContext));
	DriverContext->Size = sizeof(IO_DRIVER_CREATE_CONTEXT);
}

extern POBJECT_TYPE *IoFileObjectType;

typedef VOID(FLTAPI *PFLT_COMPLETED_ASYNC_IO_CALLBACK)(PFLT_CALLBACK_DATA CallbackData,
							PFLT_CONTEXT Context);

/*
 * Opens ObjectAttributes->ObjectName ("\Device\AltitudeVolume1\dir\a.txt",
 * or relative to ObjectAttributes->RootDirectory, a handle from
 * FltCreateFile).  STATUS_INVALID_PARAMETER: NULL handle or attributes, a
 * name on another volume than Instance's, an unknown volume (NULL
 * Instance), a bad disposition or option.  STATUS_FLT_DELETING_OBJECT:
 * the instance is being torn down.  Otherwise the file system's status.
 */
NTSTATUS FLTAPI FltCreateFile(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
			      ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
			      PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
			      ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition,
			      ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength, ULONG Flags);
/* As FltCreateFile; *FileObject gets a referenced FILE_OBJECT (ObDereferenceObject it). */
NTSTATUS FLTAPI FltCreateFileEx(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
				PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
				POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
				PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
				ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
				ULONG EaLength, ULONG Flags);
/* DriverContext (optional) must have Size == sizeof(IO_DRIVER_CREATE_CONTEXT). */
NTSTATUS FLTAPI FltCreateFileEx2(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
				 PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
				 POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
				 PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
				 ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions,
				 PVOID EaBuffer, ULONG EaLength, ULONG Flags,
				 PIO_DRIVER_CREATE_CONTEXT DriverContext);
/* STATUS_INVALID_HANDLE for a handle that is not an open FltCreateFile handle. */
NTSTATUS FLTAPI FltClose(HANDLE FileHandle);
/*
 * In a post-create callback: closes the file below Instance (cleanup and
 * close) and marks it FO_FILE_OPEN_CANCELLED; the filter then fails the
 * create.
 */
VOID FLTAPI FltCancelFileOpen(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject);

/* ByteOffset NULL: the current position of a file opened for synchronous I/O. */
NTSTATUS FLTAPI FltReadFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
			    PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, ULONG Flags,
			    PULONG BytesRead, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
			    PVOID CallbackContext);
NTSTATUS FLTAPI FltWriteFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
			     PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, ULONG Flags,
			     PULONG BytesWritten, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
			     PVOID CallbackContext);
NTSTATUS FLTAPI FltQueryInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					PVOID FileInformation, ULONG Length,
					FILE_INFORMATION_CLASS FileInformationClass,
					PULONG LengthReturned);
NTSTATUS FLTAPI FltSetInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				      PVOID FileInformation, ULONG Length,
				      FILE_INFORMATION_CLASS FileInformationClass);
NTSTATUS FLTAPI FltQueryDirectoryFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				      PVOID FileInformation, ULONG Length,
				      FILE_INFORMATION_CLASS FileInformationClass,
				      BOOLEAN ReturnSingleEntry, PUNICODE_STRING FileName,
				      BOOLEAN RestartScan, PULONG LengthReturned);
NTSTATUS FLTAPI FltQueryVolumeInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					      PVOID FsInformation, ULONG Length,
					      FS_INFORMATION_CLASS FsInformationClass,
					      PULONG LengthReturned);
/* The volume of Instance, without a file object. */
NTSTATUS FLTAPI FltQueryVolumeInformation(PFLT_INSTANCE Instance, PIO_STATUS_BLOCK Iosb,
					  PVOID FsInformation, ULONG Length,
					  FS_INFORMATION_CLASS FsInformationClass);
NTSTATUS FLTAPI FltFlushBuffers(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject);

/*
 * Callback data for I/O the filter builds itself: fill Iopb (MajorFunction,
 * parameters), then FltPerformSynchronousIo or FltPerformAsynchronousIo;
 * FltReuseCallbackData resets it for another operation (same instance
 * and file object); FltFreeCallbackData frees it.
 */
NTSTATUS FLTAPI FltAllocateCallbackData(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
					PFLT_CALLBACK_DATA *RetNewCallbackData);
/* Callback data that FltAllocateCallbackData did not give: DRIVER_VERIFIER_DETECTED_VIOLATION (0xAA, data). */
VOID FLTAPI FltFreeCallbackData(PFLT_CALLBACK_DATA CallbackData);
VOID FLTAPI FltReuseCallbackData(PFLT_CALLBACK_DATA CallbackData);
/*
 * The result is in CallbackData->IoStatus.  IRQL PASSIVE_LEVEL (APC_LEVEL
 * for paging I/O).  IRP_MJ_CREATE or a non-IRP operation cannot be
 * performed asynchronously: STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST (the
 * routine is still called, with that status).
 */
VOID FLTAPI FltPerformSynchronousIo(PFLT_CALLBACK_DATA CallbackData);
NTSTATUS FLTAPI FltPerformAsynchronousIo(PFLT_CALLBACK_DATA CallbackData,
					 PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
					 PVOID CallbackContext);

/*
 * Pool aligned to the volume's sector size (for non-cached I/O).  NULL
 * for a size of 0, an unknown instance or no memory.
 */
PVOID FLTAPI FltAllocatePoolAlignedWithTag(PFLT_INSTANCE Instance, POOL_TYPE PoolType,
					   SIZE_T NumberOfBytes, ULONG Tag);
VOID FLTAPI FltFreePoolAlignedWithTag(PFLT_INSTANCE Instance, PVOID Buffer, ULONG Tag);

/*
 * Gives the operation's user buffer an MDL (locked and mapped; freed when
 * the operation ends), for read, write (not IRP_MN_MDL), directory
 * control, EA, quota, query-security and the control operations (their
 * method-neither output buffer).  STATUS_SUCCESS also when an MDL already
 * exists or there is no buffer; STATUS_INSUFFICIENT_RESOURCES;
 * STATUS_INVALID_PARAMETER for other operations.  IRQL <= APC_LEVEL.
 */
NTSTATUS FLTAPI FltLockUserBuffer(PFLT_CALLBACK_DATA CallbackData);

#endif /* ALTITUDE_FLT_IO_H */
