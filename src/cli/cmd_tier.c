#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define TIER_USAGE "tier list [--json] | tier add NAME --rank N"

struct tier_opts {
	bool json;
	const char *rank;
};

static int
tier_opt(int id, const char *val, void *arg)
{
	struct tier_opts *o = arg;

	switch (id) {
	case 'j':
		o->json = true;
		return 0;
	case 'r':
		o->rank = val;
		return 0;
	default:
		return 0;
	}
}

int
cmd_tier(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"rank", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct tier_opts o = {0};
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	struct store_tier *v = NULL;
	size_t n = 0;
	int64_t rank;
	uint64_t seen;
	int i, rc;

	if (argc < 2)
		return cli_usage(TIER_USAGE, "missing subcommand");
	if (cli_help(argv[1], TIER_USAGE))
		return 0;
	if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "add") != 0)
		return cli_usage(
		    TIER_USAGE, "unknown subcommand '%s'", argv[1]);
	if ((i = cli_getopt(argc - 1, argv + 1, opts, TIER_USAGE, tier_opt, &o,
	         &seen)) < 0)
		return cli_getopt_exit(i);
	if ((rc = cli_only(opts, seen, TIER_USAGE,
	         strcmp(argv[1], "list") == 0 ? "tier list" : "tier add",
	         strcmp(argv[1], "list") == 0 ? "json" : "rank")) != 0)
		return rc;
	i++;
	if (strcmp(argv[1], "list") == 0) {
		if (i != argc || o.rank)
			return cli_usage(TIER_USAGE,
			    "tier list takes no"
			    " arguments");
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_tier_list(inst, &v, &n, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		if (o.json) {
			json_t *a = json_array();
			for (size_t k = 0; k < n; k++)
				json_array_append_new(a, core_json_tier(&v[k]));
			rc = cli_json(a);
		} else {
			struct cli_table t;
			cli_table_init(&t, 2);
			cli_table_row(&t, "TIER", "RANK");
			for (size_t k = 0; k < n; k++) {
				char rk[24];
				(void)snprintf(rk, sizeof(rk), "%lld",
				    (long long)v[k].rank);
				cli_table_row(&t, v[k].name, rk);
			}
			cli_table_print(&t);
		}
		goto out;
	}
	if (strcmp(argv[1], "add") == 0) {
		if (argc - i != 1)
			return cli_usage(TIER_USAGE, "tier add needs a name");
		if (o.rank == NULL)
			return cli_usage(TIER_USAGE, "tier add needs --rank");
		if (emb_parse_int(o.rank, 0, 1000000, &rank) < 0)
			return cli_error("invalid rank '%s' (an integer from 0"
			                 " to 1000000)",
			    o.rank);
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_tier_add(inst, c->actor, argv[i], rank, emb_time_now(),
		        &err) < 0)
			rc = cli_fail(&err);
		else
			printf("tier %s added (rank %lld)\n", argv[i],
			    (long long)rank);
		goto out;
	}
	return cli_usage(TIER_USAGE, "unknown subcommand '%s'", argv[1]);
out:
	free(v);
	core_instance_free(inst);
	return rc;
}
