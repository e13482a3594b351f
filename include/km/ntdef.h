/* Base NT definitions for kernel-mode code: types and status values. */
#ifndef _NTDEF_
#define _NTDEF_
#include <altitude/wintypes.h>
#include <ntstatus.h>
#endif
