/*
 * Saving a service key: the tree is laid out as GKeyFile groups ([Service]
 * for the service key's own values, then every non-volatile subkey by its
 * path, parents before children) and written with
 * g_file_set_contents_full, which writes a temporary file, syncs it and
 * renames it over the old one, so a reader sees the old or the new file,
 * never a mix.
 */
#include "host/registry.h"

static void reg_save_values(GKeyFile *file, const char *group, const struct reg_key *key)
{
	for (guint i = 0; i < key->values->len; i++) {
		const struct reg_value *value = g_ptr_array_index(key->values, i);
		char *entry = reg_file_encode_value_name(value->name);

		reg_typed_value_store(file, group, entry, value->type, value->data, value->size);
		g_free(entry);
	}
}

/* GKeyFile has no call that adds an empty group: add an entry and drop it. */
static void reg_save_group(GKeyFile *file, const char *group)
{
	if (g_key_file_has_group(file, group))
		return;
	g_key_file_set_value(file, group, "@", "");
	g_key_file_remove_key(file, group, "@", NULL);
}

static void reg_save_subkeys(GKeyFile *file, const char *prefix, const struct reg_key *key)
{
	for (guint i = 0; i < key->subkeys->len; i++) {
		const struct reg_key *child = g_ptr_array_index(key->subkeys, i);
		char *name, *group;

		if (child->is_volatile)
			continue;
		name = reg_file_encode_key_name(child->name, prefix == NULL);
		group = prefix ? g_strconcat(prefix, "\\", name, NULL) : g_strdup(name);
		reg_save_group(file, group);
		reg_save_values(file, group, child);
		reg_save_subkeys(file, group, child);
		g_free(group);
		g_free(name);
	}
}

char *reg_file_format(const struct reg_key *key)
{
	GKeyFile *file = g_key_file_new();
	char *comment, *text;

	reg_save_group(file, "Service");
	comment = g_strdup_printf(" Altitude registry: service key %s (format: docs/registry.md)",
				  key->name);
	g_key_file_set_comment(file, NULL, NULL, comment, NULL);
	reg_save_values(file, "Service", key);
	reg_save_subkeys(file, NULL, key);
	text = g_key_file_to_data(file, NULL, NULL);
	g_free(comment);
	g_key_file_free(file);
	return text;
}

NTSTATUS reg_file_save(const struct reg_key *key, const char *path)
{
	char *text = reg_file_format(key);
	GError *gerr = NULL;
	NTSTATUS status = STATUS_SUCCESS;

	if (!g_file_set_contents_full(path, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
				      0644, &gerr)) {
		char *message = g_strdup_printf("%s: cannot save: %s", path, gerr->message);

		status = gerr->code == G_FILE_ERROR_NOENT ? STATUS_OBJECT_PATH_NOT_FOUND
							  : reg_status_from_gerror(gerr);
		reg_report(message);
		g_free(message);
		g_error_free(gerr);
	}
	g_free(text);
	return status;
}
