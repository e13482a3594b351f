/*
 * The harness's memory volume: the lower file system of a FLT volume over
 * an in-memory tree.  Operations complete inline, on the volume's
 * completion thread (ALTITUDE_OP_ASYNC_COMPLETION, post callbacks at
 * DISPATCH_LEVEL), or when released (ALTITUDE_OP_HOLD).
 */
#include <unistd.h>

#include "flt/harness.h"

NTSTATUS harness_perform(altitude_memvol *vol, struct altitude_op *op)
{
	PFLT_CALLBACK_DATA d = op->data;
	BOOLEAN cancelled;
	NTSTATUS s;

	pthread_mutex_lock(&vol->qlock);
	cancelled = op->cancelled;
	pthread_mutex_unlock(&vol->qlock);
	if (cancelled || op->opts.lower_status) {
		d->IoStatus.Status = cancelled ? STATUS_CANCELLED : op->opts.lower_status;
		d->IoStatus.Information = 0;
		return d->IoStatus.Status;
	}
	pthread_mutex_lock(&vol->lock);
	s = memvol_perform(vol->root, &vol->next_id, d);
	pthread_mutex_unlock(&vol->lock);
	return s;
}

static void harness_append(struct altitude_op **head, struct altitude_op **tail, struct altitude_op *op)
{
	op->next = NULL;
	if (*tail)
		(*tail)->next = op;
	else
		*head = op;
	*tail = op;
}

static void *harness_completion_main(void *arg)
{
	altitude_memvol *vol = arg;

	for (;;) {
		struct altitude_op *op;

		pthread_mutex_lock(&vol->qlock);
		while (!vol->queue_head && !vol->stop)
			pthread_cond_wait(&vol->qcv, &vol->qlock);
		op = vol->queue_head;
		if (op) {
			vol->queue_head = op->next;
			if (!vol->queue_head)
				vol->queue_tail = NULL;
		}
		pthread_mutex_unlock(&vol->qlock);
		if (!op)
			return NULL;
		if (op->opts.lower_delay_us)
			usleep(op->opts.lower_delay_us);
		harness_perform(vol, op);
		flt_volume_complete(op->data);
	}
}

/* I/O a filter issued (targeted I/O, name queries) completes inline. */
static NTSTATUS harness_perform_generated(altitude_memvol *vol, PFLT_CALLBACK_DATA data)
{
	NTSTATUS s;

	pthread_mutex_lock(&vol->lock);
	s = memvol_perform(vol->root, &vol->next_id, data);
	pthread_mutex_unlock(&vol->lock);
	return s;
}

static NTSTATUS harness_dispatch(void *ctx, PFLT_CALLBACK_DATA data)
{
	altitude_memvol *vol = ctx;
	struct altitude_op *op;

	if (flt_op_from_data(data)->done != harness_done)
		return harness_perform_generated(vol, data);
	op = flt_op_from_data(data)->done_ctx;

	if (op->opts.flags & ALTITUDE_OP_HOLD) {
		pthread_mutex_lock(&vol->qlock);
		harness_append(&vol->held_head, &vol->held_tail, op);
		pthread_mutex_unlock(&vol->qlock);
		return STATUS_PENDING;
	}
	if (!(op->opts.flags & ALTITUDE_OP_ASYNC_COMPLETION))
		return harness_perform(vol, op);
	pthread_mutex_lock(&vol->qlock);
	if (!vol->thread_started)
		vol->thread_started = pthread_create(&vol->thread, NULL, harness_completion_main, vol) == 0;
	if (!vol->thread_started) {
		pthread_mutex_unlock(&vol->qlock);
		return harness_perform(vol, op);
	}
	harness_append(&vol->queue_head, &vol->queue_tail, op);
	pthread_cond_signal(&vol->qcv);
	pthread_mutex_unlock(&vol->qlock);
	return STATUS_PENDING;
}

static const struct flt_lower_ops harness_lower = { harness_dispatch };

