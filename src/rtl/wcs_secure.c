/* wcscpy_s, wcscat_s, wcsncpy_s: the CRT's bounded copies for 16-bit WCHAR. */
#include <errno.h>

#include "rtl/rtl.h"

/* Copies at most `count` characters of src into dest[0..size). */
static errno_t bounded_copy(WCHAR *dest, size_t size, const WCHAR *src, size_t count)
{
	size_t len = altitude_wcsnlen(src, count);

	if (len >= size) {
		if (count != _TRUNCATE) {
			dest[0] = UNICODE_NULL;
			return ERANGE;
		}
		memmove(dest, src, (size - 1) * sizeof(WCHAR));
		dest[size - 1] = UNICODE_NULL;
		return STRUNCATE;
	}
	memmove(dest, src, len * sizeof(WCHAR));
	dest[len] = UNICODE_NULL;
	return 0;
}

static errno_t check(WCHAR *dest, size_t size, const WCHAR *src)
{
	if (!dest || size == 0)
		return EINVAL;
	if (!src) {
		dest[0] = UNICODE_NULL;
		return EINVAL;
	}
	return 0;
}

errno_t altitude_wcscpy_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source)
{
	errno_t err = check(Destination, SizeInWords, Source);

	return err ? err : bounded_copy(Destination, SizeInWords, Source, SIZE_MAX - 1);
}

errno_t altitude_wcsncpy_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source,
			   size_t Count)
{
	errno_t err = check(Destination, SizeInWords, Source);

	return err ? err : bounded_copy(Destination, SizeInWords, Source, Count);
}

errno_t altitude_wcscat_s(WCHAR *Destination, size_t SizeInWords, const WCHAR *Source)
{
	errno_t err = check(Destination, SizeInWords, Source);
	size_t used;

	if (err)
		return err;
	used = altitude_wcsnlen(Destination, SizeInWords);
	if (used == SizeInWords) {
		Destination[0] = UNICODE_NULL;
		return EINVAL;
	}
	err = bounded_copy(Destination + used, SizeInWords - used, Source, SIZE_MAX - 1);
	if (err)
		Destination[0] = UNICODE_NULL;
	return err;
}
