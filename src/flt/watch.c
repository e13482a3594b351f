/*
 * The watchdog's view of the engine (altitude_watchdog_scan, host.h).
 *
 * Operations: nothing is added to the I/O path but what the operation
 * record already does.  A filter holds an operation while pended_pre or
 * pended_post names its slot (its callback runs, or it returned PENDING /
 * MORE_PROCESSING_REQUIRED); those are relaxed atomics, and the record
 * carries its start time, file object, requester and major function,
 * stored once when the operation starts.  A scan walks each volume's
 * in-flight list under the volume's lock, which keeps the records (and the
 * instances of their snapshots) alive.  The age is the operation's: the
 * dispatcher cannot stamp the moment a pre callback returns PENDING,
 * because the operation may already be completed and reused by then.
 *
 * File objects may be freed by the requester once it hears of the
 * completion, which the volume lock does not delay: the scan reads a name
 * only with the volume's watch_scanning flag up, and the operation's end
 * withdraws its file object (a sequentially consistent exchange) and, if a
 * scan is on, waits for the volume lock.  One side always sees the other.
 *
 * Sends, drains and unregistrations: records stamped where they begin
 * (watch.h, instance teardown, FltUnregisterFilter).
 */
#include <stdio.h>

#include <altitude/host.h>

#include "flt/watch.h"

#define FLT_100NS_PER_MS 10000LL

static atomic_uint flt_watch_serials;
static atomic_ullong flt_watch_send_serials;

ULONG flt_watch_serial(void)
{
	return atomic_fetch_add(&flt_watch_serials, 1) + 1;
}

void flt_watch_mark(atomic_llong *since)
{
	LONGLONG now = ke_clock_interrupt_coarse();

	atomic_store(since, now ? now : 1);
}

ULONGLONG flt_watch_age_ms(LONGLONG since)
{
	LONGLONG age = since ? ke_clock_interrupt_coarse() - since : 0;

	return age > 0 ? (ULONGLONG)(age / FLT_100NS_PER_MS) : 0;
}

void flt_watch_op_finish(struct flt_op *op)
{
	if (!atomic_load_explicit(&op->watch_file, memory_order_relaxed))
		return;
	atomic_exchange(&op->watch_file, NULL);
	if (atomic_load(&op->volume->watch_scanning)) {
		pthread_mutex_lock(&op->volume->lock);
		pthread_mutex_unlock(&op->volume->lock);
	}
}

void flt_watch_send_begin(struct flt_watch_send *w, PFLT_FILTER filter)
{
	const struct flt_callback *cb = flt_callback_current();

	memset(w, 0, sizeof(*w));
	if (!filter || filter->obj.kind != FLT_KIND_FILTER)
		return;
	w->filter = filter;
	w->since = ke_clock_interrupt_coarse();
	w->serial = atomic_fetch_add(&flt_watch_send_serials, 1) + 1;
	if (cb) {
		w->instance = cb->instance;
		flt_callback_operation(cb, w->operation, sizeof(w->operation));
		w->file = cb->iopb ? cb->iopb->TargetFileObject : NULL;
		if (cb->data)
			w->pid = flt_op_from_data(cb->data)->requestor_pid;
	}
	pthread_mutex_lock(&filter->watch_lock);
	InsertTailList(&filter->sends, &w->link);
	pthread_mutex_unlock(&filter->watch_lock);
}

void flt_watch_send_end(struct flt_watch_send *w)
{
	if (!w->filter)
		return;
	pthread_mutex_lock(&w->filter->watch_lock);
	RemoveEntryList(&w->link);
	pthread_mutex_unlock(&w->filter->watch_lock);
}

/* The slot a filter holds `op` in (*post: in its post walk), or -1 (v->lock held). */
static LONG flt_watch_held(struct flt_op *op, BOOLEAN *post)
{
	LONG i = atomic_load_explicit(&op->pended_pre, memory_order_relaxed);

	*post = FALSE;
	if (i < 0) {
		i = atomic_load_explicit(&op->pended_post, memory_order_relaxed);
		*post = TRUE;
	}
	if (i < 0 || (ULONG)i >= op->snap->count)
		return -1;
	return i;
}

static void flt_watch_start_oldest(LONGLONG start, ULONG *count, LONGLONG *oldest)
{
	(*count)++;
	if (!*oldest || start < *oldest)
		*oldest = start ? start : 1;
}

