/*
 * Drives libfltlib's management API against a running fltmgrd for
 * test_fltlib.sh; prints what it got, one line per entry, and "hr=0x..."
 * for a failure.  Names in the output are the UTF-16 names narrowed.
 *   filters <class> | volumes <class> | instances <filter> <class> |
 *   volinstances <volume> <class> | info <filter> <class> |
 *   instinfo <filter> <volume> <instance|-> <class> |
 *   attach <filter> <volume> <instance|-> [<created buffer bytes>] |
 *   attachat <filter> <volume> <altitude> <instance|-> [<bytes>] |
 *   detach <filter> <volume> <instance|-> | dosname <volume> [<chars>] |
 *   edge | nobody <command...> (as uid/gid 65534)
 * Every entry is checked: NextEntryOffset 0, names inside the returned
 * size, the returned size exactly the fixed part plus the names.
 */
#include <grp.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fltUser.h>

#define NO_MORE HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS)
#define SHORT HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)
#define BAD_HANDLE HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)

static int failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("FAILED: %s (line %d)\n", #cond, __LINE__);      \
			failures++;                                              \
		}                                                                \
	} while (0)

/* The UTF-16 form of an ASCII argument (a few static slots: nothing to free). */
static WCHAR *widen(const char *s)
{
	static WCHAR slots[8][512];
	static unsigned next;
	WCHAR *w = slots[next++ % 8];
	size_t i = 0;

	for (; s[i] && i < 511; i++)
		w[i] = (WCHAR)(unsigned char)s[i];
	w[i] = 0;
	return w;
}

static WCHAR *opt_widen(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : widen(s);
}

/* Prints `bytes` bytes of UTF-16 at base + offset, checking they lie within `size`. */
static void put_name(const void *base, size_t offset, size_t bytes, DWORD size)
{
	const WCHAR *w = (const WCHAR *)((const char *)base + offset);

	CHECK(offset + bytes <= size && bytes % 2 == 0);
	for (size_t i = 0; i < bytes / 2; i++)
		putchar(w[i] < 0x80 ? (char)w[i] : '?');
}

/* A filter entry; the size it must have taken. */
static void put_filter(int cls, const void *b, DWORD n)
{
	const FILTER_FULL_INFORMATION *f = b;
	const FILTER_AGGREGATE_BASIC_INFORMATION *ab = b;
	const FILTER_AGGREGATE_STANDARD_INFORMATION *as = b;

	CHECK(f->NextEntryOffset == 0);
	if (cls == FilterFullInformation) {
		put_name(b, offsetof(FILTER_FULL_INFORMATION, FilterNameBuffer), f->FilterNameLength, n);
		printf(" frame=%u instances=%u\n", f->FrameID, f->NumberOfInstances);
		CHECK(n == offsetof(FILTER_FULL_INFORMATION, FilterNameBuffer) + f->FilterNameLength);
	} else if (cls == FilterAggregateBasicInformation) {
		CHECK(ab->Flags == FLTFL_AGGREGATE_INFO_IS_MINIFILTER);
		CHECK(ab->Type.MiniFilter.FilterNameBufferOffset == sizeof(*ab));
		put_name(b, ab->Type.MiniFilter.FilterNameBufferOffset, ab->Type.MiniFilter.FilterNameLength, n);
		putchar(' ');
		put_name(b, ab->Type.MiniFilter.FilterAltitudeBufferOffset,
			 ab->Type.MiniFilter.FilterAltitudeLength, n);
		printf(" frame=%u instances=%u\n", ab->Type.MiniFilter.FrameID,
		       ab->Type.MiniFilter.NumberOfInstances);
		CHECK(n == sizeof(*ab) + ab->Type.MiniFilter.FilterNameLength +
				   ab->Type.MiniFilter.FilterAltitudeLength);
	} else {
		CHECK(as->Flags == FLTFL_ASI_IS_MINIFILTER && as->Type.MiniFilter.Flags == 0);
		CHECK(as->Type.MiniFilter.FilterNameBufferOffset == sizeof(*as));
		put_name(b, as->Type.MiniFilter.FilterNameBufferOffset, as->Type.MiniFilter.FilterNameLength, n);
		putchar(' ');
		put_name(b, as->Type.MiniFilter.FilterAltitudeBufferOffset,
			 as->Type.MiniFilter.FilterAltitudeLength, n);
		printf(" frame=%u instances=%u\n", as->Type.MiniFilter.FrameID,
		       as->Type.MiniFilter.NumberOfInstances);
		CHECK(n == sizeof(*as) + as->Type.MiniFilter.FilterNameLength +
				   as->Type.MiniFilter.FilterAltitudeLength);
	}
}

