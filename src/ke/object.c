/*
 * Objects and handles.  Each object body is preceded by a header holding
 * its reference count and type; the body is freed (after the type's delete
 * procedure) when the count reaches zero.  Handles index one table; kernel
 * handles have the sign bit set, as on Windows.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ke/dispatcher.h"
#include "ke/object.h"

#ifndef REFERENCE_BY_POINTER
#define REFERENCE_BY_POINTER 0x00000018
#endif

struct ke_object_header {
	LONG_PTR refs;
	POBJECT_TYPE type;
	struct ke_object_header *next_permanent; /* on ke_permanent_objects */
	BOOLEAN permanent; /* never freed (the process object) */
} __attribute__((aligned(16)));

struct ke_handle_entry {
	PVOID body; /* NULL when free */
	ACCESS_MASK access;
	BOOLEAN kernel;
};

#define KE_KERNEL_HANDLE_BIT ((ULONG_PTR)0xFFFFFFFF80000000ULL)

static pthread_mutex_t ke_handle_lock = PTHREAD_MUTEX_INITIALIZER;
/* Permanent objects stay reachable from here (leak checkers see them as such). */
static pthread_mutex_t ke_permanent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ke_object_header *ke_permanent_objects;
static struct ke_handle_entry *ke_handles;
static ULONG ke_handle_capacity;

static struct ke_object_header *ke_object_header(PVOID body)
{
	return (struct ke_object_header *)body - 1;
}

PVOID ke_object_create(POBJECT_TYPE type, size_t size)
{
	struct ke_object_header *header = calloc(1, sizeof(*header) + size);

	if (header == NULL)
		return NULL;
	header->refs = 1;
	header->type = type;
	return header + 1;
}

void ke_object_make_permanent(PVOID body)
{
	struct ke_object_header *header = ke_object_header(body);

	pthread_mutex_lock(&ke_permanent_lock);
	header->permanent = TRUE;
	header->next_permanent = ke_permanent_objects;
	ke_permanent_objects = header;
	pthread_mutex_unlock(&ke_permanent_lock);
}

void *ke_object_allocation(PVOID body)
{
	return ke_object_header(body);
}

PVOID ke_object_from_allocation(void *allocation)
{
	return (struct ke_object_header *)allocation + 1;
}

POBJECT_TYPE ke_object_type(PVOID body)
{
	return ke_object_header(body)->type;
}

LONG_PTR FASTCALL ObfReferenceObject(PVOID Object)
{
	return __atomic_add_fetch(&ke_object_header(Object)->refs, 1, __ATOMIC_RELAXED);
}

