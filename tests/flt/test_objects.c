/* Registration, volumes, instances and altitudes, unload and detach rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <altitude/pool.h>
#include <stdio.h>

#include "probe.h"
#include "flt/alloc.h"

#define VOL L"\\Device\\AltitudeVolume1"

static altitude_memvol *vol;

static int setup(void **state)
{
	(void)state;
	probe_reset();
	return altitude_memvol_create(VOL, &vol) == STATUS_SUCCESS ? 0 : -1;
}

static void unload_all(void)
{
	static const WCHAR *names[] = { L"alpha", L"beta", L"gamma", L"custom" };

	for (size_t i = 0; i < RTL_NUMBER_OF(names); i++)
		altitude_filter_unload(names[i], TRUE);
}

static int teardown(void **state)
{
	(void)state;
	unload_all();
	altitude_memvol_destroy(vol);
	vol = NULL;
	altitude_bugcheck_set_hook(NULL, NULL);
	if (altitude_flt_live_objects() != 0)
		fprintf(stderr, "live engine objects: %d\n", (int)altitude_flt_live_objects());
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

/* A driver whose DriverEntry registers `custom_reg` and keeps the status. */
static FLT_REGISTRATION custom_reg;
static NTSTATUS custom_status;
static PFLT_FILTER custom_filter;

static NTSTATUS FLTAPI custom_unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltUnregisterFilter(custom_filter);
	return STATUS_SUCCESS;
}

static UNICODE_STRING custom_path;

static NTSTATUS custom_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	custom_path = *path;
	custom_status = FltRegisterFilter(driver, &custom_reg, &custom_filter);
	return custom_status;
}

static NTSTATUS register_custom(void)
{
	static const altitude_instance_config inst = { L"customI", L"100", 0 };
	static const altitude_filter_config cfg = { L"custom", NULL, 1, &inst };
	custom_status = STATUS_UNSUCCESSFUL;
	custom_filter = NULL;
	NTSTATUS s;

	s = altitude_filter_load(&cfg, custom_entry, NULL);
	assert_int_equal(s, custom_status);
	return custom_status;
}

