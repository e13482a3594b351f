/*
 * Internal interface of the registry store (src/host/registry/).
 *
 * The store is an in-memory tree rooted at the Services key
 * (\Registry\Machine\System\CurrentControlSet\Services).  Each service key
 * and everything below it is loaded from, and saved to, one file
 * <directory>/<service>.conf (format: docs/registry.md).  Names are kept in
 * UTF-8 and compared case-insensitively (simple per-character upcase, as
 * Windows does); value data are raw bytes tagged with a REG_* type.
 *
 * One process-wide lock guards the tree and the handle table; every
 * reg_* function below that takes a key expects the caller to hold it
 * (reg_lock/reg_unlock), except where it says otherwise.
 */
#ifndef ALTITUDE_SRC_HOST_REGISTRY_H
#define ALTITUDE_SRC_HOST_REGISTRY_H

#include <wdm.h>
#include <glib.h>

/* The documented limits: 255 characters per key name, 16383 per value name. */
#define REG_MAX_KEY_NAME_CHARS 255
#define REG_MAX_VALUE_NAME_CHARS 16383

struct reg_value {
	char *name;       /* UTF-8; "" is the key's default value */
	char *fold;       /* upcased name, for lookups */
	ULONG type;
	ULONG size;
	guint8 *data;
};

struct reg_service;

struct reg_key {
	char *name;               /* UTF-8, as created */
	char *fold;               /* upcased name, for lookups and ordering */
	struct reg_key *parent;   /* NULL for the Services root and unlinked keys */
	struct reg_service *service; /* the service file this key is saved in; NULL for the root */
	GPtrArray *subkeys;       /* struct reg_key *, sorted by fold */
	GPtrArray *values;        /* struct reg_value *, in creation order */
	WCHAR *class_name;        /* key class (ZwCreateKey Class), may be NULL */
	USHORT class_length;      /* bytes */
	BOOLEAN is_volatile;      /* never written to the file */
	BOOLEAN deleted;          /* unlinked by ZwDeleteKey; handles still refer to it */
	ULONG handles;            /* open handles; an unlinked key is freed at zero */
	LONGLONG last_write;      /* 100 ns since 1601 */
};

/* A loaded service file. */
struct reg_service {
	char *path;               /* <directory>/<name>.conf */
	struct reg_key *key;      /* the service key, child of the root */
};

/* Lock of the whole store. */
void reg_lock(void);
void reg_unlock(void);

/* ---- names and strings (names.c) ---- */

/* The upcased form of a UTF-8 name used for comparisons (g_free it). */
char *reg_name_fold(const char *utf8);
/*
 * Converts a counted UTF-16 string to UTF-8 (g_free it).  Returns NULL for
 * ill-formed UTF-16 (unpaired surrogates) or an embedded NUL.
 */
char *reg_utf16_to_utf8(const WCHAR *s, size_t chars);
/*
 * Converts UTF-8 to UTF-16 (g_free it); *chars gets the length without NUL.
 * NULL for ill-formed UTF-8.
 */
WCHAR *reg_utf8_to_utf16(const char *s, size_t *chars);
/*
 * A UNICODE_STRING argument as UTF-8: STATUS_INVALID_PARAMETER for a NULL or
 * malformed string (odd or inconsistent lengths), STATUS_OBJECT_NAME_INVALID
 * for ill-formed UTF-16 or an embedded NUL.
 */
NTSTATUS reg_unicode_to_utf8(PCUNICODE_STRING s, char **utf8);
/* Length in WCHARs of a NUL-terminated UTF-16 string. */
size_t reg_wcslen(const WCHAR *s);
/* Validates a key name component: 1..255 characters, no backslash. */
BOOLEAN reg_key_name_valid(const char *utf8);
/* The current system time, 100 ns since 1601. */
LONGLONG reg_now(void);

/* ---- the tree (tree.c) ---- */

struct reg_key *reg_key_new(const char *name, struct reg_service *service);
/* Frees a key, its values and (recursively) its linked subkeys. */
void reg_key_free(struct reg_key *key);
struct reg_key *reg_key_find_child(const struct reg_key *key, const char *name);
/* Sets the service of a key and every key below it. */
void reg_key_set_service(struct reg_key *key, struct reg_service *service);
/* Links `child` under `parent` in sorted position. */
void reg_key_link(struct reg_key *parent, struct reg_key *child);
/*
 * Unlinks a key from its parent and marks it and its subkeys deleted; it is
 * freed now if no handle refers to it.
 */
