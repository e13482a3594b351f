/*
 * FltGetFilterInformation and FltGetVolumeInformation: every class, the
 * documented layouts, the exact size needed for a short buffer (nothing
 * written), invalid classes and arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <altitude/harness.h>
#include <altitude/pool.h>

#define VOL L"\\Device\\AltitudeVolume1"
#define VOL_BYTES (sizeof(VOL) - sizeof(WCHAR))

_Static_assert(offsetof(FILTER_FULL_INFORMATION, FilterNameBuffer) == 14, "FILTER_FULL");
_Static_assert(sizeof(FILTER_AGGREGATE_BASIC_INFORMATION) == 24, "FILTER_AGGREGATE_BASIC");
_Static_assert(offsetof(FILTER_AGGREGATE_STANDARD_INFORMATION, Type.MiniFilter.FilterAltitudeBufferOffset) == 26,
	       "FILTER_AGGREGATE_STANDARD");
_Static_assert(sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION) == 28, "FILTER_AGGREGATE_STANDARD");
_Static_assert(offsetof(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName) == 2, "FILTER_VOLUME_BASIC");
_Static_assert(offsetof(FILTER_VOLUME_STANDARD_INFORMATION, FileSystemType) == 12, "FILTER_VOLUME_STANDARD");
_Static_assert(offsetof(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName) == 18, "FILTER_VOLUME_STANDARD");

static altitude_memvol *vol;
static PFLT_FILTER filter;

static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltUnregisterFilter(filter);
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI query_teardown(PCFLT_RELATED_OBJECTS objs,
				      FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
	(void)objs;
	(void)flags;
	return STATUS_SUCCESS;
}

static NTSTATUS entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	FLT_REGISTRATION reg;
	NTSTATUS s;

	(void)path;
	memset(&reg, 0, sizeof(reg));
	reg.Size = sizeof(reg);
	reg.Version = FLT_REGISTRATION_VERSION;
	reg.FilterUnloadCallback = unload;
	reg.InstanceQueryTeardownCallback = query_teardown;
	s = FltRegisterFilter(driver, &reg, &filter);
	if (!NT_SUCCESS(s))
		return s;
	s = FltStartFiltering(filter);
	if (!NT_SUCCESS(s))
		FltUnregisterFilter(filter);
	return s;
}

/* Two configured instances; the default one (the second) gives the altitude. */
static const altitude_instance_config insts[] = { { L"info low", L"100000", 0 },
						  { L"info Instance", L"328000.5", 0 } };
static const altitude_filter_config cfg = { L"infoflt", L"info Instance", 2, insts };

static UNICODE_STRING low = RTL_CONSTANT_STRING(L"info low");

