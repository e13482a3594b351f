/* Rtl memory routines that are functions rather than macros. */
#include <wdm.h>

SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
	const UCHAR *a = Source1;
	const UCHAR *b = Source2;
	SIZE_T i;

	for (i = 0; i < Length; i++) {
		if (a[i] != b[i])
			break;
	}
	return i;
}
