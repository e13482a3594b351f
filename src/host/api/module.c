/*
 * Filter modules: shared objects exporting DriverEntry, loaded from the
 * ImagePath of their service key (altitude/host.h).
 *
 * One lock serialises loads and unloads.  The log prefix of the calling
 * thread is the filter's name while DriverEntry, the unload callback and
 * DriverUnload run, so their DbgPrint lines say whose they are.
 */
#include <dlfcn.h>
#include <unistd.h>

#include "flt/flt.h"
#include "flt/loader.h"
#include "flt/watch.h"
#include "host/registry/store.h"
#include <altitude/harness.h>
#include <altitude/host.h>
#include <altitude/log.h>

struct host_module {
	struct host_module *next;
	char *name;
	char *path;
	void *dl;
	PDRIVER_OBJECT driver;
};

/* What the DriverEntry trampoline needs: the loading thread's module. */
struct host_loading {
	const char *service;
	PDRIVER_INITIALIZE entry;
	PDRIVER_OBJECT driver;
};

static pthread_mutex_t host_modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_module *host_modules; /* newest first */
static __thread struct host_loading *host_loading;

static struct host_module **host_module_find(const char *name)
{
	struct host_module **m;

	for (m = &host_modules; *m; m = &(*m)->next)
		if (g_ascii_strcasecmp((*m)->name, name) == 0)
			return m;
	return NULL;
}

/* Binds the new driver object to its service before the filter's DriverEntry runs. */
static NTSTATUS NTAPI host_driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
	struct host_loading *l = host_loading;
	NTSTATUS status;

	l->driver = driver;
	status = host_registry_bind_driver(driver, l->service);
	if (!NT_SUCCESS(status))
		return status;
	return l->entry(driver, registry_path);
}

static void host_set_message(char **message, char *text)
{
	if (message)
		*message = text;
	else
		g_free(text);
}

static NTSTATUS host_module_open(const char *service, const char *path, void **dl,
				 PDRIVER_INITIALIZE *entry, char **message)
{
	void *sym;

	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		host_set_message(message, g_strdup_printf("%s: cannot load %s: %s", service, path,
							  dlerror()));
		return access(path, F_OK) == 0 ? STATUS_INVALID_IMAGE_FORMAT : STATUS_DLL_NOT_FOUND;
	}
	sym = dlsym(*dl, "DriverEntry");
	if (!sym) {
		host_set_message(message, g_strdup_printf("%s: %s exports no DriverEntry", service,
							  path));
		dlclose(*dl);
		*dl = NULL;
		return STATUS_PROCEDURE_NOT_FOUND;
	}
	*entry = (PDRIVER_INITIALIZE)sym;
	return STATUS_SUCCESS;
}

/* The harness record of a registry configuration (UTF-16 strings; free with host_config_free). */
static NTSTATUS host_config_build(const char *service, const struct host_registry_filter_config *rc,
				  altitude_filter_config *fc)
{
	altitude_instance_config *inst = g_new0(altitude_instance_config, rc->instance_count + 1);

	fc->instances = inst;
	fc->instance_count = (ULONG)rc->instance_count;
	fc->name = reg_utf8_to_utf16(service, NULL);
	fc->default_instance = rc->default_instance ? reg_utf8_to_utf16(rc->default_instance, NULL) : NULL;
	if (!fc->name || (rc->default_instance && !fc->default_instance))
		return STATUS_OBJECT_NAME_INVALID;
	for (size_t i = 0; i < rc->instance_count; i++) {
		inst[i].name = reg_utf8_to_utf16(rc->instances[i].name, NULL);
		inst[i].altitude = reg_utf8_to_utf16(rc->instances[i].altitude, NULL);
		inst[i].flags = rc->instances[i].flags;
		if (!inst[i].name || !inst[i].altitude)
			return STATUS_OBJECT_NAME_INVALID;
	}
	return STATUS_SUCCESS;
}

