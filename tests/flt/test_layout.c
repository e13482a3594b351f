/* WDK x64 sizes and offsets of the structures minifilters share with us. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fltKernel.h>

#define OFF(t, f, v) _Static_assert(offsetof(t, f) == (v), #t "." #f)
#define SIZE(t, v) _Static_assert(sizeof(t) == (v), "sizeof " #t)

SIZE(IO_STATUS_BLOCK, 0x10);
OFF(IO_STATUS_BLOCK, Information, 0x8);

SIZE(FILE_OBJECT, 0xd8);
OFF(FILE_OBJECT, DeviceObject, 0x08);
OFF(FILE_OBJECT, Vpb, 0x10);
OFF(FILE_OBJECT, FsContext, 0x18);
OFF(FILE_OBJECT, FsContext2, 0x20);
OFF(FILE_OBJECT, SectionObjectPointer, 0x28);
OFF(FILE_OBJECT, FinalStatus, 0x38);
OFF(FILE_OBJECT, RelatedFileObject, 0x40);
OFF(FILE_OBJECT, LockOperation, 0x48);
OFF(FILE_OBJECT, DeletePending, 0x49);
OFF(FILE_OBJECT, ReadAccess, 0x4a);
OFF(FILE_OBJECT, SharedDelete, 0x4f);
OFF(FILE_OBJECT, Flags, 0x50);
OFF(FILE_OBJECT, FileName, 0x58);
OFF(FILE_OBJECT, CurrentByteOffset, 0x68);
OFF(FILE_OBJECT, Lock, 0x80);
OFF(FILE_OBJECT, Event, 0x98);
OFF(FILE_OBJECT, CompletionContext, 0xb0);
OFF(FILE_OBJECT, IrpList, 0xc0);
OFF(FILE_OBJECT, FileObjectExtension, 0xd0);

SIZE(DEVICE_OBJECT, 0x150);
OFF(DEVICE_OBJECT, DriverObject, 0x08);
OFF(DEVICE_OBJECT, Flags, 0x30);
OFF(DEVICE_OBJECT, DeviceExtension, 0x40);
OFF(DEVICE_OBJECT, DeviceType, 0x48);
OFF(DEVICE_OBJECT, AlignmentRequirement, 0x98);
OFF(DEVICE_OBJECT, SecurityDescriptor, 0x110);
OFF(DEVICE_OBJECT, SectorSize, 0x130);

SIZE(DRIVER_OBJECT, 0x150);
OFF(DRIVER_OBJECT, DeviceObject, 0x08);
OFF(DRIVER_OBJECT, DriverExtension, 0x30);
OFF(DRIVER_OBJECT, DriverName, 0x38);
OFF(DRIVER_OBJECT, DriverUnload, 0x68);
OFF(DRIVER_OBJECT, MajorFunction, 0x70);

SIZE(FLT_PARAMETERS, 0x30);
OFF(FLT_PARAMETERS, Create.Options, 0x08);
OFF(FLT_PARAMETERS, Create.FileAttributes, 0x10);
OFF(FLT_PARAMETERS, Create.ShareAccess, 0x12);
OFF(FLT_PARAMETERS, Create.EaLength, 0x18);
OFF(FLT_PARAMETERS, Create.EaBuffer, 0x20);
OFF(FLT_PARAMETERS, Create.AllocationSize, 0x28);
OFF(FLT_PARAMETERS, Read.Key, 0x08);
OFF(FLT_PARAMETERS, Read.ByteOffset, 0x10);
OFF(FLT_PARAMETERS, Read.ReadBuffer, 0x18);
OFF(FLT_PARAMETERS, Read.MdlAddress, 0x20);
OFF(FLT_PARAMETERS, Write.WriteBuffer, 0x18);
OFF(FLT_PARAMETERS, QueryFileInformation.FileInformationClass, 0x08);
OFF(FLT_PARAMETERS, QueryFileInformation.InfoBuffer, 0x10);
OFF(FLT_PARAMETERS, SetFileInformation.ParentOfTarget, 0x10);
OFF(FLT_PARAMETERS, SetFileInformation.ReplaceIfExists, 0x18);
OFF(FLT_PARAMETERS, SetFileInformation.InfoBuffer, 0x20);
OFF(FLT_PARAMETERS, QueryEa.EaIndex, 0x18);
OFF(FLT_PARAMETERS, QueryEa.MdlAddress, 0x28);
OFF(FLT_PARAMETERS, DirectoryControl.QueryDirectory.FileName, 0x08);
OFF(FLT_PARAMETERS, DirectoryControl.QueryDirectory.FileInformationClass, 0x10);
OFF(FLT_PARAMETERS, DirectoryControl.QueryDirectory.FileIndex, 0x18);
OFF(FLT_PARAMETERS, DirectoryControl.QueryDirectory.DirectoryBuffer, 0x20);
OFF(FLT_PARAMETERS, FileSystemControl.Common.FsControlCode, 0x10);
OFF(FLT_PARAMETERS, FileSystemControl.Neither.InputBuffer, 0x18);
OFF(FLT_PARAMETERS, LockControl.Key, 0x08);
OFF(FLT_PARAMETERS, LockControl.ByteOffset, 0x10);
OFF(FLT_PARAMETERS, LockControl.ProcessId, 0x18);
OFF(FLT_PARAMETERS, LockControl.FailImmediately, 0x20);
OFF(FLT_PARAMETERS, LockControl.ExclusiveLock, 0x21);
OFF(FLT_PARAMETERS, QueryVolumeInformation.VolumeBuffer, 0x10);
OFF(FLT_PARAMETERS, AcquireForSectionSynchronization.OutputInformation, 0x08);
OFF(FLT_PARAMETERS, Others.Argument6, 0x28);

SIZE(FLT_IO_PARAMETER_BLOCK, 0x48);
OFF(FLT_IO_PARAMETER_BLOCK, MajorFunction, 0x04);
OFF(FLT_IO_PARAMETER_BLOCK, MinorFunction, 0x05);
OFF(FLT_IO_PARAMETER_BLOCK, OperationFlags, 0x06);
OFF(FLT_IO_PARAMETER_BLOCK, TargetFileObject, 0x08);
OFF(FLT_IO_PARAMETER_BLOCK, TargetInstance, 0x10);
OFF(FLT_IO_PARAMETER_BLOCK, Parameters, 0x18);

SIZE(FLT_CALLBACK_DATA, 0x58);
OFF(FLT_CALLBACK_DATA, Thread, 0x08);
OFF(FLT_CALLBACK_DATA, Iopb, 0x10);
OFF(FLT_CALLBACK_DATA, IoStatus, 0x18);
OFF(FLT_CALLBACK_DATA, TagData, 0x28);
OFF(FLT_CALLBACK_DATA, QueueLinks, 0x30);
OFF(FLT_CALLBACK_DATA, QueueContext, 0x40);
OFF(FLT_CALLBACK_DATA, FilterContext, 0x30);
OFF(FLT_CALLBACK_DATA, RequestorMode, 0x50);

SIZE(FLT_RELATED_OBJECTS, 0x30);
OFF(FLT_RELATED_OBJECTS, Filter, 0x08);
OFF(FLT_RELATED_OBJECTS, Volume, 0x10);
OFF(FLT_RELATED_OBJECTS, Instance, 0x18);
OFF(FLT_RELATED_OBJECTS, FileObject, 0x20);
OFF(FLT_RELATED_OBJECTS, Transaction, 0x28);

SIZE(FLT_OPERATION_REGISTRATION, 0x20);
OFF(FLT_OPERATION_REGISTRATION, Flags, 0x04);
OFF(FLT_OPERATION_REGISTRATION, PreOperation, 0x08);
OFF(FLT_OPERATION_REGISTRATION, PostOperation, 0x10);

SIZE(FLT_CONTEXT_REGISTRATION, 0x38);
OFF(FLT_CONTEXT_REGISTRATION, ContextCleanupCallback, 0x08);
OFF(FLT_CONTEXT_REGISTRATION, Size, 0x10);
OFF(FLT_CONTEXT_REGISTRATION, PoolTag, 0x18);

SIZE(FLT_REGISTRATION, 0x70);
OFF(FLT_REGISTRATION, Flags, 0x04);
OFF(FLT_REGISTRATION, ContextRegistration, 0x08);
OFF(FLT_REGISTRATION, OperationRegistration, 0x10);
OFF(FLT_REGISTRATION, FilterUnloadCallback, 0x18);
OFF(FLT_REGISTRATION, InstanceSetupCallback, 0x20);
OFF(FLT_REGISTRATION, InstanceTeardownCompleteCallback, 0x38);
OFF(FLT_REGISTRATION, NormalizeNameComponentExCallback, 0x60);
OFF(FLT_REGISTRATION, SectionNotificationCallback, 0x68);

SIZE(FLT_VOLUME_PROPERTIES, 0x48);
OFF(FLT_VOLUME_PROPERTIES, SectorSize, 0x10);
OFF(FLT_VOLUME_PROPERTIES, FileSystemDriverName, 0x18);
OFF(FLT_VOLUME_PROPERTIES, RealDeviceName, 0x38);

SIZE(FILE_BASIC_INFORMATION, 0x28);
SIZE(FILE_STANDARD_INFORMATION, 0x18);
SIZE(FILE_NETWORK_OPEN_INFORMATION, 0x38);
OFF(FILE_DIRECTORY_INFORMATION, FileName, 0x40);
OFF(FILE_FULL_DIR_INFORMATION, FileName, 0x44);
OFF(FILE_BOTH_DIR_INFORMATION, ShortName, 0x46);
OFF(FILE_BOTH_DIR_INFORMATION, FileName, 0x5e);
OFF(FILE_ID_BOTH_DIR_INFORMATION, FileId, 0x60);
OFF(FILE_ID_BOTH_DIR_INFORMATION, FileName, 0x68);
OFF(FILE_NAMES_INFORMATION, FileName, 0x0c);
OFF(FILE_RENAME_INFORMATION, RootDirectory, 0x08);
OFF(FILE_RENAME_INFORMATION, FileNameLength, 0x10);
OFF(FILE_RENAME_INFORMATION, FileName, 0x14);
OFF(FILE_FULL_EA_INFORMATION, EaName, 0x08);
OFF(FILE_GET_EA_INFORMATION, EaName, 0x05);
SIZE(FILE_FS_SIZE_INFORMATION, 0x18);
SIZE(FILE_FS_FULL_SIZE_INFORMATION, 0x20);
OFF(FILE_FS_ATTRIBUTE_INFORMATION, FileSystemName, 0x0c);
OFF(FILE_FS_VOLUME_INFORMATION, SupportsObjects, 0x10);
OFF(FILE_FS_VOLUME_INFORMATION, VolumeLabel, 0x12);
SIZE(FILE_FS_DEVICE_INFORMATION, 0x08);

static void constants_have_wdk_values(void **state)
{
	(void)state;
	assert_int_equal(IRP_MJ_PNP, 0x1b);
	assert_int_equal(IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION, 0xff);
	assert_int_equal(IRP_MJ_VOLUME_DISMOUNT, 0xec);
	assert_int_equal(IRP_MJ_OPERATION_END, 0x80);
	assert_int_equal(FLT_PREOP_SYNCHRONIZE, 5);
	assert_int_equal(FLT_POSTOP_MORE_PROCESSING_REQUIRED, 1);
	assert_int_equal(FileMaximumInformation, 84);
	assert_int_equal(FileFsMaximumInformation, 16);
	assert_int_equal(FileIdBothDirectoryInformation, 37);
	assert_int_equal(FileDispositionInformationEx, 64);
	assert_int_equal(FileRenameInformationEx, 65);
	assert_int_equal(FLTFL_CALLBACK_DATA_DIRTY, 0x80000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constants_have_wdk_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
