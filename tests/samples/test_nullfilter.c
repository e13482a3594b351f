/* nullfilter: loads, attaches, sees no I/O, unloads without leaving anything behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "sample_host.h"

static void loads_attaches_and_unloads_cleanly(void **state)
{
	altitude_memvol *vol;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	char buf[16] = { 0 };
	PFLT_FILTER filter = NULL;
	PFLT_INSTANCE instance = NULL;
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"nullfilter");

	(void)state;
	assert_int_equal(altitude_memvol_create(SAMPLE_VOLUME, &vol), STATUS_SUCCESS);
	assert_int_equal(altitude_memvol_add_file(vol, L"\\a.txt", "hello", 5), STATUS_SUCCESS);
	assert_int_equal(sample_load(SAMPLE_NULLFILTER, L"nullfilter", L"370000"), STATUS_SUCCESS);

	/* Registered and attached to the volume at its altitude. */
	assert_int_equal(FltGetFilterFromName(&name, &filter), STATUS_SUCCESS);
	assert_int_equal(FltGetTopInstance(altitude_memvol_volume(vol), &instance), STATUS_SUCCESS);
	assert_int_equal(FltGetFilterFromInstance(instance, &filter), STATUS_SUCCESS);
	FltObjectDereference(filter);
	FltObjectDereference(filter);
	FltObjectDereference(instance);

	assert_int_equal(altitude_create(vol, L"\\a.txt", FILE_GENERIC_READ, FILE_OPEN, 0, NULL,
					 &file, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_read(file, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 5);
	assert_memory_equal(buf, "hello", 5);
	altitude_close_file(file);

	sample_unload(L"nullfilter");
	assert_int_equal(FltGetFilterFromName(&name, &filter), STATUS_FLT_FILTER_NOT_FOUND);
	altitude_memvol_destroy(vol);
	sample_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_attaches_and_unloads_cleanly),
	};
	int rc;

	sample_env_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sample_env_cleanup();
	return rc;
}
