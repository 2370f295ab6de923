#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/access.h"
#include "core/json.h"
#include "core/marking.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define ADV_USAGE                                                              \
	"advisory create|list|show|attach|reschedule|exclude|publish|"         \
	"withdraw|access ... (see 'embargo advisory SUBCOMMAND --help')"

#define ADV_LIST_MAX 64

enum {
	OPT_JSON = 'j',
	OPT_TITLE = 256,
	OPT_CVE,
	OPT_SEVERITY,
	OPT_CVSS,
	OPT_PRODUCT,
	OPT_PATCH_AT,
	OPT_REASON,
	OPT_PARTNER,
	OPT_COUNTRY,
	OPT_NAME,
	OPT_KIND,
	OPT_TIER,
	OPT_RELEASE_AT,
	OPT_RELEASE_BEFORE,
	OPT_MARK,
	OPT_ARTIFACT,
	OPT_AT,
	OPT_MARKS
};

struct adv_opts {
	bool json, marks;
	const char *usage; /* the subcommand's usage line */
	const char *title, *severity, *cvss, *patch_at, *reason, *partner,
	    *country, *name, *kind, *tier, *release_at, *release_before, *mark,
	    *artifact, *at;
	const char *cves[ADV_LIST_MAX];
	size_t n_cves;
	char *cve_copy[ADV_LIST_MAX]; /* comma-split copies to free */
	size_t n_cve_copy;
	const char *products[ADV_LIST_MAX];
	size_t n_products;
};

static int
add_cves(struct adv_opts *o, const char *val)
{
	char *copy, *p, *next;

	if (o->n_cve_copy >= ADV_LIST_MAX || (copy = strdup(val)) == NULL)
		return cli_error("too many --cve options");
	o->cve_copy[o->n_cve_copy++] = copy;
	for (p = copy; p != NULL; p = next) {
		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		if (o->n_cves >= ADV_LIST_MAX)
			return cli_error("at most %d CVE ids", ADV_LIST_MAX);
		o->cves[o->n_cves++] = p;
	}
	return 0;
}

static int
adv_opt(int id, const char *val, void *arg)
{
	struct adv_opts *o = arg;

	switch (id) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_TITLE:
		o->title = val;
		break;
	case OPT_CVE:
		return add_cves(o, val) ? -CLI_EXIT_FAIL : 0;
	case OPT_SEVERITY:
		o->severity = val;
		break;
	case OPT_CVSS:
		o->cvss = val;
		break;
	case OPT_PRODUCT:
		if (o->n_products >= ADV_LIST_MAX)
			return -cli_error("at most %d products", ADV_LIST_MAX);
		o->products[o->n_products++] = val;
		break;
	case OPT_PATCH_AT:
		o->patch_at = val;
		break;
	case OPT_REASON:
		o->reason = val;
		break;
	case OPT_PARTNER:
		o->partner = val;
		break;
	case OPT_COUNTRY:
		o->country = val;
		break;
	case OPT_NAME:
		o->name = val;
		break;
	case OPT_KIND:
		o->kind = val;
		break;
	case OPT_TIER:
		o->tier = val;
		break;
	case OPT_RELEASE_AT:
		o->release_at = val;
		break;
	case OPT_RELEASE_BEFORE:
		o->release_before = val;
		break;
	case OPT_MARK:
		o->mark = val;
		break;
	case OPT_ARTIFACT:
		o->artifact = val;
		break;
	case OPT_AT:
		o->at = val;
		break;
	case OPT_MARKS:
		o->marks = true;
		break;
	default:
		break;
	}
	return 0;
}

static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int
adv_create(const struct cli *c, struct emb_instance *inst, struct adv_opts *o,
    const char *id)
{
	struct core_advisory_new na = {0};
	struct emb_error err = {0};

	if (o->title == NULL || o->patch_at == NULL)
		return cli_usage(
		    o->usage, "advisory create needs --title and --patch-at");
	if (cli_time("--patch-at", o->patch_at, &na.patch_at) != 0)
		return CLI_EXIT_FAIL;
	na.id = id;
	na.title = o->title;
	na.severity = o->severity;
	na.cvss = o->cvss;
	na.cves = o->cves;
	na.n_cves = o->n_cves;
	na.products = o->products;
	na.n_products = o->n_products;
	if (core_advisory_create(inst, c->actor, &na, emb_time_now(), &err) < 0)
		return cli_fail(&err);
	printf("advisory %s created (draft; patch %s)\n", id, o->patch_at);
	return 0;
}

