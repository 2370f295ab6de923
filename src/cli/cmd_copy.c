#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define COPY_USAGE "copy ADVISORY ARTIFACT --partner ID [-o FILE] [--json]"

struct copy_opts {
	const char *partner, *out;
	bool json;
};

static int
copy_opt(int id, const char *val, void *arg)
{
	struct copy_opts *o = arg;

	switch (id) {
	case 'p':
		o->partner = val;
		return 0;
	case 'o':
		o->out = val;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	default:
		return 0;
	}
}

int
cmd_copy(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"partner", required_argument, NULL, 'p'},
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct copy_opts o = {0};
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	struct store_delivery d;
	struct cli_out file = {{0}, -1};
	struct buf out;
	uint64_t seen;
	int i, rc;

	if ((i = cli_getopt(
	         argc, argv, opts, COPY_USAGE, copy_opt, &o, &seen)) < 0)
		return cli_getopt_exit(i);
	if (argc - i != 2)
		return cli_usage(
		    COPY_USAGE, "copy needs ADVISORY and ARTIFACT");
	if (o.partner == NULL)
		return cli_usage(COPY_USAGE, "copy needs --partner");
	if (o.json && o.out == NULL)
		return cli_usage(COPY_USAGE,
		    "--json needs -o FILE (the copy"
		    " itself goes to the file)");
	if ((rc = cli_open(c, &inst)) != 0)
		return rc;
	if (o.out != NULL && cli_out_open(&file, o.out) < 0) {
		rc = cli_error("cannot write %s: %s", o.out, strerror(errno));
		core_instance_free(inst);
		return rc;
	}
	buf_init(&out, 2 * (size_t)CORE_ARTIFACT_MAX);
	if (core_copy(inst, c->actor, argv[i], argv[i + 1], o.partner, "cli",
	        emb_time_now(), &out, &d, &err) < 0) {
		rc = cli_fail(&err);
		goto done;
	}
	if (o.out != NULL) {
		char hex[65];
		if (cli_out_commit(&file, o.out, out.data, out.len) < 0) {
			rc = cli_error("cannot write %s: %s (the delivery was"
			               " recorded as #%lld)",
			    o.out, strerror(errno), (long long)d.id);
			goto done;
		}
		emb_hex(d.sha256, sizeof(d.sha256), hex);
		if (o.json)
			rc = cli_json(json_pack("{s:I, s:s, s:s, s:I}",
			    "delivery", (json_int_t)d.id, "file", o.out,
			    "sha256", hex, "size", (json_int_t)out.len));
		else
			fprintf(stderr,
			    "embargo: wrote %s for %s (%zu bytes, sha256 %s,"
			    " delivery #%lld)\n",
			    o.out, o.partner, out.len, hex, (long long)d.id);
	} else if (cli_write_all(STDOUT_FILENO, out.data, out.len) < 0) {
		rc = cli_error("cannot write to standard output");
	}
done:
	if (o.out != NULL)
		cli_out_abort(&file);
	buf_fini_wipe(&out);
	core_instance_free(inst);
	return rc;
}
