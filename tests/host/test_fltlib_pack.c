/*
 * libfltlib's management structures without a daemon: the documented
 * layouts (x64 offsets), the packing of each information class (sizes,
 * name offsets relative to the structure, exact size needed when the
 * buffer is short, nothing written then), the daemon's records, name
 * arguments, and the argument and handle checks that need no daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/control/fltlib.h"

#define HR_INSUFFICIENT HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)
#define HR_BAD_HANDLE HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)

/* ---- layouts as documented (fltUserStructures.h, x64) ---- */
#define AT(type, field, off) _Static_assert(offsetof(type, field) == (off), #type "." #field)
AT(FILTER_FULL_INFORMATION, FrameID, 4);
AT(FILTER_FULL_INFORMATION, NumberOfInstances, 8);
AT(FILTER_FULL_INFORMATION, FilterNameLength, 12);
AT(FILTER_FULL_INFORMATION, FilterNameBuffer, 14);
_Static_assert(sizeof(FILTER_FULL_INFORMATION) == 16, "FILTER_FULL_INFORMATION");
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Flags, 4);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.FrameID, 8);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.NumberOfInstances, 12);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.FilterNameLength, 16);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.FilterNameBufferOffset, 18);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.FilterAltitudeLength, 20);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.MiniFilter.FilterAltitudeBufferOffset, 22);
AT(FILTER_AGGREGATE_BASIC_INFORMATION, Type.LegacyFilter.FilterNameBufferOffset, 10);
_Static_assert(sizeof(FILTER_AGGREGATE_BASIC_INFORMATION) == 24, "FILTER_AGGREGATE_BASIC");
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.Flags, 8);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FrameID, 12);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.NumberOfInstances, 16);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterNameLength, 20);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterNameBufferOffset, 22);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterAltitudeLength, 24);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterAltitudeBufferOffset, 26);
AT(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.LegacyFilter.FilterAltitudeBufferOffset, 18);
_Static_assert(sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION) == 28, "FILTER_AGGREGATE_STANDARD");
AT(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName, 2);
_Static_assert(sizeof(FILTER_VOLUME_BASIC_INFORMATION) == 4, "FILTER_VOLUME_BASIC");
AT(FILTER_VOLUME_STANDARD_INFORMATION, Flags, 4);
AT(FILTER_VOLUME_STANDARD_INFORMATION, FrameID, 8);
AT(FILTER_VOLUME_STANDARD_INFORMATION, FileSystemType, 12);
AT(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeNameLength, 16);
AT(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName, 18);
_Static_assert(sizeof(FILTER_VOLUME_STANDARD_INFORMATION) == 20, "FILTER_VOLUME_STANDARD");
AT(INSTANCE_BASIC_INFORMATION, InstanceNameBufferOffset, 6);
_Static_assert(sizeof(INSTANCE_BASIC_INFORMATION) == 8, "INSTANCE_BASIC");
AT(INSTANCE_PARTIAL_INFORMATION, AltitudeBufferOffset, 10);
_Static_assert(sizeof(INSTANCE_PARTIAL_INFORMATION) == 12, "INSTANCE_PARTIAL");
AT(INSTANCE_FULL_INFORMATION, VolumeNameLength, 12);
AT(INSTANCE_FULL_INFORMATION, FilterNameBufferOffset, 18);
_Static_assert(sizeof(INSTANCE_FULL_INFORMATION) == 20, "INSTANCE_FULL");
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.Flags, 8);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FrameID, 12);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.VolumeFileSystemType, 16);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.InstanceNameLength, 20);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.AltitudeBufferOffset, 26);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.VolumeNameBufferOffset, 30);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterNameBufferOffset, 34);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.SupportedFeatures, 36);
AT(INSTANCE_AGGREGATE_STANDARD_INFORMATION, Type.LegacyFilter.SupportedFeatures, 24);
_Static_assert(sizeof(INSTANCE_AGGREGATE_STANDARD_INFORMATION) == 40, "INSTANCE_AGGREGATE");

static const struct fltlib_filter alpha = { "alpha", "320000", 0, 2 };
static const struct fltlib_volume vol = { "\\Device\\AltitudeVolume1", "/mnt/x", 0 };
static const struct fltlib_instance inst = { "alpha", "\\Device\\AltitudeVolume1", "320000",
					     "alpha Instance", 0 };