static void registration_is_validated(void **state)
{
	static const FLT_OPERATION_REGISTRATION bad_ops[] = {
		{ 0x40, 0, NULL, NULL, NULL },
		{ IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL },
	};
	static const FLT_CONTEXT_REGISTRATION bad_ctx[] = {
		{ FLT_FILE_CONTEXT | FLT_STREAM_CONTEXT, 0, NULL, 16, 0x54637478, NULL, NULL, NULL },
		{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL },
	};
	DRIVER_OBJECT stranger = { 0 };
	PFLT_FILTER f;

	(void)state;
	memset(&custom_reg, 0, sizeof(custom_reg));
	custom_reg.Size = sizeof(custom_reg);
	custom_reg.Version = 0x0300;
	custom_reg.FilterUnloadCallback = custom_unload;
	assert_int_equal(register_custom(), STATUS_INVALID_PARAMETER);
	altitude_filter_unload(L"custom", TRUE);

	custom_reg.Version = FLT_REGISTRATION_VERSION_0202;
	custom_reg.Size = 0x20;
	assert_int_equal(register_custom(), STATUS_INVALID_PARAMETER);
	altitude_filter_unload(L"custom", TRUE);

	custom_reg.Size = (USHORT)RTL_SIZEOF_THROUGH_FIELD(FLT_REGISTRATION, NormalizeNameComponentExCallback);
	custom_reg.OperationRegistration = bad_ops;
	assert_int_equal(register_custom(), STATUS_INVALID_PARAMETER);
	altitude_filter_unload(L"custom", TRUE);

	custom_reg.OperationRegistration = NULL;
	custom_reg.ContextRegistration = bad_ctx;
	assert_int_equal(register_custom(), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
	altitude_filter_unload(L"custom", TRUE);

	custom_reg.ContextRegistration = NULL;
	custom_reg.Version = FLT_REGISTRATION_VERSION_0200;
	custom_reg.Size = (USHORT)RTL_SIZEOF_THROUGH_FIELD(FLT_REGISTRATION, NormalizeContextCleanupCallback);
	assert_int_equal(register_custom(), STATUS_SUCCESS);
	{
		static const WCHAR expect[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\custom";

		assert_int_equal(custom_path.Length, sizeof(expect) - 2);
		assert_memory_equal(custom_path.Buffer, expect, sizeof(expect) - 2);
	}
	assert_int_equal(altitude_filter_unload(L"custom", FALSE), STATUS_SUCCESS);

	assert_int_equal(FltRegisterFilter(&stranger, &custom_reg, &f), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(FltRegisterFilter(NULL, &custom_reg, &f), STATUS_INVALID_PARAMETER);
}

static PFLT_INSTANCE instance_of(int probe)
{
	PFLT_INSTANCE list[8];
	ULONG n = 0;

	assert_int_equal(FltEnumerateInstances(altitude_memvol_volume(vol), probes[probe].filter, list,
					       8, &n),
			 STATUS_SUCCESS);
	assert_int_equal(n, 1);
	FltObjectDereference(list[0]);
	return list[0];
}

static void instances_stack_by_numeric_altitude(void **state)
{
	PFLT_INSTANCE top, next, last, none;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(probe_load(0, L"alpha", L"370030.5"), STATUS_SUCCESS);
	assert_int_equal(probe_load(1, L"beta", L"385100"), STATUS_SUCCESS);
	assert_int_equal(probe_load(2, L"gamma", L"0370030"), STATUS_SUCCESS);

	assert_int_equal(FltGetTopInstance(altitude_memvol_volume(vol), &top), STATUS_SUCCESS);
	assert_ptr_equal(top, instance_of(1));
	assert_int_equal(FltGetLowerInstance(top, &next), STATUS_SUCCESS);
	assert_ptr_equal(next, instance_of(0));
	assert_int_equal(FltGetLowerInstance(next, &last), STATUS_SUCCESS);
	assert_ptr_equal(last, instance_of(2));
	assert_int_equal(FltGetLowerInstance(last, &none), STATUS_NO_MORE_ENTRIES);
	assert_true(FltCompareInstanceAltitudes(top, next) > 0);
	assert_true(FltCompareInstanceAltitudes(last, next) < 0);
	assert_int_equal(FltCompareInstanceAltitudes(next, next), 0);
	FltObjectDereference(next);
	assert_int_equal(FltGetBottomInstance(altitude_memvol_volume(vol), &next), STATUS_SUCCESS);
	assert_ptr_equal(next, last);
	assert_int_equal(FltGetUpperInstance(top, &none), STATUS_NO_MORE_ENTRIES);
	FltObjectDereference(next);
	FltObjectDereference(top);
	FltObjectDereference(last);

	altitude_memvol_add_file(vol, L"\\a.txt", "x", 1);
	assert_int_equal(altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file,
					 &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_OPENED);
	assert_string_equal(probe_trace, "B<A<C<C>A>B>");
	altitude_close_file(file);
}

static void collisions_and_bad_altitudes(void **state)
{
	UNICODE_STRING alt, name;
	PFLT_INSTANCE inst;

	(void)state;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	alt.Buffer = L"385100.000";
	alt.Length = alt.MaximumLength = 20;
	name.Buffer = L"second";
	name.Length = name.MaximumLength = 12;
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, altitude_memvol_volume(vol), &alt,
						   &name, NULL),
			 STATUS_FLT_INSTANCE_ALTITUDE_COLLISION);
	alt.Buffer = L"385101";
	alt.Length = alt.MaximumLength = 12;
	name.Buffer = L"ALPHAI";
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, altitude_memvol_volume(vol), &alt,
						   &name, NULL),
			 STATUS_FLT_INSTANCE_NAME_COLLISION);
	alt.Buffer = L"38a101";
	name.Buffer = L"third0";
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, altitude_memvol_volume(vol), &alt,
						   &name, NULL),
			 STATUS_INVALID_PARAMETER);
	alt.Buffer = L"1.2.30";
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, altitude_memvol_volume(vol), &alt,
						   &name, NULL),
			 STATUS_INVALID_PARAMETER);
	alt.Buffer = L"385101";
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, altitude_memvol_volume(vol), &alt,
						   NULL, &inst),
			 STATUS_SUCCESS);
	assert_int_equal(probes[0].setup_flags, FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT);
	FltObjectDereference(inst);
}