static int setup(void **state)
{
	(void)state;
	if (altitude_memvol_create(VOL, &vol) != STATUS_SUCCESS)
		return -1;
	if (altitude_filter_load(&cfg, entry, NULL) != STATUS_SUCCESS)
		return -1;
	/* The default instance attaches by itself; the other one by hand. */
	if (FltAttachVolume(filter, altitude_memvol_volume(vol), &low, NULL) != STATUS_SUCCESS)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_filter_unload(L"infoflt", TRUE);
	altitude_memvol_destroy(vol);
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

static void assert_wide(const void *p, const WCHAR *expect, size_t bytes)
{
	assert_int_equal(bytes, wcslen(expect) * sizeof(WCHAR));
	assert_memory_equal(p, expect, bytes);
}

static void filter_full(void **state)
{
	union { FILTER_FULL_INFORMATION f; UCHAR b[64]; } u;
	ULONG n = 0;

	(void)state;
	memset(&u, 0xAA, sizeof(u));
	assert_int_equal(FltGetFilterInformation(filter, FilterFullInformation, &u, sizeof(u), &n),
			 STATUS_SUCCESS);
	assert_int_equal(n, 14 + 14);
	assert_int_equal(u.f.NextEntryOffset, 0);
	assert_int_equal(u.f.FrameID, 0);
	assert_int_equal(u.f.NumberOfInstances, 2);
	assert_wide(u.b + 14, L"infoflt", u.f.FilterNameLength);
	assert_int_equal(u.b[28], 0xAA);
}

static void filter_aggregate(void **state)
{
	union { FILTER_AGGREGATE_BASIC_INFORMATION f; UCHAR b[128]; } u;
	union { FILTER_AGGREGATE_STANDARD_INFORMATION f; UCHAR b[128]; } s;
	ULONG n = 0;

	(void)state;
	assert_int_equal(FltGetFilterInformation(filter, FilterAggregateBasicInformation, &u,
						 sizeof(u), &n), STATUS_SUCCESS);
	assert_int_equal(n, 24 + 14 + 16);
	assert_int_equal(u.f.Flags, FLTFL_AGGREGATE_INFO_IS_MINIFILTER);
	assert_int_equal(u.f.Type.MiniFilter.FrameID, 0);
	assert_int_equal(u.f.Type.MiniFilter.NumberOfInstances, 2);
	assert_int_equal(u.f.Type.MiniFilter.FilterNameBufferOffset, 24);
	assert_wide(u.b + 24, L"infoflt", u.f.Type.MiniFilter.FilterNameLength);
	assert_int_equal(u.f.Type.MiniFilter.FilterAltitudeBufferOffset, 38);
	assert_wide(u.b + 38, L"328000.5", u.f.Type.MiniFilter.FilterAltitudeLength);

	assert_int_equal(FltGetFilterInformation(filter, FilterAggregateStandardInformation, &s,
						 sizeof(s), &n), STATUS_SUCCESS);
	assert_int_equal(n, 28 + 14 + 16);
	assert_int_equal(s.f.Flags, FLTFL_ASI_IS_MINIFILTER);
	assert_int_equal(s.f.Type.MiniFilter.Flags, 0);
	assert_int_equal(s.f.Type.MiniFilter.NumberOfInstances, 2);
	assert_int_equal(s.f.Type.MiniFilter.FilterNameBufferOffset, 28);
	assert_wide(s.b + 28, L"infoflt", s.f.Type.MiniFilter.FilterNameLength);
	assert_wide(s.b + s.f.Type.MiniFilter.FilterAltitudeBufferOffset, L"328000.5",
		    s.f.Type.MiniFilter.FilterAltitudeLength);
}

static void filter_short_and_invalid(void **state)
{
	UCHAR b[128];
	ULONG n = 0;

	(void)state;
	memset(b, 0xAA, sizeof(b));
	assert_int_equal(FltGetFilterInformation(filter, FilterAggregateBasicInformation, b, 53, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 54);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0xAA);
	assert_int_equal(FltGetFilterInformation(filter, FilterFullInformation, NULL, 0, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 28);
	assert_int_equal(FltGetFilterInformation(filter, (FILTER_INFORMATION_CLASS)3, b, sizeof(b),
						 &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFilterInformation(filter, FilterFullInformation, b, sizeof(b), NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetFilterInformation(NULL, FilterFullInformation, b, sizeof(b), &n),
			 STATUS_INVALID_PARAMETER);
}

/* Detaching an instance changes the count the next query reports. */
static void filter_instance_count(void **state)
{
	FILTER_FULL_INFORMATION f[4];
	ULONG n;

	(void)state;
	assert_int_equal(FltDetachVolume(filter, altitude_memvol_volume(vol), &low), STATUS_SUCCESS);
	assert_int_equal(FltGetFilterInformation(filter, FilterFullInformation, f, sizeof(f), &n),
			 STATUS_SUCCESS);
	assert_int_equal(f[0].NumberOfInstances, 1);
}

static void volume_classes(void **state)
{
	union { FILTER_VOLUME_BASIC_INFORMATION v; UCHAR b[128]; } u;
	union { FILTER_VOLUME_STANDARD_INFORMATION v; UCHAR b[128]; } s;
	PFLT_VOLUME v = altitude_memvol_volume(vol);
	ULONG n = 0;

	(void)state;
	assert_int_equal(FltGetVolumeInformation(v, FilterVolumeBasicInformation, &u, sizeof(u), &n),
			 STATUS_SUCCESS);
	assert_int_equal(n, 2 + VOL_BYTES);
	assert_wide(u.b + 2, VOL, u.v.FilterVolumeNameLength);
	memset(&s, 0xAA, sizeof(s));
	assert_int_equal(FltGetVolumeInformation(v, FilterVolumeStandardInformation, &s, sizeof(s),
						 &n), STATUS_SUCCESS);
	assert_int_equal(n, 18 + VOL_BYTES);
	assert_int_equal(s.v.NextEntryOffset, 0);
	assert_int_equal(s.v.Flags, 0);
	assert_int_equal(s.v.FrameID, 0);
	assert_int_equal(s.v.FileSystemType, FLT_FSTYPE_UNKNOWN);
	assert_wide(s.b + 18, VOL, s.v.FilterVolumeNameLength);
	assert_int_equal(s.b[n], 0xAA);

	memset(&s, 0xAA, sizeof(s));
	assert_int_equal(FltGetVolumeInformation(v, FilterVolumeStandardInformation, &s, n - 1, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 18 + VOL_BYTES);
	assert_int_equal(s.b[0], 0xAA);
	assert_int_equal(FltGetVolumeInformation(v, (FILTER_VOLUME_INFORMATION_CLASS)2, &s, sizeof(s),
						 &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetVolumeInformation(NULL, FilterVolumeBasicInformation, &s, sizeof(s),
						 &n), STATUS_INVALID_PARAMETER);
	assert_int_equal(FltGetVolumeInformation(v, FilterVolumeBasicInformation, &s, sizeof(s), NULL),
			 STATUS_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(filter_full, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_aggregate, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_short_and_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_instance_count, setup, teardown),
		cmocka_unit_test_setup_teardown(volume_classes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
