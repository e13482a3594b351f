/*
 * Typed values in a service file (docs/registry.md):
 *   bare text          REG_SZ (when it does not start with a type prefix)
 *   sz:text            REG_SZ
 *   expand_sz:text     REG_EXPAND_SZ
 *   multi_sz:a;b;c     REG_MULTI_SZ (';' inside a string is written "\;")
 *   dword:N            REG_DWORD, N decimal or 0x-hexadecimal
 *   qword:N            REG_QWORD
 *   hex:01,02,ff       REG_BINARY
 *   hex(T):01,02       any type T (hexadecimal), any bytes
 * Strings are UTF-8 in the file and UTF-16 with a terminating NUL in the
 * registry.  Data a typed form cannot express exactly (odd length, embedded
 * NULs, ill-formed UTF-16, a DWORD that is not 4 bytes) is written hex(T)
 * so that every value survives a save and a load unchanged.
 */
#include <string.h>

#include "host/registry.h"

struct reg_prefix {
	const char *text;
	ULONG type;
};

static const struct reg_prefix reg_prefixes[] = {
	{ "sz:", REG_SZ },         { "expand_sz:", REG_EXPAND_SZ }, { "multi_sz:", REG_MULTI_SZ },
	{ "dword:", REG_DWORD },   { "qword:", REG_QWORD },         { "hex:", REG_BINARY },
	{ "hex(", REG_NONE },
};

static const struct reg_prefix *reg_prefix_of(const char *text)
{
	for (size_t i = 0; i < G_N_ELEMENTS(reg_prefixes); i++) {
		if (g_str_has_prefix(text, reg_prefixes[i].text))
			return &reg_prefixes[i];
	}
	return NULL;
}

/* UTF-8 text -> UTF-16 with its NUL, as REG_SZ data. */
static void reg_string_data(const char *text, guint8 **data, ULONG *size)
{
	size_t chars;
	WCHAR *w = reg_utf8_to_utf16(text, &chars);

	*data = (guint8 *)w;
	*size = (ULONG)((chars + 1) * sizeof(WCHAR));
}

static BOOLEAN reg_parse_number(const char *text, guint64 max, guint64 *out, char **error)
{
	guint base = 10;
	GError *gerr = NULL;

	if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
		text += 2;
		base = 16;
		if (!g_ascii_isxdigit(text[0])) {
			*error = g_strdup("invalid hexadecimal number");
			return FALSE;
		}
	}
	if (!g_ascii_string_to_unsigned(text, base, 0, max, out, &gerr)) {
		*error = g_strdup(gerr->message);
		g_error_free(gerr);
		return FALSE;
	}
	return TRUE;
}

static BOOLEAN reg_parse_bytes(const char *text, guint8 **data, ULONG *size, char **error)
{
	GByteArray *bytes = g_byte_array_new();
	char **parts = g_strsplit(text, ",", -1);
	BOOLEAN ok = TRUE;

	for (size_t i = 0; text[0] && parts[i]; i++) {
		char *p = g_strstrip(parts[i]);
		size_t len = strlen(p);
		guint8 b;

		if (len < 1 || len > 2 || !g_ascii_isxdigit(p[0]) ||
		    (len == 2 && !g_ascii_isxdigit(p[1]))) {
			*error = g_strdup_printf("invalid byte \"%s\" (want two hexadecimal digits)", p);
			ok = FALSE;
			break;
		}
		b = (guint8)g_ascii_xdigit_value(p[0]);
		if (len == 2)
			b = (guint8)(b * 16 + g_ascii_xdigit_value(p[1]));
		g_byte_array_append(bytes, &b, 1);
	}
	g_strfreev(parts);
	*size = ok ? bytes->len : 0;
	*data = ok && bytes->len ? g_memdup2(bytes->data, bytes->len) : NULL;
	g_byte_array_free(bytes, TRUE);
	return ok;
}

