/* errno from the lower file system to NTSTATUS. */
#include <errno.h>

#include <altitude/status.h>
#include "rtl/rtl.h"

static NTSTATUS file_errno_to_status(int err)
{
	switch (err) {
	case ENOENT: return STATUS_OBJECT_NAME_NOT_FOUND;
	case EACCES:
	case EPERM: return STATUS_ACCESS_DENIED;
	case EEXIST: return STATUS_OBJECT_NAME_COLLISION;
	case ENOTEMPTY: return STATUS_DIRECTORY_NOT_EMPTY;
	case ENOTDIR: return STATUS_NOT_A_DIRECTORY;
	case EISDIR: return STATUS_FILE_IS_A_DIRECTORY;
	case ENAMETOOLONG: return STATUS_NAME_TOO_LONG;
	case ELOOP: return STATUS_REPARSE_POINT_NOT_RESOLVED;
	case ENOSPC:
	case EDQUOT: return STATUS_DISK_FULL;
	case EROFS: return STATUS_MEDIA_WRITE_PROTECTED;
	case EXDEV: return STATUS_NOT_SAME_DEVICE;
	case EMLINK: return STATUS_TOO_MANY_LINKS;
	case EMFILE:
	case ENFILE: return STATUS_TOO_MANY_OPENED_FILES;
	case EFBIG: return STATUS_FILE_TOO_LARGE;
	case EBUSY:
	case ETXTBSY: return STATUS_SHARING_VIOLATION;
	case ENODATA: return STATUS_NONEXISTENT_EA_ENTRY;
	case E2BIG: return STATUS_EA_TOO_LARGE;
	case ESTALE: return STATUS_FILE_INVALID;
	default: return 0;
	}
}

static NTSTATUS other_errno_to_status(int err)
{
	switch (err) {
	case ENOMEM:
	case ENOLCK: return STATUS_INSUFFICIENT_RESOURCES;
	case EINVAL: return STATUS_INVALID_PARAMETER;
	case EBADF: return STATUS_INVALID_HANDLE;
	case EFAULT: return STATUS_INVALID_USER_BUFFER;
	case EINTR:
	case ECANCELED: return STATUS_CANCELLED;
	case ETIMEDOUT: return STATUS_IO_TIMEOUT;
	case EOPNOTSUPP: return STATUS_NOT_SUPPORTED;
	case ENOSYS: return STATUS_NOT_IMPLEMENTED;
	case ENOTTY: return STATUS_INVALID_DEVICE_REQUEST;
	case EIO: return STATUS_IO_DEVICE_ERROR;
	case ENXIO:
	case ENODEV: return STATUS_NO_SUCH_DEVICE;
	case EAGAIN: return STATUS_RETRY;
	case EDEADLK: return STATUS_POSSIBLE_DEADLOCK;
	case EOVERFLOW: return STATUS_INTEGER_OVERFLOW;
	case ERANGE: return STATUS_BUFFER_TOO_SMALL;
	case EILSEQ: return STATUS_ILLEGAL_CHARACTER;
	case ENOEXEC: return STATUS_INVALID_IMAGE_FORMAT;
	case ECONNREFUSED: return STATUS_CONNECTION_REFUSED;
	case ECONNRESET: return STATUS_PORT_DISCONNECTED;
	case ENOTCONN: return STATUS_PIPE_DISCONNECTED;
	case EPIPE: return STATUS_PIPE_BROKEN;
	case ECONNABORTED: return STATUS_REQUEST_ABORTED;
	default: return STATUS_UNSUCCESSFUL;
	}
}

NTSTATUS altitude_errno_to_status(int err)
{
	NTSTATUS status;

	if (err < 0)
		err = -err;
	if (err == 0)
		return STATUS_SUCCESS;
	status = file_errno_to_status(err);
	return status ? status : other_errno_to_status(err);
}
