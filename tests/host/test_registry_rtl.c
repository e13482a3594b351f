/* RtlQueryRegistryValues table flags, and the other Rtl registry helpers. */
#include "test_registry_util.h"

#include <stdlib.h>

static const char scanner[] =
	"[Service]\n"
	"ImagePath=/usr/lib/altitude/filters/scanner.so\n"
	"[Instances]\n"
	"DefaultInstance=Scanner Instance\n"
	"[Instances\\Scanner Instance]\n"
	"Altitude=265000\n"
	"Flags=dword:7\n"
	"[Parameters]\n"
	"Word=sz:foul\n"
	"Timeout=dword:5000\n"
	"Extensions=multi_sz:doc;txt;exe\n"
	"Path=expand_sz:%ROOT%\\\\bin;%NOPE%\n"
	"Big=qword:0x1122334455667788\n"
	"Blob=hex:01,02,03,04,05,06\n";

static int setup(void **state)
{
	int rc = reg_fixture_setup(state);

	reg_write_service(*state, "Scanner", scanner);
	return rc;
}

struct call {
	char *name;
	ULONG type;
	GBytes *data;
	PVOID entry_context;
};

struct calls {
	GArray *list;
	NTSTATUS result;  /* what the routine returns */
	int fail_at;      /* call index that returns `result`, -1: none */
};

static NTSTATUS NTAPI record(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
			     PVOID Context, PVOID EntryContext)
{
	struct calls *calls = Context;
	struct call c = {
		.name = ValueName ? g_utf16_to_utf8((gunichar2 *)ValueName, -1, NULL, NULL, NULL)
				  : NULL,
		.type = ValueType,
		.data = ValueData ? g_bytes_new(ValueData, ValueLength) : NULL,
		.entry_context = EntryContext,
	};

	g_array_append_val(calls->list, c);
	if ((int)calls->list->len - 1 == calls->fail_at)
		return calls->result;
	return STATUS_SUCCESS;
}

static void calls_clear(struct calls *calls)
{
	for (guint i = 0; i < calls->list->len; i++) {
		struct call *c = &g_array_index(calls->list, struct call, i);

		g_free(c->name);
		if (c->data)
			g_bytes_unref(c->data);
	}
	g_array_set_size(calls->list, 0);
	calls->fail_at = -1;
}

static struct calls *calls_new(void)
{
	struct calls *calls = g_new0(struct calls, 1);

	calls->list = g_array_new(FALSE, TRUE, sizeof(struct call));
	calls->fail_at = -1;
	return calls;
}

static void calls_free(struct calls *calls)
{
	calls_clear(calls);
	g_array_free(calls->list, TRUE);
	g_free(calls);
}

static struct call *nth(struct calls *calls, guint i)
{
	assert_true(i < calls->list->len);
	return &g_array_index(calls->list, struct call, i);
}

static void assert_call(struct calls *calls, guint i, const char *name, ULONG type,
			const void *data, size_t size)
{
	struct call *c = nth(calls, i);

	assert_string_equal(c->name, name);
	assert_int_equal(c->type, type);
	if (!data) {
		assert_null(c->data);
		return;
	}
	assert_int_equal(g_bytes_get_size(c->data), size);
	assert_memory_equal(g_bytes_get_data(c->data, NULL), data, size);
}

#define PARAMS L"Scanner\\Parameters"

static void query_routine_per_entry(void **state)
{
	struct calls *calls = calls_new();
	ULONG dflt = 42;
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, 0, L"Word", (PVOID)1, REG_NONE, NULL, 0 },
		{ record, 0, L"timeout", (PVOID)2, REG_NONE, NULL, 0 },
		{ record, 0, L"Missing", (PVOID)3, REG_DWORD, &dflt, sizeof(dflt) },
		{ record, 0, L"Skipped", (PVOID)4, REG_NONE, NULL, 0 },
		{ record, 0, L"DefaultString", (PVOID)5, REG_SZ, L"fallback", 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};
	ULONG timeout = 5000;

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 4);
	assert_call(calls, 0, "Word", REG_SZ, L"foul", sizeof(L"foul"));
	assert_ptr_equal(nth(calls, 0)->entry_context, (PVOID)1);
	assert_call(calls, 1, "timeout", REG_DWORD, &timeout, 4);
	assert_call(calls, 2, "Missing", REG_DWORD, &dflt, 4);
	assert_call(calls, 3, "DefaultString", REG_SZ, L"fallback", sizeof(L"fallback"));
	calls_free(calls);
}