NTSTATUS altitude_memvol_create(const WCHAR *name, altitude_memvol **out)
{
	altitude_memvol *vol;
	UNICODE_STRING n;
	NTSTATUS s;

	if (!name || !out)
		return STATUS_INVALID_PARAMETER;
	vol = flt_alloc(sizeof(*vol), FLT_TAG_HARNESS);
	if (!vol)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_init(&vol->lock, NULL);
	pthread_mutex_init(&vol->qlock, NULL);
	pthread_cond_init(&vol->qcv, NULL);
	vol->next_id = 2;
	vol->root = memvol_node_new(NULL, L"", 0, TRUE, 1);
	if (!vol->root) {
		s = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	flt_string_init(&n, name);
	s = flt_volume_create(&n, NULL, &harness_lower, vol, &vol->volume);
	if (NT_SUCCESS(s)) {
		*out = vol;
		return s;
	}
out:
	if (vol->root)
		memvol_node_free(vol->root);
	pthread_mutex_destroy(&vol->lock);
	pthread_mutex_destroy(&vol->qlock);
	pthread_cond_destroy(&vol->qcv);
	flt_free(vol, FLT_TAG_HARNESS);
	return s;
}

void altitude_memvol_destroy(altitude_memvol *vol)
{
	if (!vol)
		return;
	flt_volume_destroy(vol->volume);
	pthread_mutex_lock(&vol->qlock);
	vol->stop = TRUE;
	pthread_cond_broadcast(&vol->qcv);
	pthread_mutex_unlock(&vol->qlock);
	if (vol->thread_started)
		pthread_join(vol->thread, NULL);
	memvol_node_free(vol->root);
	pthread_mutex_destroy(&vol->lock);
	pthread_mutex_destroy(&vol->qlock);
	pthread_cond_destroy(&vol->qcv);
	flt_free(vol, FLT_TAG_HARNESS);
}

PFLT_VOLUME altitude_memvol_volume(altitude_memvol *vol)
{
	return vol->volume;
}

ULONGLONG altitude_memvol_op_allocations(altitude_memvol *vol)
{
	ULONGLONG n;

	pthread_mutex_lock(&vol->volume->lock);
	n = vol->volume->op_allocations;
	pthread_mutex_unlock(&vol->volume->lock);
	return n;
}

static USHORT harness_wcslen(const WCHAR *s)
{
	USHORT n = 0;

	while (s && s[n])
		n++;
	return n;
}

/* Creates the node for `path` and any missing parent directories. */
static NTSTATUS harness_add(altitude_memvol *vol, const WCHAR *path, BOOLEAN dir,
			    struct memvol_node **out)
{
	USHORT len = harness_wcslen(path), i = 0;
	struct memvol_node *cur = vol->root;

	while (i < len) {
		struct memvol_node *parent, *next;
		const WCHAR *leaf;
		USHORT chars, start;

		while (i < len && path[i] == L'\\')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && path[i] != L'\\')
			i++;
		next = memvol_lookup(vol->root, path, i, &parent, &leaf, &chars);
		if (!next) {
			BOOLEAN last = i == len;

			next = memvol_node_new(cur, path + start, (USHORT)(i - start), last ? dir : TRUE,
					       vol->next_id++);
			if (!next)
				return STATUS_INSUFFICIENT_RESOURCES;
		} else if (!next->dir && i < len) {
			return STATUS_OBJECT_PATH_NOT_FOUND;
		}
		cur = next;
	}
	if (cur == vol->root || cur->dir != dir)
		return STATUS_OBJECT_NAME_COLLISION;
	*out = cur;
	return STATUS_SUCCESS;
}

NTSTATUS altitude_memvol_add_file(altitude_memvol *vol, const WCHAR *path, const void *data,
				  SIZE_T size)
{
	struct memvol_node *n;
	NTSTATUS s;

	if (!vol || !path || (size && !data))
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vol->lock);
	s = harness_add(vol, path, FALSE, &n);
	if (NT_SUCCESS(s))
		s = memvol_node_resize(n, size);
	if (NT_SUCCESS(s) && size)
		memcpy(n->data, data, size);
	pthread_mutex_unlock(&vol->lock);
	return s;
}

NTSTATUS altitude_memvol_add_directory(altitude_memvol *vol, const WCHAR *path)
{
	struct memvol_node *n;
	NTSTATUS s;

	if (!vol || !path)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vol->lock);
	s = harness_add(vol, path, TRUE, &n);
	pthread_mutex_unlock(&vol->lock);
	return s;
}

static struct memvol_node *harness_find(altitude_memvol *vol, const WCHAR *path)
{
	struct memvol_node *parent;
	const WCHAR *leaf;
	USHORT chars;

	return memvol_lookup(vol->root, path, harness_wcslen(path), &parent, &leaf, &chars);
}

NTSTATUS altitude_memvol_read_file(altitude_memvol *vol, const WCHAR *path, void *buffer,
				   SIZE_T capacity, SIZE_T *size)
{
	struct memvol_node *n;
	NTSTATUS s = STATUS_OBJECT_NAME_NOT_FOUND;

	if (!vol || !path || !size || (capacity && !buffer))
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vol->lock);
	n = harness_find(vol, path);
	if (n && n->dir)
		s = STATUS_FILE_IS_A_DIRECTORY;
	else if (n) {
		*size = n->size;
		memcpy(buffer, n->data, n->size < capacity ? n->size : capacity);
		s = n->size <= capacity ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
	}
	pthread_mutex_unlock(&vol->lock);
	return s;
}

BOOLEAN altitude_memvol_exists(altitude_memvol *vol, const WCHAR *path)
{
	BOOLEAN found;

	pthread_mutex_lock(&vol->lock);
	found = harness_find(vol, path) != NULL;
	pthread_mutex_unlock(&vol->lock);
	return found;
}

ULONG altitude_memvol_release_held(altitude_memvol *vol)
{
	struct altitude_op *list;
	ULONG n = 0;

	pthread_mutex_lock(&vol->qlock);
	list = vol->held_head;
	vol->held_head = vol->held_tail = NULL;
	pthread_mutex_unlock(&vol->qlock);
	while (list) {
		struct altitude_op *op = list;

		list = op->next;
		harness_perform(vol, op);
		flt_volume_complete(op->data);
		n++;
	}
	return n;
}

/* The requester's cancel reaches the engine while the operation is live. */
static void harness_cancel_engine(altitude_op *op)
{
	struct flt_op *fop = NULL;

	pthread_mutex_lock(&op->lock);
	if (!op->done && op->data) {
		fop = flt_op_from_data(op->data);
		atomic_fetch_add(&fop->holds, 1);
	}
	pthread_mutex_unlock(&op->lock);
	if (!fop)
		return;
	flt_cancel_request(&fop->data);
	flt_op_release(fop);
}

VOID altitude_op_cancel(altitude_op *op)
{
	altitude_memvol *vol = op->vol;
	struct altitude_op **pp, *prev = NULL;
	BOOLEAN held = FALSE;

	harness_cancel_engine(op);
	pthread_mutex_lock(&vol->qlock);
	op->cancelled = TRUE;
	for (pp = &vol->held_head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			if (vol->held_tail == op)
				vol->held_tail = prev;
			held = TRUE;
			break;
		}
	}
	pthread_mutex_unlock(&vol->qlock);
	if (!held)
		return;
	harness_perform(vol, op);
	flt_volume_complete(op->data);
}
