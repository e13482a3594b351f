/*
 * The C-string functions of ntstrsafe.h for one character type.  Included
 * by strsafe.c with STRSAFE_CHAR (WCHAR or char), STRSAFE_NAME(x) (adds the
 * W or A suffix) and STRSAFE_VFORMAT (the formatter for that width).
 */

/* The destination rules shared by every function: see <ntstrsafe.h>. */
static NTSTATUS STRSAFE_NAME(validate_dest)(STRSAFE_CHAR *dest, size_t cch)
{
	if (!dest)
		return STATUS_INVALID_PARAMETER;
	if (cch == 0 || cch > NTSTRSAFE_MAX_CCH) {
		if (cch > 0)
			dest[0] = 0;
		return STATUS_INVALID_PARAMETER;
	}
	return STATUS_SUCCESS;
}

static size_t STRSAFE_NAME(length)(const STRSAFE_CHAR *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* Copies at most max_src characters of src, truncating to fit cch. */
static NTSTATUS STRSAFE_NAME(copy)(STRSAFE_CHAR *dest, size_t cch, const STRSAFE_CHAR *src,
				   size_t max_src)
{
	size_t i = 0;

	while (i < cch - 1 && i < max_src && src[i]) {
		dest[i] = src[i];
		i++;
	}
	dest[i] = 0;
	if (i < max_src && src[i])
		return STATUS_BUFFER_OVERFLOW;
	return STATUS_SUCCESS;
}

static NTSTATUS STRSAFE_NAME(copy_checked)(STRSAFE_CHAR *dest, size_t cch,
					   const STRSAFE_CHAR *src, size_t max_src)
{
	NTSTATUS status = STRSAFE_NAME(validate_dest)(dest, cch);

	if (!NT_SUCCESS(status))
		return status;
	if (!src || max_src > NTSTRSAFE_MAX_CCH) {
		dest[0] = 0;
		return STATUS_INVALID_PARAMETER;
	}
	return STRSAFE_NAME(copy)(dest, cch, src, max_src);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchCopy)(STRSAFE_CHAR *pszDest, size_t cchDest,
					      const STRSAFE_CHAR *pszSrc)
{
	return STRSAFE_NAME(copy_checked)(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbCopy)(STRSAFE_CHAR *pszDest, size_t cbDest,
					     const STRSAFE_CHAR *pszSrc)
{
	return STRSAFE_NAME(RtlStringCchCopy)(pszDest, cbDest / sizeof(STRSAFE_CHAR), pszSrc);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchCopyN)(STRSAFE_CHAR *pszDest, size_t cchDest,
					       const STRSAFE_CHAR *pszSrc, size_t cchToCopy)
{
	return STRSAFE_NAME(copy_checked)(pszDest, cchDest, pszSrc, cchToCopy);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbCopyN)(STRSAFE_CHAR *pszDest, size_t cbDest,
					      const STRSAFE_CHAR *pszSrc, size_t cbToCopy)
{
	return STRSAFE_NAME(copy_checked)(pszDest, cbDest / sizeof(STRSAFE_CHAR), pszSrc,
					  cbToCopy / sizeof(STRSAFE_CHAR));
}

/* Appends at most max_src characters to the string in dest. */
static NTSTATUS STRSAFE_NAME(cat)(STRSAFE_CHAR *dest, size_t cch, const STRSAFE_CHAR *src,
				  size_t max_src)
{
	NTSTATUS status = STRSAFE_NAME(validate_dest)(dest, cch);
	size_t used;

	if (!NT_SUCCESS(status))
		return status;
	used = STRSAFE_NAME(length)(dest, cch);
	if (used == cch || !src || max_src > NTSTRSAFE_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	return STRSAFE_NAME(copy)(dest + used, cch - used, src, max_src);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchCat)(STRSAFE_CHAR *pszDest, size_t cchDest,
					     const STRSAFE_CHAR *pszSrc)
{
	return STRSAFE_NAME(cat)(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchCatN)(STRSAFE_CHAR *pszDest, size_t cchDest,
					      const STRSAFE_CHAR *pszSrc, size_t cchToAppend)
{
	return STRSAFE_NAME(cat)(pszDest, cchDest, pszSrc, cchToAppend);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbCatN)(STRSAFE_CHAR *pszDest, size_t cbDest,
					     const STRSAFE_CHAR *pszSrc, size_t cbToAppend)
{
	return STRSAFE_NAME(cat)(pszDest, cbDest / sizeof(STRSAFE_CHAR), pszSrc,
				 cbToAppend / sizeof(STRSAFE_CHAR));
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbCat)(STRSAFE_CHAR *pszDest, size_t cbDest,
					    const STRSAFE_CHAR *pszSrc)
{
	return STRSAFE_NAME(RtlStringCchCat)(pszDest, cbDest / sizeof(STRSAFE_CHAR), pszSrc);
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchLength)(const STRSAFE_CHAR *psz, size_t cchMax,
						size_t *pcchLength)
{
	size_t n;

	if (pcchLength)
		*pcchLength = 0;
	if (!psz || cchMax == 0 || cchMax > NTSTRSAFE_MAX_CCH)
		return STATUS_INVALID_PARAMETER;
	n = STRSAFE_NAME(length)(psz, cchMax);
	if (n == cchMax)
		return STATUS_INVALID_PARAMETER;
	if (pcchLength)
		*pcchLength = n;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbLength)(const STRSAFE_CHAR *psz, size_t cbMax,
					       size_t *pcbLength)
{
	size_t cch = 0;
	NTSTATUS status = STRSAFE_NAME(RtlStringCchLength)(psz, cbMax / sizeof(STRSAFE_CHAR), &cch);

	if (pcbLength)
		*pcbLength = cch * sizeof(STRSAFE_CHAR);
	return status;
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCchVPrintf)(STRSAFE_CHAR *pszDest, size_t cchDest,
						 const STRSAFE_CHAR *pszFormat, va_list argList)
{
	NTSTATUS status = STRSAFE_NAME(validate_dest)(pszDest, cchDest);
	size_t written = 0, needed;

	if (!NT_SUCCESS(status))
		return status;
	if (!pszFormat) {
		pszDest[0] = 0;
		return STATUS_INVALID_PARAMETER;
	}
	needed = STRSAFE_VFORMAT(pszDest, cchDest - 1, &written, pszFormat, argList);
	pszDest[written] = 0;
	return needed > cchDest - 1 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS NTAPI STRSAFE_NAME(RtlStringCbVPrintf)(STRSAFE_CHAR *pszDest, size_t cbDest,
						const STRSAFE_CHAR *pszFormat, va_list argList)
{
	return STRSAFE_NAME(RtlStringCchVPrintf)(pszDest, cbDest / sizeof(STRSAFE_CHAR), pszFormat,
						 argList);
}

NTSTATUS STRSAFE_NAME(RtlStringCchPrintf)(STRSAFE_CHAR *pszDest, size_t cchDest,
					  const STRSAFE_CHAR *pszFormat, ...)
{
	va_list args;
	NTSTATUS status;

	va_start(args, pszFormat);
	status = STRSAFE_NAME(RtlStringCchVPrintf)(pszDest, cchDest, pszFormat, args);
	va_end(args);
	return status;
}

NTSTATUS STRSAFE_NAME(RtlStringCbPrintf)(STRSAFE_CHAR *pszDest, size_t cbDest,
					 const STRSAFE_CHAR *pszFormat, ...)
{
	va_list args;
	NTSTATUS status;

	va_start(args, pszFormat);
	status = STRSAFE_NAME(RtlStringCchVPrintf)(pszDest, cbDest / sizeof(STRSAFE_CHAR),
						   pszFormat, args);
	va_end(args);
	return status;
}