static void setup_flags_and_refusal(void **state)
{
	altitude_memvol *second;
	ULONG n;

	(void)state;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	assert_int_equal(probes[0].setup_flags, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT);
	assert_int_equal(altitude_memvol_create(L"\\Device\\AltitudeVolume2", &second), STATUS_SUCCESS);
	assert_int_equal(probes[0].setup_flags, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT |
							FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME);
	assert_int_equal(FltEnumerateInstances(NULL, probes[0].filter, NULL, 0, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	altitude_memvol_destroy(second);
	assert_int_equal(probes[0].teardown_reason, FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT);

	probes[1].setup_status = STATUS_FLT_DO_NOT_ATTACH;
	assert_int_equal(probe_load(1, L"beta", L"385200"), STATUS_SUCCESS);
	assert_int_equal(probes[1].setup, 1);
	assert_int_equal(FltEnumerateInstances(NULL, probes[1].filter, NULL, 0, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 0);
	assert_int_equal(probes[1].teardown_start, 0);
}

static void manual_detach_asks_query_teardown(void **state)
{
	PFLT_VOLUME v;

	(void)state;
	probes[1].no_query_teardown = TRUE;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	assert_int_equal(probe_load(1, L"beta", L"385200"), STATUS_SUCCESS);
	v = altitude_memvol_volume(vol);
	assert_int_equal(FltDetachVolume(probes[1].filter, v, NULL), STATUS_FLT_DO_NOT_DETACH);
	probes[0].query_teardown_status = STATUS_FLT_DO_NOT_DETACH;
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_FLT_DO_NOT_DETACH);
	assert_int_equal(probes[0].teardown_start, 0);
	probes[0].query_teardown_status = STATUS_SUCCESS;
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_SUCCESS);
	assert_int_equal(probes[0].teardown_reason, FLTFL_INSTANCE_TEARDOWN_MANUAL);
	assert_string_equal(probe_trace, "ASAC");
	assert_int_equal(probes[0].reference_in_teardown_complete, STATUS_FLT_DELETING_OBJECT);
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_FLT_INSTANCE_NOT_FOUND);
	assert_int_equal(FltAttachVolume(probes[0].filter, v, NULL, NULL), STATUS_SUCCESS);
	assert_int_equal(probes[0].setup_flags, FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT);
}

static BOOLEAN attached(PFLT_FILTER filter, PCWSTR name)
{
	UNICODE_STRING n;
	PFLT_INSTANCE inst;

	RtlInitUnicodeString(&n, name);
	if (FltGetVolumeInstanceFromName(filter, altitude_memvol_volume(vol), &n, &inst) != STATUS_SUCCESS)
		return FALSE;
	FltObjectDereference(inst);
	return TRUE;
}

/* FltDetachVolume without a name removes the filter's highest instance on the volume. */
static void detach_without_a_name_takes_the_highest(void **state)
{
	UNICODE_STRING alt, name;
	PFLT_VOLUME v = altitude_memvol_volume(vol);

	(void)state;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	RtlInitUnicodeString(&alt, L"385300");
	RtlInitUnicodeString(&name, L"upper");
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, v, &alt, &name, NULL), STATUS_SUCCESS);
	RtlInitUnicodeString(&alt, L"385000");
	RtlInitUnicodeString(&name, L"lower");
	assert_int_equal(FltAttachVolumeAtAltitude(probes[0].filter, v, &alt, &name, NULL), STATUS_SUCCESS);
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_SUCCESS);
	assert_false(attached(probes[0].filter, L"upper"));
	assert_true(attached(probes[0].filter, L"alphaI"));
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_SUCCESS);
	assert_false(attached(probes[0].filter, L"alphaI"));
	assert_true(attached(probes[0].filter, L"lower"));
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_SUCCESS);
	assert_int_equal(FltDetachVolume(probes[0].filter, v, NULL), STATUS_FLT_INSTANCE_NOT_FOUND);
}

