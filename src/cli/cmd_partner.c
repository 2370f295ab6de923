#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "http/tls.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define PARTNER_USAGE                                                          \
	"partner add NAME --tier T [--country CC] [--contact EMAIL] [--id ID]" \
	" | list | show ID | set ID --tier T|--suspend|--reinstate|--revoke"   \
	"|--cert FILE|--no-cert | token ID --rotate"

enum {
	OPT_JSON = 'j',
	OPT_TIER = 't',
	OPT_COUNTRY = 'c',
	OPT_CONTACT = 'm',
	OPT_ID = 'i',
	OPT_SUSPEND = 256,
	OPT_REINSTATE,
	OPT_REVOKE,
	OPT_ROTATE,
	OPT_CERT,
	OPT_NO_CERT
};

struct partner_opts {
	bool json, rotate;
	const char *tier, *country, *contact, *id, *cert;
	bool no_cert;
	int change; /* -1 or enum core_partner_change */
	int changes;
};

static int
partner_opt(int id, const char *val, void *arg)
{
	struct partner_opts *o = arg;

	switch (id) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_TIER:
		o->tier = val;
		break;
	case OPT_COUNTRY:
		o->country = val;
		break;
	case OPT_CONTACT:
		o->contact = val;
		break;
	case OPT_ID:
		o->id = val;
		break;
	case OPT_SUSPEND:
		o->change = CORE_PARTNER_SUSPEND;
		o->changes++;
		break;
	case OPT_REINSTATE:
		o->change = CORE_PARTNER_REINSTATE;
		o->changes++;
		break;
	case OPT_REVOKE:
		o->change = CORE_PARTNER_REVOKE;
		o->changes++;
		break;
	case OPT_ROTATE:
		o->rotate = true;
		break;
	case OPT_CERT:
		o->cert = val;
		o->changes++;
		break;
	case OPT_NO_CERT:
		o->no_cert = true;
		o->changes++;
		break;
	default:
		break;
	}
	return 0;
}

static void
print_partner(const struct store_partner *p)
{
	char t[EMB_TIME_STR];

	printf("id:       %s\n", p->id);
	printf("name:     %s\n", p->name);
	printf("country:  %s\n", p->country[0] ? p->country : "-");
	printf("contact:  %s\n", p->contact[0] ? p->contact : "-");
	printf("tier:     %s\n", p->tier);
	printf("status:   %s\n", store_partner_status_name(p->status));
	if (p->has_cert_pin) {
		char hex[65];
		emb_hex(p->cert_pin, sizeof(p->cert_pin), hex);
		printf("cert pin: sha256:%s\n", hex);
	}
	printf("created:  %s\n", emb_time_format(p->created_at, false, t));
	printf("updated:  %s\n", emb_time_format(p->updated_at, false, t));
}

static int
print_token(const char *id, const char *token, bool json)
{
	if (json)
		return cli_json(
		    json_pack("{s:s, s:s}", "id", id, "token", token));
	printf("id:    %s\n", id);
	printf("token: %s\n", token);
	fprintf(stderr,
	    "embargo: the token is shown only this once; hand it"
	    " to the partner over a secure channel\n");
	return 0;
}

static int
partner_list(struct emb_instance *inst, bool json)
{
	struct emb_error err = {0};
	struct store_partner *v = NULL;
	size_t n = 0;

	if (core_partner_list(inst, &v, &n, &err) < 0)
		return cli_fail(&err);
	if (json) {
		json_t *a = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(a, core_json_partner(&v[k]));
		free(v);
		return cli_json(a);
	}
	struct cli_table t;
	cli_table_init(&t, 5);
	cli_table_row(&t, "ID", "TIER", "STATUS", "COUNTRY", "NAME");
	for (size_t k = 0; k < n; k++)
		cli_table_row(&t, v[k].id, v[k].tier,
		    store_partner_status_name(v[k].status),
		    v[k].country[0] ? v[k].country : "-", v[k].name);
	cli_table_print(&t);
	free(v);
	return 0;
}

