/* ntstrsafe.h C-string functions, W and A, from one template. */
#include <ntstrsafe.h>

#include "rtl/rtl.h"

#define STRSAFE_CHAR WCHAR
#define STRSAFE_NAME(x) x##W
#define STRSAFE_VFORMAT rtl_vformat_w
#include "rtl/strsafe_template.h"
#undef STRSAFE_CHAR
#undef STRSAFE_NAME
#undef STRSAFE_VFORMAT

#define STRSAFE_CHAR char
#define STRSAFE_NAME(x) x##A
#define STRSAFE_VFORMAT rtl_vformat_a
#include "rtl/strsafe_template.h"