static void put_volume(int cls, const void *b, DWORD n)
{
	const FILTER_VOLUME_BASIC_INFORMATION *vb = b;
	const FILTER_VOLUME_STANDARD_INFORMATION *vs = b;
	size_t at = cls == FilterVolumeBasicInformation
			    ? offsetof(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName)
			    : offsetof(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName);
	size_t len = cls == FilterVolumeBasicInformation ? vb->FilterVolumeNameLength
							 : vs->FilterVolumeNameLength;

	put_name(b, at, len, n);
	CHECK(n == at + len);
	if (cls == FilterVolumeStandardInformation) {
		CHECK(vs->NextEntryOffset == 0);
		printf(" frame=%u fs=%d flags=%u", vs->FrameID, (int)vs->FileSystemType, vs->Flags);
	}
	putchar('\n');
}

static void put_instance(int cls, const void *b, DWORD n)
{
	const INSTANCE_FULL_INFORMATION *f = b;
	const INSTANCE_AGGREGATE_STANDARD_INFORMATION *a = b;
	static const size_t fixed[] = { sizeof(INSTANCE_BASIC_INFORMATION),
					sizeof(INSTANCE_PARTIAL_INFORMATION),
					sizeof(INSTANCE_FULL_INFORMATION) };

	CHECK(f->NextEntryOffset == 0);
	if (cls == InstanceAggregateStandardInformation) {
		CHECK(a->Flags == FLTFL_IASI_IS_MINIFILTER && a->Type.MiniFilter.Flags == 0);
		CHECK(a->Type.MiniFilter.InstanceNameBufferOffset == sizeof(*a));
		put_name(b, a->Type.MiniFilter.FilterNameBufferOffset, a->Type.MiniFilter.FilterNameLength, n);
		putchar(' ');
		put_name(b, a->Type.MiniFilter.VolumeNameBufferOffset, a->Type.MiniFilter.VolumeNameLength, n);
		putchar(' ');
		put_name(b, a->Type.MiniFilter.AltitudeBufferOffset, a->Type.MiniFilter.AltitudeLength, n);
		putchar(' ');
		put_name(b, a->Type.MiniFilter.InstanceNameBufferOffset,
			 a->Type.MiniFilter.InstanceNameLength, n);
		printf(" frame=%u fs=%d\n", a->Type.MiniFilter.FrameID,
		       (int)a->Type.MiniFilter.VolumeFileSystemType);
		CHECK(n == sizeof(*a) + a->Type.MiniFilter.InstanceNameLength +
				   a->Type.MiniFilter.AltitudeLength + a->Type.MiniFilter.VolumeNameLength +
				   a->Type.MiniFilter.FilterNameLength);
		return;
	}
	CHECK(f->InstanceNameBufferOffset == fixed[cls]);
	if (cls == InstanceFullInformation) {
		put_name(b, f->FilterNameBufferOffset, f->FilterNameLength, n);
		putchar(' ');
		put_name(b, f->VolumeNameBufferOffset, f->VolumeNameLength, n);
		putchar(' ');
	}
	if (cls >= InstancePartialInformation) {
		put_name(b, f->AltitudeBufferOffset, f->AltitudeLength, n);
		putchar(' ');
	}
	put_name(b, f->InstanceNameBufferOffset, f->InstanceNameLength, n);
	putchar('\n');
	CHECK(n == fixed[cls] + f->InstanceNameLength +
			   (cls >= InstancePartialInformation ? f->AltitudeLength : 0) +
			   (cls == InstanceFullInformation ? f->VolumeNameLength + f->FilterNameLength : 0));
}

typedef void (*put_fn)(int cls, const void *b, DWORD n);

/* Walks one search to its end; prints the entries and the final HRESULT. */
static void walk(HRESULT hr, HANDLE h, int cls, void *b, DWORD n, put_fn put,
		 HRESULT (*next)(HANDLE, int, LPVOID, DWORD, LPDWORD), HRESULT (*close)(HANDLE))
{
	while (hr == S_OK) {
		put(cls, b, n);
		hr = next(h, cls, b, 4096, &n);
	}
	printf("end hr=0x%08X\n", (unsigned)hr);
	if (h != INVALID_HANDLE_VALUE) {
		CHECK(hr == NO_MORE);
		CHECK(close(h) == S_OK);
	}
}

static HRESULT filter_next(HANDLE h, int c, LPVOID b, DWORD s, LPDWORD n)
{
	return FilterFindNext(h, (FILTER_INFORMATION_CLASS)c, b, s, n);
}

static HRESULT volume_next(HANDLE h, int c, LPVOID b, DWORD s, LPDWORD n)
{
	return FilterVolumeFindNext(h, (FILTER_VOLUME_INFORMATION_CLASS)c, b, s, n);
}