static void required_and_failures(void **state)
{
	struct calls *calls = calls_new();
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, 0, L"Word", NULL, REG_NONE, NULL, 0 },
		{ record, RTL_QUERY_REGISTRY_REQUIRED, L"Missing", NULL, REG_DWORD, NULL, 0 },
		{ record, 0, L"Timeout", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(calls->list->len, 1);
	/* A routine's failure ends the query with its status. */
	calls_clear(calls);
	table[1].Flags = 0;
	calls->fail_at = 0;
	calls->result = STATUS_INSUFFICIENT_RESOURCES;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(calls->list->len, 1);
	calls_free(calls);
}

static void every_value_and_novalue(void **state)
{
	struct calls *calls = calls_new();
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, RTL_QUERY_REGISTRY_NOVALUE, L"Marker", (PVOID)9, REG_NONE, NULL, 0 },
		{ record, RTL_QUERY_REGISTRY_NOEXPAND, NULL, NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 1 + 6);
	assert_call(calls, 0, "Marker", REG_NONE, NULL, 0);
	assert_ptr_equal(nth(calls, 0)->entry_context, (PVOID)9);
	assert_call(calls, 1, "Word", REG_SZ, L"foul", sizeof(L"foul"));
	assert_call(calls, 3, "Extensions", REG_MULTI_SZ, L"doc\0txt\0exe\0", sizeof(L"doc\0txt\0exe\0"));
	assert_int_equal(nth(calls, 4)->type, REG_EXPAND_SZ);
	assert_string_equal(nth(calls, 6)->name, "Blob");
	calls_free(calls);
}

static void multi_sz_and_expand_sz(void **state)
{
	struct calls *calls = calls_new();
	static const WCHAR env[] = L"OTHER=1\0root=/opt/alt\0";
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, 0, L"Extensions", NULL, REG_NONE, NULL, 0 },
		{ record, 0, L"Path", NULL, REG_NONE, NULL, 0 },
		{ record, RTL_QUERY_REGISTRY_NOEXPAND, L"Path", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls,
						(PVOID)env),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 5);
	assert_call(calls, 0, "Extensions", REG_SZ, L"doc", sizeof(L"doc"));
	assert_call(calls, 1, "Extensions", REG_SZ, L"txt", sizeof(L"txt"));
	assert_call(calls, 2, "Extensions", REG_SZ, L"exe", sizeof(L"exe"));
	assert_call(calls, 3, "Path", REG_SZ, L"/opt/alt\\bin;%NOPE%", sizeof(L"/opt/alt\\bin;%NOPE%"));
	assert_call(calls, 4, "Path", REG_EXPAND_SZ, L"%ROOT%\\bin;%NOPE%",
		    sizeof(L"%ROOT%\\bin;%NOPE%"));
	/* Without an Environment block, the process environment. */
	calls_clear(calls);
	table[2].Name = NULL;
	table[2].QueryRoutine = NULL;
	setenv("ROOT", "/env", 1);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	unsetenv("ROOT");
	assert_call(calls, 3, "Path", REG_SZ, L"/env\\bin;%NOPE%", sizeof(L"/env\\bin;%NOPE%"));
	calls_free(calls);
}