static void host_config_free(altitude_filter_config *fc)
{
	for (ULONG i = 0; fc->instances && i < fc->instance_count; i++) {
		g_free((void *)fc->instances[i].name);
		g_free((void *)fc->instances[i].altitude);
	}
	g_free((void *)fc->instances);
	g_free((void *)fc->name);
	g_free((void *)fc->default_instance);
}

/* Runs DriverEntry under the filter's log prefix. */
static NTSTATUS host_module_start(const char *service, PDRIVER_INITIALIZE entry,
				  const altitude_filter_config *fc, PDRIVER_OBJECT *driver)
{
	struct host_loading loading = { service, entry, NULL };
	char previous[64];
	NTSTATUS status;

	g_strlcpy(previous, altitude_log_thread_prefix(), sizeof(previous));
	altitude_log_set_thread_prefix(service);
	host_loading = &loading;
	status = altitude_filter_load(fc, host_driver_entry, driver);
	host_loading = NULL;
	altitude_log_set_thread_prefix(previous);
	if (!NT_SUCCESS(status) && loading.driver)
		host_registry_bind_driver(loading.driver, NULL);
	return status;
}

NTSTATUS altitude_host_filter_load(const char *service, char **message)
{
	struct host_registry_filter_config rc = { 0 };
	altitude_filter_config fc = { 0 };
	PDRIVER_INITIALIZE entry = NULL;
	PDRIVER_OBJECT driver = NULL;
	struct host_module *m;
	void *dl = NULL;
	NTSTATUS status;

	if (message)
		*message = NULL;
	if (!service || !reg_service_name_valid(service))
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&host_modules_lock);
	status = STATUS_IMAGE_ALREADY_LOADED;
	if (host_module_find(service))
		goto out;
	status = host_registry_read_filter_config(service, &rc);
	if (!NT_SUCCESS(status)) {
		host_set_message(message, g_strdup_printf("%s: no valid service key in the registry",
							  service));
		goto out;
	}
	status = STATUS_INVALID_PARAMETER;
	if (!rc.image_path) {
		host_set_message(message, g_strdup_printf("%s: the service has no ImagePath", service));
		goto out;
	}
	status = host_module_open(service, rc.image_path, &dl, &entry, message);
	if (NT_SUCCESS(status))
		status = host_config_build(service, &rc, &fc);
	if (NT_SUCCESS(status))
		status = host_module_start(service, entry, &fc, &driver);
	if (!NT_SUCCESS(status)) {
		if (dl && !(message && *message))
			host_set_message(message, g_strdup_printf("%s: DriverEntry failed with 0x%08X",
								  service, (unsigned)status));
		goto out;
	}
	m = g_new0(struct host_module, 1);
	m->name = g_strdup(service);
	m->path = g_strdup(rc.image_path);
	m->dl = dl;
	m->driver = driver;
	m->next = host_modules;
	host_modules = m;
	dl = NULL;
out:
	if (dl)
		dlclose(dl);
	host_config_free(&fc);
	host_registry_filter_config_free(&rc);
	pthread_mutex_unlock(&host_modules_lock);
	return status;
}

/* Unloads the filter of a module; the module stays loaded when refused. */
static NTSTATUS host_module_stop(struct host_module *m, BOOLEAN mandatory)
{
	char previous[64];
	WCHAR *name;
	NTSTATUS status;

	name = reg_utf8_to_utf16(m->name, NULL);
	if (!name)
		return STATUS_INSUFFICIENT_RESOURCES;
	g_strlcpy(previous, altitude_log_thread_prefix(), sizeof(previous));
	altitude_log_set_thread_prefix(m->name);
	if (flt_loader_filter(m->driver)) {
		status = altitude_filter_unload(name, mandatory);
	} else {
		/* DriverEntry succeeded without a registered filter (or the filter
		 * unregistered itself): only DriverUnload is left to call. */
		flt_loader_release(m->driver);
		status = STATUS_SUCCESS;
	}
	altitude_log_set_thread_prefix(previous);
	g_free(name);
	return status;
}