static HRESULT instance_next(HANDLE h, int c, LPVOID b, DWORD s, LPDWORD n)
{
	return FilterInstanceFindNext(h, (INSTANCE_INFORMATION_CLASS)c, b, s, n);
}

static HRESULT volinstance_next(HANDLE h, int c, LPVOID b, DWORD s, LPDWORD n)
{
	return FilterVolumeInstanceFindNext(h, (INSTANCE_INFORMATION_CLASS)c, b, s, n);
}

static int probe_edge(void);
static int probe_nobody(int argc, char **argv);

static int probe_run(int argc, char **argv)
{
	static unsigned char b[4096] __attribute__((aligned(8)));
	const char *cmd = argc > 1 ? argv[1] : "";
	HANDLE h = INVALID_HANDLE_VALUE;
	DWORD n = 0;
	HRESULT hr;
	int cls = argc > 2 ? atoi(argv[argc - 1]) : 0;

	if (strcmp(cmd, "filters") == 0 && argc == 3) {
		hr = FilterFindFirst((FILTER_INFORMATION_CLASS)cls, b, sizeof(b), &n, &h);
		walk(hr, h, cls, b, n, put_filter, filter_next, FilterFindClose);
	} else if (strcmp(cmd, "volumes") == 0 && argc == 3) {
		hr = FilterVolumeFindFirst((FILTER_VOLUME_INFORMATION_CLASS)cls, b, sizeof(b), &n, &h);
		walk(hr, h, cls, b, n, put_volume, volume_next, FilterVolumeFindClose);
	} else if (strcmp(cmd, "instances") == 0 && argc == 4) {
		hr = FilterInstanceFindFirst(widen(argv[2]), (INSTANCE_INFORMATION_CLASS)cls, b,
					     sizeof(b), &n, &h);
		walk(hr, h, cls, b, n, put_instance, instance_next, FilterInstanceFindClose);
	} else if (strcmp(cmd, "volinstances") == 0 && argc == 4) {
		hr = FilterVolumeInstanceFindFirst(widen(argv[2]), (INSTANCE_INFORMATION_CLASS)cls, b,
						   sizeof(b), &n, &h);
		walk(hr, h, cls, b, n, put_instance, volinstance_next, FilterVolumeInstanceFindClose);
	} else if (strcmp(cmd, "info") == 0 && argc == 4) {
		hr = FilterCreate(widen(argv[2]), &h);
		if (hr == S_OK) {
			hr = FilterGetInformation(h, (FILTER_INFORMATION_CLASS)cls, b, sizeof(b), &n);
			if (hr == S_OK)
				put_filter(cls, b, n);
			CHECK(FilterClose(h) == S_OK);
			CHECK(FilterClose(h) == BAD_HANDLE);
		} else {
			CHECK(h == INVALID_HANDLE_VALUE);
		}
		printf("hr=0x%08X\n", (unsigned)hr);
	} else if (strcmp(cmd, "instinfo") == 0 && argc == 6) {
		hr = FilterInstanceCreate(widen(argv[2]), widen(argv[3]), opt_widen(argv[4]), &h);
		if (hr == S_OK) {
			hr = FilterInstanceGetInformation(h, (INSTANCE_INFORMATION_CLASS)cls, b, sizeof(b), &n);
			if (hr == S_OK)
				put_instance(cls, b, n);
			CHECK(FilterClose(h) == BAD_HANDLE);
			CHECK(FilterInstanceClose(h) == S_OK);
		}
		printf("hr=0x%08X\n", (unsigned)hr);
	} else if ((strcmp(cmd, "attach") == 0 && (argc == 5 || argc == 6)) ||
		   (strcmp(cmd, "attachat") == 0 && (argc == 6 || argc == 7))) {
		int at = cmd[6] == 'a';
		DWORD bytes = argc == 6 + at ? (DWORD)atoi(argv[5 + at]) : sizeof(b);

		memset(b, 0, sizeof(b));
		hr = at ? FilterAttachAtAltitude(widen(argv[2]), widen(argv[3]), widen(argv[4]),
						 opt_widen(argv[5]), bytes, (LPWSTR)b)
			: FilterAttach(widen(argv[2]), widen(argv[3]), opt_widen(argv[4]), bytes,
				       (LPWSTR)b);
		printf("hr=0x%08X created=", (unsigned)hr);
		for (WCHAR *w = (WCHAR *)b; *w; w++)
			putchar((char)*w);
		putchar('\n');
	} else if (strcmp(cmd, "detach") == 0 && argc == 5) {
		hr = FilterDetach(widen(argv[2]), widen(argv[3]), opt_widen(argv[4]));
		printf("hr=0x%08X\n", (unsigned)hr);
	} else if (strcmp(cmd, "dosname") == 0 && (argc == 3 || argc == 4)) {
		DWORD chars = argc == 4 ? (DWORD)atoi(argv[3]) : sizeof(b) / sizeof(WCHAR);

		memset(b, 0, sizeof(b));
		hr = FilterGetDosName(widen(argv[2]), (LPWSTR)b, chars);
		printf("hr=0x%08X dos=", (unsigned)hr);
		for (WCHAR *w = (WCHAR *)b; *w; w++)
			putchar((char)*w);
		putchar('\n');
	} else if (strcmp(cmd, "edge") == 0 && argc == 2) {
		return probe_edge();
	} else if (strcmp(cmd, "nobody") == 0 && argc > 2) {
		return probe_nobody(argc - 1, argv + 1);
	} else {
		fprintf(stderr, "usage: see fltlib_probe.c\n");
		return 2;
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return probe_run(argc, argv);
}

/* As nobody: the command's output, or "cannot become nobody". */
static int probe_nobody(int argc, char **argv)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
		printf("cannot become nobody\n");
		return 0;
	}
	return probe_run(argc, argv);
}

