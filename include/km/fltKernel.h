/*
 * fltKernel.h: what a minifilter includes.  Compile with the flags from
 * `pkg-config --cflags altitude-km` (they include -fshort-wchar).
 */
#ifndef __FLTKERNEL__
#define __FLTKERNEL__
#include <ntifs.h>
#include <flt/port.h>
#endif
