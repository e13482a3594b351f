/*
 * Key handles: process-wide, looked up in a hash table so that any stale or
 * made-up value is rejected with STATUS_INVALID_HANDLE.  They look like
 * Windows kernel handles (sign bit set, multiples of 4) and take the upper
 * quarter of that space (indexes from 2^28), which the ke layer's handle
 * table never reaches, so neither table mistakes the other's handles.  A
 * value is used again only after the 2^28 values after it (and never while
 * it is open).
 */
#include "host/registry/store.h"

#define REG_HANDLE_BASE 0xFFFFFFFFC0000000ULL
#define REG_HANDLE_COUNT 0x10000000ULL

struct reg_handle {
	struct reg_key *key;
	ACCESS_MASK access;
};

static ACCESS_MASK reg_map_generic(ACCESS_MASK access)
{
	ACCESS_MASK mapped = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE |
					GENERIC_ALL | MAXIMUM_ALLOWED);

	if (access & GENERIC_READ)
		mapped |= KEY_READ;
	if (access & GENERIC_WRITE)
		mapped |= KEY_WRITE;
	if (access & GENERIC_EXECUTE)
		mapped |= KEY_EXECUTE;
	if (access & (GENERIC_ALL | MAXIMUM_ALLOWED))
		mapped |= KEY_ALL_ACCESS;
	return mapped;
}

static void reg_handle_free(gpointer p)
{
	struct reg_handle *h = p;

	h->key->handles--;
	reg_key_release(h->key);
	g_free(h);
}

NTSTATUS reg_handle_open(struct reg_key *key, ACCESS_MASK access, PHANDLE handle)
{
	struct reg_handle *h = g_new0(struct reg_handle, 1);
	HANDLE value;

	if (!reg_store.handles)
		reg_store.handles = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
							  reg_handle_free);
	h->key = key;
	h->access = reg_map_generic(access);
	key->handles++;
	do {
		reg_store.next_handle = (reg_store.next_handle + 1) % REG_HANDLE_COUNT;
		value = (HANDLE)(ULONG_PTR)(REG_HANDLE_BASE + 4 * reg_store.next_handle);
	} while (g_hash_table_contains(reg_store.handles, value));
	g_hash_table_insert(reg_store.handles, value, h);
	*handle = value;
	return STATUS_SUCCESS;
}

static struct reg_handle *reg_handle_lookup(HANDLE handle)
{
	if (!reg_store.handles)
		return NULL;
	return g_hash_table_lookup(reg_store.handles, handle);
}

NTSTATUS reg_handle_key(HANDLE handle, ACCESS_MASK needed, struct reg_key **key)
{
	struct reg_handle *h = reg_handle_lookup(handle);

	if (!h)
		return STATUS_INVALID_HANDLE;
	if (h->key->deleted)
		return STATUS_KEY_DELETED;
	if ((h->access & needed) != needed)
		return STATUS_ACCESS_DENIED;
	*key = h->key;
	return STATUS_SUCCESS;
}

static NTSTATUS reg_handle_close(HANDLE handle)
{
	if (!reg_store.handles || !g_hash_table_remove(reg_store.handles, handle))
		return STATUS_INVALID_HANDLE;
	return STATUS_SUCCESS;
}

NTSTATUS host_registry_close_handle(HANDLE handle)
{
	NTSTATUS status;

	reg_lock();
	status = reg_handle_close(handle);
	reg_unlock();
	return status;
}

void reg_handles_close_all(void)
{
	if (reg_store.handles)
		g_hash_table_destroy(reg_store.handles);
	reg_store.handles = NULL;
}
