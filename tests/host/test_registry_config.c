/* The loader's view of a filter's service key, fltmc install, IoOpenDriverRegistryKey. */
#include "test_registry_util.h"

static const char scanner[] =
	"[Service]\n"
	"ImagePath=/usr/lib/altitude/filters/scanner.so\n"
	"[Instances]\n"
	"DefaultInstance=Scanner Instance\n"
	"[Instances\\Scanner Instance]\n"
	"Altitude=265000\n"
	"Flags=dword:0\n"
	"[Instances\\Slow Instance]\n"
	"Altitude=265000.5\n"
	"Flags=dword:2\n"
	"[Parameters]\n"
	"Word=sz:foul\n";

static void reads_instances(void **state)
{
	struct reg_fixture *f = *state;
	struct host_registry_filter_config config;

	reg_write_service(f, "Scanner", scanner);
	assert_int_equal(host_registry_read_filter_config("scanner", &config), STATUS_SUCCESS);
	assert_string_equal(config.image_path, "/usr/lib/altitude/filters/scanner.so");
	assert_string_equal(config.default_instance, "Scanner Instance");
	assert_int_equal(config.instance_count, 2);
	assert_string_equal(config.instances[0].name, "Scanner Instance");
	assert_string_equal(config.instances[0].altitude, "265000");
	assert_int_equal(config.instances[0].flags, 0);
	assert_string_equal(config.instances[1].name, "Slow Instance");
	assert_string_equal(config.instances[1].altitude, "265000.5");
	assert_int_equal(config.instances[1].flags, 2);
	host_registry_filter_config_free(&config);
	assert_null(config.instances);
}

static void rejects_bad_instances(void **state)
{
	struct reg_fixture *f = *state;
	struct host_registry_filter_config config;
	static const char *const bad[] = {
		"[Instances]\nDefaultInstance=Other\n[Instances\\A]\nAltitude=1\n",
		"[Instances]\nDefaultInstance=A\n[Instances\\A]\nFlags=dword:0\n",
		"[Instances]\nDefaultInstance=A\n[Instances\\A]\nAltitude=12a\n",
		"[Instances]\n[Instances\\A]\nAltitude=dword:5\n",
		"[Instances]\n[Instances\\A]\nAltitude=5\nFlags=sz:0\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		reg_write_service(f, "Bad", bad[i]);
		host_registry_forget_service("Bad");
		assert_int_equal(host_registry_read_filter_config("Bad", &config),
				 STATUS_INVALID_PARAMETER);
		assert_int_equal(config.instance_count, 0);
	}
	reg_write_service(f, "Bare", "[Service]\nImagePath=/b.so\n");
	assert_int_equal(host_registry_read_filter_config("Bare", &config), STATUS_SUCCESS);
	assert_int_equal(config.instance_count, 0);
	assert_null(config.default_instance);
	host_registry_filter_config_free(&config);
	assert_int_equal(host_registry_read_filter_config("Absent", &config),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(host_registry_read_filter_config("../etc", &config),
			 STATUS_INVALID_PARAMETER);
	reg_write_service(f, "Corrupt", "[Instances\nx\n");
	assert_int_equal(host_registry_read_filter_config("Corrupt", &config),
			 STATUS_REGISTRY_CORRUPT);
}

static void install_writes_a_service_file(void **state)
{
	struct reg_fixture *f = *state;
	static const char *const params[] = {
		"Word=sz:foul", "Timeout=dword:5000", "Extensions=multi_sz:doc;txt;exe",
		"Blob=hex:01,02,ff", "Plain=just text",
	};
	static const char expected[] =
		"# Altitude registry: service key Scanner (format: docs/registry.md)\n"
		"\n"
		"[Service]\n"
		"ImagePath=/usr/lib/altitude/filters/scanner.so\n"
		"\n"
		"[Instances]\n"
		"DefaultInstance=Scanner Instance\n"
		"\n"
		"[Instances\\Scanner Instance]\n"
		"Altitude=265000\n"
		"Flags=dword:0\n"
		"\n"
		"[Parameters]\n"
		"Word=foul\n"
		"Timeout=dword:5000\n"
		"Extensions=multi_sz:doc;txt;exe;\n"
		"Blob=hex:01,02,ff\n"
		"Plain=just text\n";
	struct host_registry_filter_config config;
	char *error = NULL, *text;

	assert_int_equal(host_registry_install("Scanner", "/usr/lib/altitude/filters/scanner.so",
					       "265000", params, G_N_ELEMENTS(params), &error),
			 STATUS_SUCCESS);
	assert_null(error);
	text = reg_read_service(f, "Scanner");
	assert_string_equal(text, expected);
	g_free(text);
	assert_int_equal(host_registry_read_filter_config("Scanner", &config), STATUS_SUCCESS);
	assert_string_equal(config.default_instance, "Scanner Instance");
	assert_string_equal(config.instances[0].altitude, "265000");
	host_registry_filter_config_free(&config);
}

static void install_replaces_and_rejects(void **state)
{
	struct reg_fixture *f = *state;
	static const char *const bad_params[][1] = {
		{ "NoEquals" }, { "=x" }, { "D=dword:x" }, { "M=multi_sz:a;;b" }, { "B=hex:zz" },
	};
	HANDLE h, p;
	UNICODE_STRING name = reg_us(L"ImagePath");
	UCHAR buffer[128];
	ULONG length;
	char *error = NULL, *sub;

	assert_int_equal(host_registry_install("Scanner", "/a.so", "1", NULL, 0, &error),
			 STATUS_SUCCESS);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner", KEY_READ, &h), STATUS_SUCCESS);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\Parameters", KEY_ALL_ACCESS, &p),
			 STATUS_SUCCESS);
	assert_int_equal(host_registry_install("Scanner", "/b.so", "2", NULL, 0, &error),
			 STATUS_SUCCESS);
	/* A handle below the replaced key cannot write the old tree back over the new file. */
	assert_int_equal(ZwSetValueKey(p, &name, 0, REG_SZ, L"old", sizeof(L"old")),
			 STATUS_KEY_DELETED);
	assert_int_equal(ZwClose(p), STATUS_SUCCESS);
	/* The old in-memory key is gone; a new open sees the new file. */
	assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_KEY_DELETED);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner", KEY_READ, &h), STATUS_SUCCESS);
	assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_memory_equal(((PKEY_VALUE_PARTIAL_INFORMATION)buffer)->Data, L"/b.so", 12);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);

	for (size_t i = 0; i < G_N_ELEMENTS(bad_params); i++) {
		assert_int_equal(host_registry_install("Other", "/o.so", "3", bad_params[i], 1, &error),
				 STATUS_INVALID_PARAMETER);
		assert_non_null(error);
		g_free(error);
	}
	assert_null(reg_read_service(f, "Other"));
	assert_int_equal(host_registry_install("a/b", "/o.so", "3", NULL, 0, &error),
			 STATUS_INVALID_PARAMETER);
	g_free(error);
	assert_int_equal(host_registry_install("Other", "/o.so", "3x", NULL, 0, &error),
			 STATUS_INVALID_PARAMETER);
	assert_string_equal(error, "invalid altitude \"3x\"");
	g_free(error);
	assert_int_equal(host_registry_install("Other", "", "3", NULL, 0, &error),
			 STATUS_INVALID_PARAMETER);
	g_free(error);

	/* A missing directory is created. */
	sub = g_build_filename(f->dir, "sub", NULL);
	host_registry_init(sub);
	assert_int_equal(host_registry_install("Deep", "/d.so", "4", NULL, 0, &error),
			 STATUS_SUCCESS);
	host_registry_init(f->dir);
	{
		char *path = g_build_filename(sub, "Deep.conf", NULL);

		assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
		g_unlink(path);
		g_free(path);
	}
	g_rmdir(sub);
	g_free(sub);
}

