/* The harness's memory volume as a lower file system (no filter attached). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <altitude/pool.h>

#include <altitude/harness.h>

static altitude_memvol *vol;

static int setup(void **state)
{
	(void)state;
	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) != STATUS_SUCCESS)
		return -1;
	altitude_memvol_add_file(vol, L"\\docs\\readme.txt", "hello world", 11);
	altitude_memvol_add_file(vol, L"\\docs\\notes.md", "n", 1);
	altitude_memvol_add_directory(vol, L"\\docs\\sub");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	altitude_memvol_destroy(vol);
	return altitude_flt_live_objects() == 0 && altitude_pool_leak_report(stderr) == 0 ? 0 : -1;
}

static altitude_file *open_path(const WCHAR *path, ULONG disposition, ULONG options, NTSTATUS expect)
{
	altitude_file *f = NULL;
	IO_STATUS_BLOCK iosb;

	assert_int_equal(altitude_create(vol, path, FILE_GENERIC_READ | FILE_GENERIC_WRITE | DELETE,
					 disposition, options, NULL, &f, &iosb),
			 expect);
	return f;
}

static void create_dispositions(void **state)
{
	altitude_file *f;
	IO_STATUS_BLOCK iosb;

	(void)state;
	open_path(L"\\docs\\missing.txt", FILE_OPEN, 0, STATUS_OBJECT_NAME_NOT_FOUND);
	open_path(L"\\nodir\\x.txt", FILE_OPEN_IF, 0, STATUS_OBJECT_PATH_NOT_FOUND);
	open_path(L"\\docs\\readme.txt", FILE_CREATE, 0, STATUS_OBJECT_NAME_COLLISION);
	open_path(L"\\docs", FILE_OPEN, FILE_NON_DIRECTORY_FILE, STATUS_FILE_IS_A_DIRECTORY);
	open_path(L"\\docs\\readme.txt", FILE_OPEN, FILE_DIRECTORY_FILE, STATUS_NOT_A_DIRECTORY);
	assert_int_equal(altitude_create(vol, L"\\docs\\new", FILE_GENERIC_WRITE, FILE_CREATE,
					 FILE_DIRECTORY_FILE, NULL, &f, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, FILE_CREATED);
	altitude_close_file(f);
	f = open_path(L"\\docs\\readme.txt", FILE_OVERWRITE_IF, 0, STATUS_SUCCESS);
	altitude_close_file(f);
	assert_true(altitude_memvol_exists(vol, L"\\docs\\new"));
	{
		SIZE_T size = 99;
		char c;

		assert_int_equal(altitude_memvol_read_file(vol, L"\\docs\\readme.txt", &c, 1, &size),
				 STATUS_SUCCESS);
		assert_int_equal(size, 0);
	}
}

static void read_write_and_end_of_file(void **state)
{
	altitude_file *f = open_path(L"\\docs\\readme.txt", FILE_OPEN, 0, STATUS_SUCCESS);
	IO_STATUS_BLOCK iosb;
	FILE_POSITION_INFORMATION pos;
	FILE_END_OF_FILE_INFORMATION eof;
	char buf[32];

	(void)state;
	assert_int_equal(altitude_write(f, 6, "there", 5, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 5);
	assert_int_equal(altitude_write(f, 11, "!!", 2, NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(altitude_read(f, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 13);
	assert_memory_equal(buf, "hello there!!", 13);
	assert_int_equal(altitude_query_information(f, FilePositionInformation, &pos, sizeof(pos), NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(pos.CurrentByteOffset.QuadPart, 13);
	assert_int_equal(altitude_read(f, 13, buf, 4, NULL, &iosb), STATUS_END_OF_FILE);
	eof.EndOfFile.QuadPart = 5;
	assert_int_equal(altitude_set_information(f, FileEndOfFileInformation, &eof, sizeof(eof), NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(altitude_read(f, 0, buf, sizeof(buf), NULL, &iosb), STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 5);
	altitude_close_file(f);
}

static void query_information_classes(void **state)
{
	altitude_file *f = open_path(L"\\docs\\readme.txt", FILE_OPEN, 0, STATUS_SUCCESS);
	FILE_STANDARD_INFORMATION std;
	FILE_BASIC_INFORMATION basic;
	FILE_NETWORK_OPEN_INFORMATION net;
	union {
		FILE_NAME_INFORMATION n;
		UCHAR raw[64];
	} name;
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_query_information(f, FileStandardInformation, &std, sizeof(std), NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(iosb.Information, sizeof(std));
	assert_int_equal(std.EndOfFile.QuadPart, 11);
	assert_false(std.Directory);
	assert_int_equal(std.NumberOfLinks, 1);
	assert_int_equal(altitude_query_information(f, FileBasicInformation, &basic, 8, NULL, NULL),
			 STATUS_INFO_LENGTH_MISMATCH);
	assert_int_equal(altitude_query_information(f, FileBasicInformation, &basic, sizeof(basic), NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(basic.FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
	assert_true(basic.CreationTime.QuadPart > 116444736000000000LL);
	assert_int_equal(altitude_query_information(f, FileNetworkOpenInformation, &net, sizeof(net), NULL, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(net.EndOfFile.QuadPart, 11);
	assert_int_equal(altitude_query_information(f, FileNameInformation, &name, sizeof(name), NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(name.n.FileNameLength, sizeof(L"\\docs\\readme.txt") - 2);
	assert_memory_equal(name.n.FileName, L"\\docs\\readme.txt", name.n.FileNameLength);
	assert_int_equal(altitude_query_information(f, FileNameInformation, &name, 12, NULL, &iosb),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(iosb.Information, 12);
	assert_int_equal(altitude_query_information(f, FileStreamInformation, &name, sizeof(name), NULL, NULL),
			 STATUS_INVALID_INFO_CLASS);
	altitude_close_file(f);
}

static void rename_and_delete(void **state)
{
	altitude_file *f = open_path(L"\\docs\\notes.md", FILE_OPEN, 0, STATUS_SUCCESS);
	union {
		FILE_RENAME_INFORMATION r;
		UCHAR raw[128];
	} ren;
	FILE_DISPOSITION_INFORMATION del = { TRUE };
	static const WCHAR target[] = L"\\docs\\sub\\moved.md";

	(void)state;
	memset(&ren, 0, sizeof(ren));
	ren.r.FileNameLength = sizeof(target) - 2;
	memcpy(ren.r.FileName, target, ren.r.FileNameLength);
	assert_int_equal(altitude_set_information(f, FileRenameInformation, &ren, sizeof(ren), NULL, NULL),
			 STATUS_SUCCESS);
	assert_false(altitude_memvol_exists(vol, L"\\docs\\notes.md"));
	assert_true(altitude_memvol_exists(vol, L"\\docs\\sub\\moved.md"));
	assert_int_equal(altitude_set_information(f, FileDispositionInformation, &del, sizeof(del), NULL, NULL),
			 STATUS_SUCCESS);
	assert_true(altitude_memvol_exists(vol, L"\\docs\\sub\\moved.md"));
	altitude_close_file(f);
	assert_false(altitude_memvol_exists(vol, L"\\docs\\sub\\moved.md"));

	f = open_path(L"\\docs", FILE_OPEN, 0, STATUS_SUCCESS);
	assert_int_equal(altitude_set_information(f, FileDispositionInformation, &del, sizeof(del), NULL, NULL),
			 STATUS_DIRECTORY_NOT_EMPTY);
	altitude_close_file(f);
	f = open_path(L"\\docs\\readme.txt", FILE_OPEN, FILE_DELETE_ON_CLOSE, STATUS_SUCCESS);
	altitude_close_file(f);
	assert_false(altitude_memvol_exists(vol, L"\\docs\\readme.txt"));
}

static void directory_listing(void **state)
{
	altitude_file *d = open_path(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, STATUS_SUCCESS);
	union {
		FILE_ID_BOTH_DIR_INFORMATION e;
		UCHAR raw[1024];
	} buf;
	IO_STATUS_BLOCK iosb;
	ULONG seen = 0, offset = 0;

	(void)state;
	assert_int_equal(altitude_query_directory(d, FileIdBothDirectoryInformation, &buf, sizeof(buf), NULL, 0,
						  NULL, &iosb),
			 STATUS_SUCCESS);
	for (;;) {
		PFILE_ID_BOTH_DIR_INFORMATION e = (PFILE_ID_BOTH_DIR_INFORMATION)(buf.raw + offset);

		seen++;
		assert_true(e->FileId.QuadPart > 1);
		if (!e->NextEntryOffset)
			break;
		offset += e->NextEntryOffset;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(altitude_query_directory(d, FileIdBothDirectoryInformation, &buf, sizeof(buf), NULL, 0,
						  NULL, &iosb),
			 STATUS_NO_MORE_FILES);
	assert_int_equal(altitude_query_directory(d, FileNamesInformation, &buf, sizeof(buf), L"*.TXT",
						  SL_RESTART_SCAN, NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(((PFILE_NAMES_INFORMATION)buf.raw)->FileNameLength, 20);
	assert_int_equal(((PFILE_NAMES_INFORMATION)buf.raw)->NextEntryOffset, 0);
	assert_int_equal(altitude_query_directory(d, FileDirectoryInformation, &buf, sizeof(buf), NULL,
						  SL_RESTART_SCAN | SL_RETURN_SINGLE_ENTRY, NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(((PFILE_DIRECTORY_INFORMATION)buf.raw)->NextEntryOffset, 0);
	assert_int_equal(altitude_query_directory(d, FileDirectoryInformation, &buf, 16, NULL,
						  SL_RESTART_SCAN, NULL, &iosb),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(altitude_query_directory(d, FileDirectoryInformation, &buf, sizeof(buf), L"zz*",
						  SL_RESTART_SCAN, NULL, &iosb),
			 STATUS_NO_SUCH_FILE);
	altitude_close_file(d);
}

static void volume_information(void **state)
{
	altitude_file *f = open_path(L"\\docs\\readme.txt", FILE_OPEN, 0, STATUS_SUCCESS);
	FILE_FS_FULL_SIZE_INFORMATION size;
	union {
		FILE_FS_ATTRIBUTE_INFORMATION a;
		UCHAR raw[64];
	} attr;
	IO_STATUS_BLOCK iosb;

	(void)state;
	assert_int_equal(altitude_query_volume_information(f, FileFsFullSizeInformation, &size, sizeof(size),
							   NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(size.BytesPerSector, 512);
	assert_int_equal(altitude_query_volume_information(f, FileFsAttributeInformation, &attr, sizeof(attr),
							   NULL, &iosb),
			 STATUS_SUCCESS);
	assert_int_equal(attr.a.FileSystemNameLength, sizeof(L"AltitudeMemory") - 2);
	assert_int_equal(altitude_query_volume_information(f, FileFsAttributeInformation, &attr, 16, NULL,
							   &iosb),
			 STATUS_BUFFER_OVERFLOW);
	assert_int_equal(iosb.Information, 16);
	assert_int_equal(altitude_query_volume_information(f, FileFsControlInformation, &attr, sizeof(attr),
							   NULL, &iosb),
			 STATUS_INVALID_INFO_CLASS);
	assert_int_equal(altitude_flush(f, NULL, &iosb), STATUS_SUCCESS);
	altitude_close_file(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_dispositions, setup, teardown),
		cmocka_unit_test_setup_teardown(read_write_and_end_of_file, setup, teardown),
		cmocka_unit_test_setup_teardown(query_information_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(rename_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(volume_information, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
