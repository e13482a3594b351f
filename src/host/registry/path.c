/*
 * Path lookup.  An absolute path must name the Services key or a key below
 * it (\Registry\Machine\System\CurrentControlSet\Services\...); any other
 * \Registry path does not exist here.  Components are compared
 * case-insensitively; an empty component is an invalid name.
 */
#include <string.h>

#include "host/registry/store.h"

static const char *const reg_services_path[] = {
	"REGISTRY", "MACHINE", "SYSTEM", "CURRENTCONTROLSET", "SERVICES",
};

/* Skips the Services prefix of an absolute path's components. */
static NTSTATUS reg_skip_services_prefix(char **parts, guint *index)
{
	guint i;

	/* parts[0] is the empty string before the leading '\'. */
	for (i = 0; i < G_N_ELEMENTS(reg_services_path); i++) {
		char *fold;
		BOOLEAN match;

		if (!parts[i + 1])
			return STATUS_OBJECT_NAME_NOT_FOUND;
		fold = reg_name_fold(parts[i + 1]);
		match = strcmp(fold, reg_services_path[i]) == 0;
		g_free(fold);
		if (!match)
			return STATUS_OBJECT_NAME_NOT_FOUND;
	}
	*index = i + 1;
	return STATUS_SUCCESS;
}

static NTSTATUS reg_create_child(struct reg_key *parent, const char *name,
				 const WCHAR *class_name, USHORT class_length, BOOLEAN is_volatile,
				 struct reg_key **key)
{
	struct reg_key *child;
	BOOLEAN service_key = parent == reg_store.root;
	NTSTATUS status;

	if (service_key && !reg_service_name_valid(name))
		return STATUS_OBJECT_NAME_INVALID;
	if (!is_volatile && parent->is_volatile)
		return STATUS_CHILD_MUST_BE_VOLATILE;
	child = reg_key_new(name, service_key ? NULL : parent->service);
	child->is_volatile = is_volatile;
	if (class_length) {
		child->class_name = g_memdup2(class_name, class_length);
		child->class_length = class_length;
	}
	if (service_key) {
		child->service = reg_service_new(name);
		child->service->key = child;
	}
	reg_key_link(parent, child);
	status = reg_key_touch(child);
	if (!NT_SUCCESS(status)) {
		reg_key_unlink(child);
		return status;
	}
	*key = child;
	return STATUS_SUCCESS;
}

/* The child named `name`, looking for a new service file at the root. */
static NTSTATUS reg_find_child(struct reg_key *key, const char *name, struct reg_key **child)
{
	char *fold;
	BOOLEAN corrupt;

	*child = reg_key_find_child(key, name);
	if (*child || key != reg_store.root)
		return STATUS_SUCCESS;
	reg_services_scan();
	*child = reg_key_find_child(key, name);
	if (*child)
		return STATUS_SUCCESS;
	fold = reg_name_fold(name);
	corrupt = g_hash_table_contains(reg_store.corrupt, fold);
	g_free(fold);
	return corrupt ? STATUS_REGISTRY_CORRUPT : STATUS_SUCCESS;
}

NTSTATUS reg_path_lookup(struct reg_key *base, const char *path, BOOLEAN create,
			 const WCHAR *class_name, USHORT class_length, BOOLEAN is_volatile,
			 struct reg_key **key, BOOLEAN *created)
{
	char **parts = NULL;
	struct reg_key *current = base;
	guint i = 0;
	NTSTATUS status = STATUS_SUCCESS;

	*key = NULL;
	if (created)
		*created = FALSE;
	if ((base == NULL) != (path[0] == '\\'))
		return STATUS_OBJECT_PATH_SYNTAX_BAD;
	if (base && path[0] == '\0') {
		*key = base;
		return STATUS_SUCCESS;
	}
	parts = g_strsplit(path, "\\", -1);
	if (!base) {
		status = reg_skip_services_prefix(parts, &i);
		current = reg_root();
	}
	for (; NT_SUCCESS(status) && parts[i]; i++) {
		struct reg_key *child;
		BOOLEAN last = parts[i + 1] == NULL;

		if (!reg_key_name_valid(parts[i])) {
			status = STATUS_OBJECT_NAME_INVALID;
			break;
		}
		status = reg_find_child(current, parts[i], &child);
		if (!NT_SUCCESS(status))
			break;
		if (!child && last && create) {
			status = reg_create_child(current, parts[i], class_name, class_length,
						  is_volatile, &child);
			if (NT_SUCCESS(status) && created)
				*created = TRUE;
		} else if (!child) {
			status = STATUS_OBJECT_NAME_NOT_FOUND;
		}
		current = child;
	}
	if (NT_SUCCESS(status))
		*key = current;
	g_strfreev(parts);
	return status;
}