static void
release_text(const struct store_artifact *art, const struct store_advisory *a,
    char *out, size_t n)
{
	char t[EMB_TIME_STR], d[EMB_TIME_STR];

	emb_time_format(core_artifact_release_at(art, a), false, t);
	if (art->release_relative)
		(void)snprintf(out, n, "%s (%s before patch)", t,
		    emb_duration_format(art->release_before, d));
	else
		(void)snprintf(out, n, "%s", t);
}

static int
adv_show(struct emb_instance *inst, const struct adv_opts *o, const char *id)
{
	struct store_advisory a;
	struct store_artifact *arts = NULL;
	struct emb_error err = {0};
	char t[EMB_TIME_STR], t2[EMB_TIME_STR];
	int64_t now = emb_time_now();
	size_t n = 0;

	if (core_advisory_get(inst, id, &a, &err) < 0)
		return cli_fail(&err);
	if (core_artifact_list(inst, id, true, &arts, &n, &err) < 0) {
		store_advisory_fini(&a);
		return cli_fail(&err);
	}
	if (o->json) {
		int rc = cli_json(core_json_advisory(&a, true, arts, n, now));
		free(arts);
		store_advisory_fini(&a);
		return rc;
	}
	printf("id:        %s\n", a.id);
	printf("title:     %s\n", a.title);
	printf("state:     %s\n",
	    store_advisory_state_name(core_advisory_state(&a, now)));
	printf("severity:  %s\n", a.severity[0] ? a.severity : "-");
	if (a.cvss[0])
		printf("cvss:      %s\n", a.cvss);
	printf("cves:     ");
	for (size_t k = 0; k < a.n_cves; k++)
		printf(" %s", a.cves[k]);
	printf("%s\n", a.n_cves ? "" : " -");
	for (size_t k = 0; k < a.n_products; k++)
		printf("product:   %s\n", a.products[k]);
	printf("patch at:  %s\n", emb_time_format(a.patch_at, false, t));
	if (a.published_at)
		printf("published: %s\n",
		    emb_time_format(a.published_at, false, t));
	for (size_t k = 0; k < a.n_reschedules; k++) {
		const struct store_reschedule *rs = &a.reschedules[k];
		printf("moved:     %s -> %s (%s) on ",
		    emb_time_format(rs->old_patch_at, false, t),
		    emb_time_format(rs->new_patch_at, false, t2),
		    rs->new_patch_at < rs->old_patch_at ? "expedite"
		                                        : "postpone");
		printf(
		    "%s: %s\n", emb_time_format(rs->at, false, t), rs->reason);
	}
	for (size_t k = 0; k < a.n_exclusions; k++)
		printf("excluded:  %s %s\n",
		    a.exclusions[k].kind == STORE_EXCL_PARTNER ? "partner"
		                                               : "country",
		    a.exclusions[k].value);
	if (n > 0) {
		struct cli_table tb;
		printf("\n");
		cli_table_init(&tb, 7);
		cli_table_row(&tb, "ARTIFACT", "KIND", "TIER", "MARK", "SIZE",
		    "STATUS", "RELEASE");
		for (size_t k = 0; k < n; k++) {
			char size[24], rel[96];
			(void)snprintf(size, sizeof(size), "%lld",
			    (long long)arts[k].size);
			release_text(&arts[k], &a, rel, sizeof(rel));
			cli_table_row(&tb, arts[k].name,
			    store_artifact_kind_name(arts[k].kind),
			    arts[k].tier, store_mark_mode_name(arts[k].mark),
			    size, arts[k].withdrawn_at ? "withdrawn" : "live",
			    rel);
		}
		cli_table_print(&tb);
	}
	free(arts);
	store_advisory_fini(&a);
	return 0;
}

