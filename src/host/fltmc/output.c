/* fltmc output: tables modelled on Windows fltmc, or JSON with --json. */
#include <stdlib.h>
#include <string.h>

#include <altitude/ntstatus_defs.h>
#include <altitude/status.h>

#include "fltmc.h"

#define FC_MAX_COLUMNS 8

void fc_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void fc_print_json(const struct ctl_msg *reply, const char *const *keys,
			  const bool *numeric, size_t columns)
{
	char *fields[FC_MAX_COLUMNS];

	printf("[");
	for (size_t r = 1; r < reply->count; r++) {
		char *copy = strdup(reply->strings[r]);
		size_t n;

		if (!copy)
			break;
		n = ctl_split(copy, fields, columns);
		printf("%s{", r > 1 ? ",\n " : "");
		for (size_t c = 0; c < n; c++) {
			printf("%s\"%s\": ", c ? ", " : "", keys[c]);
			if (numeric[c] && fields[c][0] && strspn(fields[c], "0123456789") == strlen(fields[c]))
				printf("%s", fields[c]);
			else
				fc_json_string(stdout, fields[c]);
		}
		printf("}");
		free(copy);
	}
	printf("]\n");
}

void fc_print_records(const struct ctl_msg *reply, const char *const *headers,
		      const char *const *keys, const bool *numeric, size_t columns)
{
	size_t width[FC_MAX_COLUMNS];
	char *fields[FC_MAX_COLUMNS];

	if (fc_options.json) {
		fc_print_json(reply, keys, numeric, columns);
		return;
	}
	for (size_t c = 0; c < columns; c++)
		width[c] = strlen(headers[c]);
	for (size_t r = 1; r < reply->count; r++) {
		char *copy = strdup(reply->strings[r]);
		size_t n = copy ? ctl_split(copy, fields, columns) : 0;

		for (size_t c = 0; c < n; c++)
			if (strlen(fields[c]) > width[c])
				width[c] = strlen(fields[c]);
		free(copy);
	}
	for (size_t c = 0; c < columns; c++)
		printf("%-*s%s", (int)width[c], headers[c], c + 1 < columns ? "  " : "\n");
	for (size_t c = 0; c < columns; c++)
		for (size_t i = 0; i < width[c] + (c + 1 < columns ? 2 : 0); i++)
			putchar(i < width[c] ? '-' : ' ');
	putchar('\n');
	for (size_t r = 1; r < reply->count; r++) {
		char *copy = strdup(reply->strings[r]);
		size_t n = copy ? ctl_split(copy, fields, columns) : 0;

		for (size_t c = 0; c < columns; c++)
			printf("%-*s%s", (int)width[c], c < n ? fields[c] : "",
			       c + 1 < columns ? "  " : "\n");
		free(copy);
	}
}

void fc_report(const char *what, const struct ctl_msg *reply, const char *hint)
{
	const char *name = altitude_status_name(reply->status);
	const char *message = reply->strings[0];

	fprintf(stderr, "fltmc: %s: %s (0x%08X)%s%s%s%s\n", what, name ? name : "status",
		(unsigned)reply->status, message[0] ? ": " : "", message, hint ? "; " : "",
		hint ? hint : "");
}
