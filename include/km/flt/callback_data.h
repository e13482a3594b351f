/*
 * FLT_CALLBACK_DATA: one I/O operation as the Filter Manager presents it to
 * minifilters, with its parameter block (FLT_IO_PARAMETER_BLOCK), the
 * per-major-function parameters (FLT_PARAMETERS, the WDK's union layout)
 * and the related objects (FLT_RELATED_OBJECTS).
 */
#ifndef ALTITUDE_FLT_CALLBACK_DATA_H
#define ALTITUDE_FLT_CALLBACK_DATA_H

#include <flt/types.h>
#include <nt/ex.h>

typedef ULONG SECURITY_INFORMATION, *PSECURITY_INFORMATION;
typedef struct _ACCESS_STATE *PACCESS_STATE;
typedef struct _SECURITY_QUALITY_OF_SERVICE *PSECURITY_QUALITY_OF_SERVICE;
typedef PVOID PSID;

typedef struct _IO_SECURITY_CONTEXT {
	PSECURITY_QUALITY_OF_SERVICE SecurityQos;
	PACCESS_STATE AccessState;
	ACCESS_MASK DesiredAccess;
	ULONG FullCreateOptions;
} IO_SECURITY_CONTEXT, *PIO_SECURITY_CONTEXT;

typedef enum _FS_FILTER_SECTION_SYNC_TYPE {
	SyncTypeOther = 0,
	SyncTypeCreateSection
} FS_FILTER_SECTION_SYNC_TYPE, *PFS_FILTER_SECTION_SYNC_TYPE;

typedef struct _FS_FILTER_SECTION_SYNC_OUTPUT {
	ULONG StructureSize;
	ULONG SizeReturned;
	ULONG Flags;
	ULONG DesiredReadAlignment;
} FS_FILTER_SECTION_SYNC_OUTPUT, *PFS_FILTER_SECTION_SYNC_OUTPUT;

typedef enum _DIRECTORY_NOTIFY_INFORMATION_CLASS {
	DirectoryNotifyInformation = 1,
	DirectoryNotifyExtendedInformation,
	DirectoryNotifyFullInformation,
	DirectoryNotifyMaximumInformation
} DIRECTORY_NOTIFY_INFORMATION_CLASS, *PDIRECTORY_NOTIFY_INFORMATION_CLASS;

