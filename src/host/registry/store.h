/* State of the registry store, shared by the files of src/host/registry/. */
#ifndef ALTITUDE_SRC_HOST_REGISTRY_STORE_H
#define ALTITUDE_SRC_HOST_REGISTRY_STORE_H

#include <pthread.h>

#include "host/registry.h"

struct reg_store {
	pthread_mutex_t lock;
	char *directory;             /* of the service files */
	struct reg_key *root;        /* the Services key, NULL until first use */
	GPtrArray *services;         /* struct reg_service *, owned */
	GHashTable *corrupt;         /* upcased names of services whose file is malformed */
	host_registry_error_sink sink;
	void *sink_context;
	GHashTable *handles;         /* HANDLE -> struct reg_handle * (not owned) */
	GHashTable *drivers;         /* PDRIVER_OBJECT -> service name */
};

extern struct reg_store reg_store;

const char *reg_directory(void);
struct reg_service *reg_service_new(const char *name);
BOOLEAN reg_service_name_valid(const char *name);
void reg_services_scan(void);
/* The service bound to a driver object (g_free it), or NULL; takes the lock. */
char *reg_driver_service(PDRIVER_OBJECT driver);

#endif /* ALTITUDE_SRC_HOST_REGISTRY_STORE_H */
