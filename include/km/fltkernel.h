/* Lower-case alias, as on Windows file systems that ignore case. */
#include <fltKernel.h>