static void direct_stores(void **state)
{
	ULONG timeout = 0, flags = 0;
	UNICODE_STRING word = { 0, 0, NULL }, small;
	WCHAR small_buffer[3];
	LONGLONG big[2] = { -(LONGLONG)sizeof(ULONGLONG), 0 };
	ULONG blob[4] = { sizeof(blob), 0, 0, 0 };
	UCHAR raw_blob[] = { 1, 2, 3, 4, 5, 6 };
	LONG tiny = -4;
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"Timeout", &timeout, REG_NONE, NULL, 0 },
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"Word", &word, REG_NONE, NULL, 0 },
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"Big", big, REG_NONE, NULL, 0 },
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"Blob", blob, REG_NONE, NULL, 0 },
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"NoFlags", &flags, REG_DWORD, &(ULONG){ 3 }, 4 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};
	RTL_QUERY_REGISTRY_TABLE one[] = {
		{ NULL, RTL_QUERY_REGISTRY_DIRECT, L"Word", &small, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(timeout, 5000);
	assert_int_equal(flags, 3);
	assert_int_equal(word.Length, 8);
	assert_int_equal(word.MaximumLength, 10);
	assert_memory_equal(word.Buffer, L"foul", 10);
	RtlFreeUnicodeString(&word);
	assert_null(word.Buffer);
	assert_true(big[0] == (LONGLONG)0x1122334455667788LL);
	assert_int_equal(blob[0], 6);
	assert_int_equal(blob[1], REG_BINARY);
	assert_memory_equal(&blob[2], raw_blob, 6);

	/* A caller buffer too small for the string. */
	small.Buffer = small_buffer;
	small.Length = 0;
	small.MaximumLength = sizeof(small_buffer);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, one, NULL, NULL),
			 STATUS_BUFFER_TOO_SMALL);
	/* Data larger than the declared size. */
	one[0].Name = L"Big";
	one[0].EntryContext = &tiny;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, one, NULL, NULL),
			 STATUS_BUFFER_TOO_SMALL);
	/* Neither DIRECT nor a routine. */
	one[0].Flags = 0;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, one, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
	/* DIRECT with nowhere to store. */
	one[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
	one[0].EntryContext = NULL;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, one, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
}

static void typecheck_and_nostring(void **state)
{
	ULONG value = 0;
	UNICODE_STRING s = { 0, 0, NULL };
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ NULL, RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK, L"Word", &value,
		  (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_OBJECT_TYPE_MISMATCH);
	assert_int_equal(value, 0);
	table[0].Name = L"Timeout";
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(value, 5000);
	table[0].Name = L"Word";
	table[0].EntryContext = &s;
	table[0].DefaultType = (REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_SUCCESS);
	RtlFreeUnicodeString(&s);
	table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_NOSTRING;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_INVALID_PARAMETER);
}

static void subkey_and_topkey(void **state)
{
	struct calls *calls = calls_new();
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Instances\\Scanner Instance", NULL, 0, NULL, 0 },
		{ record, 0, L"Altitude", NULL, REG_NONE, NULL, 0 },
		{ NULL, RTL_QUERY_REGISTRY_SUBKEY, L"Nope", NULL, 0, NULL, 0 },
		{ record, 0, L"Anything", NULL, REG_DWORD, &(ULONG){ 1 }, 4 },
		{ record, RTL_QUERY_REGISTRY_TOPKEY, L"ImagePath", NULL, REG_NONE, NULL, 0 },
		{ record, RTL_QUERY_REGISTRY_SUBKEY, L"Instances", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Scanner", table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 3);
	assert_call(calls, 0, "Altitude", REG_SZ, L"265000", sizeof(L"265000"));
	assert_string_equal(nth(calls, 1)->name, "ImagePath");
	/* A SUBKEY entry with a routine reports every value of the subkey. */
	assert_call(calls, 2, "DefaultInstance", REG_SZ, L"Scanner Instance",
		    sizeof(L"Scanner Instance"));
	calls_clear(calls);
	table[2].Flags |= RTL_QUERY_REGISTRY_REQUIRED;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Scanner", table, calls, NULL),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	calls_free(calls);
}

static void delete_after_query(void **state)
{
	struct reg_fixture *f = *state;
	struct calls *calls = calls_new();
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, RTL_QUERY_REGISTRY_DELETE, L"Word", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};
	char *text;

	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 1);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 1);
	text = reg_read_service(f, "Scanner");
	assert_null(strstr(text, "Word"));
	g_free(text);
	/* Deleting every value while enumerating them. */
	table[0].Name = NULL;
	calls_clear(calls);
	table[0].Flags |= RTL_QUERY_REGISTRY_NOEXPAND;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 5);
	table[0].Flags |= RTL_QUERY_REGISTRY_REQUIRED;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, calls, NULL),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	calls_free(calls);
}

