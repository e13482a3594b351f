/*
 * Data integrity through a mounted volume: a random exerciser (writes, reads,
 * truncates, mmap writes, fallocate and punched holes, SEEK_DATA/SEEK_HOLE,
 * reopen) checked byte by byte against an in-memory model (and the seeks
 * against the source file's), and concurrent writers.
 *
 * ALTITUDE_EXERCISER_OPS=N runs N operations (default 3000) and
 * ALTITUDE_EXERCISER_SEED=S another seed (default fixed, as in CI).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sys/mman.h>

#include "fs_mount_test.h"
#include "glue_filter.h"

#define MAX_SIZE (2u << 20)
#define MAX_IO (256u << 10)

struct model {
	unsigned char *data;
	size_t size;
	uint64_t rng;
	int fd;
	char path[512];
	char raw[512];		/* the source file */
};

static uint64_t next(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static size_t below(struct model *m, size_t n)
{
	return n ? (size_t)(next(m) % n) : 0;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 0) : def;
}

static void do_write(struct model *m)
{
	size_t off = below(m, MAX_SIZE);
	size_t len = 1 + below(m, MAX_IO);
	if (off + len > MAX_SIZE)
		len = MAX_SIZE - off;
	unsigned char *buf = malloc(len);
	assert_non_null(buf);
	unsigned char seed = (unsigned char)next(m);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7);
	assert_int_equal(pwrite(m->fd, buf, len, (off_t)off), (ssize_t)len);
	memcpy(m->data + off, buf, len);
	if (off + len > m->size)
		m->size = off + len;
	free(buf);
}

static void check_range(struct model *m, size_t off, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	assert_non_null(buf);
	ssize_t n = pread(m->fd, buf, len, (off_t)off);
	size_t expect = off >= m->size ? 0 : (off + len > m->size ? m->size - off : len);
	assert_int_equal(n, (ssize_t)expect);
	assert_memory_equal(buf, m->data + off, expect ? expect : 0);
	free(buf);
}

static void do_read(struct model *m)
{
	size_t off = below(m, m->size + 4096);
	if (off >= MAX_SIZE)
		off = MAX_SIZE - 1;
	size_t len = 1 + below(m, MAX_IO);
	if (off + len > MAX_SIZE)
		len = MAX_SIZE - off;
	check_range(m, off, len);
}

static void do_truncate(struct model *m)
{
	size_t size = below(m, MAX_SIZE);
	assert_int_equal(ftruncate(m->fd, (off_t)size), 0);
	if (size > m->size)
		memset(m->data + m->size, 0, size - m->size);
	else
		memset(m->data + size, 0, m->size - size);
	m->size = size;
}

static void do_mmap_write(struct model *m)
{
	if (m->size == 0)
		return;
	size_t off = below(m, m->size);
	size_t len = 1 + below(m, m->size - off < 65536 ? m->size - off : 65536);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t start = off / page * page;
	unsigned char *map = mmap(NULL, off + len - start, PROT_READ | PROT_WRITE, MAP_SHARED,
				  m->fd, (off_t)start);
	assert_true(map != MAP_FAILED);
	unsigned char seed = (unsigned char)next(m);
	for (size_t i = 0; i < len; i++)
		map[off - start + i] = (unsigned char)(seed ^ i);
	assert_int_equal(msync(map, off + len - start, MS_SYNC), 0);
	assert_int_equal(munmap(map, off + len - start), 0);
	for (size_t i = 0; i < len; i++)
		m->data[off + i] = (unsigned char)(seed ^ i);
}

static void do_fallocate(struct model *m)
{
	size_t off = below(m, MAX_SIZE);
	size_t len = 1 + below(m, MAX_IO);
	if (off + len > MAX_SIZE)
		len = MAX_SIZE - off;
	if (next(m) & 1) {
		assert_int_equal(fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   (off_t)off, (off_t)len),
				 0);
		if (off < m->size)
			memset(m->data + off, 0, (off + len > m->size ? m->size : off + len) - off);
		return;
	}
	assert_int_equal(fallocate(m->fd, 0, (off_t)off, (off_t)len), 0);
	if (off + len > m->size)
		m->size = off + len;
}

/* A hole reads as zeros. */
static void assert_zeros(struct model *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		assert_int_equal(m->data[i], 0);
}

/* SEEK_DATA / SEEK_HOLE agree with the source file and with the model's zeros. */
static void do_seek(struct model *m)
{
	if (m->size == 0)
		return;
	off_t off = (off_t)below(m, m->size);
	int whence = (next(m) & 1) ? SEEK_DATA : SEEK_HOLE;
	int raw = open(m->raw, O_RDONLY);
	assert_true(raw >= 0);
	off_t want = lseek(raw, off, whence);
	int want_err = errno;
	assert_int_equal(close(raw), 0);
	off_t got = lseek(m->fd, off, whence);
	assert_int_equal(got, want);
	if (got < 0) {
		assert_int_equal(errno, want_err);
		assert_zeros(m, (size_t)off, m->size);
		return;
	}
	assert_true(got >= off && got <= (off_t)m->size);
	if (whence == SEEK_DATA)
		assert_zeros(m, (size_t)off, (size_t)got);
}

/* Closing and opening again drops the kernel's cached pages (keep_cache off). */
static void do_reopen(struct model *m)
{
	assert_int_equal(close(m->fd), 0);
	m->fd = open(m->path, O_RDWR);
	assert_true(m->fd >= 0);
	struct stat st;
	assert_int_equal(fstat(m->fd, &st), 0);
	assert_int_equal(st.st_size, (off_t)m->size);
}

