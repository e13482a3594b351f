/*
 * fltmc: control the Altitude host (man/fltmc.8).  Every command is one
 * request to fltmgrd's control socket.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <altitude/ntstatus_defs.h>

#include "fltmc.h"

struct fc_options fc_options;

static const char fc_usage_text[] =
	"Usage: fltmc [--json] [--runtime-dir DIR] <command> [arguments]\n"
	"Controls the Altitude host daemon, fltmgrd.\n\n"
	"Commands:\n"
	"  install <name> <module.so> --altitude N [--param K=V ...] [--start]\n"
	"                          write the filter's service file (--start: load at host start)\n"
	"  uninstall <name>        remove the filter's service file\n"
	"  load <name>             load an installed filter\n"
	"  unload <name> [--force] unload a filter (--force: mandatory unload)\n"
	"  filters                 list loaded filters\n"
	"  instances [-f filter] [-v volume]\n"
	"                          list instances\n"
	"  attach <filter> <volume> [-a altitude] [-i instance]\n"
	"  detach <filter> <volume> [-i instance]\n"
	"                          attach or detach an instance (volume: mount point or\n"
	"                          \\Device\\AltitudeVolumeN)\n"
	"  volumes                 list mounted volumes\n"
	"  mount [--private] <source> <mountpoint> | mount [--private] --in-place <dir>\n"
	"                          serve a directory through the filter stack\n"
	"                          (--private: only root may use it, every name cached)\n"
	"  unmount <mountpoint>    unmount a volume\n"
	"  status                  show the daemon's state\n\n"
	"Exit status: 0 success, 1 the operation failed, 2 usage error,\n"
	"3 fltmgrd cannot be reached.\n";

static int fc_usage(const char *error)
{
	if (error) {
		fprintf(stderr, "fltmc: %s\n%s", error, "Try 'fltmc --help'.\n");
		return FC_USAGE;
	}
	fputs(fc_usage_text, stdout);
	return FC_OK;
}

/* Runs a request that returns nothing but a status. */
static int fc_simple(uint16_t type, const char *const *args, size_t count, const char *what,
		     const char *(*hint)(NTSTATUS status, const char *name, const char *message),
		     const char *done)
{
	struct ctl_msg reply;
	int rc = fc_request(type, args, count, &reply);

	if (rc)
		return rc;
	rc = FC_OK;
	if (!NT_SUCCESS(reply.status)) {
		fc_report(what, &reply, hint ? hint(reply.status, args[0], reply.strings[0]) : NULL);
		rc = FC_FAILED;
	} else if (done && !fc_options.json) {
		printf("%s\n", done);
	} else if (fc_options.json) {
		printf("{\"status\": 0}\n");
	}
	ctl_msg_clear(&reply);
	return rc;
}

static const char *fc_hint(NTSTATUS status, const char *name, const char *message)
{
	static char text[512];

	switch (status) {
	case STATUS_FLT_DO_NOT_DETACH:
		snprintf(text, sizeof(text), "filter %s refused unload; use --force", name);
		return text;
	case STATUS_FLT_FILTER_NOT_FOUND:
		return "the filter is not loaded (see fltmc filters)";
	case STATUS_IMAGE_ALREADY_LOADED:
		return "the filter is already loaded";
	case STATUS_OBJECT_NAME_NOT_FOUND:
		return "install it first: fltmc install <name> <module.so> --altitude N";
	case STATUS_ACCESS_DENIED:
		/* Only the control socket's refusal; a filter's own status stands alone. */
		if (strncmp(message, "access denied", 13) != 0)
			return NULL;
		return "run as root or as a member of fltmgrd's admin group";
	default:
		return NULL;
	}
}

static int fc_install(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "altitude", required_argument, NULL, 'a' },
		{ "param", required_argument, NULL, 'p' },
		{ "start", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *args[CTL_MAX_STRINGS];
	const char *altitude = NULL, *start = "3";
	char module[PATH_MAX], text[300];
	size_t count = 4;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:p:s", opts, NULL)) != -1) {
		if (c == 'a')
			altitude = optarg;
		else if (c == 'p' && count < CTL_MAX_STRINGS)
			args[count++] = optarg;
		else if (c == 's')
			start = "2";
		else
			return fc_usage("install: bad option");
	}
	if (argc - optind != 2 || !altitude)
		return fc_usage("install needs <name> <module.so> --altitude N");
	if (!realpath(argv[optind + 1], module)) {
		fprintf(stderr, "fltmc: install: %s: module not found\n", argv[optind + 1]);
		return FC_FAILED;
	}
	args[3] = start;
	args[0] = argv[optind];
	args[1] = module;
	args[2] = altitude;
	snprintf(text, sizeof(text), "filter %s installed", argv[optind]);
	return fc_simple(CTL_INSTALL, args, count, "install", fc_hint, text);
}