static void unload_refusal_and_mandatory_unload(void **state)
{
	UNICODE_STRING name;
	PFLT_FILTER f;

	(void)state;
	probes[0].unload_status = STATUS_FLT_DO_NOT_DETACH;
	probes[2].no_unload_callback = TRUE;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	assert_int_equal(probe_load(2, L"gamma", L"385300"), STATUS_SUCCESS);
	name.Buffer = L"alpha";
	name.Length = name.MaximumLength = 10;
	assert_int_equal(FltUnloadFilter(&name), STATUS_FLT_DO_NOT_DETACH);
	assert_int_equal(probes[0].unload, 1);
	assert_int_equal(FltGetFilterFromName(&name, &f), STATUS_SUCCESS);
	FltObjectDereference(f);
	assert_int_equal(altitude_filter_unload(L"gamma", FALSE), STATUS_FLT_DO_NOT_DETACH);

	assert_int_equal(altitude_filter_unload(L"alpha", TRUE), STATUS_SUCCESS);
	assert_int_equal(probes[0].unload_mandatory, 1);
	assert_int_equal(probes[0].teardown_reason, FLTFL_INSTANCE_TEARDOWN_MANDATORY_FILTER_UNLOAD);
	assert_int_equal(probes[0].teardown_complete, 1);
	assert_int_equal(FltGetFilterFromName(&name, &f), STATUS_FLT_FILTER_NOT_FOUND);
	assert_int_equal(FltUnloadFilter(&name), STATUS_FLT_FILTER_NOT_FOUND);
}