/* "hex(T):bytes" */
static BOOLEAN reg_parse_hex_typed(const char *text, ULONG *type, guint8 **data, ULONG *size,
				   char **error)
{
	const char *close = strchr(text, ')');
	char *number;
	guint64 t;
	BOOLEAN ok;

	if (!close || close[1] != ':' || close == text) {
		*error = g_strdup("invalid hex(T): prefix");
		return FALSE;
	}
	number = g_strndup(text, (gsize)(close - text));
	ok = g_ascii_string_to_unsigned(number, 16, 0, G_MAXUINT32, &t, NULL);
	g_free(number);
	if (!ok) {
		*error = g_strdup("invalid type number in hex(T):");
		return FALSE;
	}
	*type = (ULONG)t;
	return reg_parse_bytes(close + 2, data, size, error);
}

static BOOLEAN reg_parse_multi(char **list, guint8 **data, ULONG *size, char **error)
{
	GByteArray *bytes = g_byte_array_new();
	const WCHAR nul = 0;
	size_t count = list ? g_strv_length(list) : 0;
	BOOLEAN ok = TRUE;

	for (size_t i = 0; i < count; i++) {
		const char *s = i == 0 ? list[0] + strlen("multi_sz:") : list[i];
		size_t chars;
		WCHAR *w;

		if (s[0] == '\0' && count == 1)
			break;
		if (s[0] == '\0') {
			*error = g_strdup("empty string in multi_sz");
			ok = FALSE;
			break;
		}
		w = reg_utf8_to_utf16(s, &chars);
		g_byte_array_append(bytes, (const guint8 *)w, (guint)((chars + 1) * sizeof(WCHAR)));
		g_free(w);
	}
	g_byte_array_append(bytes, (const guint8 *)&nul, sizeof(nul));
	*size = ok ? bytes->len : 0;
	*data = ok ? g_memdup2(bytes->data, bytes->len) : NULL;
	g_byte_array_free(bytes, TRUE);
	return ok;
}

BOOLEAN reg_typed_value_parse(const char *raw, char **list, ULONG *type, guint8 **data,
			      ULONG *size, char **error)
{
	const struct reg_prefix *prefix = reg_prefix_of(raw);
	const char *rest = prefix ? raw + strlen(prefix->text) : raw;
	guint64 n;

	*data = NULL;
	*size = 0;
	*type = prefix ? prefix->type : REG_SZ;
	if (!g_utf8_validate(raw, -1, NULL)) {
		*error = g_strdup("value is not UTF-8");
		return FALSE;
	}
	switch (*type) {
	case REG_SZ:
	case REG_EXPAND_SZ:
		reg_string_data(rest, data, size);
		return TRUE;
	case REG_MULTI_SZ:
		return reg_parse_multi(list, data, size, error);
	case REG_DWORD:
		if (!reg_parse_number(rest, G_MAXUINT32, &n, error))
			return FALSE;
		*size = sizeof(ULONG);
		*data = g_malloc(sizeof(ULONG));
		*(ULONG *)*data = (ULONG)n;
		return TRUE;
	case REG_QWORD:
		if (!reg_parse_number(rest, G_MAXUINT64, &n, error))
			return FALSE;
		*size = sizeof(ULONGLONG);
		*data = g_malloc(sizeof(ULONGLONG));
		memcpy(*data, &n, sizeof(n));
		return TRUE;
	case REG_BINARY:
		return reg_parse_bytes(rest, data, size, error);
	default:
		return reg_parse_hex_typed(rest, type, data, size, error);
	}
}

/*
 * The strings of well-formed string data (g_strfreev them), else NULL.
 * REG_SZ: one string and its NUL.  REG_MULTI_SZ: non-empty strings, each
 * with its NUL, then one more NUL.
 */
