/*
 * The name cache of a volume: names by stream (FILE_OBJECT FsContext) and
 * format, each stamped with the volume's epoch when its query began.  A
 * successful rename, hard link or delete anywhere on the volume bumps the
 * epoch, so a renamed parent directory invalidates the names below it; an
 * entry with an old epoch is a miss and is dropped.  IRP_MJ_CLOSE drops
 * the entries of its stream before the file system frees it (so a new
 * stream at the same address never finds them).  Each bucket holds at
 * most FLT_NAME_BUCKET_MAX entries; the oldest goes first.
 */
#include "flt/name.h"

#define FLT_NAME_BUCKETS 64
#define FLT_NAME_BUCKET_MAX 16

struct flt_name_entry {
	struct flt_name_entry *next;
	PVOID stream;
	ULONG format;
	ULONGLONG epoch;
	PFLT_FILE_NAME_INFORMATION info;
};

struct flt_name_cache {
	pthread_mutex_t lock;
	atomic_ullong epoch;
	struct flt_name_entry *buckets[FLT_NAME_BUCKETS];
};

static struct flt_name_cache *flt_cache_peek(PFLT_VOLUME v)
{
	return __atomic_load_n(&v->names, __ATOMIC_ACQUIRE);
}

/* The volume's cache, created on first use; NULL when out of memory. */
static struct flt_name_cache *flt_cache_get(PFLT_VOLUME v)
{
	struct flt_name_cache *c = flt_cache_peek(v), *expect = NULL;

	if (c)
		return c;
	c = flt_alloc(sizeof(*c), FLT_NAME_CACHE_TAG);
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->epoch, 0);
	if (__atomic_compare_exchange_n(&v->names, &expect, c, FALSE, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return c;
	pthread_mutex_destroy(&c->lock);
	flt_free(c, FLT_NAME_CACHE_TAG);
	return expect;
}

static ULONG flt_bucket(PVOID stream)
{
	ULONG_PTR x = (ULONG_PTR)stream;

	return (ULONG)((x >> 4) ^ (x >> 10)) % FLT_NAME_BUCKETS;
}

static void flt_entry_free(struct flt_name_entry *e)
{
	FltReleaseFileNameInformation(e->info);
	flt_free(e, FLT_NAME_CACHE_TAG);
}

ULONGLONG flt_name_cache_epoch(PFLT_VOLUME volume)
{
	struct flt_name_cache *c = flt_cache_get(volume);

	return c ? atomic_load(&c->epoch) : 0;
}

/* Drops stale entries, and those of `stream` when `drop_stream`; lock held. */
static void flt_bucket_sweep(struct flt_name_cache *c, ULONG b, PVOID stream, BOOLEAN drop_stream)
{
	ULONGLONG now = atomic_load(&c->epoch);
	struct flt_name_entry **pp = &c->buckets[b];

	while (*pp) {
		struct flt_name_entry *e = *pp;

		if (e->epoch == now && !(drop_stream && e->stream == stream)) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		flt_entry_free(e);
	}
}

PFLT_FILE_NAME_INFORMATION flt_name_cache_lookup(PFLT_VOLUME volume, PVOID stream, ULONG format)
{
	struct flt_name_cache *c = flt_cache_peek(volume);
	PFLT_FILE_NAME_INFORMATION found = NULL;
	ULONG b = flt_bucket(stream);

	if (!c || !stream)
		return NULL;
	pthread_mutex_lock(&c->lock);
	flt_bucket_sweep(c, b, NULL, FALSE);
	for (struct flt_name_entry *e = c->buckets[b]; e; e = e->next) {
		if (e->stream == stream && e->format == format) {
			found = e->info;
			FltReferenceFileNameInformation(found);
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void flt_name_cache_insert(PFLT_VOLUME volume, PVOID stream, ULONG format, ULONGLONG epoch,
			   PFLT_FILE_NAME_INFORMATION info)
{
	struct flt_name_cache *c = flt_cache_get(volume);
	struct flt_name_entry *e, **pp;
	ULONG b = flt_bucket(stream), n = 0;

	if (!c || !stream)
		return;
	e = flt_alloc(sizeof(*e), FLT_NAME_CACHE_TAG);
	if (!e)
		return;
	e->stream = stream;
	e->format = format;
	e->epoch = epoch;
	e->info = info;
	FltReferenceFileNameInformation(info);
	pthread_mutex_lock(&c->lock);
	flt_bucket_sweep(c, b, NULL, FALSE);
	if (epoch != atomic_load(&c->epoch)) {
		pthread_mutex_unlock(&c->lock);
		flt_entry_free(e);
		return;
	}
	for (pp = &c->buckets[b]; *pp; pp = &(*pp)->next) {
		if ((*pp)->stream == stream && (*pp)->format == format) {
			struct flt_name_entry *old = *pp;

			*pp = old->next;
			flt_entry_free(old);
			break;
		}
	}
	e->next = c->buckets[b];
	c->buckets[b] = e;
	for (pp = &c->buckets[b]; *pp && ++n < FLT_NAME_BUCKET_MAX; pp = &(*pp)->next)
		;
	if (*pp && (*pp)->next) {
		flt_entry_free((*pp)->next);
		(*pp)->next = NULL;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Does this completed operation change names on the volume? */
static BOOLEAN flt_changes_names(PFLT_CALLBACK_DATA d)
{
	PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;

	if (!NT_SUCCESS(d->IoStatus.Status))
		return FALSE;
	if (iopb->MajorFunction == IRP_MJ_CREATE)
		return (iopb->Parameters.Create.Options & FILE_DELETE_ON_CLOSE) != 0;
	if (iopb->MajorFunction != IRP_MJ_SET_INFORMATION)
		return FALSE;
	switch (iopb->Parameters.SetFileInformation.FileInformationClass) {
	case FileRenameInformation:
	case FileRenameInformationEx:
	case FileLinkInformation:
	case FileLinkInformationEx:
	case FileDispositionInformation:
	case FileDispositionInformationEx:
		return TRUE;
	default:
		return FALSE;
	}
}

void flt_name_observe(PFLT_VOLUME volume, PFLT_CALLBACK_DATA data, BOOLEAN completed)
{
	struct flt_name_cache *c = flt_cache_peek(volume);
	PFILE_OBJECT fo = data->Iopb->TargetFileObject;

	if (!c)
		return;
	if (completed) {
		if (flt_changes_names(data))
			atomic_fetch_add(&c->epoch, 1);
		return;
	}
	if (data->Iopb->MajorFunction != IRP_MJ_CLOSE || !fo || !fo->FsContext)
		return;
	pthread_mutex_lock(&c->lock);
	flt_bucket_sweep(c, flt_bucket(fo->FsContext), fo->FsContext, TRUE);
	pthread_mutex_unlock(&c->lock);
}

void flt_name_cache_free(PFLT_VOLUME volume)
{
	struct flt_name_cache *c = flt_cache_peek(volume);

	if (!c)
		return;
	for (ULONG b = 0; b < FLT_NAME_BUCKETS; b++) {
		while (c->buckets[b]) {
			struct flt_name_entry *e = c->buckets[b];

			c->buckets[b] = e->next;
			flt_entry_free(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	flt_free(c, FLT_NAME_CACHE_TAG);
	volume->names = NULL;
}
