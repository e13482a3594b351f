/* NTSTATUS values: see <altitude/ntstatus_defs.h>. */
#ifndef _NTSTATUS_
#define _NTSTATUS_
#include <altitude/ntstatus_defs.h>
#endif