static char **reg_split_strings(const guint8 *data, ULONG size, BOOLEAN multi)
{
	const WCHAR *w = (const WCHAR *)data;
	size_t chars = size / sizeof(WCHAR), start = 0;
	size_t end = multi ? chars - 1 : chars;
	GPtrArray *strings;
	BOOLEAN ok = FALSE;

	if (size % sizeof(WCHAR) || chars < (multi ? 2u : 1u) || w[chars - 1] != 0 ||
	    w[end - 1] != 0)
		return NULL;
	strings = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < end; i++) {
		char *s;

		if (w[i] != 0)
			continue;
		s = (multi && i == start) ? NULL : reg_utf16_to_utf8(w + start, i - start);
		if (!s)
			goto out;
		g_ptr_array_add(strings, s);
		start = i + 1;
	}
	ok = multi || strings->len == 1;
out:
	if (!ok) {
		g_ptr_array_free(strings, TRUE);
		return NULL;
	}
	g_ptr_array_add(strings, NULL);
	return (char **)g_ptr_array_free(strings, FALSE);
}

static void reg_store_hex(GKeyFile *file, const char *group, const char *key, ULONG type,
			  const guint8 *data, ULONG size)
{
	GString *text = g_string_new(NULL);

	if (type == REG_BINARY)
		g_string_append(text, "hex:");
	else
		g_string_append_printf(text, "hex(%x):", type);
	for (ULONG i = 0; i < size; i++)
		g_string_append_printf(text, i ? ",%02x" : "%02x", data[i]);
	g_key_file_set_value(file, group, key, text->str);
	g_string_free(text, TRUE);
}

static BOOLEAN reg_store_string(GKeyFile *file, const char *group, const char *key, ULONG type,
				const guint8 *data, ULONG size)
{
	char **strings = reg_split_strings(data, size, FALSE);
	char *text;

	if (!strings)
		return FALSE;
	if (type == REG_EXPAND_SZ)
		text = g_strconcat("expand_sz:", strings[0], NULL);
	else if (reg_prefix_of(strings[0]))
		text = g_strconcat("sz:", strings[0], NULL);
	else
		text = g_strdup(strings[0]);
	g_key_file_set_string(file, group, key, text);
	g_free(text);
	g_strfreev(strings);
	return TRUE;
}

static BOOLEAN reg_store_multi(GKeyFile *file, const char *group, const char *key,
			       const guint8 *data, ULONG size)
{
	char **strings;
	char *first;
	const char *empty[] = { "multi_sz:", NULL };

	if (size == sizeof(WCHAR) && *(const WCHAR *)data == 0) {
		g_key_file_set_string_list(file, group, key, empty, 1);
		return TRUE;
	}
	strings = reg_split_strings(data, size, TRUE);
	if (!strings)
		return FALSE;
	first = strings[0];
	strings[0] = g_strconcat("multi_sz:", first, NULL);
	g_free(first);
	g_key_file_set_string_list(file, group, key, (const char *const *)strings,
				   g_strv_length(strings));
	g_strfreev(strings);
	return TRUE;
}

void reg_typed_value_store(GKeyFile *file, const char *group, const char *key, ULONG type,
			   const guint8 *data, ULONG size)
{
	char *text = NULL;

	switch (type) {
	case REG_SZ:
	case REG_EXPAND_SZ:
		if (reg_store_string(file, group, key, type, data, size))
			return;
		break;
	case REG_MULTI_SZ:
		if (reg_store_multi(file, group, key, data, size))
			return;
		break;
	case REG_DWORD:
		if (size == sizeof(ULONG))
			text = g_strdup_printf("dword:%u", *(const ULONG *)data);
		break;
	case REG_QWORD:
		if (size == sizeof(ULONGLONG)) {
			ULONGLONG q;

			memcpy(&q, data, sizeof(q));
			text = g_strdup_printf("qword:%llu", (unsigned long long)q);
		}
		break;
	default:
		break;
	}
	if (text) {
		g_key_file_set_value(file, group, key, text);
		g_free(text);
		return;
	}
	reg_store_hex(file, group, key, type, data, size);
}