typedef union _FLT_PARAMETERS {
	struct {
		PIO_SECURITY_CONTEXT SecurityContext;
		ULONG Options;
		USHORT POINTER_ALIGNMENT FileAttributes;
		USHORT ShareAccess;
		ULONG POINTER_ALIGNMENT EaLength;
		PVOID EaBuffer;
		LARGE_INTEGER AllocationSize;
	} Create;
	struct {
		PIO_SECURITY_CONTEXT SecurityContext;
		ULONG Options;
		USHORT POINTER_ALIGNMENT Reserved;
		USHORT ShareAccess;
		PVOID Parameters;
	} CreatePipe;
	struct {
		PIO_SECURITY_CONTEXT SecurityContext;
		ULONG Options;
		USHORT POINTER_ALIGNMENT Reserved;
		USHORT ShareAccess;
		PVOID Parameters;
	} CreateMailslot;
	struct {
		ULONG Length;
		ULONG POINTER_ALIGNMENT Key;
		LARGE_INTEGER ByteOffset;
		PVOID ReadBuffer;
		PMDL MdlAddress;
	} Read;
	struct {
		ULONG Length;
		ULONG POINTER_ALIGNMENT Key;
		LARGE_INTEGER ByteOffset;
		PVOID WriteBuffer;
		PMDL MdlAddress;
	} Write;
	struct {
		ULONG Length;
		FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
		PVOID InfoBuffer;
	} QueryFileInformation;
	struct {
		ULONG Length;
		FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
		PFILE_OBJECT ParentOfTarget;
		union {
			struct {
				BOOLEAN ReplaceIfExists;
				BOOLEAN AdvanceOnly;
			};
			ULONG ClusterCount;
			HANDLE DeleteHandle;
		};
		PVOID InfoBuffer;
	} SetFileInformation;
	struct {
		ULONG Length;
		PVOID EaList;
		ULONG EaListLength;
		ULONG POINTER_ALIGNMENT EaIndex;
		PVOID EaBuffer;
		PMDL MdlAddress;
	} QueryEa;
	struct {
		ULONG Length;
		PVOID EaBuffer;
		PMDL MdlAddress;
	} SetEa;
	struct {
		ULONG Length;
		FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
		PVOID VolumeBuffer;
	} QueryVolumeInformation;
	struct {
		ULONG Length;
		FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
		PVOID VolumeBuffer;
	} SetVolumeInformation;
	union {
		struct {
			ULONG Length;
			PUNICODE_STRING FileName;
			FILE_INFORMATION_CLASS FileInformationClass;
			ULONG POINTER_ALIGNMENT FileIndex;
			PVOID DirectoryBuffer;
			PMDL MdlAddress;
		} QueryDirectory;
		struct {
			ULONG Length;
			ULONG POINTER_ALIGNMENT CompletionFilter;
			ULONG POINTER_ALIGNMENT Spare1;
			ULONG POINTER_ALIGNMENT Spare2;
			PVOID DirectoryBuffer;
			PMDL MdlAddress;
		} NotifyDirectory;
		struct {
			ULONG Length;
			ULONG POINTER_ALIGNMENT CompletionFilter;
			DIRECTORY_NOTIFY_INFORMATION_CLASS POINTER_ALIGNMENT DirectoryNotifyInformationClass;
			ULONG POINTER_ALIGNMENT Spare2;
			PVOID DirectoryBuffer;
			PMDL MdlAddress;
		} NotifyDirectoryEx;
	} DirectoryControl;
	union {
		struct {
			PVPB Vpb;
			PDEVICE_OBJECT DeviceObject;
		} VerifyVolume;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT FsControlCode;
		} Common;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT FsControlCode;
			PVOID InputBuffer;
			PVOID OutputBuffer;
			PMDL OutputMdlAddress;
		} Neither;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT FsControlCode;
			PVOID SystemBuffer;
		} Buffered;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT FsControlCode;
			PVOID InputSystemBuffer;
			PVOID OutputBuffer;
			PMDL OutputMdlAddress;
		} Direct;
	} FileSystemControl;
	union {
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT IoControlCode;
		} Common;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT IoControlCode;
			PVOID InputBuffer;
			PVOID OutputBuffer;
			PMDL OutputMdlAddress;
		} Neither;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT IoControlCode;
			PVOID SystemBuffer;
		} Buffered;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT IoControlCode;
			PVOID InputSystemBuffer;
			PVOID OutputBuffer;
			PMDL OutputMdlAddress;
		} Direct;
		struct {
			ULONG OutputBufferLength;
			ULONG POINTER_ALIGNMENT InputBufferLength;
			ULONG POINTER_ALIGNMENT IoControlCode;
			PVOID InputBuffer;
			PVOID OutputBuffer;
		} FastIo;
	} DeviceIoControl;
	struct {
		PLARGE_INTEGER Length;
		ULONG POINTER_ALIGNMENT Key;
		LARGE_INTEGER ByteOffset;
		PEPROCESS ProcessId;
		BOOLEAN FailImmediately;
		BOOLEAN ExclusiveLock;
	} LockControl;
	struct {
		SECURITY_INFORMATION SecurityInformation;
		ULONG POINTER_ALIGNMENT Length;
		PVOID SecurityBuffer;
		PMDL MdlAddress;
	} QuerySecurity;
	struct {
		SECURITY_INFORMATION SecurityInformation;
		PSECURITY_DESCRIPTOR SecurityDescriptor;
	} SetSecurity;
	struct {
		ULONG_PTR ProviderId;
		PVOID DataPath;
		ULONG BufferSize;
		PVOID Buffer;
	} WMI;
	struct {
		ULONG Length;
		PSID StartSid;
		PVOID SidList;
		ULONG SidListLength;
		PVOID QuotaBuffer;
		PMDL MdlAddress;
	} QueryQuota;
	struct {
		ULONG Length;
		PVOID QuotaBuffer;
		PMDL MdlAddress;
	} SetQuota;
	struct {
		FS_FILTER_SECTION_SYNC_TYPE SyncType;
		ULONG PageProtection;
		PFS_FILTER_SECTION_SYNC_OUTPUT OutputInformation;
		ULONG Flags;
		ULONG AllocationAttributes;
	} AcquireForSectionSynchronization;
	struct {
		PLARGE_INTEGER EndingOffset;
		PERESOURCE *ResourceToRelease;
	} AcquireForModifiedPageWriter;
	struct {
		PERESOURCE ResourceToRelease;
	} ReleaseForModifiedPageWriter;
	struct {
		PIRP Irp;
		PVOID FileInformation;
		PULONG Length;
		FILE_INFORMATION_CLASS FileInformationClass;
		NTSTATUS CompletionStatus;
	} QueryOpen;
	struct {
		LARGE_INTEGER FileOffset;
		ULONG Length;
		ULONG POINTER_ALIGNMENT LockKey;
		BOOLEAN POINTER_ALIGNMENT CheckForReadOperation;
	} FastIoCheckIfPossible;
	struct {
		PIRP Irp;
		PFILE_NETWORK_OPEN_INFORMATION NetworkInformation;
	} NetworkQueryOpen;
	struct {
		LARGE_INTEGER FileOffset;
		ULONG POINTER_ALIGNMENT Length;
		ULONG Key;
		PMDL *MdlChain;
	} MdlRead;
	struct {
		PMDL MdlChain;
	} MdlReadComplete;
	struct {
		LARGE_INTEGER FileOffset;
		ULONG POINTER_ALIGNMENT Length;
		ULONG POINTER_ALIGNMENT Key;
		PMDL *MdlChain;
	} PrepareMdlWrite;
	struct {
		LARGE_INTEGER FileOffset;
		PMDL MdlChain;
	} MdlWriteComplete;
	struct {
		ULONG DeviceType;
	} MountVolume;
	struct {
		PVOID Argument1;
		PVOID Argument2;
		PVOID Argument3;
		PVOID Argument4;
		PVOID Argument5;
		LARGE_INTEGER Argument6;
	} Others;
} FLT_PARAMETERS, *PFLT_PARAMETERS;

