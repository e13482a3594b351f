#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

static void win32_codes_have_windows_values(void **state)
{
	(void)state;
	assert_int_equal(ERROR_SUCCESS, 0);
	assert_int_equal(ERROR_FILE_NOT_FOUND, 2);
	assert_int_equal(ERROR_ACCESS_DENIED, 5);
	assert_int_equal(ERROR_INVALID_PARAMETER, 87);
	assert_int_equal(ERROR_INSUFFICIENT_BUFFER, 122);
	assert_int_equal(ERROR_MORE_DATA, 234);
	assert_int_equal(WAIT_TIMEOUT, 258);
	assert_int_equal(ERROR_NO_MORE_ITEMS, 259);
	assert_int_equal(ERROR_MR_MID_NOT_FOUND, 317);
	assert_int_equal(ERROR_IO_PENDING, 997);
	assert_int_equal(ERROR_OPERATION_ABORTED, 995);
	assert_int_equal(ERROR_NOT_FOUND, 1168);
	assert_int_equal(ERROR_CANCELLED, 1223);
	assert_int_equal(ERROR_CONNECTION_REFUSED, 1225);
	assert_int_equal(ERROR_CONNECTION_COUNT_LIMIT, 1238);
	assert_int_equal(ERROR_TIMEOUT, 1460);
	assert_int_equal(ERROR_INVALID_USER_BUFFER, 1784);
}

static void hresult_from_win32_wraps_positive_codes(void **state)
{
	(void)state;
	assert_int_equal((UINT32)HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED), 0x80070005u);
	assert_int_equal(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED), E_ACCESSDENIED);
	assert_int_equal(HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER), E_INVALIDARG);
	assert_int_equal(HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY) & 0xFFFF, 8);
	assert_int_equal(HRESULT_FROM_WIN32(ERROR_SUCCESS), S_OK);
	/* An HRESULT already (negative) passes through. */
	assert_int_equal(HRESULT_FROM_WIN32(ERROR_FLT_NO_WAITER_FOR_REPLY),
			 ERROR_FLT_NO_WAITER_FOR_REPLY);
}

static void hresult_fields_and_tests(void **state)
{
	(void)state;
	assert_int_equal(HRESULT_CODE(E_INVALIDARG), 87);
	assert_int_equal(HRESULT_FACILITY(E_INVALIDARG), FACILITY_WIN32);
	assert_int_equal(HRESULT_SEVERITY(E_INVALIDARG), SEVERITY_ERROR);
	assert_int_equal(HRESULT_SEVERITY(S_FALSE), SEVERITY_SUCCESS);
	assert_true(SUCCEEDED(S_OK));
	assert_true(SUCCEEDED(S_FALSE));
	assert_true(FAILED(E_FAIL));
	assert_true(IS_ERROR(E_FAIL));
	assert_false(IS_ERROR(S_FALSE));
	assert_int_equal(MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIN32, 5), E_ACCESSDENIED);
	assert_int_equal((UINT32)HRESULT_FROM_NT(STATUS_ACCESS_DENIED), 0xD0000022u);
	assert_int_equal((UINT32)E_FAIL, 0x80004005u);
	assert_int_equal((UINT32)E_UNEXPECTED, 0x8000FFFFu);
	assert_int_equal((UINT32)E_OUTOFMEMORY, 0x8007000Eu);
	assert_int_equal((UINT32)E_HANDLE, 0x80070006u);
}

static void filter_manager_errors(void **state)
{
	(void)state;
	assert_int_equal(FACILITY_USERMODE_FILTER_MANAGER, 0x1F);
	assert_int_equal((UINT32)ERROR_FLT_IO_COMPLETE, 0x001F0001u);
	assert_int_equal((UINT32)ERROR_FLT_NO_HANDLER_DEFINED, 0x801F0001u);
	assert_int_equal((UINT32)ERROR_FLT_NO_WAITER_FOR_REPLY, 0x801F0020u);
	assert_int_equal(FILTER_HRESULT_FROM_FLT_NTSTATUS(STATUS_FLT_NO_WAITER_FOR_REPLY),
			 ERROR_FLT_NO_WAITER_FOR_REPLY);
	assert_int_equal(FILTER_HRESULT_FROM_FLT_NTSTATUS(STATUS_FLT_IO_COMPLETE),
			 ERROR_FLT_IO_COMPLETE);
	assert_int_equal(FILTER_HRESULT_FROM_FLT_NTSTATUS(STATUS_FLT_DELETING_OBJECT),
			 ERROR_FLT_DELETING_OBJECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(win32_codes_have_windows_values),
		cmocka_unit_test(hresult_from_win32_wraps_positive_codes),
		cmocka_unit_test(hresult_fields_and_tests),
		cmocka_unit_test(filter_manager_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
