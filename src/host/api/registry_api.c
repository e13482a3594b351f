/*
 * altitude_registry_*: the registry store's host functions, exported for
 * fltmgrd (the store's own host_registry_* names stay internal).
 */
#include "host/registry/store.h"
#include <altitude/host.h>

NTSTATUS altitude_registry_init(const char *directory)
{
	if (!directory || !directory[0])
		return STATUS_INVALID_PARAMETER;
	return host_registry_init(directory);
}

void altitude_registry_shutdown(void)
{
	host_registry_shutdown();
}

/* The service key, reading the directory again for a file not seen yet (store locked). */
static struct reg_key *host_service_key(const char *service)
{
	struct reg_key *root = reg_root(), *key;

	key = reg_key_find_child(root, service);
	if (!key) {
		reg_services_scan();
		key = reg_key_find_child(root, service);
	}
	return key;
}

static NTSTATUS host_set_start(const char *service, ULONG start)
{
	struct reg_key *key;
	NTSTATUS status = STATUS_OBJECT_NAME_NOT_FOUND;

	reg_lock();
	key = host_service_key(service);
	if (key) {
		reg_value_set(key, "Start", REG_DWORD, &start, sizeof(start));
		status = reg_key_touch(key);
	}
	reg_unlock();
	return status;
}

NTSTATUS altitude_registry_install(const char *service, const char *image_path,
				   const char *altitude, const char *const *params,
				   size_t param_count, ULONG start, char **error)
{
	char *message = NULL;
	NTSTATUS status;

	if (error)
		*error = NULL;
	if (!service || !image_path || !altitude || (param_count && !params) || start > 4)
		return STATUS_INVALID_PARAMETER;
	status = host_registry_install(service, image_path, altitude, params, param_count, &message);
	if (NT_SUCCESS(status))
		status = host_set_start(service, start);
	if (error)
		*error = message;
	else
		g_free(message);
	return status;
}

NTSTATUS altitude_registry_uninstall(const char *service)
{
	struct reg_key *key;
	NTSTATUS status = STATUS_OBJECT_NAME_NOT_FOUND;

	if (!service || !reg_service_name_valid(service))
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	key = host_service_key(service);
	if (key && key->service) {
		status = reg_service_remove_file(key->service);
		if (NT_SUCCESS(status))
			reg_key_unlink(key);
	}
	reg_unlock();
	return status;
}

NTSTATUS altitude_registry_start_type(const char *service, ULONG *start)
{
	struct reg_key *key;
	struct reg_value *value;
	NTSTATUS status = STATUS_OBJECT_NAME_NOT_FOUND;

	if (!service || !start)
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	key = host_service_key(service);
	if (key) {
		value = reg_value_find(key, "Start", NULL);
		*start = ALTITUDE_START_DEMAND;
		if (value && value->type == REG_DWORD && value->size == sizeof(ULONG))
			memcpy(start, value->data, sizeof(ULONG));
		status = STATUS_SUCCESS;
	}
	reg_unlock();
	return status;
}

NTSTATUS altitude_registry_services(char ***names)
{
	struct reg_key *root;
	GPtrArray *list;

	if (!names)
		return STATUS_INVALID_PARAMETER;
	list = g_ptr_array_new();
	reg_lock();
	root = reg_root();
	reg_services_scan();
	for (guint i = 0; root && i < root->subkeys->len; i++) {
		const struct reg_key *key = g_ptr_array_index(root->subkeys, i);

		g_ptr_array_add(list, g_strdup(key->name));
	}
	reg_unlock();
	g_ptr_array_add(list, NULL);
	*names = (char **)g_ptr_array_free(list, FALSE);
	return STATUS_SUCCESS;
}

void altitude_host_free(void *p)
{
	g_free(p);
}
