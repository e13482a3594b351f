/* Internal interface of the rtl layer, shared with the layers above it. */
#ifndef ALTITUDE_SRC_RTL_RTL_H
#define ALTITUDE_SRC_RTL_RTL_H

#include <stdarg.h>
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
 * MaximumLength, Length <= MaximumLength, and a Buffer when MaximumLength
 * is not 0.
 */
BOOLEAN rtl_unicode_string_valid(PCUNICODE_STRING s);

/*
 * One character of UTF-8 (at most n bytes) or UTF-16 (at most n units):
 * returns the bytes/units used and the code point, U+FFFD with *valid FALSE
 * for an ill-formed sequence.  Reading stops at a byte or unit that cannot
 * continue the sequence, so a terminated string may pass a large n.
 */
ULONG rtl_utf8_decode(const UCHAR *s, ULONG n, ULONG *cp, BOOLEAN *valid);
ULONG rtl_utf16_decode(const WCHAR *s, ULONG n, ULONG *cp, BOOLEAN *valid);
/* Encodes a code point (<= 0x10FFFF) as UTF-8; returns the byte count. */
ULONG rtl_utf8_encode(ULONG cp, UCHAR out[4]);

/*
 * The formatter behind DbgPrint, the RtlStringCch*Printf functions and
 * _snwprintf: printf with the Windows extensions (%wZ, %Z, %ws, %S, %hs,
 * %I64d, %Id, %wc, %C, l = 32-bit LONG).  Writes at most `cap` units (no
 * terminator) cutting at a character boundary, stores the units written in
 * *written, and returns the units the whole output needs.
 */
size_t rtl_vformat_a(char *buf, size_t cap, size_t *written, const char *fmt, va_list ap);
size_t rtl_vformat_w(WCHAR *buf, size_t cap, size_t *written, const WCHAR *fmt, va_list ap);

/* TRUE when the log's level mask lets a DbgPrintEx level through. */
BOOLEAN rtl_log_enabled(ULONG level);
/* Hands one formatted line to the log sink with the thread's prefix. */
void rtl_log_write(ULONG level, const char *msg);

/*
 * The filter callback a thread is running.  The dispatch engine links a
 * record on its stack around every call into filter code (flt/callback.h
 * extends it); a DbgPrint line of a thread without a prefix of its own is
 * prefixed with `filter`, and the host's crash report reads the record.
 * Only the owning thread writes it; initial-exec TLS keeps each access one
 * instruction.
 */
struct rtl_callback {
	const struct rtl_callback *outer;
	const char *filter; /* the filter's name, UTF-8, as long-lived as the filter */
};
extern __thread const struct rtl_callback *rtl_callback_current
	__attribute__((tls_model("initial-exec")));

/* Characters (not bytes) of a counted string. */
#define RTL_CCH(s) ((s)->Length / sizeof(WCHAR))

#endif /* ALTITUDE_SRC_RTL_RTL_H */
