/*
 * The host's side of the registry: where the service files live, store
 * lifetime, error reporting, and driver-object bindings for
 * IoOpenDriverRegistryKey.
 */
#include "host/registry/store.h"

/* Under the lock, after reg_handles_close_all. */
static void reg_store_drop(void)
{
	if (reg_store.root)
		reg_key_free(reg_store.root);
	reg_store.root = NULL;
	if (reg_store.services)
		g_ptr_array_free(reg_store.services, TRUE);
	reg_store.services = NULL;
	if (reg_store.corrupt)
		g_hash_table_destroy(reg_store.corrupt);
	reg_store.corrupt = NULL;
	if (reg_store.drivers)
		g_hash_table_destroy(reg_store.drivers);
	reg_store.drivers = NULL;
	g_clear_pointer(&reg_store.directory, g_free);
}

NTSTATUS host_registry_init(const char *directory)
{
	reg_handles_close_all();
	reg_lock();
	reg_store_drop();
	reg_store.directory = g_strdup(directory);
	reg_unlock();
	return STATUS_SUCCESS;
}

void host_registry_shutdown(void)
{
	reg_handles_close_all();
	reg_lock();
	reg_store_drop();
	reg_unlock();
}

void host_registry_set_error_sink(host_registry_error_sink sink, void *context)
{
	reg_lock();
	reg_store.sink = sink;
	reg_store.sink_context = context;
	reg_unlock();
}

void host_registry_forget_service(const char *name)
{
	struct reg_key *key;
	char *fold;

	reg_lock();
	if (!reg_store.root)
		goto out;
	fold = reg_name_fold(name);
	g_hash_table_remove(reg_store.corrupt, fold);
	g_free(fold);
	key = reg_key_find_child(reg_store.root, name);
	if (key)
		reg_key_unlink(key);
out:
	reg_unlock();
}

NTSTATUS host_registry_bind_driver(PDRIVER_OBJECT driver, const char *service)
{
	if (!driver || (service && !reg_service_name_valid(service)))
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	if (!reg_store.drivers)
		reg_store.drivers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (service)
		g_hash_table_insert(reg_store.drivers, driver, g_strdup(service));
	else
		g_hash_table_remove(reg_store.drivers, driver);
	reg_unlock();
	return STATUS_SUCCESS;
}

char *reg_driver_service(PDRIVER_OBJECT driver)
{
	char *service = NULL;

	reg_lock();
	if (reg_store.drivers)
		service = g_strdup(g_hash_table_lookup(reg_store.drivers, driver));
	reg_unlock();
	return service;
}
