/* DbgPrint and friends: format one line and hand it to the host log. */
#include "rtl/rtl.h"

/* DbgPrint output is limited to 512 bytes per call, as on Windows. */
#define DBGPRINT_MAX 512

static ULONG print_line(PCCH prefix, ULONG level, PCCH format, va_list args)
{
	char line[DBGPRINT_MAX + 1];
	size_t used = 0, written = 0;

	if (!rtl_log_enabled(level) || !format)
		return STATUS_SUCCESS;
	if (prefix) {
		used = strnlen(prefix, DBGPRINT_MAX);
		memcpy(line, prefix, used);
	}
	rtl_vformat_a(line + used, DBGPRINT_MAX - used, &written, format, args);
	used += written;
	if (used > 0 && line[used - 1] == '\n')
		used--;
	line[used] = '\0';
	rtl_log_write(level, line);
	return STATUS_SUCCESS;
}

ULONG NTAPI vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format,
				  va_list arglist)
{
	(void)ComponentId;
	return print_line(Prefix, Level, Format, arglist);
}

ULONG NTAPI vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
	return vDbgPrintExWithPrefix(NULL, ComponentId, Level, Format, arglist);
}

ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
	va_list args;
	ULONG status;

	va_start(args, Format);
	status = vDbgPrintEx(ComponentId, Level, Format, args);
	va_end(args);
	return status;
}

ULONG __cdecl DbgPrint(PCSTR Format, ...)
{
	va_list args;
	ULONG status;

	va_start(args, Format);
	status = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, args);
	va_end(args);
	return status;
}
