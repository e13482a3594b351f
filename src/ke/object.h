/*
 * The object manager inside ke: reference-counted objects, their types and
 * handles.  Layers that create kernel objects of their own (file objects for
 * targeted I/O, registry keys) use it; everything else goes through the
 * Ob and Zw routines.
 */
#ifndef ALTITUDE_SRC_KE_OBJECT_H
#define ALTITUDE_SRC_KE_OBJECT_H

#include "ke/ke.h"

struct _OBJECT_TYPE {
	const char *name;
	void (*delete_procedure)(PVOID body); /* before the memory is freed */
};

/* A zeroed object body of `size` bytes with one reference, or NULL. */
PVOID ke_object_create(POBJECT_TYPE type, size_t size);
POBJECT_TYPE ke_object_type(PVOID body);
/* Takes a reference unless the last one is already gone (the object is being deleted). */
BOOLEAN ke_object_try_reference(PVOID body);
/* The object survives its last reference; one more dereference bugchecks. */
void ke_object_make_permanent(PVOID body);
/*
 * The start of the memory block holding `body`, and back.  A pointer kept
 * to the block itself (rather than to the body inside it) lets leak
 * checkers see the object as reachable.
 */
void *ke_object_allocation(PVOID body);
PVOID ke_object_from_allocation(void *allocation);
/* A handle holding a new reference to `body`; NULL when out of memory. */
HANDLE ke_handle_create(PVOID body, ACCESS_MASK access, BOOLEAN kernel);

extern struct _OBJECT_TYPE ke_thread_object_type;
extern struct _OBJECT_TYPE ke_process_object_type;

#endif /* ALTITUDE_SRC_KE_OBJECT_H */