static void host_module_free(struct host_module *m)
{
	host_registry_bind_driver(m->driver, NULL);
	dlclose(m->dl);
	g_free(m->name);
	g_free(m->path);
	g_free(m);
}

NTSTATUS altitude_host_filter_unload(const char *service, BOOLEAN mandatory)
{
	struct host_module **link, *m;
	NTSTATUS status = STATUS_FLT_FILTER_NOT_FOUND;

	if (!service)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&host_modules_lock);
	link = host_module_find(service);
	if (!link)
		goto out;
	m = *link;
	status = host_module_stop(m, mandatory);
	if (!NT_SUCCESS(status))
		goto out;
	*link = m->next;
	host_module_free(m);
out:
	pthread_mutex_unlock(&host_modules_lock);
	return status;
}

ULONG altitude_host_unload_all(void)
{
	struct host_module *m;
	ULONG count = 0;

	pthread_mutex_lock(&host_modules_lock);
	while ((m = host_modules)) {
		host_module_stop(m, TRUE);
		host_modules = m->next;
		host_module_free(m);
		count++;
	}
	pthread_mutex_unlock(&host_modules_lock);
	return count;
}

static void host_utf16_copy(char *out, size_t size, const WCHAR *s, size_t chars)
{
	char *utf8 = s ? reg_utf16_to_utf8(s, chars) : NULL;

	g_strlcpy(out, utf8 ? utf8 : "", size);
	g_free(utf8);
}

static size_t host_wcslen(const WCHAR *s)
{
	size_t n = 0;

	while (s && s[n])
		n++;
	return n;
}

/* The altitude of the default instance (the first when none is named). */
static const WCHAR *host_default_altitude(const struct flt_loader_record *r)
{
	if (!r || !r->instance_count)
		return NULL;
	for (ULONG i = 0; r->default_instance && i < r->instance_count; i++) {
		size_t n = host_wcslen(r->default_instance);

		if (host_wcslen(r->instances[i].name) == n &&
		    memcmp(r->instances[i].name, r->default_instance, n * sizeof(WCHAR)) == 0)
			return r->instances[i].altitude;
	}
	return r->instances[0].altitude;
}

static void host_filter_info(PFLT_FILTER f, altitude_host_filter_info *info)
{
	const WCHAR *altitude = host_default_altitude(f->config);
	LONGLONG oldest = 0;

	memset(info, 0, sizeof(*info));
	host_utf16_copy(info->name, sizeof(info->name), f->name.Buffer, f->name.Length / sizeof(WCHAR));
	host_utf16_copy(info->altitude, sizeof(info->altitude), altitude, host_wcslen(altitude));
	for (PLIST_ENTRY e = f->instances.Flink; e != &f->instances; e = e->Flink)
		info->instances++;
	for (struct host_module *m = host_modules; m; m = m->next)
		if (m->driver == f->driver)
			g_strlcpy(info->module, m->path, sizeof(info->module));
	flt_watch_filter_pending(f, &info->pending, &oldest);
	info->oldest_ms = flt_watch_age_ms(oldest);
}

ULONG altitude_host_filters(altitude_host_filter_info *infos, ULONG capacity)
{
	ULONG count = 0;

	if (!infos)
		capacity = 0;
	pthread_mutex_lock(&host_modules_lock);
	pthread_mutex_lock(&flt_topology_lock);
	for (PLIST_ENTRY e = flt_filters.Flink; e != &flt_filters; e = e->Flink) {
		PFLT_FILTER f = CONTAINING_RECORD(e, struct _FLT_FILTER, link);

		if (count < capacity)
			host_filter_info(f, &infos[count]);
		count++;
	}
	pthread_mutex_unlock(&flt_topology_lock);
	pthread_mutex_unlock(&host_modules_lock);
	return count;
}