static int fc_unload(int argc, char **argv)
{
	const char *args[2] = { NULL, "0" };
	char what[300];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			args[1] = "1";
		else if (!args[0])
			args[0] = argv[i];
		else
			return fc_usage("unload takes one filter name");
	}
	if (!args[0])
		return fc_usage("unload needs a filter name");
	snprintf(what, sizeof(what), "unload %s", args[0]);
	return fc_simple(CTL_UNLOAD, args, 2, what, fc_hint, NULL);
}

static int fc_one_name(int argc, char **argv, uint16_t type,
		       const char *(*hint)(NTSTATUS status, const char *name, const char *message))
{
	const char *args[1];
	char what[300];

	if (argc != 2)
		return fc_usage("the command takes exactly one name");
	args[0] = argv[1];
	snprintf(what, sizeof(what), "%s %s", argv[0], argv[1]);
	return fc_simple(type, args, 1, what, hint, NULL);
}

/* mount [--private] <source> <mountpoint> | mount [--private] --in-place <dir> */
static int fc_mount(int argc, char **argv)
{
	char source[PATH_MAX], mountpoint[PATH_MAX];
	const char *args[3];
	bool private_volume = argc > 1 && strcmp(argv[1], "--private") == 0;
	bool in_place;

	if (private_volume) {
		argc--;
		argv++;
	}
	in_place = argc == 3 && strcmp(argv[1], "--in-place") == 0;
	if (argc != 3)
		return fc_usage("mount needs [--private] <source> <mountpoint> or [--private] --in-place <dir>");
	if ((!in_place && !realpath(argv[1], source)) || !realpath(argv[2], mountpoint)) {
		perror("fltmc: mount");
		return FC_FAILED;
	}
	args[0] = in_place ? "" : source;
	args[1] = mountpoint;
	args[2] = private_volume ? "private" : "";
	return fc_simple(CTL_MOUNT, args, 3, "mount", NULL, NULL);
}

static int fc_list(uint16_t type, const char *const *headers, const char *const *keys,
		   const bool *numeric, size_t columns, const char *const *args, size_t count)
{
	struct ctl_msg reply;
	int rc = fc_request(type, args, count, &reply);

	if (rc)
		return rc;
	if (NT_SUCCESS(reply.status))
		fc_print_records(&reply, headers, keys, numeric, columns);
	else
		fc_report("list", &reply, fc_hint(reply.status, "", reply.strings[0]));
	rc = NT_SUCCESS(reply.status) ? FC_OK : FC_FAILED;
	ctl_msg_clear(&reply);
	return rc;
}

static int fc_filters(void)
{
	static const char *const headers[] = { "Filter Name", "Num Instances", "Altitude", "Frame",
					       "Module", "Pending", "Oldest (ms)" };
	static const char *const keys[] = { "name", "instances", "altitude", "frame", "module",
					    "pending", "oldest_ms" };
	static const bool numeric[] = { false, true, false, true, false, true, true };

	return fc_list(CTL_FILTERS, headers, keys, numeric, 7, NULL, 0);
}

static int fc_volumes(void)
{
	static const char *const headers[] = { "Dos Name", "Volume Name", "FileSystem", "Source" };
	static const char *const keys[] = { "dos_name", "volume_name", "filesystem", "source" };
	static const bool numeric[] = { false, false, false, false };

	return fc_list(CTL_VOLUMES, headers, keys, numeric, 4, NULL, 0);
}

