/* The memory volume's file tree: nodes, lookups, sizes and times. */
#include <time.h>

#include "flt/memvol.h"

LONGLONG memvol_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return 116444736000000000LL + (LONGLONG)ts.tv_sec * 10000000LL + ts.tv_nsec / 100;
}

static WCHAR memvol_upcase(WCHAR c)
{
	return (c >= L'a' && c <= L'z') ? (WCHAR)(c - (L'a' - L'A')) : c;
}

static BOOLEAN memvol_name_equal(const struct memvol_node *n, const WCHAR *name, USHORT chars)
{
	if (n->name_chars != chars)
		return FALSE;
	for (USHORT i = 0; i < chars; i++) {
		if (memvol_upcase(n->name[i]) != memvol_upcase(name[i]))
			return FALSE;
	}
	return TRUE;
}

static struct memvol_node *memvol_child(struct memvol_node *dir, const WCHAR *name, USHORT chars)
{
	for (struct memvol_node *c = dir->children; c; c = c->next) {
		if (memvol_name_equal(c, name, chars))
			return c;
	}
	return NULL;
}

struct memvol_node *memvol_lookup(struct memvol_node *root, const WCHAR *path, USHORT chars,
				  struct memvol_node **parent, const WCHAR **leaf, USHORT *leaf_chars)
{
	struct memvol_node *dir = root, *node = root;
	USHORT i = 0;

	*parent = NULL;
	*leaf = NULL;
	*leaf_chars = 0;
	while (i < chars) {
		USHORT start;

		while (i < chars && path[i] == L'\\')
			i++;
		if (i == chars)
			break;
		start = i;
		while (i < chars && path[i] != L'\\')
			i++;
		if (!dir || !dir->dir) {
			/* a directory on the way is missing or is a file */
			*parent = NULL;
			*leaf = NULL;
			return NULL;
		}
		*parent = dir;
		*leaf = path + start;
		*leaf_chars = (USHORT)(i - start);
		node = memvol_child(dir, path + start, (USHORT)(i - start));
		dir = node;
	}
	return node;
}

struct memvol_node *memvol_node_new(struct memvol_node *parent, const WCHAR *name, USHORT chars,
				    BOOLEAN dir, LONGLONG id)
{
	struct memvol_node *n = flt_alloc(sizeof(*n), FLT_TAG_MEMVOL);
	LONGLONG now = memvol_now();

	if (!n)
		return NULL;
	n->name = flt_alloc(((size_t)chars + 1) * sizeof(WCHAR), FLT_TAG_MEMVOL);
	if (!n->name) {
		flt_free(n, FLT_TAG_MEMVOL);
		return NULL;
	}
	memcpy(n->name, name, chars * sizeof(WCHAR));
	n->name[chars] = 0;
	n->name_chars = chars;
	n->dir = dir;
	n->attributes = dir ? FILE_ATTRIBUTE_DIRECTORY : FILE_ATTRIBUTE_ARCHIVE;
	for (int i = 0; i < 4; i++)
		n->times[i].QuadPart = now;
	n->id = id;
	n->parent = parent;
	if (parent) {
		n->next = parent->children;
		parent->children = n;
	}
	return n;
}

void memvol_node_unlink(struct memvol_node *node)
{
	struct memvol_node **pp;

	if (!node->parent)
		return;
	for (pp = &node->parent->children; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			break;
		}
	}
	node->parent = NULL;
	node->next = NULL;
	node->unlinked = TRUE;
}

void memvol_node_free(struct memvol_node *node)
{
	while (node->children) {
		struct memvol_node *c = node->children;

		node->children = c->next;
		memvol_node_free(c);
	}
	flt_free(node->data, FLT_TAG_MEMVOL);
	flt_free(node->name, FLT_TAG_MEMVOL);
	flt_free(node, FLT_TAG_MEMVOL);
}

NTSTATUS memvol_node_resize(struct memvol_node *node, SIZE_T size)
{
	if (size > node->capacity) {
		SIZE_T cap = node->capacity ? node->capacity : 64;
		UCHAR *p;

		while (cap < size)
			cap *= 2;
		p = flt_alloc(cap, FLT_TAG_MEMVOL);
		if (!p)
			return STATUS_INSUFFICIENT_RESOURCES;
		if (node->size)
			memcpy(p, node->data, node->size);
		flt_free(node->data, FLT_TAG_MEMVOL);
		node->data = p;
		node->capacity = cap;
	}
	if (size > node->size)
		memset(node->data + node->size, 0, size - node->size);
	node->size = size;
	return STATUS_SUCCESS;
}
