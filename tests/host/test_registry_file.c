/* The service file format: typed values, names, errors with lines, atomic saves. */
#include "test_registry_util.h"

#include <sys/stat.h>

static const char example[] =
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
	"Extensions=multi_sz:doc;txt;exe\n"
	"Blob=hex:01,02,ff\n";

static struct reg_key *load_text(const char *text, NTSTATUS expected, char **error)
{
	struct reg_key *key = NULL;
	char *message = NULL;
	NTSTATUS status = reg_file_load_data("test.conf", text, strlen(text), "Scanner", &key,
					     &message);

	if (status != expected)
		fail_msg("status 0x%x, expected 0x%x: %s", (unsigned)status, (unsigned)expected,
			 message ? message : "");
	if (error)
		*error = message;
	else
		g_free(message);
	return key;
}

static struct reg_key *child(struct reg_key *key, const char *name)
{
	struct reg_key *c = reg_key_find_child(key, name);

	assert_non_null(c);
	return c;
}

static void assert_string_value(struct reg_key *key, const char *name, ULONG type, const WCHAR *text)
{
	struct reg_value *v = reg_value_find(key, name, NULL);
	size_t n = reg_wlen(text);

	assert_non_null(v);
	assert_int_equal(v->type, type);
	assert_int_equal(v->size, (n + 1) * sizeof(WCHAR));
	assert_memory_equal(v->data, text, (n + 1) * sizeof(WCHAR));
}

static void assert_dword_value(struct reg_key *key, const char *name, ULONG expected)
{
	struct reg_value *v = reg_value_find(key, name, NULL);

	assert_non_null(v);
	assert_int_equal(v->type, REG_DWORD);
	assert_int_equal(v->size, 4);
	assert_int_equal(*(ULONG *)v->data, expected);
}

static void example_file_loads_with_types(void **state)
{
	struct reg_key *key = load_text(example, STATUS_SUCCESS, NULL);
	struct reg_key *instances, *params;
	struct reg_value *v;
	static const WCHAR multi[] = L"doc\0txt\0exe\0";
	static const UCHAR blob[] = { 1, 2, 0xff };

	(void)state;
	assert_string_value(key, "ImagePath", REG_SZ, L"/usr/lib/altitude/filters/scanner.so");
	instances = child(key, "Instances");
	assert_string_value(instances, "DefaultInstance", REG_SZ, L"Scanner Instance");
	assert_string_value(child(instances, "scanner instance"), "altitude", REG_SZ, L"265000");
	assert_dword_value(child(instances, "Scanner Instance"), "Flags", 0);
	params = child(key, "Parameters");
	assert_string_value(params, "Word", REG_SZ, L"foul");
	assert_dword_value(params, "Timeout", 5000);
	v = reg_value_find(params, "Extensions", NULL);
	assert_int_equal(v->type, REG_MULTI_SZ);
	assert_int_equal(v->size, sizeof(multi));
	assert_memory_equal(v->data, multi, sizeof(multi));
	v = reg_value_find(params, "Blob", NULL);
	assert_int_equal(v->type, REG_BINARY);
	assert_int_equal(v->size, 3);
	assert_memory_equal(v->data, blob, 3);
	reg_key_free(key);
}

static void set_wstr(struct reg_key *key, const char *name, ULONG type, const WCHAR *text,
		     size_t bytes)
{
	reg_value_set(key, name, type, text, (ULONG)bytes);
}

/* Every kind of value and name the format must carry unchanged. */
static struct reg_key *build_everything(void)
{
	struct reg_key *key = reg_key_new("Everything", NULL);
	struct reg_key *a = reg_key_new("Service", NULL), *b = reg_key_new("[odd] 100% ", NULL);
	struct reg_key *c = reg_key_new("Grüße", NULL), *empty = reg_key_new("Empty", NULL);
	ULONG dw = 0xffffffffU;
	ULONGLONG qw = 0xfedcba9876543210ULL;
	UCHAR bytes[256], three[3] = { 1, 2, 3 };
	static const WCHAR semi[] = L"a;b\\c";
	static const WCHAR lead[] = L" leading and trailing ";
	static const WCHAR uni[] = L"Gr\u00fc\u00dfe \u2713 \U0001F600";
	static const WCHAR typed[] = L"dword:12";
	static const WCHAR expand[] = L"%SystemRoot%\\x";
	static const WCHAR multi[] = L"a;b\0 sp\0\u00e9\\t\0";
	static const WCHAR multi_empty[] = L"";
	static const WCHAR multi_hole[] = L"a\0\0b\0";
	static const WCHAR embedded[] = L"ab\0cd";
	static const WCHAR lone[] = { 0xd800, 0 };
	static const WCHAR nl[] = L"line1\nline2\ttab\rcr";

