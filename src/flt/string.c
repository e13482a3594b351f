/* Owned UNICODE_STRING copies and comparisons used by the engine. */

#include "flt/flt.h"

NTSTATUS flt_string_dup(PCUNICODE_STRING src, UNICODE_STRING *dst)
{
	USHORT len = src ? src->Length : 0;

	dst->Buffer = flt_alloc((size_t)len + sizeof(WCHAR), FLT_TAG_STRING);
	if (!dst->Buffer)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (len)
		memcpy(dst->Buffer, src->Buffer, len);
	dst->Buffer[len / sizeof(WCHAR)] = 0;
	dst->Length = len;
	dst->MaximumLength = (USHORT)(len + sizeof(WCHAR));
	return STATUS_SUCCESS;
}

void flt_string_init(UNICODE_STRING *s, const WCHAR *wsz)
{
	size_t n = 0;

	while (wsz && wsz[n])
		n++;
	s->Buffer = (PWCH)wsz;
	s->Length = (USHORT)(n * sizeof(WCHAR));
	s->MaximumLength = (USHORT)(s->Length + (wsz ? sizeof(WCHAR) : 0));
}

NTSTATUS flt_string_from_wsz(const WCHAR *src, UNICODE_STRING *dst)
{
	UNICODE_STRING s;

	flt_string_init(&s, src);
	return flt_string_dup(&s, dst);
}

void flt_string_free(UNICODE_STRING *s)
{
	flt_free(s->Buffer, FLT_TAG_STRING);
	s->Buffer = NULL;
	s->Length = s->MaximumLength = 0;
}

static WCHAR flt_upcase(WCHAR c)
{
	return (c >= L'a' && c <= L'z') ? (WCHAR)(c - (L'a' - L'A')) : c;
}

BOOLEAN flt_string_equal(PCUNICODE_STRING a, PCUNICODE_STRING b, BOOLEAN case_insensitive)
{
	USHORT n;

	if (a->Length != b->Length)
		return FALSE;
	n = a->Length / sizeof(WCHAR);
	for (USHORT i = 0; i < n; i++) {
		WCHAR x = a->Buffer[i], y = b->Buffer[i];

		if (case_insensitive) {
			x = flt_upcase(x);
			y = flt_upcase(y);
		}
		if (x != y)
			return FALSE;
	}
	return TRUE;
}
