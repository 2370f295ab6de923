#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define INIT_USAGE "[-d DATADIR] init"

static int
no_opts(int id, const char *val, void *arg)
{
	(void)id;
	(void)val;
	(void)arg;
	return 0;
}

int
cmd_init(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct emb_error err = {0};
	uint64_t seen;
	int i;

	if ((i = cli_getopt(
	         argc, argv, opts, INIT_USAGE, no_opts, NULL, &seen)) < 0)
		return cli_getopt_exit(i);
	if (i != argc)
		return cli_usage(INIT_USAGE, "init takes no arguments");
	if (core_instance_create(c->datadir, c->actor, emb_time_now(), &err) <
	    0)
		return cli_fail(&err);
	printf("initialised %s (tiers notify < detect < poc)\n", c->datadir);
	return 0;
}
