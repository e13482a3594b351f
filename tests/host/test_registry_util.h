/* Shared pieces of the registry tests: a temporary store and string helpers. */
#ifndef ALTITUDE_TEST_REGISTRY_UTIL_H
#define ALTITUDE_TEST_REGISTRY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <wdm.h>
#include "host/registry.h"
#include <glib/gstdio.h>

#define SERVICES_PATH L"\\Registry\\Machine\\System\\CurrentControlSet\\Services"

struct reg_fixture {
	char *dir;
	GPtrArray *errors; /* messages the store reported */
};

static inline void reg_fixture_sink(const char *message, void *context)
{
	struct reg_fixture *f = context;

	g_ptr_array_add(f->errors, g_strdup(message));
}

static inline int reg_fixture_setup(void **state)
{
	struct reg_fixture *f = g_new0(struct reg_fixture, 1);

	f->dir = g_dir_make_tmp("altitude-reg-XXXXXX", NULL);
	f->errors = g_ptr_array_new_with_free_func(g_free);
	host_registry_init(f->dir);
	host_registry_set_error_sink(reg_fixture_sink, f);
	*state = f;
	return f->dir ? 0 : -1;
}

static inline int reg_fixture_teardown(void **state)
{
	struct reg_fixture *f = *state;
	GDir *dir = g_dir_open(f->dir, 0, NULL);
	const char *entry;

	host_registry_shutdown();
	host_registry_set_error_sink(NULL, NULL);
	while (dir && (entry = g_dir_read_name(dir))) {
		char *path = g_build_filename(f->dir, entry, NULL);

		g_unlink(path);
		g_free(path);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_ptr_array_free(f->errors, TRUE);
	g_free(f);
	return 0;
}

/* Writes <dir>/<service>.conf. */
static inline void reg_write_service(struct reg_fixture *f, const char *service, const char *text)
{
	char *file = g_strconcat(service, ".conf", NULL);
	char *path = g_build_filename(f->dir, file, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
	g_free(file);
}

/* The text of <dir>/<service>.conf (g_free it), NULL when missing. */
static inline char *reg_read_service(struct reg_fixture *f, const char *service)
{
	char *file = g_strconcat(service, ".conf", NULL);
	char *path = g_build_filename(f->dir, file, NULL);
	char *text = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	g_free(path);
	g_free(file);
	return text;
}

static inline UNICODE_STRING reg_us(const WCHAR *s)
{
	UNICODE_STRING u;
	size_t n = 0;

	while (s[n])
		n++;
	u.Buffer = (PWCH)s;
	u.Length = (USHORT)(n * sizeof(WCHAR));
	u.MaximumLength = (USHORT)(u.Length + sizeof(WCHAR));
	return u;
}

static inline size_t reg_wlen(const WCHAR *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Opens an absolute path; returns the status. */
static inline NTSTATUS reg_open_path(const WCHAR *path, ACCESS_MASK access, HANDLE *handle)
{
	UNICODE_STRING name = reg_us(path);
	OBJECT_ATTRIBUTES oa;

	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
	return ZwOpenKey(handle, access, &oa);
}

static inline NTSTATUS reg_create_path(HANDLE root, const WCHAR *path, ULONG options,
				       HANDLE *handle, ULONG *disposition)
{
	UNICODE_STRING name = reg_us(path);
	OBJECT_ATTRIBUTES oa;

	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, root, NULL);
	return ZwCreateKey(handle, KEY_ALL_ACCESS, &oa, 0, NULL, options, disposition);
}

#endif /* ALTITUDE_TEST_REGISTRY_UTIL_H */
