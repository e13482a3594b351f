/* fltuser.h: same as fltUser.h (Windows file names are case-insensitive). */
#include <fltUser.h>