static NTSTATUS NTAPI write_back(PWSTR ValueName, ULONG ValueType, PVOID ValueData,
				 ULONG ValueLength, PVOID Context, PVOID EntryContext)
{
	(void)ValueName;
	(void)Context;
	(void)EntryContext;
	/* A routine may use the registry itself. */
	return RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, PARAMS, L"Copy", ValueType, ValueData,
				     ValueLength);
}

static void relative_roots_and_handles(void **state)
{
	struct calls *calls = calls_new();
	RTL_QUERY_REGISTRY_TABLE table[] = {
		{ record, 0, L"Word", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};
	RTL_QUERY_REGISTRY_TABLE copy[] = {
		{ write_back, 0, L"Timeout", NULL, REG_NONE, NULL, 0 },
		{ NULL, 0, NULL, NULL, 0, NULL, 0 },
	};
	HANDLE h;
	ULONG value = 0;

	(void)state;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE,
						SERVICES_PATH L"\\Scanner\\Parameters", table, calls,
						NULL),
			 STATUS_SUCCESS);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\Parameters", KEY_READ, &h),
			 STATUS_SUCCESS);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)h, table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(ZwClose(h), STATUS_SUCCESS);
	assert_int_equal(calls->list->len, 2);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)h, table, calls, NULL),
			 STATUS_INVALID_HANDLE);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_CONTROL, L"Class", table, calls, NULL),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL,
						L"Nope", table, calls, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_MAXIMUM, L"x", table, calls, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, NULL, calls, NULL),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(calls->list->len, 2);
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, copy, NULL, NULL),
			 STATUS_SUCCESS);
	table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
	table[0].Name = L"Copy";
	table[0].EntryContext = &value;
	table[0].QueryRoutine = NULL;
	assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, PARAMS, table, NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(value, 5000);
	calls_free(calls);
}

static void write_check_create_delete(void **state)
{
	struct reg_fixture *f = *state;
	ULONG v = 7;
	char *text;

	(void)state;
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Scanner\\Parameters"),
			 STATUS_SUCCESS);
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Scanner\\State"),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, L"Scanner\\State"),
			 STATUS_SUCCESS);
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Scanner\\State"),
			 STATUS_SUCCESS);
	assert_int_equal(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, L"Scanner\\A\\B"),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"Scanner\\Written", L"V",
					       REG_DWORD, &v, sizeof(v)),
			 STATUS_SUCCESS);
	assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"Scanner\\X\\Y", L"V",
					       REG_DWORD, &v, sizeof(v)),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, SERVICES_PATH L"\\Scanner",
					       NULL, REG_SZ, L"d", sizeof(L"d")),
			 STATUS_SUCCESS);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "[Written]\nV=dword:7\n"));
	assert_non_null(strstr(text, "[State]\n"));
	assert_non_null(strstr(text, "@=d\n"));
	g_free(text);
	assert_int_equal(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"Scanner\\Written", L"V"),
			 STATUS_SUCCESS);
	assert_int_equal(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"Scanner\\Written", L"V"),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_USER, L"Software"),
			 STATUS_OBJECT_NAME_NOT_FOUND);
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, NULL), STATUS_SUCCESS);
	assert_int_equal(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, NULL),
			 STATUS_OBJECT_PATH_SYNTAX_BAD);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, reg_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(query_routine_per_entry), T(required_and_failures), T(every_value_and_novalue),
		T(multi_sz_and_expand_sz),  T(direct_stores),	      T(typecheck_and_nostring),
		T(subkey_and_topkey),	    T(delete_after_query),    T(relative_roots_and_handles),
		T(write_check_create_delete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
