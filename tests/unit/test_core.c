/*
 * The application layer against a real data directory in /tmp: instance
 * creation and refusal, partners and tokens, the advisory lifecycle,
 * sealed artifacts and copies, and failures that leave nothing behind.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "core/access.h"
#include "core/core.h"
#include "common/emb.h"

#define T0 INT64_C(1700000000000)
#define DAY INT64_C(86400000)

static char root[] = "/tmp/embargo-core-XXXXXX";
static int counter;

static int
setup(void **state)
{
	(void)state;
	return crypto_lib_init() < 0 || mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
new_dir(void)
{
	static char d[256];

	(void)snprintf(d, sizeof(d), "%s/i%d", root, counter++);
	return d;
}

static struct emb_instance *
new_instance(void)
{
	struct emb_error err = {0};
	struct emb_instance *inst;
	const char *d = new_dir();

	assert_int_equal(core_instance_create(d, "test", T0, &err), 0);
	assert_int_equal(core_instance_open(d, &inst, &err), 0);
	return inst;
}

static int64_t
log_count(struct emb_instance *inst)
{
	struct log_report rep;
	struct emb_error err = {0};

	assert_int_equal(core_audit_verify(inst, &rep, &err), 0);
	return rep.entries;
}

static void
test_instance(void **state)
{
	struct emb_error err = {0};
	struct emb_instance *inst;
	char p[300];
	struct stat st;
	const char *d = new_dir();
	int fd;

	(void)state;
	assert_int_equal(core_instance_create(d, "test", T0, &err), 0);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	(void)snprintf(p, sizeof(p), "%s/master.key", d);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	/* An existing instance is never touched. */
	emb_error_clear(&err);
	assert_int_equal(core_instance_create(d, "test", T0, &err), EMB_EEXIST);
	assert_non_null(strstr(err.msg, "not empty"));
	/* Readable key file: refused. */
	assert_int_equal(chmod(p, 0644), 0);
	emb_error_clear(&err);
	assert_true(core_instance_open(d, &inst, &err) < 0);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(p, 0600), 0);
	/* Another instance's master key: refused. */
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	emb_error_clear(&err);
	assert_int_equal(core_instance_open(d, &inst, &err), EMB_ECRYPTO);
	assert_non_null(strstr(err.msg, "does not belong"));
	/* Missing and foreign directories. */
	emb_error_clear(&err);
	assert_int_equal(
	    core_instance_open("/nonexistent/x", &inst, &err), EMB_ENOTINST);
	assert_non_null(strstr(err.msg, "does not exist"));
	emb_error_clear(&err);
	assert_int_equal(core_instance_open("/tmp", &inst, &err), EMB_ENOTINST);
	assert_non_null(strstr(err.msg, "not an embargo data directory"));
	/* An empty existing directory can be initialised. */
	d = new_dir();
	assert_int_equal(mkdir(d, 0755), 0);
	emb_error_clear(&err);
	assert_int_equal(core_instance_create(d, "test", T0, &err), 0);
	assert_int_equal(core_instance_open(d, &inst, &err), 0);
	assert_int_equal(log_count(inst), 1);
	core_instance_free(inst);
}