static int fc_instances(int argc, char **argv)
{
	static const char *const headers[] = { "Filter", "Volume Name", "Altitude", "Instance Name",
					       "Frame", "Dos Name", "Pending", "Oldest (ms)" };
	static const char *const keys[] = { "filter", "volume_name", "altitude", "instance",
					    "frame", "dos_name", "pending", "oldest_ms" };
	static const bool numeric[] = { false, false, false, false, true, false, true, true };
	const char *args[2] = { "", "" };
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "f:v:")) != -1) {
		if (c == 'f')
			args[0] = optarg;
		else if (c == 'v')
			args[1] = optarg;
		else
			return fc_usage("instances [-f filter] [-v volume]");
	}
	if (optind != argc)
		return fc_usage("instances [-f filter] [-v volume]");
	return fc_list(CTL_INSTANCES, headers, keys, numeric, 8, args, 2);
}

static const char *fc_detach_hint(NTSTATUS status, const char *name, const char *message)
{
	(void)name;
	(void)message;
	if (status == STATUS_FLT_DO_NOT_DETACH)
		return "the filter refuses manual detach (its InstanceQueryTeardownCallback)";
	return NULL;
}

/* attach <filter> <volume> [-a altitude] [-i instance]; detach <filter> <volume> [-i instance] */
static int fc_attach_detach(int argc, char **argv, bool attach)
{
	const char *args[4] = { NULL, NULL, "", "" };
	const char *positional[2];
	char what[600];
	size_t n = 0;
	int c;

	optind = 1;
	while (optind < argc) {
		c = getopt(argc, argv, attach ? "+a:i:" : "+i:");
		if (c == -1) {
			if (n == 2)
				return fc_usage("too many arguments");
			positional[n++] = argv[optind++];
		} else if (c == 'a') {
			args[2] = optarg;
		} else if (c == 'i') {
			args[attach ? 3 : 2] = optarg;
		} else {
			return fc_usage(attach ? "attach <filter> <volume> [-a altitude] [-i instance]"
					       : "detach <filter> <volume> [-i instance]");
		}
	}
	if (n != 2)
		return fc_usage(attach ? "attach <filter> <volume> [-a altitude] [-i instance]"
				       : "detach <filter> <volume> [-i instance]");
	args[0] = positional[0];
	args[1] = positional[1];
	snprintf(what, sizeof(what), "%s %s %s", attach ? "attach" : "detach", args[0], args[1]);
	return fc_simple(attach ? CTL_ATTACH : CTL_DETACH, args, attach ? 4 : 3, what,
			 attach ? NULL : fc_detach_hint, NULL);
}

static int fc_status(void)
{
	static const char *const headers[] = { "Item", "Value" };
	static const char *const keys[] = { "item", "value" };
	static const bool numeric[] = { false, false };

	return fc_list(CTL_STATUS, headers, keys, numeric, 2, NULL, 0);
}

static int fc_command(int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "install") == 0)
		return fc_install(argc, argv);
	if (strcmp(cmd, "uninstall") == 0)
		return fc_one_name(argc, argv, CTL_UNINSTALL, NULL);
	if (strcmp(cmd, "load") == 0)
		return fc_one_name(argc, argv, CTL_LOAD, fc_hint);
	if (strcmp(cmd, "unload") == 0)
		return fc_unload(argc, argv);
	if (strcmp(cmd, "unmount") == 0)
		return fc_one_name(argc, argv, CTL_UNMOUNT, NULL);
	if (strcmp(cmd, "mount") == 0)
		return fc_mount(argc, argv);
	if (strcmp(cmd, "instances") == 0)
		return fc_instances(argc, argv);
	if (strcmp(cmd, "attach") == 0)
		return fc_attach_detach(argc, argv, true);
	if (strcmp(cmd, "detach") == 0)
		return fc_attach_detach(argc, argv, false);
	if (argc != 1)
		return fc_usage("the command takes no arguments");
	if (strcmp(cmd, "filters") == 0)
		return fc_filters();
	if (strcmp(cmd, "volumes") == 0)
		return fc_volumes();
	if (strcmp(cmd, "status") == 0)
		return fc_status();
	return fc_usage("unknown command");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			fc_options.json = true;
		else if (strcmp(argv[i], "--runtime-dir") == 0 && i + 1 < argc)
			snprintf(fc_options.runtime_dir, sizeof(fc_options.runtime_dir), "%s", argv[++i]);
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return fc_usage(NULL);
		else
			return fc_usage("unknown option");
	}
	if (i == argc)
		return fc_usage("no command");
	if (strcmp(argv[i], "help") == 0)
		return fc_usage(NULL);
	return fc_command(argc - i, argv + i);
}