static int
adv_list(struct emb_instance *inst, const struct adv_opts *o)
{
	struct store_advisory *v = NULL;
	struct emb_error err = {0};
	int64_t now = emb_time_now();
	size_t n = 0;
	int rc = 0;

	if (core_advisory_list(inst, &v, &n, &err) < 0)
		return cli_fail(&err);
	if (o->json) {
		json_t *a = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(
			    a, core_json_advisory(&v[k], false, NULL, 0, now));
		rc = cli_json(a);
	} else {
		struct cli_table t;
		cli_table_init(&t, 5);
		cli_table_row(
		    &t, "ID", "STATE", "SEVERITY", "PATCH AT", "TITLE");
		for (size_t k = 0; k < n; k++) {
			char ts[EMB_TIME_STR];
			cli_table_row(&t, v[k].id,
			    store_advisory_state_name(
			        core_advisory_state(&v[k], now)),
			    v[k].severity[0] ? v[k].severity : "-",
			    emb_time_format(v[k].patch_at, false, ts),
			    v[k].title);
		}
		cli_table_print(&t);
	}
	core_advisory_list_free(v, n);
	return rc;
}

/* Say what the new artifact's marks can do, and warn when too little. */
static int
report_attach(
    struct emb_instance *inst, const char *id, const struct store_artifact *art)
{
	struct core_assessment as;
	struct emb_error err = {0};

	printf("attached %s to %s (%lld bytes, tier %s, mark %s)\n", art->name,
	    id, (long long)art->size, art->tier,
	    store_mark_mode_name(art->mark));
	if (core_artifact_assess(inst, id, art->name, &as, &err) < 0)
		return cli_fail(&err);
	if (as.lang == MARK_LANG_BINARY) {
		fprintf(stderr,
		    "embargo: warning: %s is not text: every partner gets the"
		    " same bytes, so a leak can only be traced when it is"
		    " byte-identical, by its hash\n",
		    art->name);
		return 0;
	}
	printf("marks: %s, %zu robust sites (%.0f bits), %zu fragile (%.0f"
	       " bits), %zu canaries\n",
	    mark_lang_name(as.lang), as.cap.sites[MARK_ROBUST],
	    as.cap.bits[MARK_ROBUST], as.cap.sites[MARK_FRAGILE],
	    as.cap.bits[MARK_FRAGILE], as.cap.sites[MARK_CANARY]);
	if (as.single_caught < 0.9)
		fprintf(stderr,
		    "embargo: warning: %s alone cannot identify a single"
		    " leaker among %zu partners at 1e-6 (named in %.0f%% of"
		    " simulated verbatim leaks); add @@mark:A|B@@ markers or"
		    " more material\n",
		    art->name, as.partners, as.single_caught * 100);
	return 0;
}

/* The capacity report: sites, bits and what they buy. */
static int
adv_marks(struct emb_instance *inst, const struct adv_opts *o, const char *id)
{
	struct emb_error err = {0};
	json_t *rep, *arts, *t, *sim, *row;
	size_t k;

	if (core_advisory_marks(inst, id, &rep, &err) < 0)
		return cli_fail(&err);
	if (o->json)
		return cli_json(rep);
	arts = json_object_get(rep, "artifacts");
	t = json_object_get(rep, "total");
	sim = json_object_get(rep, "simulation");
	printf("marks of %s\n\n", id);
	printf("%-24s %-10s %-9s %7s %8s %7s %8s %7s\n", "ARTIFACT", "LANGUAGE",
	    "MARK", "ROBUST", "BITS", "FRAGILE", "BITS", "CANARY");
	json_array_foreach(arts, k, row)
	{
		printf("%-24s %-10s %-9s %7lld %8.1f %7lld %8.1f %7lld\n",
		    json_string_value(json_object_get(row, "artifact")),
		    json_string_value(json_object_get(row, "language")),
		    json_string_value(json_object_get(row, "mark")),
		    json_integer_value(json_object_get(row, "robust_sites")),
		    json_real_value(json_object_get(row, "robust_bits")),
		    json_integer_value(json_object_get(row, "fragile_sites")),
		    json_real_value(json_object_get(row, "fragile_bits")),
		    json_integer_value(json_object_get(row, "canaries")));
	}
	printf("%-24s %-10s %-9s %7lld %8.1f %7lld %8.1f %7lld\n", "total", "",
	    "", json_integer_value(json_object_get(t, "robust_sites")),
	    json_real_value(json_object_get(t, "robust_bits")),
	    json_integer_value(json_object_get(t, "fragile_sites")),
	    json_real_value(json_object_get(t, "fragile_bits")),
	    json_integer_value(json_object_get(t, "canaries")));
	printf("\nby rule:");
	{
		const char *rule;
		json_t *v;
		int col = 0;
		json_object_foreach(json_object_get(t, "rules"), rule, v)
		{
			printf("%s %s %lld (%.0f bits)",
			    col++ % 4 ? "," : "\n ", rule,
			    json_integer_value(json_object_get(v, "sites")),
			    json_real_value(json_object_get(v, "bits")));
		}
	}
	printf("\n\nsimulated with the robust sites only (%lld partners,"
	       " false accusation <= %g, %lld trials each, coalitions"
	       " majority-vote):\n",
	    json_integer_value(json_object_get(sim, "partners")),
	    json_real_value(json_object_get(sim, "alpha")),
	    json_integer_value(json_object_get(sim, "trials")));
	printf("  %-22s %8s %8s %8s %8s\n", "robust sites surviving", "100%",
	    "60%", "40%", "20%");
	json_array_foreach(json_object_get(sim, "by_colluders"), k, row)
	{
		json_t *c = json_object_get(row, "caught");
		long long n =
		    json_integer_value(json_object_get(row, "colluders"));
		char label[32];
		(void)snprintf(label, sizeof(label),
		    n == 1 ? "1 leaker named" : "1 of %lld colluders named", n);
		printf("  %-22s %7.0f%% %7.0f%% %7.0f%% %7.0f%%\n", label,
		    100 * json_real_value(json_object_get(c, "100")),
		    100 * json_real_value(json_object_get(c, "60")),
		    100 * json_real_value(json_object_get(c, "40")),
		    100 * json_real_value(json_object_get(c, "20")));
	}
	printf("  innocent partners accused in all trials: %lld\n",
	    json_integer_value(json_object_get(sim, "innocents_accused")));
	json_decref(rep);
	return 0;
}

