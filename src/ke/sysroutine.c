/*
 * MmGetSystemRoutineAddress: dlsym on the object that holds the runtime
 * (libfltmgr.so, or the program itself when the runtime is linked
 * statically), restricted to the Windows-named exports of src/fltmgr.map.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include "ke/kesync.h"

#define KE_ROUTINE_NAME_MAX 256

/* The Windows prefixes libfltmgr.so exports (src/fltmgr.map, less altitude_*). */
static const char *const ke_export_prefixes[] = {
	"Flt", "Fs", "Ke", "Kd", "Ex", "Io", "Ps", "Mm", "Ob", "Se", "Zw", "Rtl", "Dbg", "Interlocked",
};

static BOOLEAN ke_exported_name(const char *name)
{
	for (size_t i = 0; i < RTL_NUMBER_OF(ke_export_prefixes); i++) {
		if (strncmp(name, ke_export_prefixes[i], strlen(ke_export_prefixes[i])) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Copies the UTF-16 name into `out` as ASCII; FALSE if it is empty, too long or not ASCII. */
static BOOLEAN ke_routine_name_ascii(PCUNICODE_STRING name, char out[KE_ROUTINE_NAME_MAX])
{
	USHORT n;

	if (name == NULL || name->Buffer == NULL || name->Length == 0 || name->Length % 2 != 0)
		return FALSE;
	n = name->Length / sizeof(WCHAR);
	if (n >= KE_ROUTINE_NAME_MAX)
		return FALSE;
	for (USHORT i = 0; i < n; i++) {
		WCHAR c = name->Buffer[i];

		if (c <= 0x20 || c >= 0x7f)
			return FALSE;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return TRUE;
}

static void *ke_runtime_handle(void)
{
	Dl_info info;
	void *handle = NULL;

	if (dladdr((void *)MmGetSystemRoutineAddress, &info) != 0 && info.dli_fname != NULL)
		handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	/* Statically linked: the runtime is part of the main program. */
	return handle != NULL ? handle : dlopen(NULL, RTLD_LAZY);
}

PVOID NTAPI MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
	char name[KE_ROUTINE_NAME_MAX];
	void *handle;
	void *address;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "MmGetSystemRoutineAddress"))
		return NULL;
	if (!ke_routine_name_ascii(SystemRoutineName, name) || !ke_exported_name(name))
		return NULL;
	handle = ke_runtime_handle();
	if (handle == NULL)
		return NULL;
	address = dlsym(handle, name);
	dlclose(handle);
	return address;
}
