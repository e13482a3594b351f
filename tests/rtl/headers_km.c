/*
 * Compile-only check of the kernel-mode headers a minifilter includes:
 * they must build warning-free with -std=gnu17 -fshort-wchar -Wall -Wextra
 * -Werror, and the layouts must match the documented Windows (x64) ones.
 * Built by tests/rtl/check_headers.sh for each compiler.
 */
#include <fltKernel.h>
#include <ntstrsafe.h>
/* The C library's wide headers may come after ours: the renamed wcs*
 * functions must stay compatible with their declarations. */
#include <wchar.h>
#include <wctype.h>

_Static_assert(sizeof(BOOLEAN) == 1, "BOOLEAN");
_Static_assert(sizeof(CHAR) == 1 && sizeof(UCHAR) == 1, "CHAR");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR");
_Static_assert(sizeof(SHORT) == 2 && sizeof(USHORT) == 2, "SHORT");
_Static_assert(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "LONG");
_Static_assert(sizeof(LONGLONG) == 8 && sizeof(ULONGLONG) == 8, "LONGLONG");
_Static_assert(sizeof(NTSTATUS) == 4 && sizeof(HRESULT) == 4, "NTSTATUS");
_Static_assert(sizeof(ULONG_PTR) == 8 && sizeof(SIZE_T) == 8, "pointer-sized");
_Static_assert(sizeof(HANDLE) == 8 && sizeof(PVOID) == 8, "pointers");
_Static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER");
_Static_assert(offsetof(LARGE_INTEGER, HighPart) == 4, "LARGE_INTEGER.HighPart");
_Static_assert(sizeof(ULARGE_INTEGER) == 8, "ULARGE_INTEGER");
_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(offsetof(GUID, Data4) == 8, "GUID.Data4");
_Static_assert(sizeof(LUID) == 8, "LUID");
_Static_assert(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING");
_Static_assert(offsetof(UNICODE_STRING, MaximumLength) == 2, "UNICODE_STRING.MaximumLength");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer");
_Static_assert(sizeof(ANSI_STRING) == 16 && offsetof(ANSI_STRING, Buffer) == 8, "ANSI_STRING");
_Static_assert(sizeof(LIST_ENTRY) == 16, "LIST_ENTRY");
_Static_assert(offsetof(LIST_ENTRY, Blink) == 8, "LIST_ENTRY.Blink");
_Static_assert(sizeof(SINGLE_LIST_ENTRY) == 8, "SINGLE_LIST_ENTRY");
_Static_assert(sizeof(KIRQL) == 1, "KIRQL");

/* Status values and the success trap. */
_Static_assert(STATUS_TIMEOUT == 0x102 && NT_SUCCESS(STATUS_TIMEOUT), "STATUS_TIMEOUT");
_Static_assert(NT_SUCCESS(STATUS_PENDING), "STATUS_PENDING is a success code");
_Static_assert(!NT_SUCCESS(STATUS_BUFFER_OVERFLOW), "STATUS_BUFFER_OVERFLOW");
_Static_assert(ERROR_ACCESS_DENIED == 5 && WAIT_TIMEOUT == 258, "winerror");
_Static_assert(NTSTRSAFE_MAX_CCH == 2147483647, "NTSTRSAFE_MAX_CCH");

/* The macros a driver uses at file scope and in functions must expand cleanly. */
static const UNICODE_STRING device_prefix = RTL_CONSTANT_STRING(L"\\Device\\");
DECLARE_GLOBAL_CONST_UNICODE_STRING(headers_km_global_name, L"global");

NTSTATUS headers_km_use(PUNICODE_STRING out);

NTSTATUS headers_km_use(PUNICODE_STRING out)
{
	DECLARE_CONST_UNICODE_STRING(name, L"name");
	DECLARE_UNICODE_STRING_SIZE(scratch, 16);
	WCHAR buffer[32];
	NTSTATUS status;

	RtlInitEmptyUnicodeString(out, buffer, sizeof(buffer));
	status = RtlUnicodeStringPrintf(&scratch, L"%wZ%wZ", &device_prefix, &name);
	KdPrint(("status 0x%08lx %ws %zu\n", (ULONG)status, L"x", wcslen(L"abc")));
	KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "%d\n", towupper(L'a') == L'A'));
	return NT_SUCCESS(status) ? RtlAppendUnicodeToString(out, L"x") : status;
}
