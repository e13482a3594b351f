/*
 * What the Filter Manager loader and `fltmc install` need from a filter's
 * service key: its image, its instances (Instances\<name>: Altitude REG_SZ,
 * Flags REG_DWORD) and default instance, and writing a new service file.
 */
#include <string.h>

#include "host/registry/store.h"

/* A REG_SZ / REG_EXPAND_SZ value as UTF-8 (g_free it), or NULL. */
static char *reg_value_string(const struct reg_key *key, const char *name)
{
	const struct reg_value *value = reg_value_find(key, name, NULL);
	const WCHAR *w;
	size_t chars = 0;

	if (!value || (value->type != REG_SZ && value->type != REG_EXPAND_SZ))
		return NULL;
	w = (const WCHAR *)value->data;
	while (chars < value->size / sizeof(WCHAR) && w[chars])
		chars++;
	return reg_utf16_to_utf8(w, chars);
}

/* An altitude: decimal digits, optionally one '.' and more digits. */
static BOOLEAN reg_altitude_valid(const char *altitude)
{
	const char *p = altitude;

	if (!g_ascii_isdigit(*p))
		return FALSE;
	while (g_ascii_isdigit(*p))
		p++;
	if (*p == '.' && g_ascii_isdigit(p[1])) {
		for (p++; g_ascii_isdigit(*p); p++)
			;
	}
	return *p == '\0';
}

static NTSTATUS reg_read_instance(const struct reg_key *key, struct host_registry_instance *out)
{
	const struct reg_value *flags = reg_value_find(key, "Flags", NULL);

	out->name = g_strdup(key->name);
	out->altitude = reg_value_string(key, "Altitude");
	if (!out->altitude || !reg_altitude_valid(out->altitude))
		return STATUS_INVALID_PARAMETER;
	if (flags && (flags->type != REG_DWORD || flags->size != sizeof(ULONG)))
		return STATUS_INVALID_PARAMETER;
	if (flags)
		memcpy(&out->flags, flags->data, sizeof(ULONG));
	return STATUS_SUCCESS;
}

static NTSTATUS reg_read_config(const struct reg_key *service,
				struct host_registry_filter_config *config)
{
	const struct reg_key *instances = reg_key_find_child(service, "Instances");
	BOOLEAN default_found = FALSE;
	NTSTATUS status = STATUS_SUCCESS;

	config->image_path = reg_value_string(service, "ImagePath");
	if (!instances)
		return STATUS_SUCCESS;
	config->default_instance = reg_value_string(instances, "DefaultInstance");
	config->instances = g_new0(struct host_registry_instance, instances->subkeys->len);
	for (guint i = 0; NT_SUCCESS(status) && i < instances->subkeys->len; i++) {
		const struct reg_key *child = g_ptr_array_index(instances->subkeys, i);
		char *a, *b;

		status = reg_read_instance(child, &config->instances[i]);
		config->instance_count++;
		if (!config->default_instance)
			continue;
		a = reg_name_fold(child->name);
		b = reg_name_fold(config->default_instance);
		default_found |= strcmp(a, b) == 0;
		g_free(a);
		g_free(b);
	}
	if (NT_SUCCESS(status) && config->default_instance && !default_found)
		status = STATUS_INVALID_PARAMETER;
	return status;
}

NTSTATUS host_registry_read_filter_config(const char *service,
					  struct host_registry_filter_config *config)
{
	struct reg_key *key;
	NTSTATUS status;

	memset(config, 0, sizeof(*config));
	if (!service || !reg_service_name_valid(service))
		return STATUS_INVALID_PARAMETER;
	reg_lock();
	status = reg_path_lookup(reg_root(), service, FALSE, NULL, 0, FALSE, &key, NULL);
	if (NT_SUCCESS(status))
		status = reg_read_config(key, config);
	reg_unlock();
	if (!NT_SUCCESS(status))
		host_registry_filter_config_free(config);
	return status;
}

void host_registry_filter_config_free(struct host_registry_filter_config *config)
{
	for (size_t i = 0; i < config->instance_count; i++) {
		g_free(config->instances[i].name);
		g_free(config->instances[i].altitude);
	}
	g_free(config->instances);
	g_free(config->image_path);
	g_free(config->default_instance);
	memset(config, 0, sizeof(*config));
}