	for (int i = 0; i < 256; i++)
		bytes[i] = (UCHAR)i;
	set_wstr(key, "", REG_SZ, L"default", sizeof(L"default"));
	set_wstr(key, "@", REG_SZ, L"at", sizeof(L"at"));
	set_wstr(key, "a=b", REG_SZ, semi, sizeof(semi));
	set_wstr(key, "[x]", REG_SZ, lead, sizeof(lead));
	set_wstr(key, "#c", REG_SZ, uni, sizeof(uni));
	set_wstr(key, " lead", REG_SZ, typed, sizeof(typed));
	set_wstr(key, "trail ", REG_SZ, L"", sizeof(L""));
	set_wstr(key, "100%", REG_EXPAND_SZ, expand, sizeof(expand));
	set_wstr(key, "\u00fc", REG_MULTI_SZ, multi, sizeof(multi));
	set_wstr(key, "multi empty", REG_MULTI_SZ, multi_empty, sizeof(multi_empty));
	set_wstr(key, "multi hole", REG_MULTI_SZ, multi_hole, sizeof(multi_hole));
	set_wstr(key, "embedded", REG_SZ, embedded, sizeof(embedded));
	set_wstr(key, "lone surrogate", REG_SZ, lone, sizeof(lone));
	set_wstr(key, "odd", REG_SZ, L"abc", 3);
	set_wstr(key, "no nul", REG_SZ, L"abc", 6);
	set_wstr(key, "controls", REG_SZ, nl, sizeof(nl));
	reg_value_set(key, "dword", REG_DWORD, &dw, 4);
	reg_value_set(key, "short dword", REG_DWORD, three, 3);
	reg_value_set(key, "qword", REG_QWORD, &qw, 8);
	reg_value_set(key, "binary", REG_BINARY, bytes, sizeof(bytes));
	reg_value_set(key, "binary empty", REG_BINARY, NULL, 0);
	reg_value_set(key, "none", REG_NONE, three, 3);
	reg_value_set(key, "custom", 0x12345, three, 3);
	reg_value_set(key, "big endian", REG_DWORD_BIG_ENDIAN, &dw, 4);
	reg_key_link(key, a);
	reg_key_link(a, b);
	reg_key_link(key, c);
	reg_key_link(key, empty);
	reg_value_set(b, "x", REG_DWORD, &dw, 4);
	reg_value_set(c, "y", REG_QWORD, &qw, 8);
	return key;
}

static void assert_same_tree(const struct reg_key *x, const struct reg_key *y)
{
	assert_string_equal(x->name, y->name);
	assert_int_equal(x->values->len, y->values->len);
	for (guint i = 0; i < x->values->len; i++) {
		const struct reg_value *vx = g_ptr_array_index(x->values, i);
		const struct reg_value *vy = reg_value_find(y, vx->name, NULL);

		assert_non_null(vy);
		assert_string_equal(vx->name, vy->name);
		assert_int_equal(vx->type, vy->type);
		assert_int_equal(vx->size, vy->size);
		if (vx->size)
			assert_memory_equal(vx->data, vy->data, vx->size);
	}
	assert_int_equal(x->subkeys->len, y->subkeys->len);
	for (guint i = 0; i < x->subkeys->len; i++)
		assert_same_tree(g_ptr_array_index(x->subkeys, i), g_ptr_array_index(y->subkeys, i));
}

static void every_value_type_round_trips(void **state)
{
	struct reg_key *key = build_everything();
	char *text = reg_file_format(key), *again;
	struct reg_key *loaded;

	(void)state;
	loaded = load_text(text, STATUS_SUCCESS, NULL);
	g_free(loaded->name);
	loaded->name = g_strdup("Everything");
	assert_same_tree(key, loaded);
	/* Formatting what was loaded gives the same text: the format is stable. */
	again = reg_file_format(loaded);
	assert_string_equal(text, again);
	/* The readable forms are used where they are exact. */
	assert_non_null(strstr(text, "dword=dword:4294967295\n"));
	assert_non_null(strstr(text, "qword=qword:18364758544493064720\n"));
	assert_non_null(strstr(text, "@=default\n"));
	assert_non_null(strstr(text, "%40=at\n"));
	assert_non_null(strstr(text, "%20lead=sz:dword:12\n"));
	assert_non_null(strstr(text, "100%25=expand_sz:%SystemRoot%\\\\x\n"));
	assert_non_null(strstr(text, "a%3Db=a;b\\\\c\n"));
	assert_non_null(strstr(text, "short dword=hex(4):01,02,03\n"));
	assert_non_null(strstr(text, "multi hole=hex(7):"));
	assert_non_null(strstr(text, "custom=hex(12345):01,02,03\n"));
	assert_non_null(strstr(text, "[%53ervice]\n"));
	assert_non_null(strstr(text, "[%53ervice\\%5Bodd%5D 100%25%20]\n"));
	assert_non_null(strstr(text, "[Grüße]\n"));
	assert_non_null(strstr(text, "[Empty]\n"));
	g_free(again);
	g_free(text);
	reg_key_free(loaded);
	reg_key_free(key);
}

