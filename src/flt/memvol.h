/* The memory volume's file tree (internal to the harness). */
#ifndef ALTITUDE_SRC_FLT_MEMVOL_H
#define ALTITUDE_SRC_FLT_MEMVOL_H

#include <altitude/harness.h>
#include "flt/flt.h"

struct memvol_node {
	struct memvol_node *parent;
	struct memvol_node *next;     /* sibling */
	struct memvol_node *children; /* directories */
	WCHAR *name;
	USHORT name_chars;
	BOOLEAN dir;
	BOOLEAN delete_pending;
	BOOLEAN unlinked;
	UCHAR *data;
	SIZE_T size;
	SIZE_T capacity;
	ULONG attributes;
	LARGE_INTEGER times[4]; /* creation, access, write, change */
	LONGLONG id;
	ULONG opens;
};

struct memvol_handle {
	struct memvol_node *node;
	ACCESS_MASK access;
	ULONG dir_index;
	BOOLEAN dir_started;
	BOOLEAN delete_on_close;
};

/* Finds a node by volume-relative path ("\dir\a.txt"); NULL if absent. */
struct memvol_node *memvol_lookup(struct memvol_node *root, const WCHAR *path, USHORT chars,
				  struct memvol_node **parent, const WCHAR **leaf, USHORT *leaf_chars);
struct memvol_node *memvol_node_new(struct memvol_node *parent, const WCHAR *name, USHORT chars,
				    BOOLEAN dir, LONGLONG id);
/* Frees a node and its subtree. */
void memvol_node_free(struct memvol_node *node);
void memvol_node_unlink(struct memvol_node *node);
NTSTATUS memvol_node_resize(struct memvol_node *node, SIZE_T size);
LONGLONG memvol_now(void);

/* Performs one operation on the tree (caller holds the volume lock). */
NTSTATUS memvol_perform(struct memvol_node *root, LONGLONG *next_id, PFLT_CALLBACK_DATA data);

#endif /* ALTITUDE_SRC_FLT_MEMVOL_H */