/* The ASCII text of `bytes` bytes of UTF-16 at buffer + offset. */
static void assert_name(const void *buffer, size_t offset, size_t bytes, const char *expect)
{
	const unsigned char *p = (const unsigned char *)buffer + offset;

	assert_int_equal(bytes, strlen(expect) * 2);
	for (size_t i = 0; i < strlen(expect); i++) {
		assert_int_equal(p[2 * i], (unsigned char)expect[i]);
		assert_int_equal(p[2 * i + 1], 0);
	}
}

static void test_filter_full(void **state)
{
	union { FILTER_FULL_INFORMATION e; unsigned char b[64]; } u;
	DWORD n = 0;

	(void)state;
	memset(&u, 0xAA, sizeof(u));
	assert_int_equal(fltlib_pack_filter(FilterFullInformation, &alpha, &u, sizeof(u), &n), S_OK);
	assert_int_equal(n, 14 + 10);
	assert_int_equal(u.e.NextEntryOffset, 0);
	assert_int_equal(u.e.FrameID, 0);
	assert_int_equal(u.e.NumberOfInstances, 2);
	assert_int_equal(u.e.FilterNameLength, 10);
	assert_name(&u, 14, 10, "alpha");
	assert_int_equal(u.b[24], 0xAA);
}

static void test_filter_aggregate(void **state)
{
	union { FILTER_AGGREGATE_BASIC_INFORMATION e; unsigned char b[80]; } u;
	union { FILTER_AGGREGATE_STANDARD_INFORMATION e; unsigned char b[80]; } s;
	DWORD n = 0;

	(void)state;
	assert_int_equal(fltlib_pack_filter(FilterAggregateBasicInformation, &alpha, &u, sizeof(u),
					    &n), S_OK);
	assert_int_equal(n, 24 + 10 + 12);
	assert_int_equal(u.e.Flags, FLTFL_AGGREGATE_INFO_IS_MINIFILTER);
	assert_int_equal(u.e.Type.MiniFilter.NumberOfInstances, 2);
	assert_int_equal(u.e.Type.MiniFilter.FilterNameBufferOffset, 24);
	assert_name(&u, 24, u.e.Type.MiniFilter.FilterNameLength, "alpha");
	assert_int_equal(u.e.Type.MiniFilter.FilterAltitudeBufferOffset, 34);
	assert_name(&u, 34, u.e.Type.MiniFilter.FilterAltitudeLength, "320000");

	assert_int_equal(fltlib_pack_filter(FilterAggregateStandardInformation, &alpha, &s, sizeof(s),
					    &n), S_OK);
	assert_int_equal(n, 28 + 10 + 12);
	assert_int_equal(s.e.Flags, FLTFL_ASI_IS_MINIFILTER);
	assert_int_equal(s.e.Type.MiniFilter.Flags, 0);
	assert_int_equal(s.e.Type.MiniFilter.NumberOfInstances, 2);
	assert_int_equal(s.e.Type.MiniFilter.FilterNameBufferOffset, 28);
	assert_name(&s, 28, s.e.Type.MiniFilter.FilterNameLength, "alpha");
	assert_int_equal(s.e.Type.MiniFilter.FilterAltitudeBufferOffset, 38);
	assert_name(&s, 38, s.e.Type.MiniFilter.FilterAltitudeLength, "320000");
}

/* One byte short: the exact size needed, nothing written; no room at all (NULL, 0) alike. */
static void test_short_buffer(void **state)
{
	unsigned char b[64];
	DWORD n = 0;

	(void)state;
	memset(b, 0xAA, sizeof(b));
	assert_int_equal(fltlib_pack_filter(FilterAggregateBasicInformation, &alpha, b, 45, &n),
			 HR_INSUFFICIENT);
	assert_int_equal(n, 46);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0xAA);
	assert_int_equal(fltlib_pack_instance(InstanceFullInformation, &inst, NULL, 0, &n),
			 HR_INSUFFICIENT);
	assert_int_equal(n, 20 + 28 + 12 + 46 + 10);
	assert_int_equal(fltlib_pack_filter(FilterFullInformation, &alpha, b, 24, &n), S_OK);
	assert_int_equal(n, 24);
}

static void test_bad_class(void **state)
{
	unsigned char b[256];
	DWORD n = 7;

	(void)state;
	assert_int_equal(fltlib_pack_filter((FILTER_INFORMATION_CLASS)3, &alpha, b, sizeof(b), &n),
			 E_INVALIDARG);
	assert_int_equal(n, 0);
	assert_int_equal(fltlib_pack_volume((FILTER_VOLUME_INFORMATION_CLASS)2, &vol, b, sizeof(b),
					    &n), E_INVALIDARG);
	assert_int_equal(fltlib_pack_instance((INSTANCE_INFORMATION_CLASS)-1, &inst, b, sizeof(b),
					      &n), E_INVALIDARG);
}

