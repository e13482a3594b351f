/*
 * File names and targeted I/O, each against a baseline in the same run:
 *   flt.name_cached:   FltGetFileNameInformationUnsafe answered by the
 *                      name cache, against the same query sent to the
 *                      file system every time (FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY);
 *   flt.targeted_read: FltReadFile of 4 KiB from a filter's instance on the
 *                      memory volume, against pread(2) of 4 KiB from a memfd.
 * Each side runs several rounds; the best round counts.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <altitude/harness.h>

#define ROUNDS 5
#define NAME_ITERATIONS 200000
#define READ_ITERATIONS 200000
#define READ_SIZE 4096

static PFLT_FILTER filter;
static PFLT_INSTANCE instance;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static NTSTATUS FLTAPI bench_unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
	(void)flags;
	FltUnregisterFilter(filter);
	return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION bench_ops[] = { { .MajorFunction = IRP_MJ_OPERATION_END } };

static NTSTATUS bench_entry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
	static FLT_REGISTRATION reg;
	NTSTATUS s;

	(void)path;
	reg.Size = sizeof(reg);
	reg.Version = FLT_REGISTRATION_VERSION;
	reg.OperationRegistration = bench_ops;
	reg.FilterUnloadCallback = bench_unload;
	s = FltRegisterFilter(driver, &reg, &filter);
	if (NT_SUCCESS(s))
		s = FltStartFiltering(filter);
	return s;
}

static double name_round(PFILE_OBJECT fo, FLT_FILE_NAME_OPTIONS options)
{
	PFLT_FILE_NAME_INFORMATION info;
	double start = now_ns();

	for (int i = 0; i < NAME_ITERATIONS; i++) {
		if (FltGetFileNameInformationUnsafe(fo, instance, options, &info) != STATUS_SUCCESS)
			abort();
		FltReleaseFileNameInformation(info);
	}
	return (now_ns() - start) / NAME_ITERATIONS;
}

static double read_round(PFILE_OBJECT fo, char *buf)
{
	LARGE_INTEGER off = { .QuadPart = 0 };
	double start = now_ns();
	ULONG got;

	for (int i = 0; i < READ_ITERATIONS; i++) {
		if (FltReadFile(instance, fo, &off, READ_SIZE, buf, 0, &got, NULL, NULL) != STATUS_SUCCESS)
			abort();
	}
	return (now_ns() - start) / READ_ITERATIONS;
}

static double pread_round(int fd, char *buf)
{
	double start = now_ns();

	for (int i = 0; i < READ_ITERATIONS; i++) {
		if (pread(fd, buf, READ_SIZE, 0) != READ_SIZE)
			abort();
	}
	return (now_ns() - start) / READ_ITERATIONS;
}

static void report(const char *name, double ours, double baseline)
{
	printf("BENCH flt.%s ours=%.1fns baseline=%.1fns ratio=%.2f\n", name, ours, baseline,
	       ours / baseline);
}

int main(void)
{
	static const altitude_instance_config inst = { L"bench instance", L"370000", 0 };
	static const altitude_filter_config cfg = { L"bench", NULL, 1, &inst };
	static char data[READ_SIZE], buf[READ_SIZE];
	double ours = 1e30, base = 1e30;
	altitude_memvol *vol;
	altitude_file *file;
	IO_STATUS_BLOCK iosb;
	ULONG n;
	int fd;

	if (altitude_memvol_create(L"\\Device\\AltitudeVolume1", &vol) ||
	    altitude_memvol_add_file(vol, L"\\dir\\bench.dat", data, sizeof(data)) ||
	    altitude_filter_load(&cfg, bench_entry, NULL) ||
	    FltEnumerateInstances(altitude_memvol_volume(vol), filter, &instance, 1, &n) ||
	    altitude_create(vol, L"\\dir\\bench.dat", FILE_GENERIC_READ, FILE_OPEN, 0, NULL, &file, &iosb))
		return 1;
	FltObjectDereference(instance);
	for (int r = 0; r < ROUNDS; r++) {
		double o = name_round(altitude_file_object(file),
				      FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT);
		double b = name_round(altitude_file_object(file),
				      FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY);

		ours = o < ours ? o : ours;
		base = b < base ? b : base;
	}
	report("name_cached", ours, base);
	fd = memfd_create("bench", 0);
	if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		return 1;
	ours = base = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		double o = read_round(altitude_file_object(file), buf);
		double b = pread_round(fd, buf);

		ours = o < ours ? o : ours;
		base = b < base ? b : base;
	}
	report("targeted_read", ours, base);
	close(fd);
	altitude_close_file(file);
	altitude_filter_unload(L"bench", TRUE);
	altitude_memvol_destroy(vol);
	return 0;
}