static int
adv_attach(const struct cli *c, struct emb_instance *inst,
    const struct adv_opts *o, const char *id, const char *path)
{
	struct core_attach at = {0};
	struct store_artifact art;
	struct emb_error err = {0};
	struct buf data;
	int r, rc = 0;

	if (o->kind == NULL || o->tier == NULL)
		return cli_usage(
		    o->usage, "advisory attach needs --kind and --tier");
	if (o->release_at && o->release_before)
		return cli_usage(o->usage,
		    "give --release-at or --release-before, not both");
	if (store_artifact_kind_parse(o->kind, &at.kind) < 0)
		return cli_error("invalid kind '%s' (advisory, detection, poc"
		                 " or other)",
		    o->kind);
	at.mark = STORE_MARK_AUTO;
	if (o->mark && store_mark_mode_parse(o->mark, &at.mark) < 0)
		return cli_error("invalid mark mode '%s' (auto, template or"
		                 " none)",
		    o->mark);
	at.release = CORE_RELEASE_NOW;
	if (o->release_at) {
		if (cli_time("--release-at", o->release_at, &at.release_at))
			return CLI_EXIT_FAIL;
		at.release = CORE_RELEASE_AT;
	}
	if (o->release_before) {
		if (emb_duration_parse(o->release_before, &at.release_before) <
		    0)
			return cli_error("invalid duration for"
			                 " --release-before: '%s' (e.g. 7d,"
			                 " 36h, 1d12h)",
			    o->release_before);
		at.release = CORE_RELEASE_BEFORE;
	}
	at.advisory_id = id;
	at.name = o->name ? o->name : basename_of(path);
	at.tier = o->tier;
	buf_init(&data, CORE_ARTIFACT_MAX);
	r = buf_read_file(&data, path);
	if (r == EMB_ETOOBIG)
		rc = cli_error("%s is larger than the %u-byte artifact limit",
		    path, CORE_ARTIFACT_MAX);
	else if (r < 0)
		rc = cli_error("cannot read %s: not a readable file", path);
	else if (core_artifact_attach(inst, c->actor, &at, data.data, data.len,
	             emb_time_now(), &art, &err) < 0)
		rc = cli_fail(&err);
	else
		rc = report_attach(inst, id, &art);
	buf_fini_wipe(&data);
	return rc;
}