void reg_key_unlink(struct reg_key *key);
/* Frees a deleted key once its last handle is closed (unlinking it from a deleted parent). */
void reg_key_release(struct reg_key *key);
struct reg_value *reg_value_find(const struct reg_key *key, const char *name, guint *index);
/* Sets (creates or replaces) a value; copies the data. */
void reg_value_set(struct reg_key *key, const char *name, ULONG type, const void *data,
		   ULONG size);
BOOLEAN reg_value_delete(struct reg_key *key, const char *name);
/* Marks a key written now and saves its service file when it is persistent. */
NTSTATUS reg_key_touch(struct reg_key *key);

/* ---- typed values in the file format (typed_value.c) ---- */

/*
 * Parses the text of a value as written in a service file ("dword:5",
 * "multi_sz:a;b", "hex:01,02", or a bare string) into a type and data
 * (g_free *data).  On error returns FALSE with a message in *error.
 * `raw` is the unescaped string (for multi_sz only its prefix matters),
 * `list` the GLib list form of a multi_sz value.
 */
BOOLEAN reg_typed_value_parse(const char *raw, char **list, ULONG *type, guint8 **data,
			      ULONG *size, char **error);
/* Formats a value for the file: sets it in `file` under group/key. */
void reg_typed_value_store(GKeyFile *file, const char *group, const char *key, ULONG type,
			   const guint8 *data, ULONG size);

/* ---- names in the file (file_names.c); NULL when a name cannot be decoded ---- */

char *reg_file_encode_value_name(const char *name);
char *reg_file_decode_value_name(const char *text);
/* `first_level`: the key is a direct child of the service key. */
char *reg_file_encode_key_name(const char *name, BOOLEAN first_level);
char *reg_file_decode_key_name(const char *text);

/* ---- service files (file_load.c, file_save.c) ---- */

/*
 * Loads a service file into a new service key named `name`.  A malformed
 * file gives STATUS_REGISTRY_CORRUPT and "path:line: what" in *error.
 */
NTSTATUS reg_file_load(const char *path, const char *name, struct reg_key **key, char **error);
/* Loads from a buffer (what reg_file_load does after reading the file). */
NTSTATUS reg_file_load_data(const char *path, const char *text, gsize length, const char *name,
			    struct reg_key **key, char **error);
/* Writes a service key to its file atomically (temporary file + rename). */
NTSTATUS reg_file_save(const struct reg_key *key, const char *path);
/* The file text for a service key (g_free it). */
char *reg_file_format(const struct reg_key *key);

/* ---- the store: directory, services, paths (store.c) ---- */

/* The Services root key (loading every service file on first use). */
struct reg_key *reg_root(void);
/*
 * Looks up the key at `path` (components separated by '\', relative to
 * `base`; NULL base means an absolute \Registry\... path).  Returns
 * STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_SYNTAX_BAD,
 * STATUS_OBJECT_NAME_INVALID or STATUS_REGISTRY_CORRUPT (a service whose
 * file is malformed).  With `create`, a missing last component is created
 * (*created set) with the given class and volatility.
 */
NTSTATUS reg_path_lookup(struct reg_key *base, const char *path, BOOLEAN create,
			 const WCHAR *class_name, USHORT class_length, BOOLEAN is_volatile,
			 struct reg_key **key, BOOLEAN *created);
/* Removes a service's file (its key was deleted). */
NTSTATUS reg_service_remove_file(struct reg_service *service);
/* The full \Registry\... path of a key (g_free it). */
char *reg_key_full_path(const struct reg_key *key);
/* Maps a GLib file error to a status (G_FILE_ERROR_NOENT: not found). */
NTSTATUS reg_status_from_gerror(const GError *error);
/* Reports a store error (malformed file, failed save) to the error sink. */
void reg_report(const char *message);

/* ---- handles (handles.c) ---- */

/*
 * Opens a handle to `key` with the (generic-mapped) access, a kernel handle
 * when `kernel` (OBJ_KERNEL_HANDLE); ZwClose closes it.
 */
NTSTATUS reg_handle_open(struct reg_key *key, ACCESS_MASK access, BOOLEAN kernel,
			 PHANDLE handle);
/*
 * Resolves a handle; returns STATUS_INVALID_HANDLE for an unknown one,
 * STATUS_ACCESS_DENIED when `needed` is not granted, STATUS_KEY_DELETED
 * for a deleted key.
 */
