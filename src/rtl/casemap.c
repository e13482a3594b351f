/*
 * Simple (one-to-one) case mapping over the BMP, from the tables generated
 * at build time by casemap_gen.c.  Each entry is the 16-bit delta to add.
 */
#include "rtl/rtl.h"

extern const unsigned char rtl_upcase_index[256];
extern const unsigned short rtl_upcase_pages[][256];
extern const unsigned char rtl_downcase_index[256];
extern const unsigned short rtl_downcase_pages[][256];

WCHAR rtl_upcase(WCHAR c)
{
	USHORT u = (USHORT)c;

	return (WCHAR)(USHORT)(u + rtl_upcase_pages[rtl_upcase_index[u >> 8]][u & 0xFF]);
}

WCHAR rtl_downcase(WCHAR c)
{
	USHORT u = (USHORT)c;

	return (WCHAR)(USHORT)(u + rtl_downcase_pages[rtl_downcase_index[u >> 8]][u & 0xFF]);
}

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter)
{
	return rtl_upcase(SourceCharacter);
}

WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter)
{
	return rtl_downcase(SourceCharacter);
}