/* Who sees what, now or at a given time: the coordinator's view. */
static int
adv_access(struct emb_instance *inst, const struct adv_opts *o, const char *id)
{
	struct store_advisory a;
	struct store_artifact *arts = NULL;
	struct store_partner *ps = NULL;
	struct emb_error err = {0};
	size_t na = 0, np = 0;
	int64_t at = emb_time_now();
	int rc = 0;

	if (o->at && cli_time("--at", o->at, &at))
		return CLI_EXIT_FAIL;
	if (core_advisory_get(inst, id, &a, &err) < 0)
		return cli_fail(&err);
	if (core_artifact_list(inst, id, false, &arts, &na, &err) < 0 ||
	    core_partner_list(inst, &ps, &np, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (o->json) {
		json_t *rows = json_array();
		for (size_t p = 0; p < np; p++) {
			json_t *vis = json_object();
			for (size_t k = 0; k < na; k++)
				json_object_set_new(vis, arts[k].name,
				    json_string(core_access_reason(core_access(
				        &ps[p], &a, &arts[k], at))));
			json_array_append_new(rows,
			    json_pack("{s:s, s:s, s:o}", "partner", ps[p].id,
			        "tier", ps[p].tier, "artifacts", vis));
		}
		rc = cli_json(json_pack("{s:s, s:o, s:s, s:o}", "advisory",
		    a.id, "at", core_json_time(at), "state",
		    store_advisory_state_name(core_advisory_state(&a, at)),
		    "partners", rows));
		goto out;
	}
	{
		char t[EMB_TIME_STR];
		printf("%s at %s (%s):\n", a.id, emb_time_format(at, false, t),
		    store_advisory_state_name(core_advisory_state(&a, at)));
	}
	/* One column per artifact: 'yes' or the reason it is hidden. */
	for (size_t p = 0; p <= np; p++) {
		printf("  %-24s %-8s", p == 0 ? "PARTNER" : ps[p - 1].id,
		    p == 0 ? "TIER" : ps[p - 1].tier);
		for (size_t k = 0; k < na; k++) {
			static const char *const shortv[] = {"yes", "inactive",
			    "tier", "later", "excluded", "withdrawn", "draft"};
			const char *cell = p == 0
			    ? arts[k].name
			    : shortv[core_access(&ps[p - 1], &a, &arts[k], at)];
			printf(" %-18s", cell);
		}
		printf("\n");
	}
out:
	free(arts);
	free(ps);
	store_advisory_fini(&a);
	return rc;
}

int
cmd_advisory(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"cve", required_argument, NULL, OPT_CVE},
	    {"severity", required_argument, NULL, OPT_SEVERITY},
	    {"cvss", required_argument, NULL, OPT_CVSS},
	    {"product", required_argument, NULL, OPT_PRODUCT},
	    {"patch-at", required_argument, NULL, OPT_PATCH_AT},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"partner", required_argument, NULL, OPT_PARTNER},
	    {"country", required_argument, NULL, OPT_COUNTRY},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"tier", required_argument, NULL, OPT_TIER},
	    {"release-at", required_argument, NULL, OPT_RELEASE_AT},
	    {"release-before", required_argument, NULL, OPT_RELEASE_BEFORE},
	    {"mark", required_argument, NULL, OPT_MARK},
	    {"artifact", required_argument, NULL, OPT_ARTIFACT},
	    {"at", required_argument, NULL, OPT_AT},
	    {"marks", no_argument, NULL, OPT_MARKS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct adv_opts o;
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	static const struct adv_sub {
		const char *name;
		int nargs;
		const char *allowed;
		const char *usage;
	} subs[] = {
	    {"create", 1, "title cve severity cvss product patch-at",
	        "advisory create ID --title T --patch-at TIME [--cve CVE]..."
	        " [--severity low|medium|high|critical] [--cvss VECTOR]"
	        " [--product NAME]..."},
	    {"list", 0, "json", "advisory list [--json]"},
	    {"show", 1, "json marks", "advisory show ID [--marks] [--json]"},
	    {"attach", 2, "kind tier name release-at release-before mark",
	        "advisory attach ID FILE --kind advisory|detection|poc|other"
	        " --tier T [--name NAME] [--release-at TIME | --release-before"
	        " DURATION] [--mark auto|template|none]"},
	    {"reschedule", 1, "patch-at reason",
	        "advisory reschedule ID --patch-at TIME --reason TEXT"},
	    {"exclude", 1, "partner country",
	        "advisory exclude ID --partner ID | --country CC"},
	    {"publish", 1, "", "advisory publish ID"},
	    {"withdraw", 1, "artifact",
	        "advisory withdraw ID [--artifact NAME]"},
	    {"access", 1, "at json", "advisory access ID [--at TIME] [--json]"},
	};
	const char *sub;
	const struct adv_sub *which = NULL;
	const char *usage = ADV_USAGE;
	char what[32];
	uint64_t seen;
	int i, nargs, rc;
	int64_t when;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		return cli_usage(ADV_USAGE, "missing subcommand");
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		printf("usage:\n");
		for (size_t k = 0; k < EMB_ARRAY_LEN(subs); k++)
			printf("  embargo %s\n", subs[k].usage);
		return 0;
	}
	for (size_t k = 0; k < EMB_ARRAY_LEN(subs); k++)
		if (strcmp(sub, subs[k].name) == 0)
			which = &subs[k];
	if (which == NULL)
		return cli_usage(ADV_USAGE, "unknown subcommand '%s'", sub);
	usage = which->usage;
	o.usage = usage;
	if ((i = cli_getopt(
	         argc - 1, argv + 1, opts, usage, adv_opt, &o, &seen)) < 0) {
		rc = cli_getopt_exit(i);
		goto out;
	}
	(void)snprintf(what, sizeof(what), "advisory %s", sub);
	if ((rc = cli_only(opts, seen, usage, what, which->allowed)) != 0)
		goto out;
	i++;
	nargs = argc - i;
	if (nargs != which->nargs) {
		rc = cli_usage(usage,
		    "wrong number of arguments: advisory %s takes %d", sub,
		    which->nargs);
		goto out;
	}
	if ((rc = cli_open(c, &inst)) != 0)
		goto out;
	when = emb_time_now();
	if (strcmp(sub, "create") == 0) {
		rc = adv_create(c, inst, &o, argv[i]);
	} else if (strcmp(sub, "list") == 0) {
		rc = adv_list(inst, &o);
	} else if (strcmp(sub, "show") == 0) {
		rc = o.marks ? adv_marks(inst, &o, argv[i])
		             : adv_show(inst, &o, argv[i]);
	} else if (strcmp(sub, "attach") == 0) {
		rc = adv_attach(c, inst, &o, argv[i], argv[i + 1]);
	} else if (strcmp(sub, "access") == 0) {
		rc = adv_access(inst, &o, argv[i]);
	} else if (strcmp(sub, "reschedule") == 0) {
		int64_t t;
		if (o.patch_at == NULL || o.reason == NULL)
			rc = cli_usage(usage,
			    "advisory reschedule needs"
			    " --patch-at and --reason");
		else if (cli_time("--patch-at", o.patch_at, &t) != 0)
			rc = CLI_EXIT_FAIL;
		else if (core_advisory_reschedule(inst, c->actor, argv[i], t,
		             o.reason, when, &err) < 0)
			rc = cli_fail(&err);
		else
			printf("advisory %s patch time moved to %s\n", argv[i],
			    o.patch_at);
	} else if (strcmp(sub, "exclude") == 0) {
		if ((o.partner == NULL) == (o.country == NULL))
			rc = cli_usage(usage,
			    "advisory exclude needs"
			    " --partner or --country");
		else if (core_advisory_exclude(inst, c->actor, argv[i],
		             o.partner ? STORE_EXCL_PARTNER
		                       : STORE_EXCL_COUNTRY,
		             o.partner ? o.partner : o.country, when, &err) < 0)
			rc = cli_fail(&err);
		else
			printf("advisory %s excludes %s %s\n", argv[i],
			    o.partner ? "partner" : "country",
			    o.partner ? o.partner : o.country);
	} else if (strcmp(sub, "publish") == 0) {
		if (core_advisory_publish(inst, c->actor, argv[i], when, &err) <
		    0)
			rc = cli_fail(&err);
		else
			printf("advisory %s published\n", argv[i]);
	} else if (strcmp(sub, "withdraw") == 0) {
		if (o.artifact ? core_artifact_withdraw(inst, c->actor, argv[i],
		                     o.artifact, when, &err) < 0
		               : core_advisory_withdraw(
		                     inst, c->actor, argv[i], when, &err) < 0)
			rc = cli_fail(&err);
		else if (o.artifact)
			printf("artifact %s of %s withdrawn\n", o.artifact,
			    argv[i]);
		else
			printf("advisory %s withdrawn\n", argv[i]);
	}
out:
	for (size_t k = 0; k < o.n_cve_copy; k++)
		free(o.cve_copy[k]);
	core_instance_free(inst);
	return rc;
}
