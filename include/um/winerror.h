/* winerror.h: Win32 error codes and HRESULT helpers (see <altitude/winerror_defs.h>). */
#ifndef _WINERROR_
#define _WINERROR_
#include <altitude/winerror_defs.h>
#endif