static void test_volume(void **state)
{
	union { FILTER_VOLUME_BASIC_INFORMATION e; unsigned char b[128]; } u;
	union { FILTER_VOLUME_STANDARD_INFORMATION e; unsigned char b[128]; } s;
	DWORD n = 0;

	(void)state;
	assert_int_equal(fltlib_pack_volume(FilterVolumeBasicInformation, &vol, &u, sizeof(u), &n),
			 S_OK);
	assert_int_equal(n, 2 + 46);
	assert_name(&u, 2, u.e.FilterVolumeNameLength, "\\Device\\AltitudeVolume1");
	assert_int_equal(fltlib_pack_volume(FilterVolumeStandardInformation, &vol, &s, sizeof(s),
					    &n), S_OK);
	assert_int_equal(n, 18 + 46);
	assert_int_equal(s.e.NextEntryOffset, 0);
	assert_int_equal(s.e.Flags, 0);
	assert_int_equal(s.e.FrameID, 0);
	assert_int_equal(s.e.FileSystemType, FLT_FSTYPE_UNKNOWN);
	assert_name(&s, 18, s.e.FilterVolumeNameLength, "\\Device\\AltitudeVolume1");
}

static void test_instance(void **state)
{
	union { INSTANCE_FULL_INFORMATION e; unsigned char b[256]; } u;
	union { INSTANCE_AGGREGATE_STANDARD_INFORMATION e; unsigned char b[256]; } a;
	DWORD n = 0;

	(void)state;
	assert_int_equal(fltlib_pack_instance(InstanceBasicInformation, &inst, &u, sizeof(u), &n),
			 S_OK);
	assert_int_equal(n, 8 + 28);
	assert_int_equal(u.e.InstanceNameBufferOffset, 8);
	assert_name(&u, 8, u.e.InstanceNameLength, "alpha Instance");
	assert_int_equal(fltlib_pack_instance(InstancePartialInformation, &inst, &u, sizeof(u), &n),
			 S_OK);
	assert_int_equal(n, 12 + 28 + 12);
	assert_int_equal(u.e.InstanceNameBufferOffset, 12);
	assert_name(&u, u.e.AltitudeBufferOffset, u.e.AltitudeLength, "320000");
	assert_int_equal(u.e.AltitudeBufferOffset, 40);
	assert_int_equal(fltlib_pack_instance(InstanceFullInformation, &inst, &u, sizeof(u), &n),
			 S_OK);
	assert_int_equal(u.e.InstanceNameBufferOffset, 20);
	assert_name(&u, u.e.VolumeNameBufferOffset, u.e.VolumeNameLength, "\\Device\\AltitudeVolume1");
	assert_name(&u, u.e.FilterNameBufferOffset, u.e.FilterNameLength, "alpha");
	assert_int_equal(u.e.FilterNameBufferOffset, 20 + 28 + 12 + 46);
	assert_int_equal(fltlib_pack_instance(InstanceAggregateStandardInformation, &inst, &a,
					      sizeof(a), &n), S_OK);
	assert_int_equal(n, 40 + 28 + 12 + 46 + 10);
	assert_int_equal(a.e.Flags, FLTFL_IASI_IS_MINIFILTER);
	assert_int_equal(a.e.Type.MiniFilter.Flags, 0);
	assert_int_equal(a.e.Type.MiniFilter.VolumeFileSystemType, FLT_FSTYPE_UNKNOWN);
	assert_int_equal(a.e.Type.MiniFilter.SupportedFeatures, 0);
	assert_int_equal(a.e.Type.MiniFilter.InstanceNameBufferOffset, 40);
	assert_name(&a, 40, a.e.Type.MiniFilter.InstanceNameLength, "alpha Instance");
	assert_name(&a, a.e.Type.MiniFilter.AltitudeBufferOffset, a.e.Type.MiniFilter.AltitudeLength,
		    "320000");
	assert_name(&a, a.e.Type.MiniFilter.VolumeNameBufferOffset,
		    a.e.Type.MiniFilter.VolumeNameLength, "\\Device\\AltitudeVolume1");
	assert_name(&a, a.e.Type.MiniFilter.FilterNameBufferOffset,
		    a.e.Type.MiniFilter.FilterNameLength, "alpha");
}

