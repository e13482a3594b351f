/*
 * A hostile client speaking the wire protocol directly: garbage, wrong
 * versions, oversized packets, packets of the wrong direction, replies to
 * messages it never got, GET floods.  The host answers with an error or
 * ends that connection, and keeps serving the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <altitude/bugcheck.h>
#include "harness.h"

static int raw_connect(void)
{
	static const WCHAR name[] = PH_PORT_NAME;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(port_wire_socket_path(name, RTL_NUMBER_OF(name) - 1, sa.sun_path,
					       sizeof(sa.sun_path)),
			 STATUS_SUCCESS);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_send(int fd, uint16_t type, uint64_t id, uint64_t message, uint32_t value,
		     const void *data, size_t len)
{
	struct port_wire_header h;

	port_wire_header_init(&h, type, id);
	h.message = message;
	h.value = value;
	assert_int_equal(port_wire_send(fd, &h, data, len, 0), 0);
}

/* Receives one packet; returns its header, or type 0 at end of stream. */
static struct port_wire_header raw_recv(int fd, void *data, size_t *len)
{
	static uint8_t buf[PORT_WIRE_MAX_PACKET];
	struct port_wire_header h = { 0 };
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n <= 0)
		return h;
	assert_true(port_wire_parse(buf, (size_t)n, FALSE, &h));
	if (data)
		memcpy(data, buf + sizeof(h), (size_t)n - sizeof(h));
	if (len)
		*len = (size_t)n - sizeof(h);
	return h;
}

static int raw_connected(void)
{
	int fd = raw_connect();
	struct port_wire_header h;

	raw_send(fd, PORT_WIRE_CONNECT, 0, 0, 0, NULL, 0);
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.type, PORT_WIRE_CONNECT_DONE);
	assert_int_equal(h.status, STATUS_SUCCESS);
	return fd;
}

static void expect_end(int fd)
{
	assert_int_equal(raw_recv(fd, NULL, NULL).type, 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	ph_reset();
	assert_int_equal(ph_create_port(16, NULL), STATUS_SUCCESS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ph_teardown();
	return 0;
}

static void garbage_handshake_is_refused(void **state)
{
	int fd = raw_connect();
	struct port_wire_header h;

	(void)state;
	assert_int_equal(send(fd, "hello", 5, 0), 5);
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.type, PORT_WIRE_CONNECT_DONE);
	assert_int_equal(h.status, (uint32_t)STATUS_INVALID_PARAMETER);
	expect_end(fd);
	assert_int_equal(ph_get(&ph.connects), 0);
}

static void wrong_version_is_refused(void **state)
{
	struct port_wire_header h;
	int fd = raw_connect();

	(void)state;
	port_wire_header_init(&h, PORT_WIRE_CONNECT, 0);
	h.version = 99;
	assert_int_equal(send(fd, &h, sizeof(h), 0), sizeof(h));
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.status, (uint32_t)STATUS_INVALID_PARAMETER);
	expect_end(fd);
	assert_int_equal(ph_get(&ph.connects), 0);
}

static void garbage_after_handshake_ends_only_that_connection(void **state)
{
	LARGE_INTEGER zero = { .QuadPart = 0 };
	int good = raw_connected(), bad;
	PFLT_PORT good_port;
	uint8_t junk[40];
	uint8_t data[64];

	(void)state;
	ph_wait_connects(1);
	good_port = ph.client;
	bad = raw_connected();
	ph_wait_connects(2);
	memset(junk, 0xA5, sizeof(junk));
	assert_int_equal(send(bad, junk, sizeof(junk), 0), sizeof(junk));
	expect_end(bad);
	ph_wait_disconnects(1);
	ph_close_port(&ph.client);

	raw_send(good, PORT_WIRE_GET, 1, 0, 512, NULL, 0);
	port_test_wait_credits(good_port, 1);
	assert_int_equal(FltSendMessage(PH_FILTER, &good_port, "ok", 2, NULL, NULL, &zero),
			 STATUS_SUCCESS);
	assert_int_equal(raw_recv(good, data, NULL).type, PORT_WIRE_DELIVER);
	assert_memory_equal(data, "ok", 2);
	close(good);
	ph_wait_disconnects(2);
	ph_close_port(&good_port);
}

static void oversized_packet_ends_the_connection(void **state)
{
	size_t len = PORT_WIRE_MAX_DATA + 100;
	uint8_t *big = calloc(1, len);
	int fd = raw_connected();

	(void)state;
	raw_send(fd, PORT_WIRE_SEND, 1, 0, 0, big, len);
	expect_end(fd);
	free(big);
	ph_wait_disconnects(1);
}

static void wrong_direction_and_second_connect_end_the_connection(void **state)
{
	int a = raw_connected(), b = raw_connected();

	(void)state;
	raw_send(a, PORT_WIRE_CONNECT, 0, 0, 0, NULL, 0);
	expect_end(a);
	{
		struct port_wire_header h;

		port_wire_header_init(&h, PORT_WIRE_DELIVER, 1);
		assert_int_equal(send(b, &h, sizeof(h), 0), sizeof(h));
	}
	expect_end(b);
	ph_wait_disconnects(2);
}

