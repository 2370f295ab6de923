/*
 * embargo: pre-disclosure sharing with traceable copies.
 * main() picks the data directory and the command group; each group lives
 * in its own cmd_*.c.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/emb.h"

#define USAGE                                                                  \
	"usage: embargo [-d DATADIR] COMMAND [ARGS]\n"                         \
	"\n"                                                                   \
	"  init                              create a data directory\n"        \
	"  tier list|add                     access tiers\n"                   \
	"  partner add|list|show|set|token   partners and their tokens\n"      \
	"  advisory create|list|show|attach|reschedule|exclude|publish|\n"     \
	"           withdraw|access          advisories and artifacts\n"       \
	"  copy ADVISORY ARTIFACT --partner ID [-o FILE]\n"                    \
	"                                    render a partner's copy\n"        \
	"  audit log|verify                  the tamper-evident event log\n"   \
	"  serve [--listen ADDR:PORT] [--tls-cert F --tls-key F]\n"            \
	"                                    the distribution server\n"        \
	"  export csaf ID                    a published advisory as CSAF\n"   \
	"  trace SAMPLE... [--logs FILE]...  name the partner who leaked\n"    \
	"\n"                                                                   \
	"DATADIR defaults to $EMBARGO_HOME, else ./embargo-data.\n"            \
	"Run 'embargo COMMAND --help' for a command's options.\n"

static const struct {
	const char *name;
	int (*fn)(const struct cli *c, int argc, char **argv);
} commands[] = {
    {"init", cmd_init},
    {"tier", cmd_tier},
    {"partner", cmd_partner},
    {"advisory", cmd_advisory},
    {"copy", cmd_copy},
    {"audit", cmd_audit},
    {"serve", cmd_serve},
    {"export", cmd_export},
    {"trace", cmd_trace},
};

int
main(int argc, char **argv)
{
	struct cli c = {0};
	struct passwd *pw;
	int i = 1;

	/* Everything embargo writes is for the coordinator's eyes only. */
	umask(077);
	c.datadir = getenv("EMBARGO_HOME");
	if (c.datadir == NULL || c.datadir[0] == '\0')
		c.datadir = "./embargo-data";
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-d") == 0 ||
		    strcmp(argv[i], "--datadir") == 0) {
			if (i + 1 >= argc) {
				fputs(
				    "embargo: -d needs a directory\n", stderr);
				return CLI_EXIT_USAGE;
			}
			c.datadir = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("embargo 0.1.0");
			return 0;
		} else {
			fprintf(stderr,
			    "embargo: unknown option %s (run 'embargo "
			    "--help')\n",
			    argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fputs("embargo: no command given (run 'embargo --help')\n",
		    stderr);
		return CLI_EXIT_USAGE;
	}
	pw = getpwuid(geteuid());
	(void)snprintf(c.actor, sizeof(c.actor), "cli:%s",
	    pw && pw->pw_name ? pw->pw_name : "unknown");
	{
		struct emb_error err = {0};
		if (crypto_lib_init() < 0) {
			emb_error_set(
			    &err, EMB_ECRYPTO, "cannot initialise libsodium");
			return cli_fail(&err);
		}
	}
	for (size_t k = 0; k < EMB_ARRAY_LEN(commands); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(&c, argc - i, argv + i);
	fprintf(stderr,
	    "embargo: unknown command '%s' (run 'embargo --help')\n", argv[i]);
	return CLI_EXIT_USAGE;
}