NTSTATUS reg_handle_key(HANDLE handle, ACCESS_MASK needed, struct reg_key **key);
/* Closes every key handle (store shutdown); takes the lock itself. */
void reg_handles_close_all(void);

/* ---- information classes (info.c) ---- */

NTSTATUS reg_query_key_info(const struct reg_key *key, KEY_INFORMATION_CLASS cls, PVOID buffer,
			    ULONG length, PULONG result_length);
NTSTATUS reg_query_value_info(const struct reg_value *value, KEY_VALUE_INFORMATION_CLASS cls,
			      PVOID buffer, ULONG length, PULONG result_length);

/* ---- the Rtl helpers' shared pieces (rtl_registry.c) ---- */

/*
 * Opens (or with `create`, creates) the key RelativeTo/Path name; *owned is
 * TRUE when the caller must ZwClose the handle (not for RTL_REGISTRY_HANDLE).
 */
NTSTATUS reg_rtl_open(ULONG relative_to, PCWSTR path, BOOLEAN create, ACCESS_MASK access,
		      HANDLE *handle, BOOLEAN *owned);
/* A UNICODE_STRING over a NUL-terminated name; NULL is the default value. */
NTSTATUS reg_rtl_name(PCWSTR text, PUNICODE_STRING name);

/*
 * Expands %NAME% references in REG_EXPAND_SZ data: names are looked up in
 * `environment` (a block of "NAME=VALUE" strings ending with an empty one)
 * or, when it is NULL, in the process environment; unknown names stay as
 * written.  *out is NUL-terminated UTF-16 (g_free it), *out_length its size
 * in bytes with the NUL.
 */
NTSTATUS reg_expand_environment(PVOID environment, const void *data, ULONG length, WCHAR **out,
				ULONG *out_length);

/* ---- the host API (host_registry.c) ---- */

/*
 * Sets the directory of service files (default /etc/altitude/filters, or
 * $ALTITUDE_REGISTRY_DIR) and drops every loaded key and handle.
 */
NTSTATUS host_registry_init(const char *directory);
/* Closes every handle and frees the tree (unsaved volatile keys are lost). */
void host_registry_shutdown(void);
/*
 * Where store errors go (default: stderr); NULL restores the default.  The
 * sink runs with the store locked: it must not call into the registry.
 */
typedef void (*host_registry_error_sink)(const char *message, void *context);
void host_registry_set_error_sink(host_registry_error_sink sink, void *context);
/* Forgets a loaded service so that its file is read again on next use. */
void host_registry_forget_service(const char *name);

/* One instance of a filter, from Instances\<name>. */
struct host_registry_instance {
	char *name;
	char *altitude;   /* decimal string, as in the registry */
	ULONG flags;
};

/* What the Filter Manager loader reads from a filter's service key. */
struct host_registry_filter_config {
	char *image_path;        /* Service\ImagePath, may be NULL */
	char *default_instance;  /* Instances\DefaultInstance, may be NULL */
	size_t instance_count;
	struct host_registry_instance *instances;
};

/*
 * Reads a filter's instance configuration.  STATUS_OBJECT_NAME_NOT_FOUND
 * when the service does not exist, STATUS_REGISTRY_CORRUPT for a malformed
 * file, STATUS_INVALID_PARAMETER for a DefaultInstance naming no instance or
 * an instance without a valid Altitude.
 */
NTSTATUS host_registry_read_filter_config(const char *service,
					  struct host_registry_filter_config *config);
void host_registry_filter_config_free(struct host_registry_filter_config *config);

/*
 * Writes a service file for `fltmc install <name> <module.so> --altitude N
 * [--param K=V ...]`: ImagePath, one instance "<name> Instance" at the
 * altitude (flags 0) as DefaultInstance, and Parameters values given as
 * "K=<typed value>" strings (docs/registry.md).  Replaces an existing file.
 * On a bad argument returns STATUS_INVALID_PARAMETER with a message in
 * *error (g_free it).
 */
NTSTATUS host_registry_install(const char *service, const char *image_path, const char *altitude,
			       const char *const *params, size_t param_count, char **error);

/*
 * Binds a driver object to its service name, for IoOpenDriverRegistryKey
 * (the loader calls it before DriverEntry); NULL service removes the binding.
 */
NTSTATUS host_registry_bind_driver(PDRIVER_OBJECT driver, const char *service);

#endif /* ALTITUDE_SRC_HOST_REGISTRY_H */