/*
 * Short buffers and handles against the running daemon (at least two
 * filters loaded): the size needed is exact, the walk does not advance,
 * a closed or foreign handle is refused.
 */
static int probe_edge(void)
{
	static unsigned char b[4096] __attribute__((aligned(8)));
	HANDLE h, v;
	DWORD n = 0, need, walked = 0, total = 0;
	HRESULT hr;

	CHECK(FilterFindFirst(FilterAggregateStandardInformation, NULL, 0, &need, &h) == SHORT);
	CHECK(h == INVALID_HANDLE_VALUE && need > sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION));
	CHECK(FilterFindFirst(FilterAggregateStandardInformation, b, need - 1, &n, &h) == SHORT);
	CHECK(n == need);
	CHECK(FilterFindFirst(FilterAggregateStandardInformation, b, need, &n, &h) == S_OK);
	CHECK(n == need);
	total = 1;
	for (;;) {
		hr = FilterFindNext(h, FilterFullInformation, b, 2, &need);
		if (hr == NO_MORE)
			break;
		CHECK(hr == SHORT && need > 14);
		/* Not advanced: the same entry again, at its exact size; a bad class changes nothing. */
		CHECK(FilterFindNext(h, FilterFullInformation, b, need - 1, &n) == SHORT && n == need);
		CHECK(FilterFindNext(h, (FILTER_INFORMATION_CLASS)7, b, sizeof(b), &n) == E_INVALIDARG);
		CHECK(FilterFindNext(h, FilterFullInformation, b, need, &n) == S_OK && n == need);
		total++;
	}
	CHECK(FilterFindNext(h, FilterFullInformation, b, sizeof(b), &n) == NO_MORE);
	CHECK(FilterVolumeFindNext(h, FilterVolumeBasicInformation, b, sizeof(b), &n) == BAD_HANDLE);
	CHECK(FilterVolumeFindClose(h) == BAD_HANDLE);
	CHECK(FilterFindClose(h) == S_OK);
	CHECK(FilterFindClose(h) == BAD_HANDLE);
	CHECK(FilterFindNext(h, FilterFullInformation, b, sizeof(b), &n) == BAD_HANDLE);
	CHECK(total >= 2);

	/* A snapshot: a second search sees the same count, each handle walks its own. */
	CHECK(FilterFindFirst(FilterFullInformation, b, sizeof(b), &n, &h) == S_OK);
	CHECK(FilterFindFirst(FilterFullInformation, b, sizeof(b), &n, &v) == S_OK);
	for (walked = 1; FilterFindNext(h, FilterFullInformation, b, sizeof(b), &n) == S_OK;)
		walked++;
	CHECK(walked == total);
	CHECK(FilterFindNext(v, FilterFullInformation, b, sizeof(b), &n) == S_OK);
	CHECK(FilterFindClose(h) == S_OK && FilterFindClose(v) == S_OK);

	CHECK(FilterVolumeFindFirst(FilterVolumeStandardInformation, b, 10, &n, &h) == SHORT);
	CHECK(h == INVALID_HANDLE_VALUE && n > 18);
	CHECK(FilterVolumeFindFirst(FilterVolumeStandardInformation, b, sizeof(b), &n, &v) == S_OK);
	CHECK(FilterInstanceFindClose(v) == BAD_HANDLE);
	CHECK(FilterVolumeInstanceFindClose(v) == BAD_HANDLE);
	CHECK(FilterClose(v) == BAD_HANDLE);
	CHECK(FilterVolumeFindClose(v) == S_OK);
	printf("edge: %u filters, %d failures\n", total, failures);
	return failures ? 1 : 0;
}