void flt_watch_instance_pending(PFLT_INSTANCE inst, ULONG *count, LONGLONG *oldest)
{
	PFLT_VOLUME v = inst->volume;

	pthread_mutex_lock(&v->lock);
	for (PLIST_ENTRY e = v->inflight.Flink; e != &v->inflight; e = e->Flink) {
		struct flt_op *op = CONTAINING_RECORD(e, struct flt_op, link);
		BOOLEAN post;
		LONG i = flt_watch_held(op, &post);

		if (i >= 0 && op->snap->inst[i] == inst)
			flt_watch_start_oldest(atomic_load_explicit(&op->watch_start, memory_order_relaxed),
					       count, oldest);
	}
	pthread_mutex_unlock(&v->lock);
}

void flt_watch_filter_pending(PFLT_FILTER filter, ULONG *count, LONGLONG *oldest)
{
	for (PLIST_ENTRY e = filter->instances.Flink; e != &filter->instances; e = e->Flink)
		flt_watch_instance_pending(CONTAINING_RECORD(e, struct _FLT_INSTANCE, filter_link), count,
					   oldest);
	pthread_mutex_lock(&filter->watch_lock);
	for (PLIST_ENTRY e = filter->sends.Flink; e != &filter->sends; e = e->Flink)
		flt_watch_start_oldest(CONTAINING_RECORD(e, struct flt_watch_send, link)->since, count,
				       oldest);
	pthread_mutex_unlock(&filter->watch_lock);
}

/* ---- altitude_watchdog_scan ---------------------------------------------- */

struct flt_watch_scan {
	altitude_watch_item *items;
	ULONG count, capacity;
	LONGLONG now, deadline;
};

