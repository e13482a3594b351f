/*
 * The handle table of libfltlib.  A handle is ((generation << 20 | slot+1) << 2),
 * so closed or forged handles are recognised instead of dereferenced.
 */
#include <errno.h>
#include <stdlib.h>

#include "port/user/um.h"

#define UM_SLOT_BITS 20
#define UM_SLOT_MAX (1u << UM_SLOT_BITS)

struct um_slot {
	struct um_object *object;
	uint32_t generation;
};

static pthread_mutex_t um_handle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct um_slot *um_slots;
static uint32_t um_slot_count;
static uint32_t um_slot_free_hint;

void um_object_init(struct um_object *o, enum um_kind kind, void (*destroy)(struct um_object *))
{
	o->kind = kind;
	o->refs = 1;
	o->destroy = destroy;
}

void um_object_ref(struct um_object *o)
{
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

void um_object_unref(struct um_object *o)
{
	if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0)
		o->destroy(o);
}

static HANDLE um_handle_value(uint32_t slot, uint32_t generation)
{
	uintptr_t v = ((uintptr_t)(generation & 0xFFFF) << UM_SLOT_BITS) | (slot + 1);

	return (HANDLE)(v << 2);
}

static BOOL um_handle_decode(HANDLE h, uint32_t *slot, uint32_t *generation)
{
	uintptr_t v = (uintptr_t)h;

	if (!v || (v & 3) || h == INVALID_HANDLE_VALUE || (v >> 2) >> (UM_SLOT_BITS + 16))
		return FALSE;
	v >>= 2;
	*slot = (uint32_t)(v & (UM_SLOT_MAX - 1));
	*generation = (uint32_t)(v >> UM_SLOT_BITS);
	if (*slot == 0)
		return FALSE;
	(*slot)--;
	return TRUE;
}

static BOOL um_handle_grow(void)
{
	uint32_t count = um_slot_count ? um_slot_count * 2 : 64;
	struct um_slot *slots;

	if (count > UM_SLOT_MAX - 1)
		count = UM_SLOT_MAX - 1;
	if (count <= um_slot_count)
		return FALSE;
	slots = realloc(um_slots, count * sizeof(*slots));
	if (!slots)
		return FALSE;
	for (uint32_t i = um_slot_count; i < count; i++)
		slots[i] = (struct um_slot){ NULL, 1 };
	um_slots = slots;
	um_slot_count = count;
	return TRUE;
}

HANDLE um_handle_insert(struct um_object *o)
{
	HANDLE h = NULL;
	uint32_t i;

	pthread_mutex_lock(&um_handle_lock);
	for (i = um_slot_free_hint; i < um_slot_count && um_slots[i].object; i++)
		;
	if (i == um_slot_count) {
		for (i = 0; i < um_slot_free_hint && um_slots[i].object; i++)
			;
		if (i == um_slot_free_hint) {
			i = um_slot_count;
			if (!um_handle_grow())
				goto out;
		}
	}
	um_slots[i].object = o;
	um_slot_free_hint = i + 1;
	h = um_handle_value(i, um_slots[i].generation);
out:
	pthread_mutex_unlock(&um_handle_lock);
	return h;
}

static struct um_slot *um_handle_slot(HANDLE h)
{
	uint32_t slot, generation;

	if (!um_handle_decode(h, &slot, &generation) || slot >= um_slot_count)
		return NULL;
	if (!um_slots[slot].object || (um_slots[slot].generation & 0xFFFF) != generation)
		return NULL;
	return &um_slots[slot];
}

struct um_object *um_handle_ref(HANDLE h, enum um_kind kind)
{
	struct um_object *o = NULL;
	struct um_slot *s;

	pthread_mutex_lock(&um_handle_lock);
	s = um_handle_slot(h);
	if (s && s->object->kind == kind) {
		o = s->object;
		um_object_ref(o);
	}
	pthread_mutex_unlock(&um_handle_lock);
	return o;
}

struct um_object *um_handle_remove(HANDLE h)
{
	return um_handle_remove_kind(h, 0);
}

/* kind 0: any kind. */
struct um_object *um_handle_remove_kind(HANDLE h, enum um_kind kind)
{
	struct um_object *o = NULL;
	struct um_slot *s;

	pthread_mutex_lock(&um_handle_lock);
	s = um_handle_slot(h);
	if (s && (!kind || s->object->kind == kind)) {
		o = s->object;
		s->object = NULL;
		s->generation++;
		if ((uint32_t)(s - um_slots) < um_slot_free_hint)
			um_slot_free_hint = (uint32_t)(s - um_slots);
	}
	pthread_mutex_unlock(&um_handle_lock);
	return o;
}
