/*
 * Key handles are the ke layer's handles to "Key" objects: ZwClose (ke's)
 * drops the handle's reference and the object's delete procedure closes the
 * key here.  The store keeps its own table from handle value to key and
 * granted access, so a registry routine given any other value answers
 * STATUS_INVALID_HANDLE.
 */
#include "host/registry/store.h"
#include "ke/object.h"

struct reg_handle { /* the body of a Key object */
	struct reg_key *key;
	ACCESS_MASK access;
	HANDLE value;
};

static void reg_handle_delete(PVOID body);

static struct _OBJECT_TYPE reg_key_object_type = { "Key", reg_handle_delete };

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

/*
 * The last reference is gone (ZwClose).  The value may already name a new
 * handle (ke reuses values), so only this handle's own entry is removed.
 */
static void reg_handle_delete(PVOID body)
{
	struct reg_handle *h = body;

	if (!h->key)
		return;
	reg_lock();
	if (reg_store.handles && g_hash_table_lookup(reg_store.handles, h->value) == h)
		g_hash_table_remove(reg_store.handles, h->value);
	h->key->handles--;
	reg_key_release(h->key);
	reg_unlock();
}

NTSTATUS reg_handle_open(struct reg_key *key, ACCESS_MASK access, BOOLEAN kernel,
			 PHANDLE handle)
{
	struct reg_handle *h = ke_object_create(&reg_key_object_type, sizeof(*h));
	ACCESS_MASK granted = reg_map_generic(access);
	HANDLE value;

	if (!h)
		return STATUS_INSUFFICIENT_RESOURCES;
	value = ke_handle_create(h, granted, kernel);
	if (!value) {
		ObDereferenceObject(h);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	if (!reg_store.handles)
		reg_store.handles = g_hash_table_new(g_direct_hash, g_direct_equal);
	h->key = key;
	h->access = granted;
	h->value = value;
	key->handles++;
	g_hash_table_insert(reg_store.handles, value, h);
	/* The handle holds the object now. */
	ObDereferenceObject(h);
	*handle = value;
	return STATUS_SUCCESS;
}

NTSTATUS reg_handle_key(HANDLE handle, ACCESS_MASK needed, struct reg_key **key)
{
	struct reg_handle *h = reg_store.handles ? g_hash_table_lookup(reg_store.handles, handle)
						 : NULL;

	if (!h)
		return STATUS_INVALID_HANDLE;
	if (h->key->deleted)
		return STATUS_KEY_DELETED;
	if ((h->access & needed) != needed)
		return STATUS_ACCESS_DENIED;
	*key = h->key;
	return STATUS_SUCCESS;
}

void reg_handles_close_all(void)
{
	GList *values;

	reg_lock();
	values = reg_store.handles ? g_hash_table_get_keys(reg_store.handles) : NULL;
	reg_unlock();
	for (GList *v = values; v; v = v->next)
		ZwClose(v->data);
	g_list_free(values);
	reg_lock();
	if (reg_store.handles)
		g_hash_table_destroy(reg_store.handles);
	reg_store.handles = NULL;
	reg_unlock();
}
