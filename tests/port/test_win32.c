/*
 * The Win32 subset of libfltlib, in process: events and waits, completion
 * ports, handle validation, and the Filter* parameter checks that need no
 * host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <pthread.h>
#include <poll.h>
#include <cmocka.h>

#include <fltUser.h>
#include <altitude/port.h>

static void events_follow_their_reset_type(void **state)
{
	HANDLE manual = CreateEventW(NULL, TRUE, FALSE, NULL);
	HANDLE autoev = CreateEventW(NULL, FALSE, TRUE, NULL);
	HANDLE both[2] = { manual, autoev };

	(void)state;
	assert_non_null(manual);
	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
	assert_int_equal(WaitForSingleObject(autoev, 0), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(autoev, 0), WAIT_TIMEOUT);
	assert_true(SetEvent(manual));
	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
	assert_int_equal(WaitForMultipleObjects(2, both, TRUE, 0), WAIT_TIMEOUT);
	assert_true(SetEvent(autoev));
	assert_int_equal(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0);
	assert_int_equal(WaitForMultipleObjects(2, both, TRUE, 10), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(autoev, 0), WAIT_TIMEOUT);
	assert_true(ResetEvent(manual));
	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
	assert_true(CloseHandle(manual));
	assert_true(CloseHandle(autoev));
}

static void bad_handles_and_arguments(void **state)
{
	HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
	HANDLE h;
	DWORD bytes;

	(void)state;
	assert_false(CloseHandle((HANDLE)0x1234));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_false(CloseHandle(INVALID_HANDLE_VALUE));
	assert_false(SetEvent(NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForSingleObject((HANDLE)0x5678, 0), WAIT_FAILED);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForMultipleObjects(0, &e, FALSE, 0), WAIT_FAILED);
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_null(CreateEventW(NULL, TRUE, FALSE, L"named"));
	assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
	/* An event is not a port, a closed handle is nothing. */
	assert_int_equal(FilterGetMessage(e, (PFILTER_MESSAGE_HEADER)&bytes, sizeof(bytes), NULL),
			 E_INVALIDARG);
	{
		UCHAR buf[64];

		assert_int_equal(FilterGetMessage(e, (PFILTER_MESSAGE_HEADER)buf, sizeof(buf), NULL),
				 HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE));
	}
	assert_false(CancelIoEx(e, NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_true(CloseHandle(e));
	assert_false(SetEvent(e));
	assert_int_equal(FilterConnectCommunicationPort(NULL, 0, NULL, 0, NULL, &h), E_INVALIDARG);
	assert_ptr_equal(h, INVALID_HANDLE_VALUE);
	assert_int_equal(FilterConnectCommunicationPort(L"\\P", 0, "x", 0, NULL, &h), E_INVALIDARG);
	assert_int_equal(FilterConnectCommunicationPort(L"\\P", 8, NULL, 0, NULL, &h), E_INVALIDARG);
	assert_int_equal(FilterConnectCommunicationPort(L"\\P", 0, NULL, 0, NULL, NULL), E_INVALIDARG);
	assert_int_equal(FilterConnectCommunicationPort(L"\\a/b", 0, NULL, 0, NULL, &h),
			 HRESULT_FROM_WIN32(ERROR_INVALID_NAME));
	assert_int_equal(FilterReplyMessage(e, NULL, 0), E_INVALIDARG);
	assert_int_equal(FilterSendMessage(e, NULL, 0, NULL, 0, NULL), E_INVALIDARG);
}

static void missing_port_is_file_not_found(void **state)
{
	HANDLE h;

	(void)state;
	assert_int_equal(FilterConnectCommunicationPort(L"\\NoSuchPort", 0, NULL, 0, NULL, &h),
			 HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND));
	assert_ptr_equal(h, INVALID_HANDLE_VALUE);
}

static void completion_port_queue(void **state)
{
	HANDLE iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	OVERLAPPED ov;
	LPOVERLAPPED got;
	ULONG_PTR key;
	DWORD bytes;
	struct pollfd p;

	(void)state;
	assert_non_null(iocp);
	p.fd = altitude_completion_port_fd(iocp);
	p.events = POLLIN;
	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_false(GetQueuedCompletionStatus(iocp, &bytes, &key, &got, 0));
	assert_int_equal(GetLastError(), WAIT_TIMEOUT);
	assert_null(got);
	assert_true(PostQueuedCompletionStatus(iocp, 5, 7, &ov));
	assert_true(PostQueuedCompletionStatus(iocp, 6, 8, NULL));
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_true(GetQueuedCompletionStatus(iocp, &bytes, &key, &got, INFINITE));
	assert_int_equal(bytes, 5);
	assert_int_equal(key, 7);
	assert_ptr_equal(got, &ov);
	assert_true(GetQueuedCompletionStatus(iocp, &bytes, &key, &got, 10));
	assert_int_equal(key, 8);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(altitude_completion_port_fd((HANDLE)0x40), -1);
	assert_null(CreateIoCompletionPort((HANDLE)0x40, iocp, 1, 0));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_true(CloseHandle(iocp));
	assert_false(PostQueuedCompletionStatus(iocp, 0, 0, NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static void *iocp_waiter(void *arg)
{
	DWORD bytes;
	ULONG_PTR key;
	LPOVERLAPPED got;
	BOOL ok = GetQueuedCompletionStatus(arg, &bytes, &key, &got, INFINITE);

	return (void *)(uintptr_t)(ok ? 0 : GetLastError());
}

static void closing_a_completion_port_releases_waiters(void **state)
{
	HANDLE iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	pthread_t t;
	void *result;

	(void)state;
	pthread_create(&t, NULL, iocp_waiter, iocp);
	assert_true(PostQueuedCompletionStatus(iocp, 1, 1, NULL));
	pthread_join(t, &result);
	assert_int_equal((uintptr_t)result, 0);
	pthread_create(&t, NULL, iocp_waiter, iocp);
	assert_true(CloseHandle(iocp));
	pthread_join(t, &result);
	assert_true((uintptr_t)result == ERROR_ABANDONED_WAIT_0 ||
		    (uintptr_t)result == ERROR_INVALID_HANDLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_follow_their_reset_type),
		cmocka_unit_test(bad_handles_and_arguments),
		cmocka_unit_test(missing_port_is_file_not_found),
		cmocka_unit_test(completion_port_queue),
		cmocka_unit_test(closing_a_completion_port_releases_waiters),
	};

	setenv("ALTITUDE_RUNTIME_DIR", "/tmp/altitude-port-win32-none", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