static void volatile_keys_are_not_written(void **state)
{
	struct reg_key *key = reg_key_new("S", NULL), *v = reg_key_new("Volatile", NULL);
	char *text;

	(void)state;
	v->is_volatile = TRUE;
	reg_key_link(key, v);
	text = reg_file_format(key);
	assert_null(strstr(text, "Volatile"));
	g_free(text);
	reg_key_free(key);
}

struct bad_file {
	const char *text;
	const char *where; /* expected "file:line" part of the message */
};

static void malformed_files_name_the_line(void **state)
{
	static const struct bad_file cases[] = {
		{ "[Service]\nImagePath=/x\nthis is not a key\n", "test.conf:3: " },
		{ "Key=before any group\n", "test.conf:1: " },
		{ "[Parameters]\nA=dword:1\n\nB=dword:xyz\n", "test.conf:4: [Parameters] B: " },
		{ "[Parameters]\nBlob=hex:01,zz\n", "test.conf:2: [Parameters] Blob: " },
		{ "[Parameters]\nBlob=hex:01,\n", "test.conf:2: " },
		{ "[Parameters]\nD=dword:4294967296\n", "test.conf:2: " },
		{ "[Parameters]\nD=dword:-1\n", "test.conf:2: " },
		{ "[Parameters]\nQ=qword:0x\n", "test.conf:2: " },
		{ "[Parameters]\nM=multi_sz:a;;b\n", "test.conf:2: [Parameters] M: empty string" },
		{ "[Parameters]\nS=a\\qb\n", "test.conf:2: " },
		{ "[Parameters]\nT=hex(zz):01\n", "test.conf:2: " },
		{ "[Parameters]\nT=hex(1:01\n", "test.conf:2: " },
		{ "# comment\n[Instances\\\\X]\n", "test.conf:2: [Instances\\\\X]: invalid key name" },
		{ "[Service]\n[A]\nok=1\n[A\\%00]\n", "test.conf:4: " },
		{ "[Parameters]\n%ZZ=1\n", "test.conf:2: " },
		{ "[Parameters]\nGood=1\nbad\xff\xfe=1\n", "test.conf:3: " },
		{ "[Unclosed\n", "test.conf:1: " },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *error = NULL;

		assert_null(load_text(cases[i].text, STATUS_REGISTRY_CORRUPT, &error));
		assert_non_null(error);
		if (!g_str_has_prefix(error, cases[i].where))
			fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, error, cases[i].where);
		g_free(error);
	}
}

/* Random damage to a valid file never crashes: it loads, or fails with a line. */
static void damaged_files_never_crash(void **state)
{
	GRand *rand = g_rand_new_with_seed(20261122);
	static const char alphabet[] = "[]=\\;:%@#\n x0fhexdwordmulti_sz(";

	(void)state;
	for (int round = 0; round < 1500; round++) {
		char *text = g_strdup(example);
		size_t len = strlen(text);
		int edits = g_rand_int_range(rand, 1, 6);
		struct reg_key *key = NULL;
		char *error = NULL;
		NTSTATUS status;

		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)g_rand_int_range(rand, 0, (gint32)len);

			if (g_rand_boolean(rand))
				text[at] = alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
			else
				text[at] = (char)g_rand_int_range(rand, 1, 256);
		}
		if (g_rand_int_range(rand, 0, 4) == 0)
			text[g_rand_int_range(rand, 0, (gint32)len)] = '\0';
		status = reg_file_load_data("fuzz.conf", text, strlen(text), "Fuzz", &key, &error);
		if (NT_SUCCESS(status)) {
			char *saved = reg_file_format(key);
			struct reg_key *again = NULL;

			assert_null(error);
			assert_int_equal(reg_file_load_data("again.conf", saved, strlen(saved), "Fuzz",
							    &again, NULL),
					 STATUS_SUCCESS);
			assert_same_tree(key, again);
			reg_key_free(again);
			reg_key_free(key);
			g_free(saved);
		} else {
			assert_int_equal(status, STATUS_REGISTRY_CORRUPT);
			assert_null(key);
			assert_true(g_str_has_prefix(error, "fuzz.conf:"));
		}
		g_free(error);
		g_free(text);
	}
	g_rand_free(rand);
}