/* A cleared item at the end of the list, or NULL when out of memory. */
static altitude_watch_item *flt_watch_add(struct flt_watch_scan *s, altitude_watch_kind kind,
					  LONGLONG since)
{
	altitude_watch_item *it;

	if (s->count == s->capacity) {
		ULONG capacity = s->capacity ? s->capacity * 2 : 8;
		altitude_watch_item *grown = flt_alloc(capacity * sizeof(*grown), FLT_TAG_TEMP);

		if (!grown)
			return NULL;
		if (s->count)
			memcpy(grown, s->items, s->count * sizeof(*grown));
		flt_free(s->items, FLT_TAG_TEMP);
		s->items = grown;
		s->capacity = capacity;
	}
	it = &s->items[s->count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->age_ms = since && s->now > since ? (ULONGLONG)((s->now - since) / FLT_100NS_PER_MS) : 0;
	return it;
}

static BOOLEAN flt_watch_due(const struct flt_watch_scan *s, LONGLONG since)
{
	return since && s->now - since >= s->deadline;
}

static void flt_watch_copy(char *out, size_t size, const UNICODE_STRING *s)
{
	flt_utf8_copy(out, size, s->Buffer, s->Length / sizeof(WCHAR));
}

static void flt_watch_instance_names(altitude_watch_item *it, PFLT_INSTANCE inst)
{
	snprintf(it->filter, sizeof(it->filter), "%s", inst->filter->log_name);
	flt_watch_copy(it->instance, sizeof(it->instance), &inst->name);
	flt_watch_copy(it->volume, sizeof(it->volume), &inst->volume->name);
}

static void flt_watch_file(char *out, size_t size, PFILE_OBJECT file)
{
	if (file)
		flt_watch_copy(out, size, &file->FileName);
}

/* The volume's held operations at least the deadline old (v->lock held). */
static void flt_watch_scan_ops(struct flt_watch_scan *s, PFLT_VOLUME v)
{
	for (PLIST_ENTRY e = v->inflight.Flink; e != &v->inflight; e = e->Flink) {
		struct flt_op *op = CONTAINING_RECORD(e, struct flt_op, link);
		LONGLONG since = atomic_load_explicit(&op->watch_start, memory_order_relaxed);
		altitude_watch_item *it;
		const char *major;
		BOOLEAN post;
		LONG i = flt_watch_held(op, &post);

		if (i < 0 || !flt_watch_due(s, since) || !(it = flt_watch_add(s, ALTITUDE_WATCH_OPERATION, since)))
			continue;
		flt_watch_instance_names(it, op->snap->inst[i]);
		major = flt_major_name(atomic_load_explicit(&op->watch_major, memory_order_relaxed));
		snprintf(it->operation, sizeof(it->operation), "%s %s", major ? major : "IRP_MJ_?",
			 post ? "post-operation" : "pre-operation");
		flt_watch_file(it->file, sizeof(it->file), atomic_load(&op->watch_file));
		it->requestor_pid = atomic_load_explicit(&op->watch_pid, memory_order_relaxed);
		it->id = ((ULONGLONG)ALTITUDE_WATCH_OPERATION << 60) | ((ULONGLONG)(v->serial & 0xfff) << 48) |
			 ((op->seq & 0xfffffffffULL) << 12) | ((ULONGLONG)post << 11) | ((ULONG)i & 0x7ff);
	}
}

static void flt_watch_scan_volume(struct flt_watch_scan *s, PFLT_VOLUME v)
{
	for (PLIST_ENTRY e = v->instances.Flink; e != &v->instances; e = e->Flink) {
		PFLT_INSTANCE inst = CONTAINING_RECORD(e, struct _FLT_INSTANCE, volume_link);
		LONGLONG since = atomic_load(&inst->teardown_since);
		altitude_watch_item *it;

		if (!flt_watch_due(s, since) || !(it = flt_watch_add(s, ALTITUDE_WATCH_DRAIN, since)))
			continue;
		flt_watch_instance_names(it, inst);
		it->owed = (ULONG)atomic_load(&inst->active);
		it->id = ((ULONGLONG)ALTITUDE_WATCH_DRAIN << 60) |
			 (((ULONGLONG)(ULONG_PTR)inst ^ (ULONGLONG)since) & ((1ULL << 60) - 1));
	}
	pthread_mutex_lock(&v->lock);
	atomic_store(&v->watch_scanning, 1);
	flt_watch_scan_ops(s, v);
	atomic_store(&v->watch_scanning, 0);
	pthread_mutex_unlock(&v->lock);
}

static void flt_watch_scan_sends(struct flt_watch_scan *s, PFLT_FILTER f)
{
	pthread_mutex_lock(&f->watch_lock);
	for (PLIST_ENTRY e = f->sends.Flink; e != &f->sends; e = e->Flink) {
		const struct flt_watch_send *w = CONTAINING_RECORD(e, struct flt_watch_send, link);
		altitude_watch_item *it;

		if (!flt_watch_due(s, w->since) || !(it = flt_watch_add(s, ALTITUDE_WATCH_MESSAGE, w->since)))
			continue;
		if (w->instance)
			flt_watch_instance_names(it, w->instance);
		snprintf(it->filter, sizeof(it->filter), "%s", f->log_name); /* the sender */
		snprintf(it->operation, sizeof(it->operation), "%s", w->operation);
		flt_watch_file(it->file, sizeof(it->file), w->file);
		it->requestor_pid = w->pid;
		it->id = ((ULONGLONG)ALTITUDE_WATCH_MESSAGE << 60) | (w->serial & ((1ULL << 60) - 1));
	}
	pthread_mutex_unlock(&f->watch_lock);
}

static void flt_watch_scan_filter(struct flt_watch_scan *s, PFLT_FILTER f)
{
	LONGLONG since = atomic_load(&f->unload_since);
	altitude_watch_item *it;

	flt_watch_scan_sends(s, f);
	/* While instances remain, their drains say what the unload waits for. */
	if (!IsListEmpty(&f->instances) || !flt_watch_due(s, since) ||
	    !(it = flt_watch_add(s, ALTITUDE_WATCH_UNLOAD, since)))
		return;
	snprintf(it->filter, sizeof(it->filter), "%s", f->log_name);
	it->owed = (ULONG)(atomic_load(&f->obj.rundown) & ~FLT_RUNDOWN_DELETING);
	it->id = ((ULONGLONG)ALTITUDE_WATCH_UNLOAD << 60) |
		 (((ULONGLONG)(ULONG_PTR)f ^ (ULONGLONG)since) & ((1ULL << 60) - 1));
}

ULONG altitude_watchdog_scan(ULONGLONG deadline_ms, altitude_watch_fn fn, void *ctx)
{
	struct flt_watch_scan s = { 0 };

	s.now = ke_clock_interrupt_coarse();
	s.deadline = deadline_ms > (ULONGLONG)MAXLONGLONG / FLT_100NS_PER_MS
			     ? MAXLONGLONG
			     : (LONGLONG)deadline_ms * FLT_100NS_PER_MS;
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_volumes.Flink; e != &flt_volumes; e = e->Flink)
		flt_watch_scan_volume(&s, CONTAINING_RECORD(e, struct _FLT_VOLUME, link));
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink)
		flt_watch_scan_filter(&s, CONTAINING_RECORD(e, struct _FLT_FILTER, link));
	pthread_mutex_unlock(&flt_topology_lock);
	for (ULONG i = 0; fn && i < s.count; i++)
		fn(&s.items[i], ctx);
	flt_free(s.items, FLT_TAG_TEMP);
	return s.count;
}