static void
test_partners_and_tokens(void **state)
{
	struct emb_instance *inst = new_instance();
	struct emb_error err = {0};
	struct core_partner_new np = {
	    "Acme Security", NULL, "detect", "de", "sec@acme.example"};
	struct store_partner p;
	char id[EMB_ID_MAX], token[CRYPTO_TOKEN_STR], token2[CRYPTO_TOKEN_STR];
	int64_t before;

	(void)state;
	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, id, token, &err), 0);
	assert_string_equal(id, "acme-security");
	assert_int_equal(core_partner_authenticate(inst, token, &p), 0);
	assert_string_equal(p.id, "acme-security");
	assert_string_equal(p.country, "DE");
	/* Same derived id again: refused, nothing logged. */
	before = log_count(inst);
	emb_error_clear(&err);
	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, id, token2, &err), EMB_EEXIST);
	assert_int_equal(log_count(inst), before);
	/* Bad fields: refused with the field named. */
	np.id = "other";
	np.country = "XX";
	emb_error_clear(&err);
	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, id, token2, &err), EMB_EINVAL);
	assert_non_null(strstr(err.msg, "country"));
	np.country = NULL;
	np.tier = "gold";
	emb_error_clear(&err);
	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, id, token2, &err), EMB_ENOENT);
	assert_non_null(strstr(err.msg, "unknown tier"));
	assert_int_equal(log_count(inst), before);

	/* Rotation: the old token stops working. */
	assert_int_equal(core_partner_token_rotate(
	                     inst, "t", "acme-security", T0, token2, &err),
	    0);
	assert_int_equal(core_partner_authenticate(inst, token, &p), EMB_EAUTH);
	assert_int_equal(core_partner_authenticate(inst, token2, &p), 0);
	/* Suspended and revoked partners do not authenticate. */
	assert_int_equal(core_partner_set(inst, "t", "acme-security",
	                     CORE_PARTNER_SUSPEND, NULL, T0, &err),
	    0);
	assert_int_equal(
	    core_partner_authenticate(inst, token2, &p), EMB_EAUTH);
	assert_int_equal(core_partner_set(inst, "t", "acme-security",
	                     CORE_PARTNER_REINSTATE, NULL, T0, &err),
	    0);
	assert_int_equal(core_partner_authenticate(inst, token2, &p), 0);
	assert_int_equal(core_partner_set(inst, "t", "acme-security",
	                     CORE_PARTNER_REVOKE, NULL, T0, &err),
	    0);
	assert_int_equal(
	    core_partner_authenticate(inst, token2, &p), EMB_EAUTH);
	emb_error_clear(&err);
	assert_int_equal(core_partner_set(inst, "t", "acme-security",
	                     CORE_PARTNER_REINSTATE, NULL, T0, &err),
	    EMB_ESTATE);
	emb_error_clear(&err);
	assert_int_equal(core_partner_token_rotate(
	                     inst, "t", "acme-security", T0, token2, &err),
	    EMB_ESTATE);
	/* Garbage never authenticates. */
	assert_int_equal(core_partner_authenticate(inst, "", &p), EMB_EAUTH);
	assert_int_equal(
	    core_partner_authenticate(inst, "emb_x", &p), EMB_EAUTH);
	core_instance_free(inst);
}

static void
attach(struct emb_instance *inst, const char *name, const char *tier,
    enum core_release rel, int64_t when, const char *content)
{
	struct core_attach at = {
	    "ADV-1", name, STORE_KIND_POC, tier, rel, 0, 0, STORE_MARK_NONE};
	struct store_artifact art;
	struct emb_error err = {0};

	if (rel == CORE_RELEASE_AT)
		at.release_at = when;
	else
		at.release_before = when;
	assert_int_equal(
	    core_artifact_attach(inst, "t", &at, (const uint8_t *)content,
	        strlen(content), T0, &art, &err),
	    0);
}

