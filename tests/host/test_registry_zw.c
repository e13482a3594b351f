/* The Zw* registry routines: paths, handles, access, buffer rules, persistence. */
#include "test_registry_util.h"

#include <altitude/bugcheck.h>
#include <pthread.h>

static const char scanner[] =
	"[Service]\n"
	"ImagePath=/usr/lib/altitude/filters/scanner.so\n"
	"[Instances]\n"
	"DefaultInstance=Scanner Instance\n"
	"[Instances\\Scanner Instance]\n"
	"Altitude=265000\n"
	"Flags=dword:0\n"
	"[Parameters]\n"
	"Word=sz:foul\n"
	"Timeout=dword:5000\n"
	"Blob=hex:01,02,ff\n";

static int setup(void **state)
{
	int rc = reg_fixture_setup(state);

	reg_write_service(*state, "Scanner", scanner);
	return rc;
}

static HANDLE open_ok(const WCHAR *path, ACCESS_MASK access)
{
	HANDLE h = NULL;

	assert_int_equal(reg_open_path(path, access, &h), STATUS_SUCCESS);
	assert_non_null(h);
	return h;
}

#define PARAMS SERVICES_PATH L"\\Scanner\\Parameters"

static void open_paths(void **state)
{
	HANDLE h = (HANDLE)1, root;
	UNICODE_STRING name = reg_us(L"Parameters"), abs = reg_us(PARAMS);
	OBJECT_ATTRIBUTES oa;
	static const WCHAR lone[] = { '\\', 0xdc00, 0 };

	(void)state;
	h = open_ok(L"\\REGISTRY\\machine\\SYSTEM\\currentcontrolset\\SERVICES\\scanner\\parameters",
		    KEY_READ);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	h = open_ok(SERVICES_PATH, KEY_READ);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(reg_open_path(L"\\Registry\\Machine\\Software", KEY_READ, &h),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(reg_open_path(L"\\Registry", KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Nothing", KEY_READ, &h),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\No\\Such", KEY_READ, &h),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\\\Scanner", KEY_READ, &h),
			 STATUS_OBJECT_NAME_INVALID);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\", KEY_READ, &h),
			 STATUS_OBJECT_NAME_INVALID);
	assert_int_equal(reg_open_path(L"Registry\\Machine", KEY_READ, &h),
			 STATUS_OBJECT_PATH_SYNTAX_BAD);
	assert_int_equal(reg_open_path(lone, KEY_READ, &h), STATUS_OBJECT_NAME_INVALID);

	/* Relative to a root handle; an absolute name with a root is a syntax error. */
	root = open_ok(SERVICES_PATH L"\\Scanner", KEY_READ);
	assert_true((LONG_PTR)root < 0); /* OBJ_KERNEL_HANDLE: a kernel handle */
	InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE, root, NULL);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_SUCCESS);
	assert_true((LONG_PTR)h > 0); /* without it, a process handle */
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	InitializeObjectAttributes(&oa, &abs, OBJ_CASE_INSENSITIVE, root, NULL);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_PATH_SYNTAX_BAD);
	assert_int_equal(ZwClose(root), STATUS_SUCCESS);

	/* Malformed arguments. */
	InitializeObjectAttributes(&oa, &abs, OBJ_CASE_INSENSITIVE, NULL, NULL);
	assert_int_equal(ZwOpenKey(NULL, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, NULL), STATUS_INVALID_PARAMETER);
	oa.Length = 0;
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
	InitializeObjectAttributes(&oa, &abs, 0x80000000, NULL, NULL);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
	InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
	abs.Length = 3;
	InitializeObjectAttributes(&oa, &abs, 0, NULL, NULL);
	assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwOpenKeyEx(&h, KEY_READ, &oa, 0x100), STATUS_INVALID_PARAMETER);
	abs = reg_us(PARAMS);
	assert_int_equal(ZwOpenKeyEx(&h, KEY_READ, &oa, REG_OPTION_OPEN_LINK), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void create_dispositions(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE svc = open_ok(SERVICES_PATH L"\\Scanner", KEY_ALL_ACCESS), h, v;
	ULONG disposition = 0;
	WCHAR long_name[300];
	UNICODE_STRING cls = reg_us(L"FilterClass"), name = reg_us(L"Deep");
	OBJECT_ATTRIBUTES oa;
	char *text;

	assert_int_equal(reg_create_path(svc, L"Parameters\\New", 0, &h, &disposition),
			 STATUS_SUCCESS);
	assert_int_equal(disposition, REG_CREATED_NEW_KEY);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(reg_create_path(svc, L"parameters\\NEW", 0, &h, &disposition),
			 STATUS_SUCCESS);
	assert_int_equal(disposition, REG_OPENED_EXISTING_KEY);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	/* Only the last component is created. */
	assert_int_equal(reg_create_path(svc, L"Missing\\Child", 0, &h, &disposition),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	for (int i = 0; i < 256; i++)
		long_name[i] = L'k';
	long_name[256] = 0;
	assert_int_equal(reg_create_path(svc, long_name, 0, &h, NULL), STATUS_OBJECT_NAME_INVALID);
	long_name[255] = 0;
	assert_int_equal(reg_create_path(svc, long_name, 0, &h, NULL), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(reg_create_path(svc, L"Link", REG_OPTION_CREATE_LINK, &h, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(reg_create_path(svc, L"Odd", 0x100, &h, NULL), STATUS_INVALID_PARAMETER);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "[Parameters\\New]\n"));
	g_free(text);

	/* Volatile keys live in memory only; their children must be volatile too. */
	assert_int_equal(reg_create_path(svc, L"Volatile", REG_OPTION_VOLATILE, &v, &disposition),
			 STATUS_SUCCESS);
	assert_int_equal(reg_create_path(v, L"Child", 0, &h, NULL), STATUS_CHILD_MUST_BE_VOLATILE);
	assert_int_equal(reg_create_path(v, L"Child", REG_OPTION_VOLATILE, &h, NULL), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_null(strstr(text, "Volatile"));
	g_free(text);
	assert_int_equal(ZwClose(v), STATUS_SUCCESS);

	/* A class is kept and reported. */
	InitializeObjectAttributes(&oa, &name, 0, svc, NULL);
	assert_int_equal(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, &cls, 0, &disposition),
			 STATUS_SUCCESS);
	{
		UCHAR buffer[128];
		PKEY_NODE_INFORMATION node = (PKEY_NODE_INFORMATION)buffer;
		ULONG length;

		assert_int_equal(ZwQueryKey(h, KeyNodeInformation, buffer, sizeof(buffer), &length),
				 STATUS_SUCCESS);
		assert_int_equal(node->NameLength, 8);
		assert_int_equal(node->ClassLength, cls.Length);
		assert_int_equal(node->ClassOffset, offsetof(KEY_NODE_INFORMATION, Name) + 8);
		assert_memory_equal(buffer + node->ClassOffset, L"FilterClass", cls.Length);
		assert_int_equal(length, node->ClassOffset + cls.Length);
	}
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(ZwClose(svc), STATUS_SUCCESS);
}

static void create_service_writes_a_file(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE services = open_ok(SERVICES_PATH, KEY_ALL_ACCESS), h;
	UNICODE_STRING name = reg_us(L"Start");
	ULONG start = 3, disposition;
	char *text;

	assert_int_equal(reg_create_path(services, L"NewFilter", 0, &h, &disposition), STATUS_SUCCESS);
	assert_int_equal(disposition, REG_CREATED_NEW_KEY);
	assert_int_equal(ZwSetValueKey(h, &name, 0, REG_DWORD, &start, sizeof(start)), STATUS_SUCCESS);
	text = reg_read_service(f, "NewFilter");
	assert_non_null(text);
	assert_non_null(strstr(text, "[Service]\nStart=dword:3\n"));
	g_free(text);
	/* Values on the Services key itself have no file to live in. */
	assert_int_equal(ZwSetValueKey(services, &name, 0, REG_DWORD, &start, sizeof(start)),
			 STATUS_ACCESS_DENIED);
	assert_int_equal(reg_create_path(services, L"bad/name", 0, &h, NULL),
			 STATUS_OBJECT_NAME_INVALID);
	assert_int_equal(ZwDeleteKey(h), STATUS_SUCCESS);
	text = reg_read_service(f, "NewFilter");
	assert_null(text);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(ZwClose(services), STATUS_SUCCESS);
}

/* Fills with 0xAA; returns whether bytes [from, size) are untouched. */
static BOOLEAN untouched(const UCHAR *buffer, size_t from, size_t size)
{
	for (size_t i = from; i < size; i++) {
		if (buffer[i] != 0xAA)
			return FALSE;
	}
	return TRUE;
}

static void query_value_buffer_rules(void **state)
{
	HANDLE h = open_ok(PARAMS, KEY_READ);
	UNICODE_STRING word = reg_us(L"WORD");
	UCHAR buffer[256];
	ULONG length = 0;
	PKEY_VALUE_PARTIAL_INFORMATION partial = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
	PKEY_VALUE_BASIC_INFORMATION basic = (PKEY_VALUE_BASIC_INFORMATION)buffer;
	PKEY_VALUE_FULL_INFORMATION full = (PKEY_VALUE_FULL_INFORMATION)buffer;
	const ULONG partial_size = 12 + 10; /* "foul" + NUL */
	const ULONG basic_size = 12 + 8;    /* "Word" */
	const ULONG full_size = 20 + 8 + 10;

	(void)state;
	/* Partial. */
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, NULL, 0, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(length, partial_size);
	memset(buffer, 0xAA, sizeof(buffer));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer, 11, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(length, partial_size);
	assert_true(untouched(buffer, 0, sizeof(buffer)));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer, 12, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(partial->Type, REG_SZ);
	assert_int_equal(partial->DataLength, 10);
	assert_true(untouched(buffer, 12, sizeof(buffer)));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer,
					 partial_size - 1, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_true(untouched(buffer, 12, sizeof(buffer)));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer, partial_size,
					 &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, partial_size);
	assert_memory_equal(partial->Data, L"foul", 10);

	/* Basic: the name is cut to what fits. */
	memset(buffer, 0xAA, sizeof(buffer));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueBasicInformation, buffer, 14, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(length, basic_size);
	assert_int_equal(basic->NameLength, 8);
	assert_int_equal(basic->Name[0], L'W');
	assert_true(untouched(buffer, 14, sizeof(buffer)));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueBasicInformation, buffer, sizeof(buffer),
					 &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, basic_size);
	assert_memory_equal(basic->Name, L"Word", 8); /* the stored case */

	/* Full: data after the name, ULONG-aligned. */
	memset(buffer, 0xAA, sizeof(buffer));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueFullInformation, buffer, 19, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(length, full_size);
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueFullInformation, buffer, 28, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(full->DataOffset, 28);
	assert_int_equal(full->DataLength, 10);
	assert_true(untouched(buffer, 28, sizeof(buffer)));
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueFullInformation, buffer, sizeof(buffer),
					 &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, full_size);
	assert_memory_equal(buffer + full->DataOffset, L"foul", 10);

	/* Align64 forms. */
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformationAlign64, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, 8 + 10);
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueFullInformationAlign64, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(full->DataOffset, 32);

	/* Errors. */
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValueLayerInformation, buffer, sizeof(buffer),
					 &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwQueryValueKey(h, &word, (KEY_VALUE_INFORMATION_CLASS)99, buffer,
					 sizeof(buffer), &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer,
					 sizeof(buffer), NULL),
			 STATUS_INVALID_PARAMETER);
	word = reg_us(L"Missing");
	assert_int_equal(ZwQueryValueKey(h, &word, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(ZwQueryValueKey(h, NULL, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void enumerate_values_and_keys(void **state)
{
	HANDLE h = open_ok(PARAMS, KEY_ALL_ACCESS), svc;
	UCHAR buffer[256];
	ULONG length;
	PKEY_VALUE_BASIC_INFORMATION value = (PKEY_VALUE_BASIC_INFORMATION)buffer;
	PKEY_BASIC_INFORMATION key = (PKEY_BASIC_INFORMATION)buffer;
	static const WCHAR *const value_order[] = { L"Word", L"Timeout", L"Blob" };
	static const WCHAR *const key_order[] = { L"alpha", L"Instances", L"Parameters", L"zeta" };

	(void)state;
	for (ULONG i = 0; i < 3; i++) {
		assert_int_equal(ZwEnumerateValueKey(h, i, KeyValueBasicInformation, buffer,
						     sizeof(buffer), &length),
				 STATUS_SUCCESS);
		assert_int_equal(value->NameLength, reg_wlen(value_order[i]) * sizeof(WCHAR));
		assert_memory_equal(value->Name, value_order[i], value->NameLength);
	}
	assert_int_equal(ZwEnumerateValueKey(h, 3, KeyValueBasicInformation, buffer, sizeof(buffer),
					     &length),
			 STATUS_NO_MORE_ENTRIES);
	assert_int_equal(ZwEnumerateValueKey(h, 0, (KEY_VALUE_INFORMATION_CLASS)42, buffer,
					     sizeof(buffer), &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwEnumerateValueKey(h, 0, KeyValueBasicInformation, buffer, 4, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(length, 12 + 8);

	svc = open_ok(SERVICES_PATH L"\\Scanner", KEY_ALL_ACCESS);
	for (int i = 0; i < 2; i++) {
		HANDLE k;

		assert_int_equal(reg_create_path(svc, i ? L"alpha" : L"zeta", 0, &k, NULL),
				 STATUS_SUCCESS);
		assert_int_equal(ZwClose(k), STATUS_SUCCESS);
	}
	for (ULONG i = 0; i < 4; i++) {
		assert_int_equal(ZwEnumerateKey(svc, i, KeyBasicInformation, buffer, sizeof(buffer),
						&length),
				 STATUS_SUCCESS);
		assert_int_equal(key->NameLength, reg_wlen(key_order[i]) * sizeof(WCHAR));
		assert_memory_equal(key->Name, key_order[i], key->NameLength);
		assert_true(key->LastWriteTime.QuadPart > 116444736000000000LL);
		assert_int_equal(length, 16 + key->NameLength);
	}
	assert_int_equal(ZwEnumerateKey(svc, 4, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_NO_MORE_ENTRIES);
	assert_int_equal(ZwEnumerateKey(svc, 0, KeyNameInformation, buffer, sizeof(buffer), &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwEnumerateKey(svc, 0, KeyBasicInformation, buffer, 15, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(ZwEnumerateKey(svc, 0, KeyBasicInformation, buffer, 17, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(length, 16 + 10);
	assert_int_equal(ZwEnumerateKey(svc, 1, KeyFullInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(((PKEY_FULL_INFORMATION)buffer)->SubKeys, 1);
	assert_int_equal(((PKEY_FULL_INFORMATION)buffer)->Values, 1);
	assert_int_equal(ZwEnumerateKey(svc, 1, KeyNodeInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(((PKEY_NODE_INFORMATION)buffer)->ClassOffset, 0xFFFFFFFFU);
	assert_int_equal(ZwClose(svc), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void enumerate_services(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE h = open_ok(SERVICES_PATH, KEY_READ);
	UCHAR buffer[128];
	ULONG length;
	PKEY_BASIC_INFORMATION key = (PKEY_BASIC_INFORMATION)buffer;

	/* A file written after the store started (fltmc install) shows up. */
	reg_write_service(f, "Auditor", "[Service]\nImagePath=/a.so\n");
	assert_int_equal(ZwEnumerateKey(h, 0, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_memory_equal(key->Name, L"Auditor", 14);
	assert_int_equal(ZwEnumerateKey(h, 1, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_memory_equal(key->Name, L"Scanner", 14);
	assert_int_equal(ZwEnumerateKey(h, 2, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_NO_MORE_ENTRIES);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void query_key_classes(void **state)
{
	HANDLE h = open_ok(SERVICES_PATH L"\\Scanner", KEY_READ);
	UCHAR buffer[512];
	ULONG length;
	PKEY_FULL_INFORMATION full = (PKEY_FULL_INFORMATION)buffer;
	PKEY_NAME_INFORMATION name = (PKEY_NAME_INFORMATION)buffer;
	PKEY_CACHED_INFORMATION cached = (PKEY_CACHED_INFORMATION)buffer;
	static const WCHAR path[] = L"\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Scanner";

	(void)state;
	assert_int_equal(ZwQueryKey(h, KeyFullInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, offsetof(KEY_FULL_INFORMATION, Class));
	assert_int_equal(full->SubKeys, 2);
	assert_int_equal(full->Values, 1);
	assert_int_equal(full->MaxNameLen, 20); /* "Parameters" */
	assert_int_equal(full->MaxValueNameLen, 18); /* "ImagePath" */
	assert_int_equal(full->MaxValueDataLen,
			 (reg_wlen(L"/usr/lib/altitude/filters/scanner.so") + 1) * sizeof(WCHAR));
	assert_int_equal(full->ClassLength, 0);
	assert_int_equal(ZwQueryKey(h, KeyFullInformation, buffer, 43, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(ZwQueryKey(h, KeyNameInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(name->NameLength, sizeof(path) - sizeof(WCHAR));
	assert_memory_equal(name->Name, path, name->NameLength);
	assert_int_equal(ZwQueryKey(h, KeyNameInformation, buffer, 10, &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(length, 4 + sizeof(path) - sizeof(WCHAR));
	assert_int_equal(ZwQueryKey(h, KeyCachedInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(length, sizeof(KEY_CACHED_INFORMATION));
	assert_int_equal(cached->SubKeys, 2);
	assert_int_equal(cached->NameLength, 14);
	assert_int_equal(ZwQueryKey(h, KeyCachedInformation, buffer, 39, &length),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(ZwQueryKey(h, KeyFlagsInformation, buffer, sizeof(buffer), &length),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwQueryKey(h, KeyBasicInformation, buffer, sizeof(buffer), NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void set_and_delete_values(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE h = open_ok(PARAMS, KEY_ALL_ACCESS);
	UNICODE_STRING name = reg_us(L"Timeout"), empty = reg_us(L"");
	UCHAR buffer[64];
	PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
	ULONGLONG q = 1ULL << 40;
	ULONG length;
	char *text;

	assert_int_equal(ZwSetValueKey(h, &name, 0, REG_QWORD, &q, sizeof(q)), STATUS_SUCCESS);
	assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(info->Type, REG_QWORD);
	assert_memory_equal(info->Data, &q, sizeof(q));
	assert_int_equal(ZwSetValueKey(h, &empty, 0, REG_SZ, L"dflt", sizeof(L"dflt")),
			 STATUS_SUCCESS);
	assert_int_equal(ZwSetValueKey(h, &name, 0, REG_BINARY, NULL, 4), STATUS_INVALID_PARAMETER);
	assert_int_equal(ZwSetValueKey(h, &name, 0, REG_BINARY, NULL, 0), STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "Timeout=hex:\n"));
	assert_non_null(strstr(text, "@=dflt\n"));
	g_free(text);
	assert_int_equal(ZwDeleteValueKey(h, &name), STATUS_SUCCESS);
	assert_int_equal(ZwDeleteValueKey(h, &name), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	text = reg_read_service(f, "Scanner");
	assert_null(strstr(text, "Timeout"));
	g_free(text);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void delete_key_rules(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE svc = open_ok(SERVICES_PATH L"\\Scanner", KEY_ALL_ACCESS), p, p2;
	UNICODE_STRING word = reg_us(L"Word");
	UCHAR buffer[64];
	ULONG length;
	char *text;

	assert_int_equal(ZwDeleteKey(svc), STATUS_CANNOT_DELETE); /* it has subkeys */
	p = open_ok(PARAMS, KEY_ALL_ACCESS);
	p2 = open_ok(PARAMS, KEY_READ);
	assert_int_equal(ZwDeleteKey(p2), STATUS_ACCESS_DENIED);
	assert_int_equal(ZwDeleteKey(p), STATUS_SUCCESS);
	/* Handles stay valid but the key is gone. */
	assert_int_equal(ZwQueryValueKey(p2, &word, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_KEY_DELETED);
	assert_int_equal(ZwDeleteKey(p), STATUS_KEY_DELETED);
	assert_int_equal(ZwSetValueKey(p, &word, 0, REG_SZ, L"x", 4), STATUS_KEY_DELETED);
	assert_int_equal(reg_open_path(PARAMS, KEY_READ, &p), STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(ZwClose(p2), STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_null(strstr(text, "Parameters"));
	g_free(text);
	assert_int_equal(ZwClose(svc), STATUS_SUCCESS);
}

static void unknown_handles(void **state)
{
	HANDLE bogus[] = { NULL, (HANDLE)4, (HANDLE)(ULONG_PTR)0xFFFFFFFFC0000000ULL,
			   (HANDLE)(ULONG_PTR)0xFFFFFFFFFFFFFFFCULL, (HANDLE)-1 };
	HANDLE h = open_ok(PARAMS, KEY_READ), child;
	UNICODE_STRING name = reg_us(L"Word");
	OBJECT_ATTRIBUTES oa;
	UCHAR buffer[64];
	ULONG length;

	(void)state;
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_INVALID_HANDLE);
	for (size_t i = 0; i <= G_N_ELEMENTS(bogus); i++) {
		HANDLE b = i < G_N_ELEMENTS(bogus) ? bogus[i] : h;

		assert_int_equal(ZwClose(b), STATUS_INVALID_HANDLE);
		assert_int_equal(ZwQueryValueKey(b, &name, KeyValuePartialInformation, buffer,
						 sizeof(buffer), &length),
				 STATUS_INVALID_HANDLE);
		assert_int_equal(ZwEnumerateValueKey(b, 0, KeyValueBasicInformation, buffer,
						     sizeof(buffer), &length),
				 STATUS_INVALID_HANDLE);
		assert_int_equal(ZwEnumerateKey(b, 0, KeyBasicInformation, buffer, sizeof(buffer),
						&length),
				 STATUS_INVALID_HANDLE);
		assert_int_equal(ZwQueryKey(b, KeyBasicInformation, buffer, sizeof(buffer), &length),
				 STATUS_INVALID_HANDLE);
		assert_int_equal(ZwSetValueKey(b, &name, 0, REG_SZ, L"x", 4), STATUS_INVALID_HANDLE);
		assert_int_equal(ZwDeleteValueKey(b, &name), STATUS_INVALID_HANDLE);
		assert_int_equal(ZwDeleteKey(b), STATUS_INVALID_HANDLE);
		assert_int_equal(ZwFlushKey(b), STATUS_INVALID_HANDLE);
		if (b == NULL)
			continue;
		InitializeObjectAttributes(&oa, &name, 0, b, NULL);
		assert_int_equal(ZwOpenKey(&child, KEY_READ, &oa), STATUS_INVALID_HANDLE);
	}
}

static void access_rights(void **state)
{
	HANDLE q = open_ok(PARAMS, KEY_QUERY_VALUE), r = open_ok(PARAMS, GENERIC_READ);
	HANDLE w = open_ok(PARAMS, GENERIC_WRITE), none = open_ok(PARAMS, 0);
	UNICODE_STRING name = reg_us(L"Word");
	UCHAR buffer[64];
	ULONG length;

	(void)state;
	assert_int_equal(ZwQueryValueKey(q, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	assert_int_equal(ZwSetValueKey(q, &name, 0, REG_SZ, L"x", 4), STATUS_ACCESS_DENIED);
	assert_int_equal(ZwEnumerateKey(q, 0, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_ACCESS_DENIED);
	assert_int_equal(ZwEnumerateKey(r, 0, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_NO_MORE_ENTRIES);
	assert_int_equal(ZwSetValueKey(r, &name, 0, REG_SZ, L"x", 4), STATUS_ACCESS_DENIED);
	assert_int_equal(ZwSetValueKey(w, &name, 0, REG_SZ, L"x", 4), STATUS_SUCCESS);
	assert_int_equal(ZwQueryValueKey(w, &name, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_ACCESS_DENIED);
	assert_int_equal(ZwQueryKey(none, KeyBasicInformation, buffer, sizeof(buffer), &length),
			 STATUS_ACCESS_DENIED);
	assert_int_equal(ZwQueryKey(none, KeyNameInformation, buffer, sizeof(buffer), &length),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(ZwClose(q), STATUS_SUCCESS);
	assert_int_equal(ZwClose(r), STATUS_SUCCESS);
	assert_int_equal(ZwClose(w), STATUS_SUCCESS);
	assert_int_equal(ZwClose(none), STATUS_SUCCESS);
}

static void unicode_names(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE h = open_ok(PARAMS, KEY_ALL_ACCESS), k;
	UNICODE_STRING name = reg_us(L"Gr\u00fc\u00dfe"), upper = reg_us(L"GR\u00dc\u00dfE");
	UCHAR buffer[64];
	ULONG length;
	char *text;

	assert_int_equal(ZwSetValueKey(h, &name, 0, REG_SZ, L"\u2713", sizeof(L"\u2713")),
			 STATUS_SUCCESS);
	/* Case-insensitive per character (ü/Ü), as Windows compares. */
	assert_int_equal(ZwQueryValueKey(h, &upper, KeyValuePartialInformation, buffer,
					 sizeof(buffer), &length),
			 STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "Grüße=✓\n"));
	g_free(text);
	assert_int_equal(reg_create_path(h, L"\u00c9t\u00e9", 0, &k, NULL), STATUS_SUCCESS);
	assert_int_equal(ZwClose(k), STATUS_SUCCESS);
	assert_int_equal(reg_open_path(PARAMS L"\\\u00e9T\u00c9", KEY_READ, &k), STATUS_SUCCESS);
	assert_int_equal(ZwClose(k), STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static ULONG bugchecks;

static void count_bugcheck(const altitude_bugcheck_report *report, void *context)
{
	(void)context;
	if (report->code == IRQL_NOT_LESS_OR_EQUAL)
		bugchecks++;
}

static void raised_irql_bugchecks(void **state)
{
	HANDLE h = (HANDLE)1;
	KIRQL old;

	(void)state;
	altitude_bugcheck_set_hook(count_bugcheck, NULL);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	assert_int_equal(reg_open_path(PARAMS, KEY_READ, &h), STATUS_UNSUCCESSFUL);
	assert_int_equal(ZwClose(h), STATUS_UNSUCCESSFUL);
	KeLowerIrql(old);
	altitude_bugcheck_set_hook(NULL, NULL);
	assert_int_equal(bugchecks, 2);
	assert_ptr_equal(h, (HANDLE)1);
}

#define WORKERS 4
#define ROUNDS 300

static void *worker(void *arg)
{
	HANDLE parent = arg, key;
	WCHAR name_buffer[16] = L"V0";
	UNICODE_STRING name;
	UCHAR buffer[64];
	ULONG length, mine = (ULONG)(ULONG_PTR)g_thread_self();
	long failures = 0;

	for (int i = 0; i < ROUNDS; i++) {
		name_buffer[1] = (WCHAR)(L'0' + i % 10);
		name = reg_us(name_buffer);
		failures += ZwSetValueKey(parent, &name, 0, REG_DWORD, &mine, 4) != STATUS_SUCCESS;
		failures += ZwQueryValueKey(parent, &name, KeyValuePartialInformation, buffer,
					    sizeof(buffer), &length) != STATUS_SUCCESS;
		failures += ZwEnumerateValueKey(parent, 0, KeyValueBasicInformation, buffer,
						sizeof(buffer), &length) != STATUS_SUCCESS;
		failures += reg_create_path(parent, L"Child", REG_OPTION_VOLATILE, &key, NULL) !=
			    STATUS_SUCCESS;
		failures += ZwQueryKey(key, KeyFullInformation, buffer, sizeof(buffer), &length) !=
			    STATUS_SUCCESS;
		failures += ZwClose(key) != STATUS_SUCCESS;
	}
	return (void *)failures;
}

/* Many threads on one key: every call succeeds, nothing races (run under TSan too). */
static void concurrent_use(void **state)
{
	HANDLE svc = open_ok(SERVICES_PATH L"\\Scanner", KEY_ALL_ACCESS), scratch;
	pthread_t threads[WORKERS];
	ULONG values = 0;
	UCHAR buffer[128];
	ULONG length;

	(void)state;
	assert_int_equal(reg_create_path(svc, L"Scratch", REG_OPTION_VOLATILE, &scratch, NULL),
			 STATUS_SUCCESS);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, worker, scratch), 0);
	for (int i = 0; i < WORKERS; i++) {
		void *failures;

		assert_int_equal(pthread_join(threads[i], &failures), 0);
		assert_int_equal((long)failures, 0);
	}
	assert_int_equal(ZwQueryKey(scratch, KeyFullInformation, buffer, sizeof(buffer), &length),
			 STATUS_SUCCESS);
	values = ((PKEY_FULL_INFORMATION)buffer)->Values;
	assert_int_equal(values, 10);
	assert_int_equal(((PKEY_FULL_INFORMATION)buffer)->SubKeys, 1);
	assert_int_equal(ZwClose(scratch), STATUS_SUCCESS);
	assert_int_equal(ZwClose(svc), STATUS_SUCCESS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, reg_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_paths),	       T(create_dispositions), T(create_service_writes_a_file),
		T(query_value_buffer_rules), T(enumerate_values_and_keys), T(enumerate_services),
		T(query_key_classes),  T(set_and_delete_values), T(delete_key_rules),
		T(unknown_handles),    T(access_rights),       T(unicode_names),
		T(raised_irql_bugchecks), T(concurrent_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