static void reply_to_unknown_message_gets_no_waiter(void **state)
{
	struct port_wire_header h;
	int fd = raw_connected();

	(void)state;
	raw_send(fd, PORT_WIRE_REPLY, 7, 12345, 0, "x", 1);
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.type, PORT_WIRE_REPLY_DONE);
	assert_int_equal(h.id, 7);
	assert_int_equal(h.status, (uint32_t)STATUS_FLT_NO_WAITER_FOR_REPLY);
	raw_send(fd, PORT_WIRE_CANCEL, 99, 0, 0, NULL, 0);
	raw_send(fd, PORT_WIRE_REPLY, 8, 0, 0, NULL, 0);
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.id, 8);
	assert_int_equal(h.status, (uint32_t)STATUS_FLT_NO_WAITER_FOR_REPLY);
	close(fd);
	ph_wait_disconnects(1);
}

static void get_flood_is_refused_beyond_the_limit(void **state)
{
	LARGE_INTEGER zero = { .QuadPart = 0 };
	struct port_wire_header h;
	int fd = raw_connected();
	int refused = 0;

	(void)state;
	ph_wait_connects(1);
	for (uint64_t id = 1; id <= PORT_MAX_CREDITS + 20; id++)
		raw_send(fd, PORT_WIRE_GET, id, 0, 512, NULL, 0);
	for (int i = 0; i < 20; i++) {
		h = raw_recv(fd, NULL, NULL);
		assert_int_equal(h.type, PORT_WIRE_GET_DONE);
		assert_int_equal(h.status, (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
		assert_true(h.id > PORT_MAX_CREDITS);
		refused++;
	}
	port_test_wait_credits(ph.client, PORT_MAX_CREDITS);
	assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, "m", 1, NULL, NULL, &zero),
			 STATUS_SUCCESS);
	h = raw_recv(fd, NULL, NULL);
	assert_int_equal(h.type, PORT_WIRE_DELIVER);
	assert_int_equal(h.id, 1);
	assert_int_equal(refused, 20);
	close(fd);
	ph_wait_disconnects(1);
}

static void record(const altitude_bugcheck_report *r, void *ctx)
{
	*(altitude_bugcheck_report *)ctx = *r;
}

static NTSTATUS no_connect(PFLT_PORT p, PVOID s, PVOID c, ULONG n, PVOID *k)
{
	(void)p, (void)s, (void)c, (void)n, (void)k;
	return STATUS_ACCESS_DENIED;
}

static VOID no_disconnect(PVOID cookie)
{
	(void)cookie;
}

static void kernel_arguments_are_checked(void **state)
{
	static WCHAR bad[] = L"\\a/b", good[] = PH_PORT_NAME;
	UNICODE_STRING bad_name = { sizeof(bad) - 2, sizeof(bad), bad };
	UNICODE_STRING good_name = { sizeof(good) - 2, sizeof(good), good };
	OBJECT_ATTRIBUTES oa;
	PFLT_PORT port, none = NULL;
	UCHAR reply[4];
	ULONG len = sizeof(reply);
	static UCHAR big[PORT_WIRE_MAX_DATA + 1];

	(void)state;
	InitializeObjectAttributes(&oa, &good_name, OBJ_KERNEL_HANDLE, NULL, NULL);
	assert_int_equal(FltCreateCommunicationPort(PH_FILTER, &port, &oa, NULL,
						    no_connect, NULL, NULL, 1),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltCreateCommunicationPort(PH_FILTER, &port, NULL, NULL,
						    no_connect,
						    no_disconnect, NULL, 1),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltCreateCommunicationPort(PH_FILTER, &port, &oa, NULL,
						    no_connect,
						    no_disconnect, NULL, 0),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ph_create_port(1, NULL), STATUS_OBJECT_NAME_COLLISION);
	oa.Attributes = 0;
	assert_int_equal(FltCreateCommunicationPort(PH_FILTER, &port, &oa, NULL,
						    no_connect,
						    no_disconnect, NULL, 1),
			 STATUS_INVALID_PARAMETER);
	InitializeObjectAttributes(&oa, &bad_name, OBJ_KERNEL_HANDLE, NULL, NULL);
	assert_int_equal(FltCreateCommunicationPort(PH_FILTER, &port, &oa, NULL,
						    no_connect,
						    no_disconnect, NULL, 1),
			 STATUS_OBJECT_NAME_INVALID);
	assert_int_equal(FltSendMessage(PH_FILTER, NULL, "x", 1, NULL, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSendMessage(PH_FILTER, &none, NULL, 1, NULL, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSendMessage(PH_FILTER, &none, "x", 1, reply, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSendMessage(PH_FILTER, &none, big, sizeof(big), NULL, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(FltSendMessage(PH_FILTER, &none, "x", 1, reply, &len, NULL),
			 STATUS_PORT_DISCONNECTED);
	FltCloseClientPort(PH_FILTER, &none);
	FltCloseCommunicationPort(NULL);
}

static void send_message_above_apc_level_bugchecks(void **state)
{
	altitude_bugcheck_report last = { 0 };
	PFLT_PORT none = NULL;
	KIRQL old;

	(void)state;
	altitude_bugcheck_set_hook(record, &last);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_false(NT_SUCCESS(FltSendMessage(PH_FILTER, &none, "x", 1, NULL, NULL, NULL)));
	KeLowerIrql(old);
	altitude_bugcheck_set_hook(NULL, NULL);
	assert_int_equal(last.code, IRQL_NOT_LESS_OR_EQUAL);
	assert_string_equal(last.routine, "FltSendMessage");
	assert_int_equal(last.parameters[0], DISPATCH_LEVEL);
	assert_int_equal(last.parameters[1], APC_LEVEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(garbage_handshake_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_version_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_after_handshake_ends_only_that_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_packet_ends_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_direction_and_second_connect_end_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_to_unknown_message_gets_no_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(get_flood_is_refused_beyond_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_arguments_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(send_message_above_apc_level_bugchecks, setup, teardown),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
