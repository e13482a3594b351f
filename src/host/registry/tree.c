/*
 * The in-memory tree: keys hold subkeys sorted by their upcased names (the
 * order ZwEnumerateKey reports, as on Windows) and values in creation order.
 * A key unlinked from the tree (deleted) lives on while handles refer to it.
 */
#include <string.h>

#include "host/registry.h"

static void reg_value_free(gpointer p)
{
	struct reg_value *value = p;

	g_free(value->name);
	g_free(value->fold);
	g_free(value->data);
	g_free(value);
}

struct reg_key *reg_key_new(const char *name, struct reg_service *service)
{
	struct reg_key *key = g_new0(struct reg_key, 1);

	key->name = g_strdup(name);
	key->fold = reg_name_fold(name);
	key->service = service;
	key->subkeys = g_ptr_array_new();
	key->values = g_ptr_array_new_with_free_func(reg_value_free);
	key->last_write = reg_now();
	return key;
}

void reg_key_free(struct reg_key *key)
{
	for (guint i = 0; i < key->subkeys->len; i++) {
		struct reg_key *child = g_ptr_array_index(key->subkeys, i);

		child->parent = NULL;
		child->service = NULL;
		child->deleted = TRUE;
		if (child->handles == 0)
			reg_key_free(child);
	}
	g_ptr_array_free(key->subkeys, TRUE);
	g_ptr_array_free(key->values, TRUE);
	g_free(key->class_name);
	g_free(key->name);
	g_free(key->fold);
	g_free(key);
}

/* Binary search over the sorted subkeys; *pos gets the insertion point. */
static struct reg_key *reg_key_search(const struct reg_key *key, const char *fold, guint *pos)
{
	guint lo = 0, hi = key->subkeys->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		struct reg_key *child = g_ptr_array_index(key->subkeys, mid);
		int cmp = strcmp(fold, child->fold);

		if (cmp == 0) {
			*pos = mid;
			return child;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return NULL;
}

struct reg_key *reg_key_find_child(const struct reg_key *key, const char *name)
{
	char *fold = reg_name_fold(name);
	guint pos;
	struct reg_key *child = reg_key_search(key, fold, &pos);

	g_free(fold);
	return child;
}

void reg_key_set_service(struct reg_key *key, struct reg_service *service)
{
	key->service = service;
	for (guint i = 0; i < key->subkeys->len; i++)
		reg_key_set_service(g_ptr_array_index(key->subkeys, i), service);
}

void reg_key_link(struct reg_key *parent, struct reg_key *child)
{
	guint pos;

	reg_key_search(parent, child->fold, &pos);
	g_ptr_array_insert(parent->subkeys, (gint)pos, child);
	child->parent = parent;
}

/* A deleted key's subkeys are deleted too (their handles see STATUS_KEY_DELETED). */
static void reg_key_mark_deleted(struct reg_key *key)
{
	key->deleted = TRUE;
	for (guint i = 0; i < key->subkeys->len; i++)
		reg_key_mark_deleted(g_ptr_array_index(key->subkeys, i));
}

void reg_key_unlink(struct reg_key *key)
{
	if (key->parent)
		g_ptr_array_remove(key->parent->subkeys, key);
	key->parent = NULL;
	reg_key_mark_deleted(key);
	if (key->handles == 0)
		reg_key_free(key);
}

void reg_key_release(struct reg_key *key)
{
	if (key->handles || !key->deleted)
		return;
	if (key->parent)
		g_ptr_array_remove(key->parent->subkeys, key);
	key->parent = NULL;
	reg_key_free(key);
}

struct reg_value *reg_value_find(const struct reg_key *key, const char *name, guint *index)
{
	char *fold = reg_name_fold(name);
	struct reg_value *found = NULL;

	for (guint i = 0; i < key->values->len; i++) {
		struct reg_value *value = g_ptr_array_index(key->values, i);

		if (strcmp(value->fold, fold) == 0) {
			found = value;
			if (index)
				*index = i;
			break;
		}
	}
	g_free(fold);
	return found;
}

void reg_value_set(struct reg_key *key, const char *name, ULONG type, const void *data,
		   ULONG size)
{
	struct reg_value *value = reg_value_find(key, name, NULL);

	if (!value) {
		value = g_new0(struct reg_value, 1);
		value->name = g_strdup(name);
		value->fold = reg_name_fold(name);
		g_ptr_array_add(key->values, value);
	}
	g_free(value->data);
	value->type = type;
	value->size = size;
	value->data = size ? g_memdup2(data, size) : NULL;
}

BOOLEAN reg_value_delete(struct reg_key *key, const char *name)
{
	guint index;

	if (!reg_value_find(key, name, &index))
		return FALSE;
	g_ptr_array_remove_index(key->values, index);
	return TRUE;
}

/* A key is saved to its service file unless it or an ancestor is volatile. */
static BOOLEAN reg_key_persistent(const struct reg_key *key)
{
	for (; key; key = key->parent) {
		if (key->is_volatile)
			return FALSE;
	}
	return TRUE;
}

NTSTATUS reg_key_touch(struct reg_key *key)
{
	key->last_write = reg_now();
	if (!key->service || !reg_key_persistent(key))
		return STATUS_SUCCESS;
	return reg_file_save(key->service->key, key->service->path);
}
