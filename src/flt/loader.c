/*
 * Driver objects of loaded filters and their loader records (the instance
 * configuration the registry holds on Windows).
 */

#include "flt/flt.h"

/* From host/registry.h, which needs glib (not on the flt layer's include path). */
NTSTATUS host_registry_bind_driver(PDRIVER_OBJECT driver, const char *service);

struct flt_driver {
	DRIVER_OBJECT object; /* first: a PDRIVER_OBJECT is a struct flt_driver * */
	DRIVER_EXTENSION extension;
	LIST_ENTRY link;
	struct flt_loader_record record;
	struct flt_loader_instance *instances;
	UNICODE_STRING registry_path;
	PFLT_FILTER filter;
};

static pthread_mutex_t flt_loader_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_ENTRY flt_drivers = { &flt_drivers, &flt_drivers };

static WCHAR *flt_wcsdup(const WCHAR *s)
{
	UNICODE_STRING u;

	if (!s)
		return NULL;
	if (!NT_SUCCESS(flt_string_from_wsz(s, &u)))
		return NULL;
	return u.Buffer;
}

static void flt_driver_free(struct flt_driver *d)
{
	host_registry_bind_driver(&d->object, NULL);
	for (ULONG i = 0; i < d->record.instance_count; i++) {
		flt_free((void *)d->instances[i].name, FLT_TAG_STRING);
		flt_free((void *)d->instances[i].altitude, FLT_TAG_STRING);
	}
	flt_free(d->instances, FLT_TAG_DRIVER);
	flt_free((void *)d->record.service_name, FLT_TAG_STRING);
	flt_free((void *)d->record.default_instance, FLT_TAG_STRING);
	flt_string_free(&d->registry_path);
	flt_free(d, FLT_TAG_DRIVER);
	flt_live_add(-1);
}

static NTSTATUS flt_record_copy(struct flt_driver *d, const struct flt_loader_record *r)
{
	d->record.service_name = flt_wcsdup(r->service_name);
	d->record.default_instance = flt_wcsdup(r->default_instance);
	d->instances = flt_alloc((r->instance_count ? r->instance_count : 1) * sizeof(*d->instances),
				 FLT_TAG_DRIVER);
	if (!d->record.service_name || (r->default_instance && !d->record.default_instance) ||
	    !d->instances)
		return STATUS_INSUFFICIENT_RESOURCES;
	d->record.instances = d->instances;
	for (ULONG i = 0; i < r->instance_count; i++) {
		d->record.instance_count = i + 1;
		d->instances[i].flags = r->instances[i].flags;
		d->instances[i].name = flt_wcsdup(r->instances[i].name);
		d->instances[i].altitude = flt_wcsdup(r->instances[i].altitude);
		if (!d->instances[i].name || !d->instances[i].altitude)
			return STATUS_INSUFFICIENT_RESOURCES;
	}
	return STATUS_SUCCESS;
}

