/*
 * When the objects of contexts go away.
 *
 * The engine counts the open FILE_OBJECTs of each stream (by FsContext):
 * a successful IRP_MJ_CREATE adds one (or setting a file, stream or stream
 * handle context on it first, in a post-create callback), its IRP_MJ_CLOSE
 * removes it.  The
 * close of a FILE_OBJECT ends its stream handle contexts; the close of a
 * stream's last FILE_OBJECT ends its stream and file contexts.  Tracking
 * needs a little memory per open file; if that allocation fails the
 * contexts of that stream live until their instance is torn down.
 *
 * Instance teardown ends every context owned by the instance; the
 * teardown of a filter's last instance on a volume ends its volume context.
 */
#include <stdint.h>

#include "flt/contexts.h"

#define FLT_STREAM_BUCKETS 256

struct flt_stream {
	PVOID fs_context;
	ULONG handles;
	LIST_ENTRY link;
};

struct flt_handle {
	PFILE_OBJECT file;
	struct flt_stream *stream;
	LIST_ENTRY link;
};

static pthread_mutex_t flt_stream_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_ENTRY flt_streams[FLT_STREAM_BUCKETS];
static LIST_ENTRY flt_handles[FLT_STREAM_BUCKETS];
static BOOLEAN flt_stream_ready;

static PLIST_ENTRY flt_stream_bucket(PLIST_ENTRY table, PVOID key)
{
	uint64_t h = ((uint64_t)(uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ull;

	if (!flt_stream_ready) {
		for (ULONG i = 0; i < FLT_STREAM_BUCKETS; i++) {
			InitializeListHead(&flt_streams[i]);
			InitializeListHead(&flt_handles[i]);
		}
		flt_stream_ready = TRUE;
	}
	return &table[(h >> 40) & (FLT_STREAM_BUCKETS - 1)];
}

/* Stream lock held. */
static struct flt_stream *flt_stream_find(PVOID fs_context)
{
	PLIST_ENTRY head = flt_stream_bucket(flt_streams, fs_context);

	for (PLIST_ENTRY e = head->Flink; e != head; e = e->Flink) {
		struct flt_stream *s = CONTAINING_RECORD(e, struct flt_stream, link);

		if (s->fs_context == fs_context)
			return s;
	}
	return NULL;
}

/* Stream lock held: the handle record of `fo`, or NULL. */
static struct flt_handle *flt_handle_find(PFILE_OBJECT fo)
{
	PLIST_ENTRY head = flt_stream_bucket(flt_handles, fo);

	for (PLIST_ENTRY e = head->Flink; e != head; e = e->Flink) {
		struct flt_handle *h = CONTAINING_RECORD(e, struct flt_handle, link);

		if (h->file == fo)
			return h;
	}
	return NULL;
}

/* Stream lock held: counts `h` (new) as an open handle of fo's stream; FALSE without memory. */
static BOOLEAN flt_handle_add(struct flt_handle *h, PFILE_OBJECT fo)
{
	struct flt_stream *s = flt_stream_find(fo->FsContext);

	if (!s) {
		s = flt_alloc(sizeof(*s), FLT_TAG_STREAM);
		if (!s)
			return FALSE;
		s->fs_context = fo->FsContext;
		InsertTailList(flt_stream_bucket(flt_streams, s->fs_context), &s->link);
	}
	s->handles++;
	h->file = fo;
	h->stream = s;
	InsertTailList(flt_stream_bucket(flt_handles, fo), &h->link);
	return TRUE;
}

void flt_context_track_file(PFILE_OBJECT fo)
{
	struct flt_handle *h = flt_alloc(sizeof(*h), FLT_TAG_STREAM);
	BOOLEAN used = FALSE;

	if (!h)
		return;
	pthread_mutex_lock(&flt_stream_lock);
	if (!flt_handle_find(fo))
		used = flt_handle_add(h, fo);
	pthread_mutex_unlock(&flt_stream_lock);
	if (!used)
		flt_free(h, FLT_TAG_STREAM);
}

/* Stream lock held: the handle record of `fo`, unlinked, or NULL. */
static struct flt_handle *flt_handle_take(PFILE_OBJECT fo)
{
	struct flt_handle *h = flt_handle_find(fo);

	if (h)
		RemoveEntryList(&h->link);
	return h;
}

/*
 * The contexts are detached under the stream lock, so that a new open of
 * the same stream cannot attach a context that this close would take.
 */
static void flt_stream_closed(PFILE_OBJECT fo)
{
	struct flt_stream *last = NULL;
	struct flt_handle *h;
	LIST_ENTRY gone;

	InitializeListHead(&gone);
	pthread_mutex_lock(&flt_stream_lock);
	h = flt_handle_take(fo);
	if (h) {
		flt_ctx_detach_collect(FLT_STREAMHANDLE_CONTEXT, NULL, fo, &gone);
		if (--h->stream->handles == 0) {
			last = h->stream;
			RemoveEntryList(&last->link);
			flt_ctx_detach_collect(FLT_STREAM_CONTEXT | FLT_FILE_CONTEXT, NULL,
					       last->fs_context, &gone);
		}
	}
	pthread_mutex_unlock(&flt_stream_lock);
	flt_ctx_put_list(&gone);
	flt_free(last, FLT_TAG_STREAM);
	flt_free(h, FLT_TAG_STREAM);
}

void flt_context_op_finish(struct flt_op *op)
{
	PFILE_OBJECT fo = op->data.Iopb->TargetFileObject;
	UCHAR major = op->data.Iopb->MajorFunction;

	if (!fo || !FLT_IS_IRP_OPERATION(&op->data))
		return;
	/* A context set in a post-create callback tracked the file already; a
	 * create that failed after that must not count it. */
	if (major == IRP_MJ_CREATE && op->data.IoStatus.Status == STATUS_SUCCESS && fo->FsContext)
		flt_context_track_file(fo);
	else if (major == IRP_MJ_CREATE || major == IRP_MJ_CLOSE)
		flt_stream_closed(fo);
}

/* TRUE when `filter` has no instance left on `volume` (topology lock not held). */
static BOOLEAN flt_filter_left_volume(PFLT_FILTER filter, PFLT_VOLUME volume)
{
	BOOLEAN none = TRUE;

	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = volume->instances.Flink; e != &volume->instances; e = e->Flink) {
		if (CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link)->filter == filter)
			none = FALSE;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	return none;
}

void flt_context_instance_gone(PFLT_INSTANCE inst)
{
	flt_ctx_detach_all(FLT_INSTANCE_CONTEXT | FLT_FILE_CONTEXT | FLT_STREAM_CONTEXT |
				   FLT_STREAMHANDLE_CONTEXT,
			   inst, NULL);
	if (flt_filter_left_volume(inst->filter, inst->volume))
		flt_ctx_detach_all(FLT_VOLUME_CONTEXT, inst->filter, inst->volume);
}