static void enumeration_names_and_properties(void **state)
{
	PFLT_FILTER filters[4];
	PFLT_VOLUME vols[2];
	ULONG n, len;
	WCHAR buf[64];
	UNICODE_STRING vname = { 0, 4, buf };
	union {
		FLT_VOLUME_PROPERTIES p;
		UCHAR raw[512];
	} props;
	union {
		INSTANCE_FULL_INFORMATION f;
		UCHAR raw[256];
	} info;
	PFLT_INSTANCE inst;

	(void)state;
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	assert_int_equal(probe_load(1, L"beta", L"385200"), STATUS_SUCCESS);
	assert_int_equal(FltEnumerateFilters(filters, 1, &n), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	assert_int_equal(FltEnumerateFilters(filters, 4, &n), STATUS_SUCCESS);
	assert_int_equal(n, 2);
	FltObjectDereference(filters[0]);
	FltObjectDereference(filters[1]);
	assert_int_equal(FltEnumerateVolumes(probes[0].filter, vols, 2, &n), STATUS_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(FltObjectReference(vols[0]), STATUS_SUCCESS);
	FltObjectDereference(vols[0]);
	FltObjectDereference(vols[0]);

	assert_int_equal(FltGetVolumeName(vols[0], &vname, &len), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(len, sizeof(VOL) - 2);
	vname.MaximumLength = sizeof(buf);
	assert_int_equal(FltGetVolumeName(vols[0], &vname, NULL), STATUS_SUCCESS);
	assert_memory_equal(vname.Buffer, VOL, sizeof(VOL) - 2);

	assert_int_equal(FltGetVolumeProperties(vols[0], NULL, 0, &len), STATUS_BUFFER_TOO_SMALL);
	assert_true(len > sizeof(FLT_VOLUME_PROPERTIES));
	assert_int_equal(FltGetVolumeProperties(vols[0], &props.p, sizeof(props.p) - 1, &n),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(n, len);
	assert_int_equal(FltGetVolumeProperties(vols[0], &props.p, sizeof(props.p), &n),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(n, sizeof(FLT_VOLUME_PROPERTIES));
	assert_int_equal(props.p.DeviceType, FILE_DEVICE_DISK_FILE_SYSTEM);
	assert_int_equal(FltGetVolumeProperties(vols[0], &props.p, sizeof(props), &n), STATUS_SUCCESS);
	assert_int_equal(n, len);
	assert_int_equal(props.p.FileSystemDriverName.Length, sizeof(L"\\FileSystem\\Altitude") - 2);

	inst = instance_of(1);
	assert_int_equal(FltGetInstanceInformation(inst, InstanceFullInformation, &info, 8, &len),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(FltGetInstanceInformation(inst, InstanceFullInformation, &info,
						   sizeof(INSTANCE_FULL_INFORMATION), &n),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(n, len);
	assert_int_equal(FltGetInstanceInformation(inst, InstanceFullInformation, &info, sizeof(info), &n),
			 STATUS_SUCCESS);
	assert_int_equal(info.f.AltitudeLength, 12);
	assert_memory_equal(info.raw + info.f.AltitudeBufferOffset, L"385200", 12);
	assert_memory_equal(info.raw + info.f.FilterNameBufferOffset, L"beta", 8);
	assert_int_equal(FltGetVolumeInstanceFromName(NULL, vols[0], &(UNICODE_STRING){ 10, 10, L"betaI" },
						      &inst),
			 STATUS_SUCCESS);
	assert_ptr_equal(inst, instance_of(1));
	{
		PFLT_VOLUME v;
		PFLT_FILTER f;
		UNICODE_STRING vn = { sizeof(VOL) - 2, sizeof(VOL), VOL };

		assert_int_equal(FltGetVolumeFromInstance(inst, &v), STATUS_SUCCESS);
		assert_ptr_equal(v, vols[0]);
		FltObjectDereference(v);
		assert_int_equal(FltGetFilterFromInstance(inst, &f), STATUS_SUCCESS);
		assert_ptr_equal(f, probes[1].filter);
		FltObjectDereference(f);
		assert_int_equal(FltGetVolumeFromName(probes[0].filter, &vn, &v), STATUS_SUCCESS);
		assert_ptr_equal(v, vols[0]);
		FltObjectDereference(v);
		vn.Length -= 2;
		assert_int_equal(FltGetVolumeFromName(probes[0].filter, &vn, &v), STATUS_FLT_VOLUME_NOT_FOUND);
		assert_int_equal(FltEnumerateInstances(NULL, NULL, NULL, 0, &n), STATUS_BUFFER_TOO_SMALL);
		assert_int_equal(n, 2);
	}
	FltObjectDereference(inst);
}

static void allocation_failures_are_reported(void **state)
{
	altitude_op_options o = { 0 };
	altitude_op *held;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char buf[4];

	(void)state;
	altitude_pool_fail_next(FLT_TAG_FILTER, 1);
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(probe_load(0, L"alpha", L"385100"), STATUS_SUCCESS);
	altitude_memvol_add_file(vol, L"\\a.txt", "abcd", 4);
	assert_int_equal(altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb),
			 STATUS_SUCCESS);
	/* the only operation record is busy: the next operation needs a new one */
	o.flags = ALTITUDE_OP_HOLD;
	o.async_out = &held;
	assert_int_equal(altitude_read(file, 0, buf, 4, &o, NULL), STATUS_PENDING);
	altitude_pool_fail_next(FLT_TAG_OPERATION, 1);
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, &iosb), STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(altitude_read(file, 0, buf, 4, NULL, &iosb), STATUS_SUCCESS);
	altitude_memvol_release_held(vol);
	assert_int_equal(altitude_op_wait(held, NULL), STATUS_SUCCESS);
	altitude_op_free(held);
	altitude_close_file(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(registration_is_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(instances_stack_by_numeric_altitude, setup, teardown),
		cmocka_unit_test_setup_teardown(collisions_and_bad_altitudes, setup, teardown),
		cmocka_unit_test_setup_teardown(setup_flags_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(manual_detach_asks_query_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(detach_without_a_name_takes_the_highest, setup, teardown),
		cmocka_unit_test_setup_teardown(unload_refusal_and_mandatory_unload, setup, teardown),
		cmocka_unit_test_setup_teardown(enumeration_names_and_properties, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures_are_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
