/*
 * The server's application side through its narrow interface, without a
 * socket: a request in, a response out, against a real data directory.
 * Authentication, the 401/404 sameness, TAXII listings and their headers,
 * REST downloads recording their delivery first, the public side, and the
 * error answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "test.h"
#include "core/core.h"
#include "core/partner_view.h"
#include "http/http.h"
#include "common/emb.h"

#define T0 INT64_C(1700000000000)
#define DAY INT64_C(86400000)

static char root[] = "/tmp/embargo-http-XXXXXX";
static char dir[300];
static char tok_poc[CRYPTO_TOKEN_STR], tok_notify[CRYPTO_TOKEN_STR];
static char tok_susp[CRYPTO_TOKEN_STR];
static struct http_app *app;

static void
partner(struct emb_instance *inst, const char *id, const char *tier,
    char tok[CRYPTO_TOKEN_STR])
{
	struct core_partner_new np = {id, id, tier, NULL, NULL};
	struct emb_error err = {0};
	char got[EMB_ID_MAX];

	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, got, tok, &err), 0);
}

static void
attach(struct emb_instance *inst, const char *adv, const char *name,
    enum store_artifact_kind kind, const char *tier, const char *text)
{
	struct core_attach at = {
	    adv, name, kind, tier, CORE_RELEASE_NOW, 0, 0, STORE_MARK_NONE};
	struct store_artifact art;
	struct emb_error err = {0};

	assert_int_equal(
	    core_artifact_attach(inst, "t", &at, (const uint8_t *)text,
	        strlen(text), T0 + 60000, &art, &err),
	    0);
}

static int
setup(void **state)
{
	static const char *const cves[] = {"CVE-2021-26855"};
	struct core_advisory_new na = {"ADV-1", "Frobnicator RCE", "high", NULL,
	    cves, 1, NULL, 0, T0 + 10 * DAY};
	struct core_advisory_new nb = {
	    "ADV-2", "Widget leak", NULL, NULL, NULL, 0, NULL, 0, T0 + 5 * DAY};
	struct http_app_conf conf = {0};
	struct emb_error err = {0};
	struct emb_instance *inst;

	(void)state;
	if (crypto_lib_init() < 0 || mkdtemp(root) == NULL)
		return -1;
	(void)snprintf(dir, sizeof(dir), "%s/data", root);
	if (core_instance_create(dir, "t", T0, &err) < 0 ||
	    core_instance_open(dir, &inst, &err) < 0)
		return -1;
	partner(inst, "pococo", "poc", tok_poc);
	partner(inst, "notifier", "notify", tok_notify);
	partner(inst, "sleepy", "poc", tok_susp);
	assert_int_equal(core_partner_set(inst, "t", "sleepy",
	                     CORE_PARTNER_SUSPEND, NULL, T0, &err),
	    0);
	assert_int_equal(core_advisory_create(inst, "t", &na, T0, &err), 0);
	attach(inst, "ADV-1", "text.md", STORE_KIND_ADVISORY, "notify",
	    "advisory text\n");
	attach(
	    inst, "ADV-1", "poc.py", STORE_KIND_POC, "poc", "print('poc')\n");
	attach(inst, "ADV-1", "rule.stix", STORE_KIND_DETECTION, "detect",
	    "[ipv4-addr:value = '198.51.100.7']\n");
	assert_int_equal(core_advisory_create(inst, "t", &nb, T0, &err), 0);
	attach(inst, "ADV-2", "text.md", STORE_KIND_ADVISORY, "notify",
	    "widget text\n");
	assert_int_equal(
	    core_advisory_publish(inst, "t", "ADV-2", T0 + DAY, &err), 0);
	core_instance_free(inst);
	conf.datadir = dir;
	conf.instances = 2;
	conf.vendor = "Contoso PSIRT";
	conf.public_url = "https://psirt.contoso.example";
	conf.auth_fail_limit = 3;
	conf.auth_fail_window_ms = 60000;
	conf.auth_block_ms = 60000;
	conf.body_max = 1024;
	return http_app_new(&conf, &app, &err) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	http_app_free(app);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

struct answer {
	struct http_response r;
	json_t *json;
};

/* Send one request; auth is a full Authorization value or NULL. */
static void
ask(struct answer *a, const char *method, const char *target, const char *auth,
    const char *client)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.authorization = auth;
	req.client = client != NULL ? client : "192.0.2.1";
	req.now = T0 + 2 * DAY;
	http_response_init(&a->r);
	http_app_handle(app, &req, &a->r);
	a->json =
	    json_loadb((const char *)a->r.body.data, a->r.body.len, 0, NULL);
}

static void
done(struct answer *a)
{
	json_decref(a->json);
	http_response_fini(&a->r);
}

