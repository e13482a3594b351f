/* fltmc: the Altitude control CLI (man/fltmc.8). */
#ifndef ALTITUDE_SRC_HOST_FLTMC_H
#define ALTITUDE_SRC_HOST_FLTMC_H

#include <stdbool.h>
#include <stdio.h>

#include "host/control/control.h"

/* Exit codes. */
#define FC_OK 0
#define FC_FAILED 1      /* the daemon refused or the operation failed */
#define FC_USAGE 2       /* bad command line */
#define FC_NO_DAEMON 3   /* the control socket cannot be reached */

struct fc_options {
	bool json;
	char runtime_dir[512];
};

extern struct fc_options fc_options;

/* ---- client.c ---- */
/* Sends a request and receives its reply; FC_OK or FC_NO_DAEMON (reported). */
int fc_request(uint16_t type, const char *const *args, size_t count, struct ctl_msg *reply);

/* ---- output.c ---- */
void fc_json_string(FILE *out, const char *s);
/* Prints records as a table (header widths grow to fit) or JSON objects with `keys`. */
void fc_print_records(const struct ctl_msg *reply, const char *const *headers,
		      const char *const *keys, const bool *numeric, size_t columns);
/* Reports a failed reply: "fltmc: <what>: STATUS_X (0x...): message; hint". */
void fc_report(const char *what, const struct ctl_msg *reply, const char *hint);

#endif /* ALTITUDE_SRC_HOST_FLTMC_H */