/* Names beyond ASCII are UTF-16 (a surrogate pair for U+1F600); ill-formed UTF-8 is refused. */
static void test_unicode_names(void **state)
{
	struct fltlib_filter f = { "\xc3\xa9\xf0\x9f\x98\x80", "1", 3, 0 };
	union { FILTER_FULL_INFORMATION e; unsigned char b[64]; } u;
	DWORD n = 0;

	(void)state;
	assert_int_equal(fltlib_pack_filter(FilterFullInformation, &f, &u, sizeof(u), &n), S_OK);
	assert_int_equal(u.e.FrameID, 3);
	assert_int_equal(u.e.FilterNameLength, 6);
	assert_int_equal(u.e.FilterNameBuffer[0], 0xE9);
	assert_int_equal(((WCHAR *)(u.b + 14))[1], 0xD83D);
	assert_int_equal(((WCHAR *)(u.b + 14))[2], 0xDE00);
	f.name = "bad\xff";
	assert_int_equal(fltlib_pack_filter(FilterFullInformation, &f, &u, sizeof(u), &n),
			 HRESULT_FROM_WIN32(ERROR_INVALID_DATA));
	f.name = "\xed\xa0\x80"; /* an encoded surrogate */
	assert_int_equal(fltlib_pack_filter(FilterFullInformation, &f, &u, sizeof(u), &n),
			 HRESULT_FROM_WIN32(ERROR_INVALID_DATA));
}

/* The daemon's records: later fields are ignored, malformed ones refused. */
static void test_records(void **state)
{
	char filter[] = "beta\x1f" "1\x1f" "385100\x1f" "0\x1f/x/beta.so\x1fnew field";
	char short_filter[] = "beta\x1f" "1";
	char bad_number[] = "beta\x1fmany\x1f" "1\x1f" "0\x1fm";
	char volume[] = "/mnt/a\x1f\\Device\\AltitudeVolume2\x1f" "altitudefs\x1f/src";
	char instance[] = "alpha\x1f\\Device\\AltitudeVolume2\x1f" "250000\x1f" "alpha second\x1f" "4";
	char bad_instance[] = "alpha\x1f\\Device\\AltitudeVolume2\x1f" "250000\x1f\x1f" "0";
	struct fltlib_filter f;
	struct fltlib_volume v;
	struct fltlib_instance i;

	(void)state;
	assert_true(fltlib_parse_filter(filter, &f));
	assert_string_equal(f.name, "beta");
	assert_string_equal(f.altitude, "385100");
	assert_int_equal(f.instances, 1);
	assert_int_equal(f.frame, 0);
	assert_false(fltlib_parse_filter(short_filter, &f));
	assert_false(fltlib_parse_filter(bad_number, &f));
	assert_true(fltlib_parse_volume(volume, &v));
	assert_string_equal(v.name, "\\Device\\AltitudeVolume2");
	assert_string_equal(v.dos_name, "/mnt/a");
	assert_true(fltlib_parse_instance(instance, &i));
	assert_string_equal(i.instance, "alpha second");
	assert_string_equal(i.altitude, "250000");
	assert_int_equal(i.frame, 4);
	assert_false(fltlib_parse_instance(bad_instance, &i));
}

static void test_name_args(void **state)
{
	static const WCHAR lone[] = { 'a', 0xD800, 0 };
	char *s = NULL;

	(void)state;
	assert_int_equal(fltlib_volume_arg(L"\\Device\\AltitudeVolume1\\", &s), S_OK);
	assert_string_equal(s, "\\Device\\AltitudeVolume1");
	free(s);
	assert_int_equal(fltlib_volume_arg(L"/mnt/x/", &s), S_OK);
	assert_string_equal(s, "/mnt/x");
	free(s);
	assert_int_equal(fltlib_volume_arg(L"/", &s), S_OK);
	assert_string_equal(s, "/");
	free(s);
	assert_int_equal(fltlib_name_arg(L"alpha\\", &s), S_OK);
	assert_string_equal(s, "alpha\\");
	free(s);
	assert_int_equal(fltlib_name_arg(L"\u00e9", &s), S_OK);
	assert_string_equal(s, "\xc3\xa9");
	free(s);
	assert_int_equal(fltlib_name_arg(NULL, &s), E_INVALIDARG);
	assert_int_equal(fltlib_name_arg(L"", &s), E_INVALIDARG);
	assert_int_equal(fltlib_name_arg(lone, &s), E_INVALIDARG);
	assert_null(s);
}

