/*
 * Port security: the connecting process's uid/gid are checked against the
 * port's security descriptor before ConnectNotify; a refused client gets
 * E_ACCESSDENIED and the minifilter never hears of it.  The tests that drop
 * to `nobody` need root; they are skipped (with a message) otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <altitude/winerror_defs.h>
#include "harness.h"

#define HR(x) ((uint32_t)(x))

static struct passwd nobody;

static int setup(void **state)
{
	(void)state;
	ph_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ph_teardown();
	return 0;
}

static BOOLEAN need_root(void)
{
	if (geteuid() == 0)
		return TRUE;
	fprintf(stderr, "skipped: connecting as another user needs root\n");
	return FALSE;
}

/* Connects as nobody to a port protected by `sd`; returns the HRESULT. */
static uint32_t connect_as_nobody(PSECURITY_DESCRIPTOR sd)
{
	struct ph_child c;
	uint32_t hr;

	ph_spawn(&c, client_as_user, (long)((unsigned long)nobody.pw_gid << 32 | nobody.pw_uid));
	assert_int_equal(ph_create_port(4, sd), STATUS_SUCCESS);
	ph_go(&c);
	hr = ph_read(&c);
	assert_int_equal(ph_reap(&c), 0);
	return hr;
}

static void default_descriptor_refuses_other_users(void **state)
{
	PSECURITY_DESCRIPTOR sd;

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS),
			 STATUS_SUCCESS);
	assert_int_equal(connect_as_nobody(sd), HR(E_ACCESSDENIED));
	FltFreeSecurityDescriptor(sd);
	assert_int_equal(ph_get(&ph.connects), 0);
}

static void null_descriptor_is_the_default(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(connect_as_nobody(NULL), HR(E_ACCESSDENIED));
	assert_int_equal(ph_get(&ph.connects), 0);
}

static void descriptor_admitting_the_uid(void **state)
{
	PSECURITY_DESCRIPTOR sd;

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(altitude_port_build_security_descriptor(&sd, &nobody.pw_uid, 1, NULL, 0),
			 STATUS_SUCCESS);
	assert_int_equal(connect_as_nobody(sd), S_OK);
	FltFreeSecurityDescriptor(sd);
	ph_wait_disconnects(1);
	assert_int_equal(ph_get(&ph.connects), 1);
}

static void descriptor_admitting_the_gid(void **state)
{
	PSECURITY_DESCRIPTOR sd;
	uid_t other = 4242;

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(altitude_port_build_security_descriptor(&sd, &other, 1, &nobody.pw_gid, 1),
			 STATUS_SUCCESS);
	assert_int_equal(connect_as_nobody(sd), S_OK);
	FltFreeSecurityDescriptor(sd);
	ph_wait_disconnects(1);
}

static void access_mask_without_connect_admits_nobody(void **state)
{
	PSECURITY_DESCRIPTOR sd;
	struct ph_child c;

	(void)state;
	ph_spawn(&c, client_remote, 0);
	assert_int_equal(FltBuildDefaultSecurityDescriptor(&sd, STANDARD_RIGHTS_ALL), STATUS_SUCCESS);
	assert_int_equal(ph_create_port(4, sd), STATUS_SUCCESS);
	FltFreeSecurityDescriptor(sd);
	ph_go(&c);
	ph_cmd(&c, 'k', 1, 0u);
	assert_int_equal(ph_read(&c), HR(E_ACCESSDENIED));
	ph_cmd(&c, 'e', 0);
	assert_int_equal(ph_reap(&c), 0);
	assert_int_equal(ph_get(&ph.connects), 0);
}

static void ports_directory_must_be_the_hosts_alone(void **state)
{
	char dir[108];

	(void)state;
	assert_true(port_wire_ports_dir(dir, sizeof(dir)) > 0);
	assert_int_equal(ph_create_port(4, NULL), STATUS_SUCCESS);
	FltCloseCommunicationPort(ph.server);
	ph.server = NULL;
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(ph_create_port(4, NULL), STATUS_ACCESS_DENIED);
	assert_int_equal(chmod(dir, 0755), 0);
	ph.server = NULL;
}

static void descriptor_arguments_are_checked(void **state)
{
	PSECURITY_DESCRIPTOR sd;
	uid_t u = 1;

	(void)state;
	assert_int_equal(FltBuildDefaultSecurityDescriptor(NULL, FLT_PORT_ALL_ACCESS),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(altitude_port_build_security_descriptor(NULL, &u, 1, NULL, 0),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(altitude_port_build_security_descriptor(&sd, NULL, 1, NULL, 0),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(altitude_port_build_security_descriptor(&sd, &u, 5000, NULL, 0),
			 STATUS_INVALID_PARAMETER);
	FltFreeSecurityDescriptor(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(default_descriptor_refuses_other_users, setup, teardown),
		cmocka_unit_test_setup_teardown(null_descriptor_is_the_default, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptor_admitting_the_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptor_admitting_the_gid, setup, teardown),
		cmocka_unit_test_setup_teardown(access_mask_without_connect_admits_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(ports_directory_must_be_the_hosts_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptor_arguments_are_checked, setup, teardown),
	};
	struct passwd *pw = getpwnam("nobody");

	if (pw)
		nobody = *pw;
	else
		nobody.pw_uid = nobody.pw_gid = 65534;
	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