BOOLEAN ke_object_try_reference(PVOID body)
{
	struct ke_object_header *header = ke_object_header(body);
	LONG_PTR refs = __atomic_load_n(&header->refs, __ATOMIC_RELAXED);

	do {
		if (refs <= 0)
			return FALSE;
	} while (!__atomic_compare_exchange_n(&header->refs, &refs, refs + 1, FALSE,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return TRUE;
}

LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object)
{
	struct ke_object_header *header = ke_object_header(Object);
	LONG_PTR refs = __atomic_sub_fetch(&header->refs, 1, __ATOMIC_ACQ_REL);

	if (refs < 0) {
		__atomic_add_fetch(&header->refs, 1, __ATOMIC_RELAXED);
		ke_bugcheck(REFERENCE_BY_POINTER, (ULONG_PTR)header->type, (ULONG_PTR)Object, 0, 0,
			    "ObDereferenceObject");
		return 0;
	}
	if (refs == 0 && !header->permanent) {
		if (header->type->delete_procedure != NULL)
			header->type->delete_procedure(Object);
		free(header);
	}
	return refs;
}

static HANDLE ke_handle_value(ULONG index, BOOLEAN kernel)
{
	ULONG_PTR value = ((ULONG_PTR)index + 1) * 4;

	return (HANDLE)(kernel ? value | KE_KERNEL_HANDLE_BIT : value);
}

/* Under ke_handle_lock: the handle's entry, or NULL. */
static struct ke_handle_entry *ke_handle_lookup(HANDLE handle)
{
	ULONG_PTR value = (ULONG_PTR)handle;
	BOOLEAN kernel = (BOOLEAN)((value & KE_KERNEL_HANDLE_BIT) == KE_KERNEL_HANDLE_BIT);
	ULONG_PTR index;

	value &= ~KE_KERNEL_HANDLE_BIT;
	if (value == 0 || (value & 3) != 0)
		return NULL;
	index = value / 4 - 1;
	if (index >= ke_handle_capacity || ke_handles[index].body == NULL ||
	    ke_handles[index].kernel != kernel)
		return NULL;
	return &ke_handles[index];
}

static BOOLEAN ke_handle_grow(void)
{
	ULONG capacity = ke_handle_capacity ? ke_handle_capacity * 2 : 64;
	struct ke_handle_entry *table = realloc(ke_handles, capacity * sizeof(*table));

	if (table == NULL)
		return FALSE;
	for (ULONG i = ke_handle_capacity; i < capacity; i++)
		table[i].body = NULL;
	ke_handles = table;
	ke_handle_capacity = capacity;
	return TRUE;
}

HANDLE ke_handle_create(PVOID body, ACCESS_MASK access, BOOLEAN kernel)
{
	HANDLE handle = NULL;
	ULONG i;

	pthread_mutex_lock(&ke_handle_lock);
	for (i = 0; i < ke_handle_capacity; i++) {
		if (ke_handles[i].body == NULL)
			break;
	}
	if (i == ke_handle_capacity && !ke_handle_grow())
		goto out;
	ObfReferenceObject(body);
	ke_handles[i].body = body;
	ke_handles[i].access = access;
	ke_handles[i].kernel = kernel;
	handle = ke_handle_value(i, kernel);
out:
	pthread_mutex_unlock(&ke_handle_lock);
	return handle;
}

static NTSTATUS ke_reference_pseudo(HANDLE Handle, POBJECT_TYPE ObjectType, PVOID *Object,
				    POBJECT_HANDLE_INFORMATION HandleInformation)
{
	PVOID body;

	if (Handle == NtCurrentThread())
		body = PsGetCurrentThread();
	else
		body = PsGetCurrentProcess();
	if (ObjectType != NULL && ke_object_type(body) != ObjectType)
		return STATUS_OBJECT_TYPE_MISMATCH;
	ObfReferenceObject(body);
	*Object = body;
	if (HandleInformation != NULL) {
		HandleInformation->HandleAttributes = 0;
		HandleInformation->GrantedAccess =
			Handle == NtCurrentThread() ? THREAD_ALL_ACCESS : 0x001FFFFF;
	}
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
					 POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
					 PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)
{
	struct ke_handle_entry *entry;
	NTSTATUS status = STATUS_INVALID_HANDLE;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ObReferenceObjectByHandle"))
		return STATUS_UNSUCCESSFUL;
	if (Object == NULL)
		return STATUS_INVALID_PARAMETER;
	*Object = NULL;
	if (Handle == NtCurrentThread() || Handle == NtCurrentProcess())
		return ke_reference_pseudo(Handle, ObjectType, Object, HandleInformation);
	pthread_mutex_lock(&ke_handle_lock);
	entry = ke_handle_lookup(Handle);
	if (entry == NULL || (AccessMode == UserMode && entry->kernel))
		goto out;
	status = STATUS_OBJECT_TYPE_MISMATCH;
	if (ObjectType != NULL && ke_object_type(entry->body) != ObjectType)
		goto out;
	status = STATUS_ACCESS_DENIED;
	if (AccessMode == UserMode && (DesiredAccess & ~entry->access) != 0)
		goto out;
	ObfReferenceObject(entry->body);
	*Object = entry->body;
	if (HandleInformation != NULL) {
		HandleInformation->HandleAttributes = 0;
		HandleInformation->GrantedAccess = entry->access;
	}
	status = STATUS_SUCCESS;
out:
	pthread_mutex_unlock(&ke_handle_lock);
	return status;
}

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
	struct ke_handle_entry *entry;
	PVOID body = NULL;

	if (!ke_irql_at_most(PASSIVE_LEVEL, "ZwClose"))
		return STATUS_UNSUCCESSFUL;
	pthread_mutex_lock(&ke_handle_lock);
	entry = ke_handle_lookup(Handle);
	if (entry != NULL) {
		body = entry->body;
		entry->body = NULL;
	}
	pthread_mutex_unlock(&ke_handle_lock);
	if (body == NULL)
		return STATUS_INVALID_HANDLE;
	ObfDereferenceObject(body);
	return STATUS_SUCCESS;
}