static void reg_set_string(struct reg_key *key, const char *name, const char *text)
{
	size_t chars;
	WCHAR *w = reg_utf8_to_utf16(text, &chars);

	reg_value_set(key, name, REG_SZ, w, (ULONG)((chars + 1) * sizeof(WCHAR)));
	g_free(w);
}

/* "K=<typed value>" into `key`, read the way a service file is. */
static BOOLEAN reg_install_param(struct reg_key *key, const char *param, char **error)
{
	const char *eq = strchr(param, '=');
	GKeyFile *file = g_key_file_new();
	char *name = NULL, *raw = NULL, *what = NULL;
	char **list = NULL;
	guint8 *data = NULL;
	ULONG type, size;
	BOOLEAN ok = FALSE;

	if (!eq || eq == param || !g_utf8_validate(param, -1, NULL)) {
		*error = g_strdup_printf("parameter \"%s\": want NAME=VALUE", param);
		goto out;
	}
	name = g_strndup(param, (gsize)(eq - param));
	g_key_file_set_value(file, "P", "v", eq + 1);
	raw = g_key_file_get_value(file, "P", "v", NULL);
	if (g_str_has_prefix(raw, "multi_sz:")) {
		list = g_key_file_get_string_list(file, "P", "v", NULL, NULL);
	} else {
		g_free(raw);
		raw = g_key_file_get_string(file, "P", "v", NULL);
	}
	if (!raw || (g_str_has_prefix(raw, "multi_sz:") && !list) ||
	    !reg_typed_value_parse(raw, list, &type, &data, &size, &what)) {
		*error = g_strdup_printf("parameter %s: %s", name, what ? what : "invalid value");
		goto out;
	}
	reg_value_set(key, name, type, data, size);
	ok = TRUE;
out:
	g_free(data);
	g_free(what);
	g_strfreev(list);
	g_free(raw);
	g_free(name);
	g_key_file_free(file);
	return ok;
}

static NTSTATUS reg_install_check(const char *service, const char *image_path,
				  const char *altitude, char **error)
{
	if (!service || !g_utf8_validate(service, -1, NULL) || !reg_service_name_valid(service))
		*error = g_strdup_printf("invalid service name \"%s\"", service ? service : "");
	else if (!image_path || !*image_path || !g_utf8_validate(image_path, -1, NULL))
		*error = g_strdup("invalid module path");
	else if (!altitude || !reg_altitude_valid(altitude))
		*error = g_strdup_printf("invalid altitude \"%s\"", altitude ? altitude : "");
	else
		return STATUS_SUCCESS;
	return STATUS_INVALID_PARAMETER;
}

NTSTATUS host_registry_install(const char *service, const char *image_path, const char *altitude,
			       const char *const *params, size_t param_count, char **error)
{
	struct reg_key *key = NULL, *instances, *instance, *parameters;
	char *instance_name, *path = NULL;
	NTSTATUS status;

	*error = NULL;
	status = reg_install_check(service, image_path, altitude, error);
	if (!NT_SUCCESS(status))
		return status;
	key = reg_key_new(service, NULL);
	reg_set_string(key, "ImagePath", image_path);
	instances = reg_key_new("Instances", NULL);
	reg_key_link(key, instances);
	instance_name = g_strdup_printf("%s Instance", service);
	reg_set_string(instances, "DefaultInstance", instance_name);
	instance = reg_key_new(instance_name, NULL);
	g_free(instance_name);
	reg_key_link(instances, instance);
	reg_set_string(instance, "Altitude", altitude);
	reg_value_set(instance, "Flags", REG_DWORD, &(ULONG){ 0 }, sizeof(ULONG));
	parameters = reg_key_new("Parameters", NULL);
	reg_key_link(key, parameters);
	for (size_t i = 0; i < param_count; i++) {
		if (!reg_install_param(parameters, params[i], error)) {
			status = STATUS_INVALID_PARAMETER;
			goto out;
		}
	}
	reg_lock();
	path = g_strconcat(reg_directory(), G_DIR_SEPARATOR_S, service, ".conf", NULL);
	if (g_mkdir_with_parents(reg_directory(), 0755) == 0)
		status = reg_file_save(key, path);
	else
		status = STATUS_ACCESS_DENIED;
	reg_unlock();
	if (!NT_SUCCESS(status))
		*error = g_strdup_printf("%s: cannot write the service file", path);
	host_registry_forget_service(service);
out:
	g_free(path);
	reg_key_free(key);
	return status;
}
