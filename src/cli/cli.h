/* Shared by the command groups: context, errors, output helpers. */
#ifndef EMB_CLI_CLI_H
#define EMB_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/core.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_DONE (-1000) /* cli_getopt: --help was answered, exit 0 */

struct cli {
	const char *datadir;
	char actor[EMB_ID_MAX + 8]; /* "cli:USER" for the event log */
};

/* Print "embargo: MESSAGE" on stderr; returns CLI_EXIT_FAIL. */
int cli_error(const char *fmt, ...) EMB_PRINTF(1, 2);

/* Print a failed use case's message; returns CLI_EXIT_FAIL. */
int cli_fail(const struct emb_error *err);

/* Print a usage error with a hint; returns CLI_EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) EMB_PRINTF(2, 3);

/* Open the instance, printing why not; 0 or CLI_EXIT_FAIL. */
int cli_open(const struct cli *c, struct emb_instance **ret);

/* Parse an RFC 3339 option value, naming the option when it is bad. */
int cli_time(const char *opt, const char *s, int64_t *ret);

/* Print a JSON value (consumed) on stdout, indented, with a newline. */
int cli_json(json_t *take);

/*
 * Parse options with getopt_long (no getopt messages of its own): calls
 * handle(id, optarg, arg) for each option; unknown options and missing
 * arguments are usage errors; -h/--help prints the usage on stdout.
 * Records in *seen which entries of opts were given (bit i for opts[i]).
 * Returns the index of the first operand, CLI_DONE after --help, or a
 * negative exit code after printing the usage error.
 */
struct option;
int cli_getopt(int argc, char **argv, const struct option *opts,
    const char *usage, int (*handle)(int id, const char *val, void *arg),
    void *arg, uint64_t *seen);

/* The exit status for a negative cli_getopt result. */
int cli_getopt_exit(int r);

/* Whether s asks for help (-h, --help); if so, prints the usage. */
bool cli_help(const char *s, const char *usage);

/*
 * Refuse options that do not apply to this subcommand: allowed is a
 * space-separated list of long option names.  0 or CLI_EXIT_USAGE.
 */
int cli_only(const struct option *opts, uint64_t seen, const char *usage,
    const char *what, const char *allowed);

/* Write n bytes to fd, retrying short writes: 0 or -1 (errno set). */
int cli_write_all(int fd, const uint8_t *p, size_t n);

/*
 * An output file written all or nothing: cli_out_open creates a temporary
 * file beside path (so a bad path fails before anything else happens),
 * cli_out_commit fills, syncs and renames it into place, cli_out_abort
 * removes it if it is still there.  -1 with errno set on failure.
 */
struct cli_out {
	char tmp[4096];
	int fd;
};
int cli_out_open(struct cli_out *f, const char *path);
int
cli_out_commit(struct cli_out *f, const char *path, const uint8_t *p, size_t n);
void cli_out_abort(struct cli_out *f);

/* Collects table rows and prints them with aligned columns. */
struct cli_table {
	size_t ncols;
	size_t nrows;
	size_t cap;
	char **cells;
};
void cli_table_init(struct cli_table *t, size_t ncols);
void cli_table_row(struct cli_table *t, ...); /* ncols strings */
void cli_table_print(struct cli_table *t); /* prints and frees */

/* Command groups: argv[0] is the group name. */
int cmd_init(const struct cli *c, int argc, char **argv);
int cmd_partner(const struct cli *c, int argc, char **argv);
int cmd_tier(const struct cli *c, int argc, char **argv);
int cmd_advisory(const struct cli *c, int argc, char **argv);
int cmd_copy(const struct cli *c, int argc, char **argv);
int cmd_audit(const struct cli *c, int argc, char **argv);
int cmd_serve(const struct cli *c, int argc, char **argv);
int cmd_export(const struct cli *c, int argc, char **argv);
int cmd_trace(const struct cli *c, int argc, char **argv);

#endif
