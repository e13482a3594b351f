/*
 * IRP_MJ_CREATE parameters for open(2) flags, as the Windows I/O manager
 * would pass them for the equivalent CreateFile.
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "fs/flt/glue.h"

ACCESS_MASK fs_glue_access(int flags)
{
	ACCESS_MASK a = SYNCHRONIZE | FILE_READ_ATTRIBUTES;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		a |= FILE_GENERIC_READ;
		break;
	case O_WRONLY:
		a |= FILE_GENERIC_WRITE;
		break;
	default:
		a |= FILE_GENERIC_READ | FILE_GENERIC_WRITE;
		break;
	}
	/* An O_APPEND writer may only append. */
	if ((flags & O_APPEND) && (a & FILE_WRITE_DATA))
		a &= ~(ACCESS_MASK)FILE_WRITE_DATA;
	if (flags & O_TRUNC)
		a |= FILE_WRITE_DATA;
	return a;
}

ULONG fs_glue_disposition(int flags)
{
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return FILE_CREATE;
	if (flags & O_CREAT)
		return (flags & O_TRUNC) ? FILE_OVERWRITE_IF : FILE_OPEN_IF;
	return (flags & O_TRUNC) ? FILE_OVERWRITE : FILE_OPEN;
}

ULONG fs_glue_options(int flags, bool directory)
{
	ULONG o = directory ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE;

	o |= FILE_SYNCHRONOUS_IO_NONALERT;
	if (flags & (O_SYNC | O_DSYNC))
		o |= FILE_WRITE_THROUGH;
	if (flags & O_DIRECT)
		o |= FILE_NO_INTERMEDIATE_BUFFERING;
	if (flags & O_NOFOLLOW)
		o |= FILE_OPEN_REPARSE_POINT;
	return o;
}