int
cmd_partner(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"tier", required_argument, NULL, OPT_TIER},
	    {"country", required_argument, NULL, OPT_COUNTRY},
	    {"contact", required_argument, NULL, OPT_CONTACT},
	    {"id", required_argument, NULL, OPT_ID},
	    {"suspend", no_argument, NULL, OPT_SUSPEND},
	    {"reinstate", no_argument, NULL, OPT_REINSTATE},
	    {"revoke", no_argument, NULL, OPT_REVOKE},
	    {"rotate", no_argument, NULL, OPT_ROTATE},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"no-cert", no_argument, NULL, OPT_NO_CERT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct partner_opts o = {.change = -1};
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	static const char *const allowed[][2] = {
	    {"add", "tier country contact id json"},
	    {"list", "json"},
	    {"show", "json"},
	    {"set", "tier suspend reinstate revoke cert no-cert"},
	    {"token", "rotate json"},
	};
	const char *sub, *allow = NULL;
	char what[32];
	uint64_t seen;
	int i, rc = 0, nargs;

	if (argc < 2)
		return cli_usage(PARTNER_USAGE, "missing subcommand");
	sub = argv[1];
	if (cli_help(sub, PARTNER_USAGE))
		return 0;
	for (size_t k = 0; k < EMB_ARRAY_LEN(allowed); k++)
		if (strcmp(sub, allowed[k][0]) == 0)
			allow = allowed[k][1];
	if (allow == NULL)
		return cli_usage(PARTNER_USAGE, "unknown subcommand '%s'", sub);
	if ((i = cli_getopt(argc - 1, argv + 1, opts, PARTNER_USAGE,
	         partner_opt, &o, &seen)) < 0)
		return cli_getopt_exit(i);
	(void)snprintf(what, sizeof(what), "partner %s", sub);
	if ((rc = cli_only(opts, seen, PARTNER_USAGE, what, allow)) != 0)
		return rc;
	i++;
	nargs = argc - i;

	if (strcmp(sub, "add") == 0) {
		struct core_partner_new np = {0};
		char id[EMB_ID_MAX], token[CRYPTO_TOKEN_STR];

		if (nargs != 1)
			return cli_usage(PARTNER_USAGE,
			    "partner add needs exactly one NAME");
		if (o.tier == NULL)
			return cli_usage(
			    PARTNER_USAGE, "partner add needs --tier");
		np.name = argv[i];
		np.id = o.id;
		np.tier = o.tier;
		np.country = o.country;
		np.contact = o.contact;
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_partner_add(inst, c->actor, &np, emb_time_now(), id,
		        token, &err) < 0)
			rc = cli_fail(&err);
		else
			rc = print_token(id, token, o.json);
		crypto_wipe(token, sizeof(token));
	} else if (strcmp(sub, "list") == 0) {
		if (nargs != 0)
			return cli_usage(
			    PARTNER_USAGE, "partner list takes no arguments");
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		rc = partner_list(inst, o.json);
	} else if (strcmp(sub, "show") == 0) {
		struct store_partner p;

		if (nargs != 1)
			return cli_usage(
			    PARTNER_USAGE, "partner show needs a partner ID");
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_partner_get(inst, argv[i], &p, &err) < 0)
			rc = cli_fail(&err);
		else if (o.json)
			rc = cli_json(core_json_partner(&p));
		else
			print_partner(&p);
	} else if (strcmp(sub, "set") == 0) {
		enum core_partner_change ch;

		if (nargs != 1)
			return cli_usage(
			    PARTNER_USAGE, "partner set needs a partner ID");
		if (o.changes + (o.tier != NULL) != 1)
			return cli_usage(PARTNER_USAGE,
			    "partner set needs exactly one of --tier,"
			    " --suspend, --reinstate, --revoke, --cert,"
			    " --no-cert");
		if (o.cert != NULL || o.no_cert) {
			uint8_t pin[32];
			struct buf pem;

			buf_init(&pem, 64 * 1024);
			if (o.cert != NULL && buf_read_file(&pem, o.cert) < 0) {
				buf_fini(&pem);
				return cli_error(
				    "cannot read certificate %s"
				    " (a PEM file of at most 64 KiB)",
				    o.cert);
			}
			if (o.cert != NULL &&
			    http_tls_cert_pin(pem.data, pem.len, pin, &err) <
			        0) {
				buf_fini(&pem);
				return cli_fail(&err);
			}
			buf_fini(&pem);
			if ((rc = cli_open(c, &inst)) != 0)
				return rc;
			if (core_partner_cert_set(inst, c->actor, argv[i],
			        o.cert != NULL ? pin : NULL, emb_time_now(),
			        &err) < 0)
				rc = cli_fail(&err);
			else
				printf("partner %s updated\n", argv[i]);
			goto done;
		}
		ch = o.tier ? CORE_PARTNER_SET_TIER
		            : (enum core_partner_change)o.change;
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_partner_set(inst, c->actor, argv[i], ch, o.tier,
		        emb_time_now(), &err) < 0)
			rc = cli_fail(&err);
		else
			printf("partner %s updated\n", argv[i]);
	} else if (strcmp(sub, "token") == 0) {
		char token[CRYPTO_TOKEN_STR];

		if (nargs != 1)
			return cli_usage(
			    PARTNER_USAGE, "partner token needs a partner ID");
		if (!o.rotate)
			return cli_usage(PARTNER_USAGE,
			    "tokens are never shown again; use --rotate to"
			    " issue a new one");
		if ((rc = cli_open(c, &inst)) != 0)
			return rc;
		if (core_partner_token_rotate(inst, c->actor, argv[i],
		        emb_time_now(), token, &err) < 0)
			rc = cli_fail(&err);
		else
			rc = print_token(argv[i], token, o.json);
		crypto_wipe(token, sizeof(token));
	} else {
		return cli_usage(PARTNER_USAGE, "unknown subcommand '%s'", sub);
	}
done:
	core_instance_free(inst);
	return rc;
}
