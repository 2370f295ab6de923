/*
 * embargo export csaf ID: print a published advisory's CSAF 2.0 document,
 * byte for byte what `embargo serve` publishes at its stable URL (given
 * the same --vendor and --public-url, or EMBARGO_VENDOR and
 * EMBARGO_PUBLIC_URL).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/csaf.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define EXPORT_USAGE                                                           \
	"export csaf ID [--vendor NAME] [--public-url URL] [--path]"

int cmd_export(const struct cli *c, int argc, char **argv);

enum { OPT_VENDOR = 256, OPT_PUBLIC_URL, OPT_PATH };

struct export_opts {
	const char *vendor, *public_url;
	bool path;
};

static int
export_opt(int id, const char *val, void *arg)
{
	struct export_opts *o = arg;

	if (id == OPT_VENDOR)
		o->vendor = val;
	else if (id == OPT_PUBLIC_URL)
		o->public_url = val;
	else if (id == OPT_PATH)
		o->path = true;
	return 0;
}

static const char *
setting(const char *opt, const char *env, const char *def)
{
	const char *e;

	if (opt != NULL)
		return opt;
	e = getenv(env);
	return e != NULL && e[0] != '\0' ? e : def;
}

int
cmd_export(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"vendor", required_argument, NULL, OPT_VENDOR},
	    {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
	    {"path", no_argument, NULL, OPT_PATH},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct export_opts o = {0};
	struct core_csaf_conf conf;
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	json_t *doc = NULL;
	char *text = NULL;
	uint64_t seen;
	int i, rc;

	if (argc < 2)
		return cli_usage(EXPORT_USAGE, "missing format (csaf)");
	if (cli_help(argv[1], EXPORT_USAGE))
		return 0;
	if (strcmp(argv[1], "csaf") != 0)
		return cli_usage(
		    EXPORT_USAGE, "unknown format '%s' (csaf)", argv[1]);
	if ((i = cli_getopt(argc - 1, argv + 1, opts, EXPORT_USAGE, export_opt,
	         &o, &seen)) < 0)
		return cli_getopt_exit(i);
	if (argc - 1 - i != 1)
		return cli_usage(
		    EXPORT_USAGE, "export csaf needs exactly one advisory ID");
	conf.publisher = setting(o.vendor, "EMBARGO_VENDOR", "embargo");
	conf.public_url =
	    setting(o.public_url, "EMBARGO_PUBLIC_URL", "https://localhost");
	if (!emb_valid_text(conf.publisher, STORE_NAME_MAX))
		return cli_usage(EXPORT_USAGE, "invalid --vendor name");
	if (!core_csaf_url_valid(conf.public_url))
		return cli_usage(EXPORT_USAGE,
		    "invalid --public-url '%s' (https://host[:port][/path],"
		    " no trailing '/')",
		    conf.public_url);
	if ((rc = cli_open(c, &inst)) != 0)
		return rc;
	if (core_csaf_document(
	        inst, argv[1 + i], &conf, emb_time_now(), &doc, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (o.path) {
		/* Where the server publishes it. */
		json_t *refs = json_object_get(
		    json_object_get(doc, "document"), "references");
		const char *url = json_string_value(
		    json_object_get(json_array_get(refs, 0), "url"));
		printf("%s\n", url != NULL ? url : "");
		goto out;
	}
	text = core_csaf_dump(doc);
	if (text == NULL) {
		rc = cli_error("out of memory");
		goto out;
	}
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		rc = cli_error(
		    "cannot write to standard output: %s", strerror(errno));
out:
	free(text);
	json_decref(doc);
	core_instance_free(inst);
	return rc;
}