static void driver_registry_keys(void **state)
{
	struct reg_fixture *f = *state;
	static char driver_storage[64];
	PDRIVER_OBJECT driver = (PDRIVER_OBJECT)driver_storage;
	UNICODE_STRING word = reg_us(L"Word");
	UCHAR buffer[64];
	ULONG length;
	HANDLE h;
	char *text;

	reg_write_service(f, "Scanner", scanner);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, &h),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(host_registry_bind_driver(driver, "Scanner"), STATUS_SUCCESS);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, &h),
			 STATUS_SUCCESS);
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyPersistentState,
						 KEY_ALL_ACCESS, 0, &h),
			 STATUS_SUCCESS);
	assert_int_equal(ZwSetValueKey(h, &word, 0, REG_DWORD, &(ULONG){ 1 }, 4), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "[State]\nWord=dword:1\n"));
	g_free(text);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeySharedPersistentState,
						 KEY_READ, 0, &h),
			 STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 1, &h),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(IoOpenDriverRegistryKey(driver, (DRIVER_REGKEY_TYPE)3, KEY_READ, 0, &h),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(IoOpenDriverRegistryKey(NULL, DriverRegKeyParameters, KEY_READ, 0, &h),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(host_registry_bind_driver(driver, NULL), STATUS_SUCCESS);
	assert_int_equal(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, &h),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(host_registry_bind_driver(driver, "../x"), STATUS_INVALID_PARAMETER);
}

#define T(f) cmocka_unit_test_setup_teardown(f, reg_fixture_setup, reg_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(reads_instances), T(rejects_bad_instances), T(install_writes_a_service_file),
		T(install_replaces_and_rejects), T(driver_registry_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