static void compare_file(struct model *m, const char *path)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	unsigned char *buf = malloc(m->size + 1);
	assert_non_null(buf);
	size_t got = 0;
	for (ssize_t n; (n = read(fd, buf + got, m->size + 1 - got)) > 0;)
		got += (size_t)n;
	close(fd);
	assert_int_equal(got, m->size);
	assert_memory_equal(buf, m->data, m->size);
	free(buf);
}

static void test_random_exerciser(void **state)
{
	struct fs_test_mount *t = *state;
	unsigned long ops = env_ulong("ALTITUDE_EXERCISER_OPS", 3000);
	struct model m = { .rng = env_ulong("ALTITUDE_EXERCISER_SEED", 0x5eed1234abcdull) };
	m.data = calloc(1, MAX_SIZE);
	assert_non_null(m.data);
	fs_test_m(t, m.path, sizeof m.path, "exercised");
	fs_test_s(t, m.raw, sizeof m.raw, "exercised");
	m.fd = open(m.path, O_CREAT | O_RDWR, 0644);
	assert_true(m.fd >= 0);
	for (unsigned long i = 0; i < ops; i++) {
		unsigned r = (unsigned)below(&m, 100);
		if (r < 35)
			do_write(&m);
		else if (r < 70)
			do_read(&m);
		else if (r < 78)
			do_truncate(&m);
		else if (r < 88)
			do_mmap_write(&m);
		else if (r < 94)
			do_fallocate(&m);
		else if (r < 98)
			do_seek(&m);
		else
			do_reopen(&m);
	}
	check_range(&m, 0, m.size + 1);
	assert_int_equal(close(m.fd), 0);
	char ps[512];
	compare_file(&m, fs_test_s(t, ps, sizeof ps, "exercised"));
	compare_file(&m, m.path);
	free(m.data);
}

#define WRITERS 4
#define STRIPES 64
#define STRIPE (16u << 10)

struct writer {
	const char *path;
	int id;
	bool append;
};

static unsigned char stripe_byte(int stripe, size_t i)
{
	return (unsigned char)(stripe * 31 + i);
}

/* Each writer writes its own stripes (every WRITERS-th), in its own order. */
static void *stripe_writer(void *arg)
{
	struct writer *w = arg;
	int fd = open(w->path, O_WRONLY);
	if (fd < 0)
		return (void *)1;
	unsigned char buf[STRIPE];
	for (int k = STRIPES / WRITERS - 1; k >= 0; k--) {
		int stripe = k * WRITERS + w->id;
		for (size_t i = 0; i < STRIPE; i++)
			buf[i] = stripe_byte(stripe, i);
		if (pwrite(fd, buf, STRIPE, (off_t)stripe * STRIPE) != STRIPE)
			return (void *)1;
	}
	return close(fd) == 0 ? NULL : (void *)1;
}

#define RECORD 100
#define RECORDS 200

static void *append_writer(void *arg)
{
	struct writer *w = arg;
	int fd = open(w->path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return (void *)1;
	char rec[RECORD];
	for (int k = 0; k < RECORDS; k++) {
		memset(rec, 'a' + w->id, sizeof rec);
		rec[RECORD - 1] = '\n';
		if (write(fd, rec, sizeof rec) != RECORD)
			return (void *)1;
	}
	return close(fd) == 0 ? NULL : (void *)1;
}

static void run_writers(const char *path, void *(*fn)(void *))
{
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .path = path, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, fn, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		void *res;
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_null(res);
	}
}

static void test_concurrent_writers(void **state)
{
	struct fs_test_mount *t = *state;
	char pm[512], ps[512];
	int fd = open(fs_test_m(t, pm, sizeof pm, "striped"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	close(fd);
	run_writers(pm, stripe_writer);
	fd = open(fs_test_s(t, ps, sizeof ps, "striped"), O_RDONLY);
	assert_true(fd >= 0);
	unsigned char buf[STRIPE];
	for (int s = 0; s < STRIPES; s++) {
		assert_int_equal(pread(fd, buf, STRIPE, (off_t)s * STRIPE), STRIPE);
		for (size_t i = 0; i < STRIPE; i++)
			assert_int_equal(buf[i], stripe_byte(s, i));
	}
	close(fd);

	/* Concurrent O_APPEND writers: every record whole, none lost. */
	fd = open(fs_test_m(t, pm, sizeof pm, "log"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	close(fd);
	run_writers(pm, append_writer);
	fd = open(fs_test_s(t, ps, sizeof ps, "log"), O_RDONLY);
	assert_true(fd >= 0);
	int counts[WRITERS] = { 0 };
	char rec[RECORD];
	for (int k = 0; k < WRITERS * RECORDS; k++) {
		assert_int_equal(read(fd, rec, RECORD), RECORD);
		int id = rec[0] - 'a';
		assert_true(id >= 0 && id < WRITERS);
		for (int i = 0; i < RECORD - 1; i++)
			assert_int_equal(rec[i], 'a' + id);
		counts[id]++;
	}
	assert_int_equal(read(fd, rec, 1), 0);
	close(fd);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(counts[i], RECORDS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_test_mount_setup, fs_test_mount_teardown)

/* Every check runs with a passthrough filter (all majors, pre and post) on the volume. */
static int group_setup(void **state)
{
	(void)state;
	gf_reset();
	return NT_SUCCESS(gf_load(1)) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	int seen = atomic_load(&gf.post[0]);
	gf_unload();
	return seen > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	(void)argc;
	fs_test_require_fuse(argv[0]);
	const struct CMUnitTest tests[] = { T(test_random_exerciser), T(test_concurrent_writers) };
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
