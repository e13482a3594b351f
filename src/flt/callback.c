/*
 * Names for the current-callback record (callback.h): major functions, the
 * kind of callback, filters' log names.  Everything here may run in a
 * signal handler: no locks, no allocation, no stdio.
 */
#include <altitude/host.h>

#include "flt/callback.h"

static const char *const flt_major_names[IRP_MJ_MAXIMUM_FUNCTION + 1] = {
	"IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ",
	"IRP_MJ_WRITE", "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION", "IRP_MJ_QUERY_EA",
	"IRP_MJ_SET_EA", "IRP_MJ_FLUSH_BUFFERS", "IRP_MJ_QUERY_VOLUME_INFORMATION",
	"IRP_MJ_SET_VOLUME_INFORMATION", "IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL",
	"IRP_MJ_DEVICE_CONTROL", "IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN",
	"IRP_MJ_LOCK_CONTROL", "IRP_MJ_CLEANUP", "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY",
	"IRP_MJ_SET_SECURITY", "IRP_MJ_POWER", "IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE",
	"IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
};

/* The Filter Manager's own majors, indexed by (UCHAR)-major - 1 (types.h). */
static const char *const flt_fltmgr_major_names[20] = {
	"IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION",
	"IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION",
	"IRP_MJ_ACQUIRE_FOR_MOD_WRITE",
	"IRP_MJ_RELEASE_FOR_MOD_WRITE",
	"IRP_MJ_ACQUIRE_FOR_CC_FLUSH",
	"IRP_MJ_RELEASE_FOR_CC_FLUSH",
	"IRP_MJ_QUERY_OPEN",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE",
	"IRP_MJ_NETWORK_QUERY_OPEN",
	"IRP_MJ_MDL_READ",
	"IRP_MJ_MDL_READ_COMPLETE",
	"IRP_MJ_PREPARE_MDL_WRITE",
	"IRP_MJ_MDL_WRITE_COMPLETE",
	"IRP_MJ_VOLUME_MOUNT",
	"IRP_MJ_VOLUME_DISMOUNT",
};

const char *flt_major_name(UCHAR major)
{
	UCHAR back = (UCHAR)(0x100 - major);

	if (major <= IRP_MJ_MAXIMUM_FUNCTION)
		return flt_major_names[major];
	if (back >= 1 && back <= RTL_NUMBER_OF(flt_fltmgr_major_names))
		return flt_fltmgr_major_names[back - 1];
	return NULL;
}

void flt_utf8_copy(char *out, size_t size, const WCHAR *s, size_t chars)
{
	size_t used = 0, i = 0;

	if (!size)
		return;
	while (s && i < chars) {
		UCHAR bytes[4];
		ULONG cp, n;
		BOOLEAN valid;

		i += rtl_utf16_decode(s + i, (ULONG)(chars - i), &cp, &valid);
		n = rtl_utf8_encode(cp, bytes);
		if (used + n >= size)
			break;
		for (ULONG k = 0; k < n; k++)
			out[used++] = (char)bytes[k];
	}
	out[used] = '\0';
}

/* Appends a string (cut to fit); returns the new length. */
static size_t flt_append(char *out, size_t size, size_t used, const char *s)
{
	while (*s && used + 1 < size)
		out[used++] = *s++;
	out[used] = '\0';
	return used;
}

static const char *flt_callback_kind_text(UCHAR kind)
{
	switch (kind) {
	case FLT_CALLBACK_PRE:
		return " pre-operation callback";
	case FLT_CALLBACK_POST:
		return " post-operation callback";
	case FLT_CALLBACK_POST_DRAINING:
		return " post-operation callback (draining)";
	case FLT_CALLBACK_DEFERRED_WORK:
		return " deferred I/O work item";
	case FLT_CALLBACK_WHEN_SAFE:
		return " completion-when-safe callback";
	case FLT_CALLBACK_INSTANCE_SETUP:
		return " InstanceSetupCallback";
	case FLT_CALLBACK_QUERY_TEARDOWN:
		return " InstanceQueryTeardownCallback";
	case FLT_CALLBACK_TEARDOWN_START:
		return " InstanceTeardownStartCallback";
	case FLT_CALLBACK_TEARDOWN_COMPLETE:
		return " InstanceTeardownCompleteCallback";
	case FLT_CALLBACK_PORT_CONNECT:
		return " ConnectNotifyCallback";
	case FLT_CALLBACK_PORT_DISCONNECT:
		return " DisconnectNotifyCallback";
	case FLT_CALLBACK_PORT_MESSAGE:
		return " MessageNotifyCallback";
	default:
		return " generic work item";
	}
}

void flt_callback_operation(const struct flt_callback *cb, char *out, size_t size)
{
	const char *major = cb->iopb ? flt_major_name(cb->iopb->MajorFunction) : NULL;
	size_t used = 0;

	if (!size)
		return;
	out[0] = '\0';
	if (cb->iopb)
		used = flt_append(out, size, used, major ? major : "IRP_MJ_?");
	flt_append(out, size, used, flt_callback_kind_text(cb->kind) + (cb->iopb ? 0 : 1));
}

void flt_callback_set_log_name(PFLT_FILTER filter)
{
	flt_utf8_copy(filter->log_name, sizeof(filter->log_name), filter->name.Buffer,
		      filter->name.Length / sizeof(WCHAR));
}

BOOLEAN altitude_host_current_callback(altitude_host_callback_info *info)
{
	const struct flt_callback *cb = flt_callback_current();
	const UNICODE_STRING *name;

	if (!info)
		return FALSE;
	memset(info, 0, sizeof(*info));
	if (!cb)
		return FALSE;
	flt_append(info->filter, sizeof(info->filter), 0, cb->base.filter);
	flt_callback_operation(cb, info->operation, sizeof(info->operation));
	if (cb->iopb && cb->iopb->TargetFileObject) {
		name = &cb->iopb->TargetFileObject->FileName;
		flt_utf8_copy(info->file, sizeof(info->file), name->Buffer, name->Length / sizeof(WCHAR));
	}
	if (cb->data)
		info->requestor_pid = flt_op_from_data(cb->data)->requestor_pid;
	return TRUE;
}
