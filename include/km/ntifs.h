/* ntifs.h: file-system and filter definitions on top of ntddk.h. */
#ifndef _NTIFS_
#define _NTIFS_
#include <ntddk.h>
#include <nt/io.h>
#include <nt/fsctl.h>
#include <nt/security.h>
#endif
