/*
 * Loading a service file: GKeyFile parses the file; groups become keys and
 * entries typed values (typed_value.c).  Errors name the file and line:
 * GKeyFile does not report lines, so a syntax error is located by parsing
 * ever longer prefixes of the file, and a bad value by finding its
 * "key=" line inside its group.
 */
#include <string.h>

#include "host/registry.h"

/* The lines of `text`, each without its newline (g_strfreev them). */
static char **reg_file_lines(const char *text, gsize length)
{
	char *copy = g_strndup(text, length);
	char **lines = g_strsplit(copy, "\n", -1);

	g_free(copy);
	return lines;
}

static BOOLEAN reg_file_prefix_parses(char **lines, guint count)
{
	GKeyFile *file = g_key_file_new();
	char *saved = lines[count], *prefix;
	BOOLEAN ok;

	lines[count] = NULL;
	prefix = g_strjoinv("\n", lines);
	lines[count] = saved;
	ok = g_key_file_load_from_data(file, prefix, (gsize)-1, G_KEY_FILE_NONE, NULL);
	g_key_file_free(file);
	g_free(prefix);
	return ok;
}

/* The first line (1-based) such that the file up to it does not parse. */
static guint reg_file_first_bad_line(const char *text, gsize length)
{
	char **lines = reg_file_lines(text, length);
	guint lo = 1, hi = g_strv_length(lines);

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (reg_file_prefix_parses(lines, mid))
			lo = mid + 1;
		else
			hi = mid;
	}
	g_strfreev(lines);
	return lo;
}

/* The group a line opens, as GKeyFile reads it, or NULL. */
static char *reg_file_line_group(const char *line)
{
	const char *close;

	while (g_ascii_isspace(*line))
		line++;
	if (*line != '[')
		return NULL;
	close = strrchr(line, ']');
	return close ? g_strndup(line + 1, (gsize)(close - line - 1)) : NULL;
}

static BOOLEAN reg_file_line_is_key(const char *line, const char *key)
{
	size_t len = strlen(key);

	while (g_ascii_isspace(*line))
		line++;
	if (strncmp(line, key, len) != 0)
		return FALSE;
	line += len;
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '=';
}

/* The last line of `group` that sets `key` (key NULL: the group's header). */
static guint reg_file_find_line(const char *text, gsize length, const char *group,
				const char *key)
{
	char **lines = reg_file_lines(text, length);
	BOOLEAN in_group = FALSE;
	guint found = 0;

	for (guint i = 0; lines[i]; i++) {
		char *opened = reg_file_line_group(lines[i]);

		if (opened) {
			in_group = strcmp(opened, group) == 0;
			if (in_group && !key)
				found = i + 1;
		} else if (in_group && key && reg_file_line_is_key(lines[i], key)) {
			found = i + 1;
		}
		g_free(opened);
	}
	g_strfreev(lines);
	return found;
}

struct reg_load {
	const char *path;
	const char *text;
	gsize length;
	GKeyFile *file;
	struct reg_key *root;
	char *error;
};

static BOOLEAN reg_load_fail(struct reg_load *load, const char *group, const char *key,
			     const char *what)
{
	guint line = reg_file_find_line(load->text, load->length, group, key);

	if (key)
		load->error = g_strdup_printf("%s:%u: [%s] %s: %s", load->path, line, group, key, what);
	else
		load->error = g_strdup_printf("%s:%u: [%s]: %s", load->path, line, group, what);
	return FALSE;
}

/* The key a group names, created with its missing ancestors. */
static struct reg_key *reg_load_group_key(struct reg_load *load, const char *group)
{
	char **parts;
	struct reg_key *key = load->root;

	if (g_ascii_strcasecmp(group, "Service") == 0)
		return key;
	parts = g_strsplit(group, "\\", -1);
	for (guint i = 0; key && parts[i]; i++) {
		char *name = reg_file_decode_key_name(parts[i]);
		struct reg_key *child;

		if (!name) {
			reg_load_fail(load, group, NULL, "invalid key name");
			key = NULL;
			break;
		}
		child = reg_key_find_child(key, name);
		if (!child) {
			child = reg_key_new(name, NULL);
			reg_key_link(key, child);
		}
		g_free(name);
		key = child;
	}
	g_strfreev(parts);
	return key;
}

