/*
 * Base Windows types with LLP64 sizes, shared by kernel-mode (include/km) and
 * user-mode (include/um) headers.  Values and layouts follow the documented
 * Windows definitions; every size that matters is checked at compile time.
 *
 * Minifilter and service code is compiled with -fshort-wchar so that WCHAR is
 * wchar_t and L"..." literals are UTF-16 (the pkg-config files say so).
 */
#ifndef ALTITUDE_WINTYPES_H
#define ALTITUDE_WINTYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Calling conventions do not exist on x86-64 Linux; they expand to nothing. */
#define NTAPI
#define WINAPI
#define CALLBACK
#define FASTCALL
#define __stdcall
#define __cdecl
#define NTSYSAPI
#define NTSYSCALLAPI
#define NTKERNELAPI
#define NTHALAPI
#define DECLSPEC_IMPORT
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define FORCEINLINE static inline __attribute__((always_inline))
#define NTAPI_INLINE
#define CONST const
#ifndef VOID
#define VOID void
#endif

#define IN
#define OUT
#define OPTIONAL
#define UNALIGNED

typedef void *PVOID, **PPVOID;
typedef const void *PCVOID;
typedef char CHAR, *PCHAR, *PSTR, *LPSTR;
typedef const char *PCSTR, *LPCSTR, *PCSZ;
typedef unsigned char UCHAR, *PUCHAR, BYTE, *PBYTE, *LPBYTE;
typedef signed char SCHAR, *PSCHAR;
typedef short SHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT, WORD, *PWORD;
typedef int LONG, *PLONG, INT, *PINT, BOOL, *PBOOL, *LPBOOL;
typedef unsigned int ULONG, *PULONG, UINT, *PUINT, DWORD, *PDWORD, *LPDWORD;
typedef int32_t INT32, *PINT32, LONG32, *PLONG32;
typedef uint32_t UINT32, *PUINT32, ULONG32, *PULONG32, DWORD32;
typedef int64_t LONGLONG, *PLONGLONG, INT64, *PINT64, LONG64, *PLONG64;
typedef uint64_t ULONGLONG, *PULONGLONG, UINT64, *PUINT64, ULONG64, *PULONG64,
    DWORD64, *PDWORD64, DWORDLONG;
typedef int8_t INT8, *PINT8;
typedef uint8_t UINT8, *PUINT8;
typedef int16_t INT16, *PINT16;
typedef uint16_t UINT16, *PUINT16;
typedef intptr_t LONG_PTR, *PLONG_PTR, INT_PTR, *PINT_PTR, SSIZE_T, *PSSIZE_T;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, UINT_PTR, *PUINT_PTR, DWORD_PTR,
    *PDWORD_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T, KAFFINITY;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef float FLOAT;
typedef double DOUBLE;

typedef wchar_t WCHAR, *PWCHAR, *PWSTR, *LPWSTR, *PWCH, *LPWCH;
typedef const wchar_t *PCWSTR, *LPCWSTR, *PCWCH, *LPCWCH;
typedef WCHAR *NWPSTR;
typedef PWSTR *PZPWSTR;

typedef LONG NTSTATUS, *PNTSTATUS;
typedef LONG HRESULT;
typedef void *HANDLE, **PHANDLE, **LPHANDLE;
typedef ULONG ACCESS_MASK, *PACCESS_MASK;
typedef ULONG LCID;
typedef ULONG CLONG;
typedef LONGLONG USN;

#define FALSE 0
#define TRUE 1
#ifndef NULL
#define NULL ((void *)0)
#endif

typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	};
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		ULONG LowPart;
		ULONG HighPart;
	};
	struct {
		ULONG LowPart;
		ULONG HighPart;
	} u;
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _GUID {
	ULONG Data1;
	USHORT Data2;
	USHORT Data3;
	UCHAR Data4[8];
} GUID, *PGUID, *LPGUID, UUID;
typedef const GUID *LPCGUID, *PCGUID;

typedef struct _LUID {
	ULONG LowPart;
	LONG HighPart;
} LUID, *PLUID;

typedef struct _UNICODE_STRING {
	USHORT Length;        /* bytes, not counting a terminator */
	USHORT MaximumLength; /* bytes of Buffer */
	PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
	USHORT Length;
	USHORT MaximumLength;
	PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING,
    UTF8_STRING, *PUTF8_STRING;
typedef const STRING *PCSTRING, *PCANSI_STRING, *PCOEM_STRING;

typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
	struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

#define ANYSIZE_ARRAY 1
#define MINCHAR 0x80
#define MAXCHAR 0x7f
#define MINSHORT 0x8000
#define MAXSHORT 0x7fff
#define MINLONG ((LONG)0x80000000)
#define MAXLONG 0x7fffffff
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffU
#define MAXLONGLONG ((LONGLONG)0x7fffffffffffffffLL)
#define MAXULONGLONG ((ULONGLONG)~((ULONGLONG)0))
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
	(FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) \
	((type *)((PCHAR)(address) - offsetof(type, field)))
#define Add2Ptr(P, I) ((PVOID)((PUCHAR)(P) + (I)))
#define PtrOffset(B, O) ((ULONG)((ULONG_PTR)(O) - (ULONG_PTR)(B)))
#define ALIGN_DOWN_BY(length, alignment) \
	((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) \
	(ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment) \
	((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment) \
	(ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))

#define FlagOn(_F, _SF) ((_F) & (_SF))
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#define SetFlag(_F, _SF) ((_F) |= (_SF))
#define ClearFlag(_F, _SF) ((_F) &= ~(_SF))
#define ARGUMENT_PRESENT(ArgumentPointer) ((CHAR *)((ULONG_PTR)(ArgumentPointer)) != (CHAR *)NULL)
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif

#define MAKELONG(a, b) ((LONG)(((WORD)((DWORD_PTR)(a) & 0xffff)) | ((DWORD)((WORD)((DWORD_PTR)(b) & 0xffff))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD_PTR)(l) >> 16))

#include <altitude/sal.h>

_Static_assert(sizeof(CHAR) == 1 && sizeof(UCHAR) == 1, "CHAR is 1 byte");
_Static_assert(sizeof(SHORT) == 2 && sizeof(USHORT) == 2, "SHORT is 2 bytes");
_Static_assert(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "LONG is 32-bit (LLP64)");
_Static_assert(sizeof(LONGLONG) == 8 && sizeof(ULONGLONG) == 8, "LONGLONG is 64-bit");
_Static_assert(sizeof(LONG_PTR) == sizeof(void *) && sizeof(SIZE_T) == sizeof(void *),
	       "pointer-sized integers");
_Static_assert(sizeof(BOOLEAN) == 1, "BOOLEAN is 1 byte");
_Static_assert(sizeof(WCHAR) == 2,
	       "WCHAR must be 16-bit: compile with -fshort-wchar (see altitude-km.pc)");
_Static_assert(sizeof(LARGE_INTEGER) == 8 && sizeof(ULARGE_INTEGER) == 8, "LARGE_INTEGER");
_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(sizeof(LUID) == 8, "LUID");
_Static_assert(sizeof(UNICODE_STRING) == 2 * sizeof(void *), "UNICODE_STRING");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == sizeof(void *), "UNICODE_STRING.Buffer");
_Static_assert(sizeof(LIST_ENTRY) == 2 * sizeof(void *), "LIST_ENTRY");

#ifdef __cplusplus
}
#endif

#endif /* ALTITUDE_WINTYPES_H */
