/*
 * Read buffers: page aligned (O_DIRECT reads need no bounce buffer) and
 * kept, one per thread, for the next read.  A fresh 128 KiB buffer per
 * READ can cost glibc an mmap, page faults and an munmap (or a heap trim)
 * every time; with filters loaded it did, halving sequential reads.  A
 * pended read's buffer is freed into whichever thread answers it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include "fs/fuse/internal.h"

#define READ_ALIGN 4096

struct spare {
	void *buf;
	size_t cap;
};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static bool key_ok;

static void spare_free(void *p)
{
	struct spare *s = p;
	free(s->buf);
	free(s);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&key, spare_free) == 0;
}

/* This thread's spare record, made on first use; NULL when out of memory. */
static struct spare *spare_of_thread(void)
{
	pthread_once(&key_once, key_init);
	if (!key_ok)
		return NULL;
	struct spare *s = pthread_getspecific(key);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (s && pthread_setspecific(key, s) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

void *fs_read_buf_get(size_t size, size_t *cap)
{
	size_t want = size ? size : 1;
	struct spare *s = spare_of_thread();
	if (s && s->buf && s->cap >= want) {
		void *b = s->buf;
		*cap = s->cap;
		s->buf = NULL;
		s->cap = 0;
		return b;
	}
	void *b;
	if (posix_memalign(&b, READ_ALIGN, want) != 0)
		return NULL;
	*cap = want;
	return b;
}

void fs_read_buf_put(void *buf, size_t cap)
{
	struct spare *s = spare_of_thread();
	if (!s || (s->buf && s->cap >= cap)) {
		free(buf);
		return;
	}
	free(s->buf);
	s->buf = buf;
	s->cap = cap;
}
