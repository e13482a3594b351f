#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wdm.h>
#include <altitude/status.h>
#include "rtl/rtl.h"

struct status_define {
	char name[96];
	ULONG value;
};

/* Every "#define STATUS_X ((NTSTATUS)0x...L)" of ntstatus_defs.h. */
static struct status_define *read_defines(size_t *count)
{
	const char *dir = getenv("ALTITUDE_SOURCE_DIR");
	char path[4096], line[512];
	struct status_define *defs = NULL;
	size_t n = 0;
	FILE *f;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/include/altitude/ntstatus_defs.h", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct status_define d;
		unsigned int v;

		if (sscanf(line, "#define %95s ((NTSTATUS)0x%xL)", d.name, &v) != 2)
			continue;
		if (strncmp(d.name, "STATUS_", 7) != 0)
			continue;
		d.value = v;
		defs = realloc(defs, (n + 1) * sizeof(*defs));
		assert_non_null(defs);
		defs[n++] = d;
	}
	fclose(f);
	*count = n;
	return defs;
}

static BOOLEAN is_define_of(const struct status_define *defs, size_t n, const char *name,
			    ULONG value)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(defs[i].name, name) == 0)
			return defs[i].value == value;
	}
	return FALSE;
}

static void every_status_in_header_has_a_complete_row(void **state)
{
	size_t n, failures = 0;
	struct status_define *defs = read_defines(&n);

	(void)state;
	assert_true(n > 150);
	for (size_t i = 0; i < n; i++) {
		const struct rtl_status_row *row = rtl_status_find((NTSTATUS)defs[i].value);

		if (!row) {
			fprintf(stderr, "missing from the status table: %s\n", defs[i].name);
			failures++;
			continue;
		}
		if (!is_define_of(defs, n, row->name, row->value)) {
			fprintf(stderr, "%s: row name %s is not a define of that value\n",
				defs[i].name, row->name);
			failures++;
		}
		if (!NT_SUCCESS(row->value) && !NT_INFORMATION(row->value) && row->err == 0) {
			fprintf(stderr, "%s: no errno mapping\n", defs[i].name);
			failures++;
		}
		if (row->value != 0 && row->win32 == 0) {
			fprintf(stderr, "%s: no Win32 mapping\n", defs[i].name);
			failures++;
		}
	}
	free(defs);
	assert_int_equal(failures, 0);
}

static void table_is_sorted_and_every_row_is_in_the_header(void **state)
{
	size_t count, n;
	const struct rtl_status_row *rows = rtl_status_rows(&count);
	struct status_define *defs = read_defines(&n);

	(void)state;
	for (size_t i = 1; i < count; i++)
		assert_true(rows[i - 1].value < rows[i].value);
	for (size_t i = 0; i < count; i++)
		assert_true(is_define_of(defs, n, rows[i].name, rows[i].value));
	free(defs);
}

static void success_codes_trap(void **state)
{
	(void)state;
	assert_true(NT_SUCCESS(STATUS_TIMEOUT));
	assert_true(NT_SUCCESS(STATUS_PENDING));
	assert_true(NT_SUCCESS(STATUS_WAIT_63));
	assert_true(NT_SUCCESS(STATUS_ABANDONED_WAIT_0));
	assert_true(NT_SUCCESS(STATUS_OBJECT_NAME_EXISTS));
	assert_true(NT_INFORMATION(STATUS_OBJECT_NAME_EXISTS));
	assert_false(NT_INFORMATION(STATUS_TIMEOUT));
	assert_false(NT_SUCCESS(STATUS_BUFFER_OVERFLOW));
	assert_true(NT_WARNING(STATUS_BUFFER_OVERFLOW));
	assert_false(NT_ERROR(STATUS_BUFFER_OVERFLOW));
	assert_true(NT_ERROR(STATUS_ACCESS_DENIED));
	assert_false(NT_WARNING(STATUS_ACCESS_DENIED));
	assert_false(NT_ERROR(STATUS_PENDING));
	assert_int_equal(STATUS_TIMEOUT, 0x102);
	assert_int_equal((ULONG)STATUS_CANCELLED, 0xC0000120u);
	assert_int_equal((ULONG)STATUS_FLT_NO_WAITER_FOR_REPLY, 0xC01C0020u);
}