static NTSTATUS flt_registry_path(struct flt_driver *d)
{
	static const WCHAR prefix[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
	size_t p = RTL_NUMBER_OF(prefix) - 1, n = 0;
	WCHAR *buf;

	while (d->record.service_name[n])
		n++;
	buf = flt_alloc((p + n + 1) * sizeof(WCHAR), FLT_TAG_STRING);
	if (!buf)
		return STATUS_INSUFFICIENT_RESOURCES;
	memcpy(buf, prefix, p * sizeof(WCHAR));
	memcpy(buf + p, d->record.service_name, (n + 1) * sizeof(WCHAR));
	d->registry_path.Buffer = buf;
	d->registry_path.Length = (USHORT)((p + n) * sizeof(WCHAR));
	d->registry_path.MaximumLength = (USHORT)(d->registry_path.Length + sizeof(WCHAR));
	return STATUS_SUCCESS;
}

/*
 * Binds the driver object to its service for IoOpenDriverRegistryKey (which
 * creates the service key when a harness-loaded driver has none installed).
 */
static NTSTATUS flt_loader_bind_service(struct flt_driver *d)
{
	char service[256];
	ULONG bytes = 0;
	NTSTATUS status;

	status = RtlUnicodeToUTF8N(service, sizeof(service) - 1, &bytes, d->extension.ServiceKeyName.Buffer,
				   d->extension.ServiceKeyName.Length);
	if (!NT_SUCCESS(status))
		return STATUS_INVALID_PARAMETER;
	service[bytes] = 0;
	return host_registry_bind_driver(&d->object, service);
}

NTSTATUS flt_loader_load(const struct flt_loader_record *record, PDRIVER_INITIALIZE entry,
			 PDRIVER_OBJECT *driver_out)
{
	struct flt_driver *d;
	NTSTATUS status;

	if (!record || !record->service_name || !entry || !driver_out ||
	    (record->instance_count && !record->instances))
		return STATUS_INVALID_PARAMETER;
	d = flt_alloc(sizeof(*d), FLT_TAG_DRIVER);
	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	flt_live_add(1);
	status = flt_record_copy(d, record);
	if (NT_SUCCESS(status))
		status = flt_registry_path(d);
	if (!NT_SUCCESS(status))
		goto out;
	d->object.Type = 4;
	d->object.Size = sizeof(DRIVER_OBJECT);
	d->object.DriverExtension = &d->extension;
	d->object.DriverInit = entry;
	d->extension.DriverObject = &d->object;
	flt_string_init(&d->extension.ServiceKeyName, d->record.service_name);
	flt_string_init(&d->object.DriverName, d->record.service_name);
	status = flt_loader_bind_service(d);
	if (!NT_SUCCESS(status))
		goto out;
	pthread_mutex_lock(&flt_loader_lock);
	InsertTailList(&flt_drivers, &d->link);
	pthread_mutex_unlock(&flt_loader_lock);
	status = entry(&d->object, &d->registry_path);
	if (NT_SUCCESS(status)) {
		*driver_out = &d->object;
		return status;
	}
	if (d->filter)
		FltUnregisterFilter(d->filter);
	pthread_mutex_lock(&flt_loader_lock);
	RemoveEntryList(&d->link);
	pthread_mutex_unlock(&flt_loader_lock);
out:
	flt_driver_free(d);
	return status;
}

static struct flt_driver *flt_driver_find(PDRIVER_OBJECT driver)
{
	for (PLIST_ENTRY e = flt_drivers.Flink; e != &flt_drivers; e = e->Flink) {
		struct flt_driver *d = CONTAINING_RECORD(e, struct flt_driver, link);

		if (&d->object == driver)
			return d;
	}
	return NULL;
}

const struct flt_loader_record *flt_loader_find(PDRIVER_OBJECT driver)
{
	struct flt_driver *d;

	pthread_mutex_lock(&flt_loader_lock);
	d = flt_driver_find(driver);
	pthread_mutex_unlock(&flt_loader_lock);
	return d ? &d->record : NULL;
}

PFLT_FILTER flt_loader_filter(PDRIVER_OBJECT driver)
{
	struct flt_driver *d;
	PFLT_FILTER f = NULL;

	pthread_mutex_lock(&flt_loader_lock);
	d = flt_driver_find(driver);
	if (d)
		f = d->filter;
	pthread_mutex_unlock(&flt_loader_lock);
	return f;
}

void flt_loader_set_filter(PDRIVER_OBJECT driver, PFLT_FILTER filter)
{
	struct flt_driver *d;

	pthread_mutex_lock(&flt_loader_lock);
	d = flt_driver_find(driver);
	if (d)
		d->filter = filter;
	pthread_mutex_unlock(&flt_loader_lock);
}

void flt_loader_release(PDRIVER_OBJECT driver)
{
	struct flt_driver *d;

	pthread_mutex_lock(&flt_loader_lock);
	d = flt_driver_find(driver);
	if (d)
		RemoveEntryList(&d->link);
	pthread_mutex_unlock(&flt_loader_lock);
	if (!d)
		return;
	if (d->object.DriverUnload)
		d->object.DriverUnload(&d->object);
	flt_driver_free(d);
}