static void
test_advisory_lifecycle(void **state)
{
	struct emb_instance *inst = new_instance();
	struct emb_error err = {0};
	const char *cves[] = {"CVE-2021-26855"};
	struct core_advisory_new na = {"ADV-1", "Exchange SSRF", NULL,
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", cves, 1, NULL, 0,
	    T0 + 14 * DAY};
	struct core_partner_new np = {"Acme", NULL, "poc", NULL, NULL};
	struct store_advisory a;
	struct store_delivery d;
	struct buf out;
	char id[EMB_ID_MAX], token[CRYPTO_TOKEN_STR];

	(void)state;
	assert_int_equal(core_advisory_create(inst, "t", &na, T0, &err), 0);
	assert_int_equal(core_advisory_get(inst, "ADV-1", &a, &err), 0);
	assert_int_equal(a.state, STORE_ADV_DRAFT);
	assert_string_equal(a.severity, "critical");
	store_advisory_fini(&a);
	assert_int_equal(
	    core_partner_add(inst, "t", &np, T0, id, token, &err), 0);

	attach(inst, "poc.py", "poc", CORE_RELEASE_BEFORE, 7 * DAY,
	    "print('poc')\n");
	assert_int_equal(core_advisory_get(inst, "ADV-1", &a, &err), 0);
	assert_int_equal(a.state, STORE_ADV_SHARED);
	store_advisory_fini(&a);

	/* Not released yet: no copy, nothing recorded. */
	buf_init(&out, CORE_ARTIFACT_MAX);
	int64_t before = log_count(inst);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "acme", "cli",
	                     T0 + 6 * DAY, &out, &d, &err),
	    EMB_ENOENT);
	assert_non_null(strstr(err.msg, "not released"));
	assert_int_equal(log_count(inst), before);
	/* Expedite by a week: the relative release moves with it. */
	emb_error_clear(&err);
	assert_int_equal(core_advisory_reschedule(inst, "t", "ADV-1",
	                     T0 + 7 * DAY, "exploited", T0 + DAY, &err),
	    0);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "acme", "cli",
	                     T0 + 1 * DAY, &out, &d, &err),
	    0);
	assert_int_equal(out.len, strlen("print('poc')\n"));
	assert_memory_equal(out.data, "print('poc')\n", out.len);
	assert_true(d.id > 0);
	assert_int_equal(log_count(inst), before + 2);

	/* Excluding the partner's country hides it again. */
	emb_error_clear(&err);
	assert_int_equal(core_advisory_exclude(inst, "t", "ADV-1",
	                     STORE_EXCL_PARTNER, "acme", T0 + DAY, &err),
	    0);
	buf_fini(&out);
	emb_error_clear(&err);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "acme", "cli",
	                     T0 + 2 * DAY, &out, &d, &err),
	    EMB_ENOENT);
	assert_non_null(strstr(err.msg, "excluded"));

	/* Publication ends all changes. */
	emb_error_clear(&err);
	assert_int_equal(
	    core_advisory_publish(inst, "t", "ADV-1", T0 + 2 * DAY, &err), 0);
	emb_error_clear(&err);
	assert_int_equal(core_advisory_reschedule(inst, "t", "ADV-1",
	                     T0 + 9 * DAY, "late", T0 + 3 * DAY, &err),
	    EMB_ESTATE);
	emb_error_clear(&err);
	assert_int_equal(
	    core_advisory_withdraw(inst, "t", "ADV-1", T0 + 3 * DAY, &err),
	    EMB_ESTATE);
	buf_fini(&out);
	core_instance_free(inst);
}

static void
test_sealed_at_rest(void **state)
{
	struct emb_instance *inst = new_instance();
	struct emb_error err = {0};
	struct core_advisory_new na = {
	    "ADV-1", "T", NULL, NULL, NULL, 0, NULL, 0, T0 + DAY};
	const char *secret = "UNIQUE-PLAINTEXT-MARKER-4711";
	char path[300], cmd[400];

	(void)state;
	assert_int_equal(core_advisory_create(inst, "t", &na, T0, &err), 0);
	attach(inst, "a.txt", "notify", CORE_RELEASE_AT, T0, secret);
	core_instance_free(inst);
	(void)snprintf(path, sizeof(path), "%s/i%d", root, counter - 1);
	(void)snprintf(cmd, sizeof(cmd),
	    "cat %s/embargo.db* | grep -q UNIQUE-PLAINTEXT-MARKER", path);
	assert_int_not_equal(system(cmd), 0);
}

