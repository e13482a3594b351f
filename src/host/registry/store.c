/*
 * The store: the Services root key and the directory of service files.
 * Service files are loaded when the Services key is first
 * used; a name not found in memory makes the directory be scanned again,
 * so a file another process wrote (fltmc install) shows up.  A malformed
 * file is reported once (file:line) and its service answers
 * STATUS_REGISTRY_CORRUPT until it is forgotten.
 */
#define _GNU_SOURCE /* PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "host/registry.h"
#include "host/registry/store.h"
/* After the project headers: GLib defines TRUE and FALSE only when they are not yet. */
#include <glib/gstdio.h>

/*
 * Recursive: a key handle's delete procedure takes the lock, and the last
 * reference can be dropped by a thread that holds it (a handle closed while
 * it is being opened).
 */
struct reg_store reg_store = {
	.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
};

void reg_lock(void)
{
	pthread_mutex_lock(&reg_store.lock);
}

void reg_unlock(void)
{
	pthread_mutex_unlock(&reg_store.lock);
}

void reg_report(const char *message)
{
	if (reg_store.sink)
		reg_store.sink(message, reg_store.sink_context);
	else
		fprintf(stderr, "altitude registry: %s\n", message);
}

NTSTATUS reg_status_from_gerror(const GError *error)
{
	if (error->domain != G_FILE_ERROR)
		return STATUS_UNSUCCESSFUL;
	switch (error->code) {
	case G_FILE_ERROR_NOENT:
		return STATUS_OBJECT_NAME_NOT_FOUND;
	case G_FILE_ERROR_ACCES:
	case G_FILE_ERROR_PERM:
	case G_FILE_ERROR_ROFS:
		return STATUS_ACCESS_DENIED;
	case G_FILE_ERROR_NOSPC:
		return STATUS_DISK_FULL;
	case G_FILE_ERROR_NOMEM:
		return STATUS_INSUFFICIENT_RESOURCES;
	default:
		return STATUS_UNSUCCESSFUL;
	}
}

const char *reg_directory(void)
{
	const char *env;

	if (reg_store.directory)
		return reg_store.directory;
	env = g_getenv("ALTITUDE_REGISTRY_DIR");
	reg_store.directory = g_strdup(env && *env ? env : "/etc/altitude/filters");
	return reg_store.directory;
}

static void reg_service_free(gpointer p)
{
	struct reg_service *service = p;

	g_free(service->path);
	g_free(service);
}

struct reg_service *reg_service_new(const char *name)
{
	struct reg_service *service = g_new0(struct reg_service, 1);
	char *file = g_strconcat(name, ".conf", NULL);

	service->path = g_build_filename(reg_directory(), file, NULL);
	g_free(file);
	if (!reg_store.services)
		reg_store.services = g_ptr_array_new_with_free_func(reg_service_free);
	g_ptr_array_add(reg_store.services, service);
	return service;
}

/* A file name usable for a service: a key name without '/' that is not "." or "..". */
BOOLEAN reg_service_name_valid(const char *name)
{
	return reg_key_name_valid(name) && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static void reg_load_service_file(const char *name, const char *path)
{
	struct reg_key *key = NULL;
	char *fold = reg_name_fold(name);
	char *error = NULL;
	NTSTATUS status;

	if (reg_key_find_child(reg_store.root, name) ||
	    g_hash_table_contains(reg_store.corrupt, fold)) {
		g_free(fold);
		return;
	}
	status = reg_file_load(path, name, &key, &error);
	if (!NT_SUCCESS(status)) {
		reg_report(error ? error : path);
		g_hash_table_add(reg_store.corrupt, fold);
		g_free(error);
		return;
	}
	reg_key_set_service(key, reg_service_new(name));
	key->service->key = key;
	reg_key_link(reg_store.root, key);
	g_free(fold);
}

/* Loads every <name>.conf of the directory not loaded yet. */
void reg_services_scan(void)
{
	GDir *dir = g_dir_open(reg_directory(), 0, NULL);
	const char *entry;

	if (!dir)
		return;
	while ((entry = g_dir_read_name(dir))) {
		char *name, *path;

		if (!g_str_has_suffix(entry, ".conf") || !g_utf8_validate(entry, -1, NULL))
			continue;
		name = g_strndup(entry, strlen(entry) - strlen(".conf"));
		if (reg_service_name_valid(name)) {
			path = g_build_filename(reg_directory(), entry, NULL);
			reg_load_service_file(name, path);
			g_free(path);
		}
		g_free(name);
	}
	g_dir_close(dir);
}

struct reg_key *reg_root(void)
{
	if (!reg_store.root) {
		reg_store.root = reg_key_new("Services", NULL);
		reg_store.corrupt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		reg_services_scan();
	}
	return reg_store.root;
}

NTSTATUS reg_service_remove_file(struct reg_service *service)
{
	if (g_unlink(service->path) != 0 && errno != ENOENT)
		return errno == EACCES || errno == EPERM ? STATUS_ACCESS_DENIED : STATUS_UNSUCCESSFUL;
	return STATUS_SUCCESS;
}

char *reg_key_full_path(const struct reg_key *key)
{
	GString *path = g_string_new(NULL);
	GPtrArray *names = g_ptr_array_new();

	for (; key && key->parent; key = key->parent)
		g_ptr_array_add(names, key->name);
	g_string_append(path, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services");
	for (guint i = names->len; i > 0; i--)
		g_string_append_printf(path, "\\%s", (const char *)g_ptr_array_index(names, i - 1));
	g_ptr_array_free(names, TRUE);
	return g_string_free(path, FALSE);
}