typedef struct _FLT_IO_PARAMETER_BLOCK {
	ULONG IrpFlags;
	UCHAR MajorFunction;
	UCHAR MinorFunction;
	UCHAR OperationFlags;
	UCHAR Reserved;
	PFILE_OBJECT TargetFileObject;
	PFLT_INSTANCE TargetInstance;
	FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK, *PFLT_IO_PARAMETER_BLOCK;

typedef ULONG FLT_CALLBACK_DATA_FLAGS;
#define FLTFL_CALLBACK_DATA_REISSUE_MASK 0x0000FFFF
#define FLTFL_CALLBACK_DATA_IRP_OPERATION 0x00000001
#define FLTFL_CALLBACK_DATA_FAST_IO_OPERATION 0x00000002
#define FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION 0x00000004
#define FLTFL_CALLBACK_DATA_SYSTEM_BUFFER 0x00000008
#define FLTFL_CALLBACK_DATA_GENERATED_IO 0x00010000
#define FLTFL_CALLBACK_DATA_REISSUED_IO 0x00020000
#define FLTFL_CALLBACK_DATA_DRAINING_IO 0x00040000
#define FLTFL_CALLBACK_DATA_POST_OPERATION 0x00080000
#define FLTFL_CALLBACK_DATA_NEW_SYSTEM_BUFFER 0x00100000
#define FLTFL_CALLBACK_DATA_DIRTY 0x80000000

typedef struct _FLT_TAG_DATA_BUFFER *PFLT_TAG_DATA_BUFFER;

typedef struct _FLT_CALLBACK_DATA {
	FLT_CALLBACK_DATA_FLAGS Flags;
	PETHREAD const Thread;
	PFLT_IO_PARAMETER_BLOCK const Iopb;
	IO_STATUS_BLOCK IoStatus;
	PFLT_TAG_DATA_BUFFER TagData;
	union {
		struct {
			LIST_ENTRY QueueLinks;
			PVOID QueueContext[2];
		};
		PVOID FilterContext[4];
	};
	KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA, *PFLT_CALLBACK_DATA;

typedef struct _FLT_RELATED_OBJECTS {
	USHORT const Size;
	USHORT const TransactionContext;
	PFLT_FILTER const Filter;
	PFLT_VOLUME const Volume;
	PFLT_INSTANCE const Instance;
	PFILE_OBJECT const FileObject;
	PKTRANSACTION const Transaction;
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef const struct _FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

#define FLT_IS_IRP_OPERATION(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_IRP_OPERATION))
#define FLT_IS_FASTIO_OPERATION(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_FAST_IO_OPERATION))
#define FLT_IS_FS_FILTER_OPERATION(Data) \
	(FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION))
#define FLT_IS_REISSUED_IO(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_REISSUED_IO))
#define FLT_IS_SYSTEM_BUFFER(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_SYSTEM_BUFFER))

/* Marks the parameters changed by a pre callback (lower filters see them). */
VOID FLTAPI FltSetCallbackDataDirty(PFLT_CALLBACK_DATA Data);
VOID FLTAPI FltClearCallbackDataDirty(PFLT_CALLBACK_DATA Data);
BOOLEAN FLTAPI FltIsCallbackDataDirty(PFLT_CALLBACK_DATA Data);

/* TRUE for non-IRP operations, synchronous IRPs and synchronous file objects. */
BOOLEAN FLTAPI FltIsOperationSynchronous(PFLT_CALLBACK_DATA CallbackData);

ULONG FLTAPI FltGetRequestorProcessId(PFLT_CALLBACK_DATA CallbackData);
PEPROCESS FLTAPI FltGetRequestorProcess(PFLT_CALLBACK_DATA CallbackData);
HANDLE FLTAPI FltGetRequestorProcessIdEx(PFLT_CALLBACK_DATA CallbackData);

/* The name of a major function ("IRP_MJ_READ"), "IRP_MJ_UNKNOWN" otherwise. */
PCHAR FLTAPI FltGetIrpName(UCHAR IrpMajorCode);

/* Pended operations. */
VOID FLTAPI FltCompletePendedPreOperation(PFLT_CALLBACK_DATA CallbackData,
					  FLT_PREOP_CALLBACK_STATUS CallbackStatus, PVOID Context);
VOID FLTAPI FltCompletePendedPostOperation(PFLT_CALLBACK_DATA CallbackData);

#endif /* ALTITUDE_FLT_CALLBACK_DATA_H */
