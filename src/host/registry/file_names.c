/*
 * How key and value names appear in a service file.  GKeyFile keys may not
 * contain '=', '[' or ']', begin with '#' or start or end with a space, and
 * group names may not contain '[' or ']' or control characters; such bytes
 * (and '%' itself) are written as %XX.  The default (unnamed) value is '@'.
 * A first-level key named "Service" is written "%53ervice", since the
 * [Service] group holds the service key's own values.
 */
#include <string.h>

#include "host/registry.h"

static BOOLEAN reg_file_must_escape(const char *name, size_t i, BOOLEAN value_name)
{
	unsigned char c = (unsigned char)name[i];
	size_t len = strlen(name);

	if (c < 0x20 || c == 0x7f || c == '%' || c == '[' || c == ']')
		return TRUE;
	if (value_name && c == '=')
		return TRUE;
	if (c == ' ' && (i == 0 || i + 1 == len))
		return TRUE;
	return i == 0 && value_name && (c == '#' || c == '@');
}

static char *reg_file_escape(const char *name, BOOLEAN value_name, BOOLEAN escape_first)
{
	GString *out = g_string_sized_new(strlen(name));

	for (size_t i = 0; name[i]; i++) {
		if ((i == 0 && escape_first) || reg_file_must_escape(name, i, value_name))
			g_string_append_printf(out, "%%%02X", (unsigned char)name[i]);
		else
			g_string_append_c(out, name[i]);
	}
	return g_string_free(out, FALSE);
}

char *reg_file_encode_value_name(const char *name)
{
	if (name[0] == '\0')
		return g_strdup("@");
	return reg_file_escape(name, TRUE, FALSE);
}

char *reg_file_decode_value_name(const char *text)
{
	char *name;

	if (strcmp(text, "@") == 0)
		return g_strdup("");
	name = g_uri_unescape_string(text, NULL);
	if (name && (!g_utf8_validate(name, -1, NULL) ||
		     g_utf8_strlen(name, -1) > REG_MAX_VALUE_NAME_CHARS)) {
		g_free(name);
		return NULL;
	}
	return name;
}

char *reg_file_encode_key_name(const char *name, BOOLEAN first_level)
{
	char *fold = reg_name_fold(name);
	BOOLEAN reserved = first_level && strcmp(fold, "SERVICE") == 0;

	g_free(fold);
	return reg_file_escape(name, FALSE, reserved);
}

char *reg_file_decode_key_name(const char *text)
{
	char *name = g_uri_unescape_string(text, NULL);

	if (name && (!g_utf8_validate(name, -1, NULL) || !reg_key_name_valid(name))) {
		g_free(name);
		return NULL;
	}
	return name;
}