static char *
bearer(const char *tok)
{
	static char h[2][128];
	static int k;

	k ^= 1;
	(void)snprintf(h[k], sizeof(h[k]), "Bearer %s", tok);
	return h[k];
}

static void
test_health_and_discovery(void **state)
{
	struct answer a;

	(void)state;
	ask(&a, "GET", "/healthz", NULL, NULL);
	assert_int_equal(a.r.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(a.json, "status")), "ok");
	done(&a);
	ask(&a, "GET", "/taxii2/", NULL, NULL);
	assert_int_equal(a.r.status, 200);
	assert_string_equal(
	    http_response_get(&a.r, "Content-Type"), HTTP_TAXII_TYPE);
	done(&a);
	ask(&a, "GET", "/taxii2/api/collections/", NULL, NULL);
	assert_int_equal(
	    json_array_size(json_object_get(a.json, "collections")), 1);
	done(&a);
	ask(&a, "GET", "/taxii2/api/collections/", bearer(tok_notify), NULL);
	assert_int_equal(
	    json_array_size(json_object_get(a.json, "collections")), 2);
	assert_string_equal(
	    http_response_get(&a.r, "Cache-Control"), "no-store");
	assert_string_equal(a.r.who, "notifier");
	done(&a);
}

static void
test_one_401(void **state)
{
	static const char *const bad[] = {
	    "Bearer emb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "Bearer nonsense", "Basic bm90aWZpZXI6bm9wZQ==", /* notifier:nope */
	    "Digest x", NULL, /* the suspended partner's own token */
	};
	struct answer ref, a;

	(void)state;
	ask(&ref, "GET", "/v1/advisories", NULL, "192.0.2.50");
	assert_int_equal(ref.r.status, 401);
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		char client[32];
		(void)snprintf(client, sizeof(client), "192.0.2.%zu", 60 + i);
		ask(&a, "GET", "/v1/advisories",
		    bad[i] != NULL ? bad[i] : bearer(tok_susp), client);
		assert_int_equal(a.r.status, 401);
		assert_int_equal(a.r.body.len, ref.r.body.len);
		assert_memory_equal(
		    a.r.body.data, ref.r.body.data, ref.r.body.len);
		assert_string_equal(a.r.who, "");
		done(&a);
	}
	done(&ref);
}

static void
test_rate_limit(void **state)
{
	struct answer a;

	(void)state;
	for (int i = 0; i < 3; i++) {
		ask(&a, "GET", "/v1/advisories", "Bearer x", "198.51.100.9");
		assert_int_equal(a.r.status, 401);
		done(&a);
	}
	ask(&a, "GET", "/v1/advisories", bearer(tok_poc), "198.51.100.9");
	assert_int_equal(a.r.status, 429);
	assert_non_null(http_response_get(&a.r, "Retry-After"));
	done(&a);
	ask(&a, "GET", "/v1/advisories", bearer(tok_poc), "198.51.100.10");
	assert_int_equal(a.r.status, 200);
	done(&a);
}

static void
test_taxii_views(void **state)
{
	struct answer a, b;
	json_t *objs;
	size_t n_poc, n_notify;

	(void)state;
	ask(&a, "GET", "/taxii2/api/collections/embargoed/manifest/",
	    bearer(tok_poc), NULL);
	assert_int_equal(a.r.status, 200);
	n_poc = json_array_size(json_object_get(a.json, "objects"));
	assert_non_null(http_response_get(&a.r, "X-TAXII-Date-Added-First"));
	done(&a);
	ask(&b, "GET", "/taxii2/api/collections/embargoed/manifest/",
	    bearer(tok_notify), NULL);
	n_notify = json_array_size(json_object_get(b.json, "objects"));
	done(&b);
	assert_true(n_notify > 0 && n_notify < n_poc);
	/* Paging: one object per page, `more` and `next` until the end. */
	{
		char target[512] =
		    "/taxii2/api/collections/embargoed/manifest/?limit=1";
		size_t pages = 0;
		for (;;) {
			json_t *next;
			ask(&a, "GET", target, bearer(tok_poc), NULL);
			assert_int_equal(a.r.status, 200);
			assert_int_equal(
			    json_array_size(json_object_get(a.json, "objects")),
			    1);
			pages++;
			next = json_object_get(a.json, "next");
			if (!json_is_true(json_object_get(a.json, "more"))) {
				assert_null(next);
				done(&a);
				break;
			}
			(void)snprintf(target, sizeof(target),
			    "/taxii2/api/collections/embargoed/manifest/"
			    "?limit=1&next=%s",
			    json_string_value(next));
			done(&a);
		}
		assert_int_equal(pages, n_poc);
	}
	/* Objects carry the partner's copy, recorded as delivered. */
	ask(&a, "GET",
	    "/taxii2/api/collections/embargoed/objects/?match[type]=indicator",
	    bearer(tok_poc), NULL);
	assert_int_equal(a.r.status, 200);
	objs = json_object_get(a.json, "objects");
	assert_int_equal(json_array_size(objs), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(objs, 0), "pattern")),
	    "[ipv4-addr:value = '198.51.100.7']\n");
	assert_non_null(http_response_get(&a.r, "Embargo-Delivery"));
	assert_non_null(strstr(a.r.note, "delivery "));
	done(&a);
	/* Bad parameters: 400 with a TAXII error. */
	ask(&a, "GET", "/taxii2/api/collections/embargoed/objects/?limit=0",
	    bearer(tok_poc), NULL);
	assert_int_equal(a.r.status, 400);
	assert_string_equal(
	    json_string_value(json_object_get(a.json, "http_status")), "400");
	done(&a);
	/* Writes: the permission error. */
	ask(&a, "POST", "/taxii2/api/collections/embargoed/objects/",
	    bearer(tok_poc), NULL);
	assert_int_equal(a.r.status, 403);
	done(&a);
}

