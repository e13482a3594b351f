/* Internal interface of the rtl layer, shared with the layers above it. */
#ifndef ALTITUDE_SRC_RTL_RTL_H
#define ALTITUDE_SRC_RTL_RTL_H

#include <stddef.h>
#include <wdm.h>

/*
 * The one allocator for memory Rtl hands to its caller (RtlFreeUnicodeString
 * and friends free it).  Plain malloc for now; the pool layer redirects it to
 * tagged pool.  rtl_allocate returns NULL on failure or for size 0.
 */
void *rtl_allocate(size_t size, ULONG tag);
void rtl_free(void *p);

/* Pool tag of the strings Rtl allocates ('Strg', as ntoskrnl's). */
#define RTL_STRING_TAG 0x67727453u

/* One row of the status table: every STATUS_* in ntstatus_defs.h. */
struct rtl_status_row {
	ULONG value;
	const char *name;
	int err;     /* errno a Linux program expects; 0 for success codes */
	ULONG win32; /* what RtlNtStatusToDosError returns */
};

/* The table, sorted by value (as ULONG). */
const struct rtl_status_row *rtl_status_rows(size_t *count);

/* The row for `status`, or NULL (O(log n)). */
const struct rtl_status_row *rtl_status_find(NTSTATUS status);

/* Simple Unicode case mapping of one UTF-16 code unit (full BMP). */
WCHAR rtl_upcase(WCHAR c);
WCHAR rtl_downcase(WCHAR c);

/*
 * TRUE when `s` is a well-formed counted string: even Length and
 * MaximumLength, Length <= MaximumLength, and a Buffer when Length is not 0.
 */
BOOLEAN rtl_unicode_string_valid(PCUNICODE_STRING s);

/* Characters (not bytes) of a counted string. */
#define RTL_CCH(s) ((s)->Length / sizeof(WCHAR))

#endif /* ALTITUDE_SRC_RTL_RTL_H */