/* Without fltmgrd: the documented argument and handle checks, then "not running". */
static void test_without_daemon(void **state)
{
	unsigned char b[256];
	HANDLE h = NULL;
	DWORD n = 0;

	(void)state;
	setenv("ALTITUDE_RUNTIME_DIR", "/nonexistent/altitude-test", 1);
	assert_int_equal(FilterFindFirst(FilterFullInformation, b, sizeof(b), NULL, &h), E_INVALIDARG);
	assert_ptr_equal(h, INVALID_HANDLE_VALUE);
	assert_int_equal(FilterFindFirst(FilterFullInformation, b, sizeof(b), &n, NULL), E_INVALIDARG);
	assert_int_equal(FilterFindFirst((FILTER_INFORMATION_CLASS)9, b, sizeof(b), &n, &h),
			 E_INVALIDARG);
	assert_int_equal(FilterFindFirst(FilterFullInformation, NULL, 8, &n, &h), E_INVALIDARG);
	assert_int_equal(FilterInstanceFindFirst(NULL, InstanceBasicInformation, b, sizeof(b), &n, &h),
			 E_INVALIDARG);
	assert_int_equal(FilterVolumeInstanceFindFirst(L"", InstanceBasicInformation, b, sizeof(b),
						       &n, &h), E_INVALIDARG);
	assert_int_equal(FilterFindFirst(FilterFullInformation, b, sizeof(b), &n, &h),
			 HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE));
	assert_ptr_equal(h, INVALID_HANDLE_VALUE);
	assert_int_equal(FilterVolumeFindFirst(FilterVolumeBasicInformation, b, sizeof(b), &n, &h),
			 HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE));
	assert_int_equal(FilterFindNext(INVALID_HANDLE_VALUE, FilterFullInformation, b, sizeof(b), &n),
			 HR_BAD_HANDLE);
	assert_int_equal(FilterFindNext((HANDLE)(uintptr_t)0x1234, FilterFullInformation, b,
					sizeof(b), &n), HR_BAD_HANDLE);
	assert_int_equal(FilterFindClose(NULL), HR_BAD_HANDLE);
	assert_int_equal(FilterVolumeFindClose((HANDLE)(uintptr_t)0x400), HR_BAD_HANDLE);
	assert_int_equal(FilterInstanceFindClose(INVALID_HANDLE_VALUE), HR_BAD_HANDLE);
	assert_int_equal(FilterVolumeInstanceFindNext(NULL, InstanceBasicInformation, b, sizeof(b),
						      &n), HR_BAD_HANDLE);
	assert_int_equal(FilterClose(NULL), HR_BAD_HANDLE);
	assert_int_equal(FilterInstanceClose(INVALID_HANDLE_VALUE), HR_BAD_HANDLE);
	assert_int_equal(FilterGetInformation(NULL, FilterFullInformation, b, sizeof(b), &n),
			 HR_BAD_HANDLE);
	assert_int_equal(FilterCreate(L"alpha", NULL), E_INVALIDARG);
	assert_int_equal(FilterCreate(L"alpha", &h), HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE));
	assert_ptr_equal(h, INVALID_HANDLE_VALUE);
	assert_int_equal(FilterAttach(NULL, L"/mnt", NULL, 0, NULL), E_INVALIDARG);
	assert_int_equal(FilterAttachAtAltitude(L"a", L"/mnt", NULL, NULL, 0, NULL), E_INVALIDARG);
	assert_int_equal(FilterDetach(L"a", NULL, NULL), E_INVALIDARG);
	assert_int_equal(FilterGetDosName(L"\\Device\\AltitudeVolume1", NULL, 4), E_INVALIDARG);
	assert_int_equal(FilterGetDosName(NULL, (LPWSTR)b, 4), E_INVALIDARG);
	assert_int_equal(FilterGetDosName(L"\\Device\\AltitudeVolume1", (LPWSTR)b, 4),
			 HRESULT_FROM_WIN32(FLTLIB_ERROR_SERVICE_NOT_ACTIVE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_full),   cmocka_unit_test(test_filter_aggregate),
		cmocka_unit_test(test_short_buffer),  cmocka_unit_test(test_bad_class),
		cmocka_unit_test(test_volume),        cmocka_unit_test(test_instance),
		cmocka_unit_test(test_unicode_names), cmocka_unit_test(test_records),
		cmocka_unit_test(test_name_args),     cmocka_unit_test(test_without_daemon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