static void
test_attach_rejects(void **state)
{
	struct emb_instance *inst = new_instance();
	struct emb_error err = {0};
	struct core_advisory_new na = {
	    "ADV-1", "T", NULL, NULL, NULL, 0, NULL, 0, T0 + DAY};
	struct core_attach at = {"ADV-1", "x", STORE_KIND_POC, "poc",
	    CORE_RELEASE_AT, T0 + 2 * DAY, 0, STORE_MARK_AUTO};
	struct store_artifact art;
	int64_t before;

	(void)state;
	assert_int_equal(core_advisory_create(inst, "t", &na, T0, &err), 0);
	before = log_count(inst);
	assert_int_equal(core_artifact_attach(inst, "t", &at,
	                     (const uint8_t *)"x", 1, T0, &art, &err),
	    EMB_EINVAL);
	assert_non_null(strstr(err.msg, "after the patch time"));
	at.release = CORE_RELEASE_NOW;
	emb_error_clear(&err);
	assert_int_equal(core_artifact_attach(inst, "t", &at,
	                     (const uint8_t *)"", 0, T0, &art, &err),
	    EMB_EINVAL);
	emb_error_clear(&err);
	assert_int_equal(
	    core_artifact_attach(inst, "t", &at, (const uint8_t *)"x",
	        CORE_ARTIFACT_MAX + 1, T0, &art, &err),
	    EMB_ETOOBIG);
	at.tier = "gold";
	emb_error_clear(&err);
	assert_int_equal(core_artifact_attach(inst, "t", &at,
	                     (const uint8_t *)"x", 1, T0, &art, &err),
	    EMB_ENOENT);
	at.tier = "poc";
	at.name = "../etc";
	emb_error_clear(&err);
	assert_int_equal(core_artifact_attach(inst, "t", &at,
	                     (const uint8_t *)"x", 1, T0, &art, &err),
	    EMB_EINVAL);
	assert_int_equal(log_count(inst), before);
	core_instance_free(inst);
}

static void
test_marked_copies(void **state)
{
	struct emb_instance *inst = new_instance();
	struct emb_error err = {0};
	struct core_advisory_new na = {
	    "ADV-1", "T", NULL, NULL, NULL, 0, NULL, 0, T0 + DAY};
	struct core_partner_new pa = {"Acme", NULL, "poc", NULL, NULL};
	struct core_partner_new pb = {"Bolt", NULL, "poc", NULL, NULL};
	/* Enough sites (about 100) that two partners' copies coincide
	 * with probability far below 1e-9; a handful would collide in a
	 * few percent of runs. */
	char text[4096];
	size_t tl = 0;
	struct core_attach at = {"ADV-1", "poc.py", STORE_KIND_POC, "poc",
	    CORE_RELEASE_NOW, 0, 0, STORE_MARK_AUTO};
	struct store_artifact art;
	struct store_delivery d;
	struct buf a1, a2, b1;
	char id[EMB_ID_MAX], token[CRYPTO_TOKEN_STR];

	(void)state;
	for (int i = 0; i < 25; i++) {
		int n = snprintf(text + tl, sizeof(text) - tl,
		    "def check%d(target, port):\n    timeout = %d\n"
		    "    return target, port, timeout\n\n\n",
		    i, 16 + i);
		assert_true(n > 0 && (size_t)n < sizeof(text) - tl);
		tl += (size_t)n;
	}
	assert_int_equal(core_advisory_create(inst, "t", &na, T0, &err), 0);
	assert_int_equal(
	    core_partner_add(inst, "t", &pa, T0, id, token, &err), 0);
	assert_int_equal(
	    core_partner_add(inst, "t", &pb, T0, id, token, &err), 0);
	assert_int_equal(core_artifact_attach(inst, "t", &at,
	                     (const uint8_t *)text, tl, T0, &art, &err),
	    0);
	buf_init(&a1, CORE_ARTIFACT_MAX);
	buf_init(&a2, CORE_ARTIFACT_MAX);
	buf_init(&b1, CORE_ARTIFACT_MAX);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "acme", "cli",
	                     T0 + 1, &a1, &d, &err),
	    0);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "acme", "cli",
	                     T0 + 2, &a2, &d, &err),
	    0);
	assert_int_equal(core_copy(inst, "t", "ADV-1", "poc.py", "bolt", "cli",
	                     T0 + 3, &b1, &d, &err),
	    0);
	/* Deterministic per partner, different between partners. */
	assert_int_equal(a1.len, a2.len);
	assert_memory_equal(a1.data, a2.data, a1.len);
	assert_true(a1.len != b1.len || memcmp(a1.data, b1.data, a1.len) != 0);
	buf_fini(&a1);
	buf_fini(&a2);
	buf_fini(&b1);
	core_instance_free(inst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_instance),
	    cmocka_unit_test(test_partners_and_tokens),
	    cmocka_unit_test(test_advisory_lifecycle),
	    cmocka_unit_test(test_sealed_at_rest),
	    cmocka_unit_test(test_attach_rejects),
	    cmocka_unit_test(test_marked_copies),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
