/* ntddk.h: everything in wdm.h plus the few additions drivers expect here. */
#ifndef _NTDDK_
#define _NTDDK_
#include <wdm.h>
#endif