static void
test_rest(void **state)
{
	struct answer a, nothing;
	struct core_view v;

	(void)state;
	(void)v;
	ask(&a, "GET", "/v1/advisories/ADV-1/artifacts/poc.py", bearer(tok_poc),
	    NULL);
	assert_int_equal(a.r.status, 200);
	assert_int_equal(a.r.body.len, strlen("print('poc')\n"));
	assert_non_null(http_response_get(&a.r, "Embargo-Delivery"));
	assert_non_null(http_response_get(&a.r, "ETag"));
	done(&a);
	/* Not visible looks exactly like not there. */
	ask(&nothing, "GET", "/v1/advisories/ADV-9/artifacts/poc.py",
	    bearer(tok_notify), NULL);
	ask(&a, "GET", "/v1/advisories/ADV-1/artifacts/poc.py",
	    bearer(tok_notify), NULL);
	assert_int_equal(a.r.status, 404);
	assert_int_equal(nothing.r.status, 404);
	assert_int_equal(a.r.body.len, nothing.r.body.len);
	assert_memory_equal(a.r.body.data, nothing.r.body.data, a.r.body.len);
	assert_int_equal(a.r.n_headers, nothing.r.n_headers);
	done(&a);
	done(&nothing);
	ask(&a, "GET", "/v1/advisories", bearer(tok_notify), NULL);
	assert_int_equal(
	    json_array_size(json_object_get(a.json, "advisories")), 2);
	done(&a);
	ask(&a, "GET", "/v1/deliveries", bearer(tok_poc), NULL);
	assert_true(
	    json_array_size(json_object_get(a.json, "deliveries")) >= 1);
	done(&a);
}

static void
test_public(void **state)
{
	struct answer a;

	(void)state;
	ask(&a, "GET", "/.well-known/csaf/white/index.txt", NULL, NULL);
	assert_int_equal(a.r.status, 200);
	assert_int_equal(a.r.body.len, strlen("2023/adv-2.json\n"));
	assert_memory_equal(a.r.body.data, "2023/adv-2.json\n", a.r.body.len);
	done(&a);
	ask(&a, "GET", "/.well-known/csaf/white/2023/adv-2.json", NULL, NULL);
	assert_int_equal(a.r.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(
	            json_object_get(a.json, "document"), "tracking"),
	        "id")),
	    "ADV-2");
	done(&a);
	ask(&a, "GET", "/.well-known/csaf/white/2023/adv-1.json", NULL, NULL);
	assert_int_equal(a.r.status, 404);
	done(&a);
	ask(&a, "GET", "/.well-known/csaf/provider-metadata.json", NULL, NULL);
	assert_int_equal(a.r.status, 200);
	done(&a);
}

static void
test_errors(void **state)
{
	struct answer a;

	(void)state;
	ask(&a, "GET", "/taxii2/api/%zz/", NULL, NULL);
	assert_int_equal(a.r.status, 400);
	done(&a);
	ask(&a, "GET", "/nowhere", NULL, NULL);
	assert_int_equal(a.r.status, 404);
	done(&a);
	ask(&a, "DELETE", "/healthz", NULL, NULL);
	assert_int_equal(a.r.status, 405);
	assert_string_equal(http_response_get(&a.r, "Allow"), "GET, HEAD");
	done(&a);
	http_app_drain(app);
	ask(&a, "GET", "/healthz", NULL, NULL);
	assert_string_equal(http_response_get(&a.r, "Connection"), "close");
	done(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_and_discovery),
	    cmocka_unit_test(test_one_401),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_taxii_views),
	    cmocka_unit_test(test_rest),
	    cmocka_unit_test(test_public),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