static void key_dos_errors(void **state)
{
	(void)state;
	assert_int_equal(RtlNtStatusToDosError(STATUS_SUCCESS), ERROR_SUCCESS);
	assert_int_equal(RtlNtStatusToDosError(STATUS_ACCESS_DENIED), ERROR_ACCESS_DENIED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_OBJECT_NAME_NOT_FOUND), ERROR_FILE_NOT_FOUND);
	assert_int_equal(RtlNtStatusToDosError(STATUS_OBJECT_PATH_NOT_FOUND), ERROR_PATH_NOT_FOUND);
	assert_int_equal(RtlNtStatusToDosError(STATUS_OBJECT_NAME_COLLISION), ERROR_ALREADY_EXISTS);
	assert_int_equal(RtlNtStatusToDosError(STATUS_INVALID_PARAMETER), ERROR_INVALID_PARAMETER);
	assert_int_equal(RtlNtStatusToDosError(STATUS_BUFFER_TOO_SMALL), ERROR_INSUFFICIENT_BUFFER);
	assert_int_equal(RtlNtStatusToDosError(STATUS_BUFFER_OVERFLOW), ERROR_MORE_DATA);
	assert_int_equal(RtlNtStatusToDosError(STATUS_PENDING), ERROR_IO_PENDING);
	assert_int_equal(RtlNtStatusToDosError(STATUS_TIMEOUT), WAIT_TIMEOUT);
	assert_int_equal(RtlNtStatusToDosError(STATUS_CANCELLED), ERROR_OPERATION_ABORTED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_INSUFFICIENT_RESOURCES),
			 ERROR_NO_SYSTEM_RESOURCES);
	assert_int_equal(RtlNtStatusToDosError(STATUS_SHARING_VIOLATION), ERROR_SHARING_VIOLATION);
	assert_int_equal(RtlNtStatusToDosError(STATUS_DIRECTORY_NOT_EMPTY), ERROR_DIR_NOT_EMPTY);
	assert_int_equal(RtlNtStatusToDosError(STATUS_CONNECTION_REFUSED), ERROR_CONNECTION_REFUSED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_NOT_FOUND), ERROR_NOT_FOUND);
	assert_int_equal(RtlNtStatusToDosError(STATUS_PORT_DISCONNECTED), ERROR_INVALID_HANDLE);
	assert_int_equal(RtlNtStatusToDosErrorNoTeb(STATUS_DISK_FULL), ERROR_DISK_FULL);
	assert_int_equal(RtlNtStatusToDosError(STATUS_FILE_RENAMED), ERROR_ACCESS_DENIED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_DELETE_PENDING), ERROR_ACCESS_DENIED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_LPC_REPLY_LOST), ERROR_CONNECTION_ABORTED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_REGISTRY_CORRUPT), ERROR_BADDB);
	assert_int_equal(RtlNtStatusToDosError(STATUS_DEVICE_NOT_CONNECTED),
			 ERROR_DEVICE_NOT_CONNECTED);
	assert_int_equal(RtlNtStatusToDosError(STATUS_EA_TOO_LARGE), ERROR_EA_LIST_INCONSISTENT);
	assert_int_equal(RtlNtStatusToDosError(STATUS_INVALID_ADDRESS), ERROR_UNEXP_NET_ERR);
	assert_int_equal(RtlNtStatusToDosError(STATUS_PORT_ALREADY_SET), ERROR_INVALID_PARAMETER);
}

static void flt_statuses_map_to_filter_hresults(void **state)
{
	(void)state;
	assert_int_equal(RtlNtStatusToDosError(STATUS_FLT_NO_WAITER_FOR_REPLY),
			 (ULONG)ERROR_FLT_NO_WAITER_FOR_REPLY);
	assert_int_equal(RtlNtStatusToDosError(STATUS_FLT_IO_COMPLETE), (ULONG)ERROR_FLT_IO_COMPLETE);
	assert_int_equal(RtlNtStatusToDosError(STATUS_FLT_DELETING_OBJECT),
			 (ULONG)ERROR_FLT_DELETING_OBJECT);
	assert_int_equal(altitude_status_to_hresult(STATUS_FLT_NO_WAITER_FOR_REPLY),
			 ERROR_FLT_NO_WAITER_FOR_REPLY);
	assert_int_equal(altitude_status_to_hresult(STATUS_FLT_IO_COMPLETE), ERROR_FLT_IO_COMPLETE);
}

static void unknown_and_wrapped_codes(void **state)
{
	(void)state;
	assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC0001234), ERROR_MR_MID_NOT_FOUND);
	/* Customer codes pass through; HRESULT_FROM_NT is unwrapped. */
	assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xE0001234), 0xE0001234u);
	assert_int_equal(RtlNtStatusToDosError(HRESULT_FROM_NT(STATUS_ACCESS_DENIED)),
			 ERROR_ACCESS_DENIED);
	/* FACILITY_NTWIN32 carries a Win32 code. */
	assert_int_equal(RtlNtStatusToDosError(HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE)),
			 ERROR_BROKEN_PIPE);
	assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC007000E), ERROR_OUTOFMEMORY);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(altitude_status_name(STATUS_SUCCESS), "STATUS_SUCCESS");
	assert_string_equal(altitude_status_name(STATUS_ACCESS_DENIED), "STATUS_ACCESS_DENIED");
	assert_string_equal(altitude_status_name(STATUS_TIMEOUT), "STATUS_TIMEOUT");
	assert_string_equal(altitude_status_name(STATUS_FLT_NO_WAITER_FOR_REPLY),
			    "STATUS_FLT_NO_WAITER_FOR_REPLY");
	assert_string_equal(altitude_status_name((NTSTATUS)0xC0001234), "0xC0001234");
	assert_string_equal(altitude_status_name((NTSTATUS)0x00000004), "0x00000004");
}

