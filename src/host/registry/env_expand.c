/* Environment-variable expansion of REG_EXPAND_SZ data for RtlQueryRegistryValues. */
#include <string.h>

#include "host/registry.h"

/* The value of `name` in an environment block, as UTF-8 (g_free it), or NULL. */
static char *reg_env_block_lookup(const WCHAR *block, const char *name)
{
	char *fold = reg_name_fold(name);
	char *found = NULL;

	for (const WCHAR *entry = block; !found && entry[0]; entry += reg_wcslen(entry) + 1) {
		char *text = reg_utf16_to_utf8(entry, reg_wcslen(entry));
		char *eq = text ? strchr(text, '=') : NULL;

		if (eq && eq != text) {
			char *entry_fold;

			*eq = '\0';
			entry_fold = reg_name_fold(text);
			if (strcmp(entry_fold, fold) == 0)
				found = g_strdup(eq + 1);
			g_free(entry_fold);
		}
		g_free(text);
	}
	g_free(fold);
	return found;
}

static char *reg_env_lookup(PVOID environment, const char *name)
{
	if (environment)
		return reg_env_block_lookup(environment, name);
	return g_strdup(g_getenv(name));
}

NTSTATUS reg_expand_environment(PVOID environment, const void *data, ULONG length, WCHAR **out,
				ULONG *out_length)
{
	const WCHAR *w = data;
	size_t chars = length / sizeof(WCHAR), n;
	char *text;
	GString *result;
	const char *p;

	*out = NULL;
	while (chars && w[chars - 1] == 0)
		chars--;
	text = reg_utf16_to_utf8(w, chars);
	if (!text)
		return STATUS_INVALID_PARAMETER;
	result = g_string_new(NULL);
	for (p = text; *p; p += n) {
		const char *close = p[0] == '%' ? strchr(p + 1, '%') : NULL;
		char *name, *value;

		n = close ? (size_t)(close - p + 1) : 1;
		if (!close || close == p + 1) {
			g_string_append_c(result, *p);
			n = 1;
			continue;
		}
		name = g_strndup(p + 1, (gsize)(close - p - 1));
		value = reg_env_lookup(environment, name);
		if (value)
			g_string_append(result, value);
		else
			g_string_append_len(result, p, (gssize)n);
		g_free(value);
		g_free(name);
	}
	*out = reg_utf8_to_utf16(result->str, &n);
	*out_length = (ULONG)((n + 1) * sizeof(WCHAR));
	g_string_free(result, TRUE);
	g_free(text);
	return *out ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}
