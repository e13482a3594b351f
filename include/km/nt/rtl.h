/*
 * Rtl: memory routines, status translation, counted strings (UNICODE_STRING,
 * ANSI_STRING), case mapping, UTF-8 conversion and the wide-string helpers
 * driver code calls (wcslen, _wcsicmp, ...).
 *
 * The ANSI code page is UTF-8 here: RtlUnicodeStringToAnsiString and
 * RtlAnsiStringToUnicodeString convert between UTF-16 and UTF-8.
 * Memory Rtl allocates for the caller (AllocateDestinationString = TRUE,
 * RtlDuplicateUnicodeString) is freed with RtlFreeUnicodeString or
 * RtlFreeAnsiString.
 */
#ifndef ALTITUDE_NT_RTL_H
#define ALTITUDE_NT_RTL_H

#include <stdarg.h>
#include <string.h>
#include <ntdef.h>
#include <altitude/winerror_defs.h>

#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlSecureZeroMemory(Destination, Length) explicit_bzero((Destination), (Length))

/* Returns the number of leading bytes that match. */
NTSYSAPI SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);

/* Win32 error for an NTSTATUS; ERROR_MR_MID_NOT_FOUND when there is none. */
NTSYSAPI ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);
NTSYSAPI ULONG NTAPI RtlNtStatusToDosErrorNoTeb(NTSTATUS Status);

/* ---- Counted strings ---- */

typedef const CHAR *PCCH, *LPCCH;

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)

/* A counted string over a literal: RTL_CONSTANT_STRING(L"\\Device"). */
#define RTL_CONSTANT_STRING(s) { sizeof(s) - sizeof((s)[0]), sizeof(s), (void *)(s) }

#define DECLARE_CONST_UNICODE_STRING(_var, _string) \
	const WCHAR _var##_buffer[] = _string; \
	const UNICODE_STRING _var = { sizeof(_string) - sizeof(WCHAR), sizeof(_string), \
				      (PWCH)_var##_buffer }

#define DECLARE_GLOBAL_CONST_UNICODE_STRING(_var, _str) \
	extern const UNICODE_STRING _var; \
	const UNICODE_STRING _var = RTL_CONSTANT_STRING(_str)

#define DECLARE_UNICODE_STRING_SIZE(_var, _size) \
	WCHAR _var##_buffer[_size]; \
	UNICODE_STRING _var = { 0, (_size) * sizeof(WCHAR), _var##_buffer }

FORCEINLINE VOID RtlInitEmptyUnicodeString(PUNICODE_STRING UnicodeString, PWCHAR Buffer,
					   USHORT BufferSize)
{
	UnicodeString->Length = 0;
	UnicodeString->MaximumLength = BufferSize;
	UnicodeString->Buffer = Buffer;
}

FORCEINLINE VOID RtlInitEmptyAnsiString(PANSI_STRING AnsiString, PCHAR Buffer, USHORT BufferSize)
{
	AnsiString->Length = 0;
	AnsiString->MaximumLength = BufferSize;
	AnsiString->Buffer = Buffer;
}

/*
 * Points the string at SourceString (not copied).  NULL gives an empty
 * string; a source longer than 0xFFFC bytes is cut to Length 0xFFFC,
 * MaximumLength 0xFFFE.  The Ex form fails with STATUS_NAME_TOO_LONG instead.
 */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString,
					       PCWSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString);
NTSYSAPI VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString);

/* Copies min(Source.Length, Destination.MaximumLength) bytes; NULL empties it. */
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
					 PCUNICODE_STRING SourceString);
NTSYSAPI VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING *SourceString);

/* STATUS_BUFFER_TOO_SMALL, destination unchanged, when it does not fit. */
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
						       PCUNICODE_STRING Source);

NTSYSAPI LONG NTAPI RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length,
					     PCWCH String2, SIZE_T String2Length,
					     BOOLEAN CaseInSensitive);
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
					    BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
					     BOOLEAN CaseInSensitive);
/* TRUE when String1 is a prefix of String2. */
NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
					      BOOLEAN CaseInSensitive);
NTSYSAPI LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2,
				     BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2,
				      BOOLEAN CaseInSensitive);

NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter);
NTSYSAPI WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter);
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString,
					       PCUNICODE_STRING SourceString,
					       BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString,
						 PCUNICODE_STRING SourceString,
						 BOOLEAN AllocateDestinationString);

NTSYSAPI VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString);
NTSYSAPI VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString);

#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 0x00000001
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 0x00000002
NTSYSAPI NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn,
						  PUNICODE_STRING StringOut);

#define HASH_STRING_ALGORITHM_DEFAULT 0
#define HASH_STRING_ALGORITHM_X65599 1
#define HASH_STRING_ALGORITHM_INVALID 0xffffffff
NTSYSAPI NTSTATUS NTAPI RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive,
					     ULONG HashAlgorithm, PULONG HashValue);

/* ANSI (UTF-8 here) <-> UTF-16; sizes include the terminating null. */
NTSYSAPI ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString);
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString);
#define RtlUnicodeStringToAnsiSize(STRING) RtlxUnicodeStringToAnsiSize(STRING)
#define RtlAnsiStringToUnicodeSize(STRING) RtlxAnsiStringToUnicodeSize(STRING)
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString,
						     PCUNICODE_STRING SourceString,
						     BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString,
						     PCANSI_STRING SourceString,
						     BOOLEAN AllocateDestinationString);

