/*
 * fltKernel.h: what a minifilter includes.  Compile with the flags from
 * `pkg-config --cflags altitude-km` (they include -fshort-wchar).
 */
#ifndef __FLTKERNEL__
#define __FLTKERNEL__
#include <ntifs.h>
#include <flt/types.h>
#include <flt/callback_data.h>
#include <flt/registration.h>
#include <flt/objects.h>
#include <flt/workitem.h>
#include <flt/names.h>
#include <flt/io.h>
#include <flt/port.h>
#include <flt/cancellation.h>
#include <flt/cbdq.h>
#include <flt/context.h>
#endif