static BOOLEAN reg_load_value(struct reg_load *load, struct reg_key *key, const char *group,
			      const char *entry)
{
	char *name = reg_file_decode_value_name(entry);
	char *raw = NULL, *what = NULL;
	char **list = NULL;
	GError *gerr = NULL;
	guint8 *data = NULL;
	ULONG type, size;
	BOOLEAN ok = FALSE;

	if (!name) {
		reg_load_fail(load, group, entry, "invalid value name");
		goto out;
	}
	/* A list keeps its "\;" escapes only in the list form; GLib's string form rejects them. */
	raw = g_key_file_get_value(load->file, group, entry, NULL);
	if (raw && g_str_has_prefix(raw, "multi_sz:")) {
		list = g_key_file_get_string_list(load->file, group, entry, NULL, &gerr);
	} else {
		g_free(raw);
		raw = g_key_file_get_string(load->file, group, entry, &gerr);
	}
	if (gerr) {
		reg_load_fail(load, group, entry, gerr->message);
		goto out;
	}
	if (!reg_typed_value_parse(raw, list, &type, &data, &size, &what)) {
		reg_load_fail(load, group, entry, what);
		goto out;
	}
	reg_value_set(key, name, type, data, size);
	ok = TRUE;
out:
	g_clear_error(&gerr);
	g_free(what);
	g_free(data);
	g_strfreev(list);
	g_free(raw);
	g_free(name);
	return ok;
}

static BOOLEAN reg_load_group(struct reg_load *load, const char *group)
{
	struct reg_key *key = reg_load_group_key(load, group);
	char **entries;
	BOOLEAN ok = key != NULL;

	if (!ok)
		return FALSE;
	entries = g_key_file_get_keys(load->file, group, NULL, NULL);
	for (guint i = 0; ok && entries && entries[i]; i++)
		ok = reg_load_value(load, key, group, entries[i]);
	g_strfreev(entries);
	return ok;
}

NTSTATUS reg_file_load_data(const char *path, const char *text, gsize length, const char *name,
			    struct reg_key **key, char **error)
{
	struct reg_load load = { .path = path, .text = text, .length = length };
	GError *gerr = NULL;
	char **groups = NULL;
	NTSTATUS status = STATUS_REGISTRY_CORRUPT;

	*key = NULL;
	load.file = g_key_file_new();
	if (!g_key_file_load_from_data(load.file, text, length, G_KEY_FILE_NONE, &gerr)) {
		load.error = g_strdup_printf("%s:%u: %s", path, reg_file_first_bad_line(text, length),
					     gerr->message);
		goto out;
	}
	load.root = reg_key_new(name, NULL);
	groups = g_key_file_get_groups(load.file, NULL);
	for (guint i = 0; groups[i]; i++) {
		if (!reg_load_group(&load, groups[i]))
			goto out;
	}
	*key = load.root;
	load.root = NULL;
	status = STATUS_SUCCESS;
out:
	if (load.root)
		reg_key_free(load.root);
	if (error)
		*error = load.error;
	else
		g_free(load.error);
	g_strfreev(groups);
	g_clear_error(&gerr);
	g_key_file_free(load.file);
	return status;
}

NTSTATUS reg_file_load(const char *path, const char *name, struct reg_key **key, char **error)
{
	char *text = NULL;
	gsize length = 0;
	GError *gerr = NULL;
	NTSTATUS status;

	*key = NULL;
	if (error)
		*error = NULL;
	if (!g_file_get_contents(path, &text, &length, &gerr)) {
		status = reg_status_from_gerror(gerr);
		if (error && status != STATUS_OBJECT_NAME_NOT_FOUND)
			*error = g_strdup_printf("%s: %s", path, gerr->message);
		g_error_free(gerr);
		return status;
	}
	status = reg_file_load_data(path, text, length, name, key, error);
	g_free(text);
	return status;
}