static void save_replaces_the_file_atomically(void **state)
{
	struct reg_fixture *f = *state;
	struct stat before, after;
	char *path = g_build_filename(f->dir, "Scanner.conf", NULL);
	UNICODE_STRING name = reg_us(L"Word");
	HANDLE key;
	GDir *dir;
	const char *entry;
	char *text;
	int files = 0;

	reg_write_service(f, "Scanner", example);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\Parameters", KEY_ALL_ACCESS, &key),
			 STATUS_SUCCESS);
	assert_int_equal(ZwSetValueKey(key, &name, 0, REG_SZ, L"clean", sizeof(L"clean")),
			 STATUS_SUCCESS);
	assert_int_equal(stat(path, &after), 0);
	/* A new file was renamed over the old one: never rewritten in place. */
	assert_true(before.st_ino != after.st_ino);
	text = reg_read_service(f, "Scanner");
	assert_non_null(strstr(text, "Word=clean\n"));
	assert_non_null(strstr(text, "Extensions=multi_sz:doc;txt;exe;\n"));
	g_free(text);
	dir = g_dir_open(f->dir, 0, NULL);
	while ((entry = g_dir_read_name(dir)))
		files++;
	g_dir_close(dir);
	assert_int_equal(files, 1); /* no temporary file left behind */
	assert_int_equal(ZwClose(key), STATUS_SUCCESS);
	g_free(path);
}

static void failed_save_is_reported(void **state)
{
	struct reg_fixture *f = *state;
	UNICODE_STRING name = reg_us(L"Word");
	char *path = g_build_filename(f->dir, "Scanner.conf", NULL);
	HANDLE key;

	reg_write_service(f, "Scanner", example);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Scanner\\Parameters", KEY_ALL_ACCESS, &key),
			 STATUS_SUCCESS);
	/* The directory disappears: the save fails, the caller hears of it. */
	assert_int_equal(g_unlink(path), 0);
	assert_int_equal(g_rmdir(f->dir), 0);
	assert_int_equal(ZwSetValueKey(key, &name, 0, REG_SZ, L"x", sizeof(L"x")),
			 STATUS_OBJECT_PATH_NOT_FOUND);
	assert_int_equal(f->errors->len, 1);
	assert_non_null(strstr(g_ptr_array_index(f->errors, 0), "cannot save"));
	assert_int_equal(ZwFlushKey(key), STATUS_OBJECT_PATH_NOT_FOUND);
	/* Once the directory is back, a flush writes the value out. */
	assert_int_equal(g_mkdir(f->dir, 0700), 0);
	assert_int_equal(ZwFlushKey(key), STATUS_SUCCESS);
	assert_int_equal(ZwClose(key), STATUS_SUCCESS);
	g_free(path);
}

static void malformed_service_file_is_reported_once(void **state)
{
	struct reg_fixture *f = *state;
	HANDLE key;

	reg_write_service(f, "Broken", "[Parameters]\nA=dword:nope\n");
	reg_write_service(f, "Fine", "[Parameters]\nA=dword:1\n");
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Broken", KEY_READ, &key),
			 STATUS_REGISTRY_CORRUPT);
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Broken\\Parameters", KEY_READ, &key),
			 STATUS_REGISTRY_CORRUPT);
	assert_int_equal(f->errors->len, 1);
	assert_non_null(strstr(g_ptr_array_index(f->errors, 0), "Broken.conf:2: [Parameters] A: "));
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Fine\\Parameters", KEY_READ, &key),
			 STATUS_SUCCESS);
	assert_int_equal(ZwClose(key), STATUS_SUCCESS);
	/* Fixed and forgotten, it loads. */
	reg_write_service(f, "Broken", "[Parameters]\nA=dword:2\n");
	host_registry_forget_service("Broken");
	assert_int_equal(reg_open_path(SERVICES_PATH L"\\Broken\\Parameters", KEY_READ, &key),
			 STATUS_SUCCESS);
	assert_int_equal(ZwClose(key), STATUS_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_file_loads_with_types),
		cmocka_unit_test(every_value_type_round_trips),
		cmocka_unit_test(volatile_keys_are_not_written),
		cmocka_unit_test(malformed_files_name_the_line),
		cmocka_unit_test(damaged_files_never_crash),
		cmocka_unit_test_setup_teardown(save_replaces_the_file_atomically, reg_fixture_setup,
						reg_fixture_teardown),
		cmocka_unit_test_setup_teardown(failed_save_is_reported, reg_fixture_setup,
						reg_fixture_teardown),
		cmocka_unit_test_setup_teardown(malformed_service_file_is_reported_once,
						reg_fixture_setup, reg_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