NTSYSAPI NTSTATUS NTAPI RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination,
					  ULONG UnicodeStringMaxByteCount,
					  PULONG UnicodeStringActualByteCount,
					  PCCH UTF8StringSource, ULONG UTF8StringByteCount);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToUTF8N(PCHAR UTF8StringDestination,
					  ULONG UTF8StringMaxByteCount,
					  PULONG UTF8StringActualByteCount,
					  PCWCH UnicodeStringSource, ULONG UnicodeStringByteCount);

NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base,
						  PULONG Value);
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base,
						  PUNICODE_STRING String);
NTSYSAPI NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base,
						PUNICODE_STRING String);

/* ---- Wide-character helpers (WCHAR is 16-bit: glibc's wcs* do not apply) ---- */

size_t altitude_wcslen(const WCHAR *s);
size_t altitude_wcsnlen(const WCHAR *s, size_t max);
int altitude_wcscmp(const WCHAR *a, const WCHAR *b);
int altitude_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n);
int altitude_wcsicmp(const WCHAR *a, const WCHAR *b);
int altitude_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n);
WCHAR *altitude_wcschr(const WCHAR *s, WCHAR c);
WCHAR *altitude_wcsrchr(const WCHAR *s, WCHAR c);
WCHAR *altitude_wcsstr(const WCHAR *haystack, const WCHAR *needle);
WCHAR *altitude_wcscpy(WCHAR *dest, const WCHAR *src);
WCHAR *altitude_wcsncpy(WCHAR *dest, const WCHAR *src, size_t n);
WCHAR *altitude_wcscat(WCHAR *dest, const WCHAR *src);
WCHAR *altitude_wcsncat(WCHAR *dest, const WCHAR *src, size_t n);
WCHAR *altitude_wcsupr(WCHAR *s);
WCHAR *altitude_wcslwr(WCHAR *s);
/* Character functions take and return wint_t (unsigned int) like the C library's. */
unsigned int altitude_towupper(unsigned int c);
unsigned int altitude_towlower(unsigned int c);
int altitude_iswdigit(unsigned int c);
int altitude_iswspace(unsigned int c);

#define wcslen altitude_wcslen
#define wcsnlen altitude_wcsnlen
#define wcscmp altitude_wcscmp
#define wcsncmp altitude_wcsncmp
#define _wcsicmp altitude_wcsicmp
#define _wcsnicmp altitude_wcsnicmp
#define wcschr altitude_wcschr
#define wcsrchr altitude_wcsrchr
#define wcsstr altitude_wcsstr
#define wcscpy altitude_wcscpy
#define wcsncpy altitude_wcsncpy
#define wcscat altitude_wcscat
#define wcsncat altitude_wcsncat
#define _wcsupr altitude_wcsupr
#define _wcslwr altitude_wcslwr
#define towupper altitude_towupper
#define towlower altitude_towlower
#define iswdigit altitude_iswdigit
#define iswspace altitude_iswspace

/*
 * The CRT's bounded copies.  Where Windows calls the invalid-parameter
 * handler these return the error instead: EINVAL for a NULL pointer or a
 * size of 0 (and for a wcscat_s destination without a terminator), ERANGE
 * when the result does not fit; the destination, when there is one, is
 * then an empty string.  wcsncpy_s with Count _TRUNCATE copies what fits
 * and returns STRUNCATE when it had to cut.
 */
typedef int errno_t;
#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif
#ifndef STRUNCATE
#define STRUNCATE 80
#endif
errno_t altitude_wcscpy_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source);
errno_t altitude_wcscat_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source);
errno_t altitude_wcsncpy_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source,
			   size_t Count);
#define wcscpy_s altitude_wcscpy_s
#define wcscat_s altitude_wcscat_s
#define wcsncpy_s altitude_wcsncpy_s

/*
 * Microsoft CRT formatting with the Windows printf dialect (see
 * <nt/dbg.h>).  _snwprintf / _snprintf: at most Count characters; returns
 * the length, or -1 when the output did not fit (then there is no
 * terminator); when it fits exactly there is no terminator either; a NULL
 * Buffer with Count 0 returns the length needed.
 * swprintf_s: always terminated; -1 and an empty string when it does not
 * fit or an argument is invalid.
 */
int altitude_snwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, ...);
int altitude_vsnwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, va_list Args);
int altitude_swprintf_s(WCHAR *Buffer, size_t SizeInWords, const WCHAR *Format, ...);
int altitude_vswprintf_s(WCHAR *Buffer, size_t SizeInWords, const WCHAR *Format, va_list Args);
int altitude_snprintf(char *Buffer, size_t Count, const char *Format, ...);
int altitude_vsnprintf(char *Buffer, size_t Count, const char *Format, va_list Args);

#define _snwprintf altitude_snwprintf
#define _vsnwprintf altitude_vsnwprintf
#define swprintf_s altitude_swprintf_s
#define vswprintf_s altitude_vswprintf_s
#define _snprintf altitude_snprintf
#define _vsnprintf altitude_vsnprintf

#endif /* ALTITUDE_NT_RTL_H */
