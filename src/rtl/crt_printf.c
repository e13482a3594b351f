/*
 * Microsoft CRT-style formatting functions over the Rtl formatter.  A NULL
 * buffer with a count of 0 asks _snwprintf / _snprintf for the length.
 */
#include "rtl/rtl.h"

int altitude_vsnwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, va_list Args)
{
	size_t written = 0, needed;

	if (!Format || (!Buffer && Count))
		return -1;
	needed = rtl_vformat_w(Buffer, Count, &written, Format, Args);
	if (needed > INT32_MAX)
		return -1;
	if (!Buffer)
		return (int)needed;
	if (needed > Count)
		return -1;
	if (written < Count)
		Buffer[written] = UNICODE_NULL;
	return (int)written;
}

int altitude_snwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, ...)
{
	va_list args;
	int n;

	va_start(args, Format);
	n = altitude_vsnwprintf(Buffer, Count, Format, args);
	va_end(args);
	return n;
}

int altitude_vswprintf_s(WCHAR *Buffer, size_t SizeInWords, const WCHAR *Format, va_list Args)
{
	size_t written = 0, needed;

	if (!Buffer || SizeInWords == 0)
		return -1;
	if (!Format) {
		Buffer[0] = UNICODE_NULL;
		return -1;
	}
	needed = rtl_vformat_w(Buffer, SizeInWords - 1, &written, Format, Args);
	if (needed > SizeInWords - 1 || needed > INT32_MAX) {
		Buffer[0] = UNICODE_NULL;
		return -1;
	}
	Buffer[written] = UNICODE_NULL;
	return (int)written;
}

int altitude_swprintf_s(WCHAR *Buffer, size_t SizeInWords, const WCHAR *Format, ...)
{
	va_list args;
	int n;

	va_start(args, Format);
	n = altitude_vswprintf_s(Buffer, SizeInWords, Format, args);
	va_end(args);
	return n;
}

int altitude_vsnprintf(char *Buffer, size_t Count, const char *Format, va_list Args)
{
	size_t written = 0, needed;

	if (!Format || (!Buffer && Count))
		return -1;
	needed = rtl_vformat_a(Buffer, Count, &written, Format, Args);
	if (needed > INT32_MAX)
		return -1;
	if (!Buffer)
		return (int)needed;
	if (needed > Count)
		return -1;
	if (written < Count)
		Buffer[written] = ANSI_NULL;
	return (int)written;
}

int altitude_snprintf(char *Buffer, size_t Count, const char *Format, ...)
{
	va_list args;
	int n;

	va_start(args, Format);
	n = altitude_vsnprintf(Buffer, Count, Format, args);
	va_end(args);
	return n;
}
