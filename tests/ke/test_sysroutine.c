/*
 * MmGetSystemRoutineAddress.  Built twice: against libfltmgr.so (the runtime
 * found with dladdr) and against the static library with the program's
 * symbols exported (the fallback to the main program).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>
#include <altitude/pool.h>

static PVOID lookup(const WCHAR *name)
{
	UNICODE_STRING s;
	USHORT n = 0;

	while (name[n] != 0)
		n++;
	s.Buffer = (PWCH)name;
	s.Length = (USHORT)(n * sizeof(WCHAR));
	s.MaximumLength = s.Length;
	return MmGetSystemRoutineAddress(&s);
}

static void resolves_exported_windows_names(void **state)
{
	(void)state;
	assert_ptr_equal(lookup(L"KeAcquireSpinLockRaiseToDpc"), (PVOID)KeAcquireSpinLockRaiseToDpc);
	assert_ptr_equal(lookup(L"ExAllocatePool2"), (PVOID)ExAllocatePool2);
	assert_ptr_equal(lookup(L"RtlTimeToTimeFields"), (PVOID)RtlTimeToTimeFields);
	assert_ptr_equal(lookup(L"MmGetSystemRoutineAddress"), (PVOID)MmGetSystemRoutineAddress);
}

static void unknown_and_unexported_names_give_null(void **state)
{
	(void)state;
	assert_null(lookup(L"KeNoSuchRoutine"));
	assert_null(lookup(L"ExAllocatePool2 "));
	assert_null(lookup(L"exallocatepool2"));
	/* The project's own API and internal functions are not system routines. */
	assert_null(lookup(L"altitude_pool_leak_report"));
	assert_null(lookup(L"ke_bugcheck"));
	assert_null(lookup(L"ke_thread_token"));
	/* Inline routines have no address. */
	assert_null(lookup(L"InterlockedIncrement"));
	/* Names from outside the runtime. */
	assert_null(lookup(L"malloc"));
	assert_null(lookup(L"main"));
}

static void malformed_names_give_null(void **state)
{
	static const WCHAR accented[] = { 'K', 'e', 0x00e9, 0 };
	static const WCHAR embedded_nul[] = { 'E', 'x', 0, 'A' };
	UNICODE_STRING s;

	(void)state;
	assert_null(MmGetSystemRoutineAddress(NULL));
	assert_null(lookup(L""));
	assert_null(lookup(accented));
	s.Buffer = (PWCH)embedded_nul;
	s.Length = sizeof(embedded_nul);
	s.MaximumLength = s.Length;
	assert_null(MmGetSystemRoutineAddress(&s));
	s.Buffer = (PWCH)L"ExAllocatePool2";
	s.Length = 3; /* odd byte count */
	assert_null(MmGetSystemRoutineAddress(&s));
	s.Length = 0;
	assert_null(MmGetSystemRoutineAddress(&s));
	s.Buffer = NULL;
	s.Length = 4;
	assert_null(MmGetSystemRoutineAddress(&s));
}

static void long_names_give_null(void **state)
{
	static WCHAR name[400];

	(void)state;
	name[0] = 'K';
	name[1] = 'e';
	for (int i = 2; i < 399; i++)
		name[i] = 'x';
	assert_null(lookup(name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolves_exported_windows_names),
		cmocka_unit_test(unknown_and_unexported_names_give_null),
		cmocka_unit_test(malformed_names_give_null),
		cmocka_unit_test(long_names_give_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
