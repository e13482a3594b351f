/*
 * Names and strings of the registry store: UTF-16 <-> UTF-8 conversions
 * (GLib's), the case-insensitive comparison form, name validation, time.
 */
#include <string.h>

#include "host/registry.h"
#include "rtl/rtl.h"

/*
 * Windows compares registry names by upcasing each UTF-16 unit on its own,
 * with the table RtlUpcaseUnicodeChar uses (rtl_upcase).
 */
char *reg_name_fold(const char *utf8)
{
	size_t chars;
	WCHAR *w = reg_utf8_to_utf16(utf8, &chars);
	char *fold;

	if (!w)
		return g_strdup(utf8);
	for (size_t i = 0; i < chars; i++)
		w[i] = rtl_upcase(w[i]);
	fold = g_utf16_to_utf8((const gunichar2 *)w, (glong)chars, NULL, NULL, NULL);
	g_free(w);
	return fold ? fold : g_strdup(utf8);
}

char *reg_utf16_to_utf8(const WCHAR *s, size_t chars)
{
	for (size_t i = 0; i < chars; i++) {
		if (s[i] == 0)
			return NULL;
	}
	if (chars == 0)
		return g_strdup("");
	return g_utf16_to_utf8((const gunichar2 *)s, (glong)chars, NULL, NULL, NULL);
}

WCHAR *reg_utf8_to_utf16(const char *s, size_t *chars)
{
	glong written = 0;
	gunichar2 *out = g_utf8_to_utf16(s, -1, NULL, &written, NULL);

	if (out && chars)
		*chars = (size_t)written;
	return (WCHAR *)out;
}

size_t reg_wcslen(const WCHAR *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

BOOLEAN reg_key_name_valid(const char *utf8)
{
	glong chars = g_utf8_strlen(utf8, -1);

	if (chars < 1 || chars > REG_MAX_KEY_NAME_CHARS)
		return FALSE;
	return strchr(utf8, '\\') == NULL;
}

LONGLONG reg_now(void)
{
	LARGE_INTEGER now;

	KeQuerySystemTime(&now);
	return now.QuadPart;
}

NTSTATUS reg_unicode_to_utf8(PCUNICODE_STRING s, char **utf8)
{
	*utf8 = NULL;
	if (!s || (s->Length & 1) || s->Length > s->MaximumLength || (s->Length && !s->Buffer))
		return STATUS_INVALID_PARAMETER;
	*utf8 = reg_utf16_to_utf8(s->Buffer, s->Length / sizeof(WCHAR));
	return *utf8 ? STATUS_SUCCESS : STATUS_OBJECT_NAME_INVALID;
}