static void errnos(void **state)
{
	(void)state;
	assert_int_equal(altitude_status_to_errno(STATUS_SUCCESS), 0);
	assert_int_equal(altitude_status_to_errno(STATUS_PENDING), 0);
	assert_int_equal(altitude_status_to_errno(STATUS_TIMEOUT), 0);
	assert_int_equal(altitude_status_to_errno(STATUS_ACCESS_DENIED), EACCES);
	assert_int_equal(altitude_status_to_errno(STATUS_OBJECT_NAME_NOT_FOUND), ENOENT);
	assert_int_equal(altitude_status_to_errno(STATUS_OBJECT_NAME_COLLISION), EEXIST);
	assert_int_equal(altitude_status_to_errno(STATUS_DIRECTORY_NOT_EMPTY), ENOTEMPTY);
	assert_int_equal(altitude_status_to_errno(STATUS_DISK_FULL), ENOSPC);
	assert_int_equal(altitude_status_to_errno(STATUS_INSUFFICIENT_RESOURCES), ENOMEM);
	assert_int_equal(altitude_status_to_errno(STATUS_CANCELLED), EINTR);
	assert_int_equal(altitude_status_to_errno(STATUS_NOT_SUPPORTED), EOPNOTSUPP);
	assert_int_equal(altitude_status_to_errno(STATUS_SHARING_VIOLATION), EBUSY);
	assert_int_equal(altitude_status_to_errno((NTSTATUS)0xC0001234), EIO);
	assert_int_equal(altitude_status_to_errno((NTSTATUS)0x80001234), EIO);
	assert_int_equal(altitude_status_to_errno((NTSTATUS)0x40001234), 0);
	assert_int_equal(altitude_status_to_errno((NTSTATUS)0x00001234), 0);
}

static void hresults(void **state)
{
	(void)state;
	assert_int_equal(altitude_status_to_hresult(STATUS_SUCCESS), S_OK);
	assert_int_equal(altitude_status_to_hresult(STATUS_ACCESS_DENIED), E_ACCESSDENIED);
	assert_int_equal(altitude_status_to_hresult(STATUS_INVALID_PARAMETER), E_INVALIDARG);
	assert_int_equal(altitude_status_to_hresult(STATUS_TIMEOUT), HRESULT_FROM_WIN32(WAIT_TIMEOUT));
	assert_int_equal(altitude_status_to_hresult(STATUS_PENDING),
			 HRESULT_FROM_WIN32(ERROR_IO_PENDING));
	assert_int_equal(altitude_status_to_hresult((NTSTATUS)0xC0001234),
			 HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND));
}

static void errno_to_status(void **state)
{
	(void)state;
	assert_int_equal(altitude_errno_to_status(0), STATUS_SUCCESS);
	assert_int_equal(altitude_errno_to_status(ENOENT), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(altitude_errno_to_status(-ENOENT), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(altitude_errno_to_status(EACCES), STATUS_ACCESS_DENIED);
	assert_int_equal(altitude_errno_to_status(EPERM), STATUS_ACCESS_DENIED);
	assert_int_equal(altitude_errno_to_status(EEXIST), STATUS_OBJECT_NAME_COLLISION);
	assert_int_equal(altitude_errno_to_status(ENOTEMPTY), STATUS_DIRECTORY_NOT_EMPTY);
	assert_int_equal(altitude_errno_to_status(ENOTDIR), STATUS_NOT_A_DIRECTORY);
	assert_int_equal(altitude_errno_to_status(EISDIR), STATUS_FILE_IS_A_DIRECTORY);
	assert_int_equal(altitude_errno_to_status(ENOSPC), STATUS_DISK_FULL);
	assert_int_equal(altitude_errno_to_status(ENOMEM), STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(altitude_errno_to_status(EINVAL), STATUS_INVALID_PARAMETER);
	assert_int_equal(altitude_errno_to_status(EROFS), STATUS_MEDIA_WRITE_PROTECTED);
	assert_int_equal(altitude_errno_to_status(EXDEV), STATUS_NOT_SAME_DEVICE);
	assert_int_equal(altitude_errno_to_status(ENAMETOOLONG), STATUS_NAME_TOO_LONG);
	assert_int_equal(altitude_errno_to_status(EINTR), STATUS_CANCELLED);
	assert_int_equal(altitude_errno_to_status(EOPNOTSUPP), STATUS_NOT_SUPPORTED);
	assert_int_equal(altitude_errno_to_status(EIO), STATUS_IO_DEVICE_ERROR);
	assert_int_equal(altitude_errno_to_status(EHOSTDOWN), STATUS_UNSUCCESSFUL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_status_in_header_has_a_complete_row),
		cmocka_unit_test(table_is_sorted_and_every_row_is_in_the_header),
		cmocka_unit_test(success_codes_trap),
		cmocka_unit_test(key_dos_errors),
		cmocka_unit_test(flt_statuses_map_to_filter_hresults),
		cmocka_unit_test(unknown_and_wrapped_codes),
		cmocka_unit_test(names),
		cmocka_unit_test(errnos),
		cmocka_unit_test(hresults),
		cmocka_unit_test(errno_to_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
