#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "store/store.h"
#include "common/emb.h"

static char dir[] = "/tmp/embargo-store-XXXXXX";
static char path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/test.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
fresh(struct store **s)
{
	char p[300];

	unlink(path);
	(void)snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	(void)snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	assert_int_equal(store_open(path, true, s), 0);
}

static void
test_open_refuses_foreign(void **state)
{
	struct store *s;
	sqlite3 *db;
	int fd;

	(void)state;
	fresh(&s);
	store_close(s);
	/* Creating over an existing file is refused. */
	assert_int_equal(store_open(path, true, &s), EMB_EEXIST);
	/* Reopening works. */
	assert_int_equal(store_open(path, false, &s), 0);
	store_close(s);
	/* A newer schema is refused. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, false, &s), EMB_EVERSION);
	/* Another application's SQLite database is refused. */
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, false, &s), EMB_ENOTINST);
	/* So is a file that is not SQLite, and a missing one. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, "not a database, not at all, no no no!", 38), 38);
	close(fd);
	assert_int_equal(store_open(path, false, &s), EMB_ENOTINST);
	unlink(path);
	assert_int_equal(store_open(path, false, &s), EMB_ENOTINST);
}

static void
test_tiers_partners(void **state)
{
	struct store *s;
	struct store_tier t = {"gold", 40}, *tl;
	struct store_partner p, q, *pl;
	size_t n;

	(void)state;
	fresh(&s);
	assert_int_equal(store_tier_add(s, &t), 0);
	assert_int_equal(store_tier_add(s, &t), EMB_EEXIST);
	t.rank = 5;
	(void)snprintf(t.name, sizeof(t.name), "bronze");
	assert_int_equal(store_tier_add(s, &t), 0);
	assert_int_equal(store_tier_list(s, &tl, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tl[0].name, "bronze"); /* ordered by rank */
	free(tl);
	assert_int_equal(store_tier_get(s, "silver", &t), EMB_ENOENT);

	memset(&p, 0, sizeof(p));
	(void)snprintf(p.id, sizeof(p.id), "acme");
	(void)snprintf(p.name, sizeof(p.name), "Acme");
	(void)snprintf(p.tier, sizeof(p.tier), "gold");
	(void)snprintf(p.country, sizeof(p.country), "DE");
	memset(p.token_hash, 7, sizeof(p.token_hash));
	p.created_at = p.updated_at = 1000;
	assert_int_equal(store_partner_add(s, &p), 0);
	assert_int_equal(store_partner_add(s, &p), EMB_EEXIST);
	assert_int_equal(store_partner_get(s, "acme", &q), 0);
	assert_string_equal(q.name, "Acme");
	assert_string_equal(q.country, "DE");
	assert_string_equal(q.contact, "");
	assert_int_equal(q.tier_rank, 40);
	assert_memory_equal(q.token_hash, p.token_hash, 32);
	assert_int_equal(store_partner_by_token(s, p.token_hash, &q), 0);
	assert_string_equal(q.id, "acme");
	q.token_hash[0] ^= 1;
	assert_int_equal(
	    store_partner_by_token(s, q.token_hash, &q), EMB_ENOENT);
	/* A partner in an unknown tier violates a foreign key. */
	(void)snprintf(p.id, sizeof(p.id), "other");
	(void)snprintf(p.tier, sizeof(p.tier), "nosuch");
	memset(p.token_hash, 8, sizeof(p.token_hash));
	assert_true(store_partner_add(s, &p) < 0);
	assert_int_equal(store_partner_get(s, "acme", &q), 0);
	q.status = STORE_PARTNER_SUSPENDED;
	(void)snprintf(q.tier, sizeof(q.tier), "bronze");
	assert_int_equal(store_partner_update(s, &q), 0);
	assert_int_equal(store_partner_list(s, &pl, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pl[0].status, STORE_PARTNER_SUSPENDED);
	assert_int_equal(pl[0].tier_rank, 5);
	free(pl);
	store_close(s);
}

static void
test_advisories_artifacts(void **state)
{
	struct store *s;
	struct store_tier t = {"poc", 30};
	struct store_advisory a, b;
	struct store_artifact art, got, *al;
	struct store_reschedule rs = {5, 100, 50, "expedite"};
	struct store_exclusion ex = {STORE_EXCL_COUNTRY, "RU", 6};
	struct store_delivery d = {0}, *dl;
	struct store_partner p = {0};
	char cves[2][STORE_CVE_MAX] = {"CVE-2021-26855", "CVE-2021-26857"};
	char products[1][STORE_NAME_MAX + 1] = {"Exchange"};
	struct buf blob;
	int64_t id;
	size_t n;

	(void)state;
	fresh(&s);
	assert_int_equal(store_tier_add(s, &t), 0);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "ADV-1");
	(void)snprintf(a.title, sizeof(a.title), "Title");
	a.patch_at = 100;
	a.cves = cves;
	a.n_cves = 2;
	a.products = products;
	a.n_products = 1;
	assert_int_equal(store_advisory_add(s, &a), 0);
	assert_int_equal(store_advisory_add(s, &a), EMB_EEXIST);
	assert_int_equal(store_reschedule_add(s, "ADV-1", &rs), 0);
	assert_int_equal(store_exclusion_add(s, "ADV-1", &ex), 0);
	assert_int_equal(store_exclusion_add(s, "ADV-1", &ex), EMB_EEXIST);
	assert_int_equal(store_advisory_get(s, "ADV-1", &b), 0);
	assert_int_equal(b.n_cves, 2);
	assert_string_equal(b.cves[1], "CVE-2021-26857");
	assert_string_equal(b.products[0], "Exchange");
	assert_int_equal(b.n_reschedules, 1);
	assert_int_equal(b.reschedules[0].new_patch_at, 50);
	assert_string_equal(b.reschedules[0].reason, "expedite");
	assert_int_equal(b.n_exclusions, 1);
	assert_string_equal(b.exclusions[0].value, "RU");
	b.state = STORE_ADV_PUBLISHED;
	b.published_at = 77;
	assert_int_equal(store_advisory_update(s, &b), 0);
	store_advisory_fini(&b);
	assert_int_equal(store_advisory_get(s, "ADV-1", &b), 0);
	assert_int_equal(b.state, STORE_ADV_PUBLISHED);
	assert_int_equal(b.published_at, 77);
	store_advisory_fini(&b);
	assert_int_equal(store_advisory_get(s, "nope", &b), EMB_ENOENT);

	memset(&art, 0, sizeof(art));
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "ADV-1");
	(void)snprintf(art.name, sizeof(art.name), "poc.py");
	(void)snprintf(art.tier, sizeof(art.tier), "poc");
	art.kind = STORE_KIND_POC;
	art.release_relative = true;
	art.release_before = 10;
	art.size = 3;
	assert_int_equal(store_artifact_add(s, &art, "xyz", 3), 0);
	assert_true(art.id > 0);
	/* Same live name again: refused by the partial unique index. */
	assert_int_equal(store_artifact_add(s, &art, "xyz", 3), EMB_EEXIST);
	assert_int_equal(store_artifact_get(s, "ADV-1", "poc.py", &got), 0);
	assert_true(got.release_relative);
	assert_int_equal(got.release_before, 10);
	assert_int_equal(got.tier_rank, 30);
	buf_init(&blob, 16);
	assert_int_equal(store_artifact_blob(s, got.id, &blob), 0);
	assert_memory_equal(blob.data, "xyz", 3);
	buf_fini(&blob);

	memset(&p, 0, sizeof(p));
	(void)snprintf(p.id, sizeof(p.id), "acme");
	(void)snprintf(p.name, sizeof(p.name), "Acme");
	(void)snprintf(p.tier, sizeof(p.tier), "poc");
	assert_int_equal(store_partner_add(s, &p), 0);
	(void)snprintf(d.partner_id, sizeof(d.partner_id), "acme");
	(void)snprintf(d.channel, sizeof(d.channel), "cli");
	d.artifact_id = got.id;
	d.at = 9;
	assert_int_equal(store_delivery_add(s, &d, &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_delivery_list(s, "acme", &dl, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dl[0].artifact_id, got.id);
	free(dl);

	/* Withdrawn: gone from get and the live list, name free again. */
	assert_int_equal(store_artifact_withdraw(s, got.id, 11), 0);
	assert_int_equal(store_artifact_withdraw(s, got.id, 12), EMB_ENOENT);
	assert_int_equal(
	    store_artifact_get(s, "ADV-1", "poc.py", &got), EMB_ENOENT);
	assert_int_equal(store_artifact_list(s, "ADV-1", false, &al, &n), 0);
	assert_int_equal(n, 0);
	free(al);
	assert_int_equal(store_artifact_list(s, "ADV-1", true, &al, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(al[0].withdrawn_at, 11);
	free(al);
	assert_int_equal(store_artifact_add(s, &art, "abc", 3), 0);
	store_close(s);
}

static void
test_transactions_and_meta(void **state)
{
	struct store *s;
	struct store_tier t = {"x", 1};
	struct buf b;

	(void)state;
	fresh(&s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_tier_add(s, &t), 0);
	assert_int_equal(store_meta_set(s, "k", "v1", 2), 0);
	store_rollback(s);
	assert_int_equal(store_tier_get(s, "x", &t), EMB_ENOENT);
	buf_init(&b, 16);
	assert_int_equal(store_meta_get(s, "k", &b), EMB_ENOENT);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "k", "v1", 2), 0);
	assert_int_equal(store_meta_set(s, "k", "v2", 2), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_meta_get(s, "k", &b), 0);
	assert_memory_equal(b.data, "v2", 2);
	buf_fini(&b);
	assert_int_equal(store_schema_version(), 3);
	store_close(s);
}

/* The generation moves on with what views read, and only with that. */
static void
test_generation(void **state)
{
	struct store *s;
	struct store_tier t = {"poc", 30};
	struct store_advisory a;
	struct store_artifact art;
	struct store_partner p;
	struct store_delivery d;
	int64_t g0, g1, g2, id;

	(void)state;
	fresh(&s);
	assert_int_equal(store_generation(s, &g0), 0);
	assert_int_equal(store_tier_add(s, &t), 0);
	assert_int_equal(store_generation(s, &g1), 0);
	assert_true(g1 > g0);
	/* A rolled-back change leaves it where it was. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "k", "v", 1), 0);
	store_rollback(s);
	assert_int_equal(store_generation(s, &g2), 0);
	assert_int_equal(g2, g1);
	assert_int_equal(store_meta_set(s, "k", "v", 1), 0);
	assert_int_equal(store_generation(s, &g2), 0);
	assert_true(g2 > g1);

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "ADV-1");
	(void)snprintf(a.title, sizeof(a.title), "Title");
	a.created_at = 1;
	a.updated_at = 2;
	a.patch_at = 100;
	assert_int_equal(store_advisory_add(s, &a), 0);
	memset(&art, 0, sizeof(art));
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "ADV-1");
	(void)snprintf(art.name, sizeof(art.name), "poc.py");
	(void)snprintf(art.tier, sizeof(art.tier), "poc");
	art.kind = STORE_KIND_POC;
	art.release_relative = true;
	art.release_before = 10; /* released at 90 */
	art.attached_at = 3;
	art.size = 3;
	assert_int_equal(store_artifact_add(s, &art, "xyz", 3), 0);
	memset(&p, 0, sizeof(p));
	(void)snprintf(p.id, sizeof(p.id), "acme");
	(void)snprintf(p.name, sizeof(p.name), "Acme");
	(void)snprintf(p.tier, sizeof(p.tier), "poc");
	p.created_at = p.updated_at = 4;
	assert_int_equal(store_partner_add(s, &p), 0);

	/* Deliveries and the log head are records no view reads. */
	assert_int_equal(store_generation(s, &g1), 0);
	memset(&d, 0, sizeof(d));
	(void)snprintf(d.partner_id, sizeof(d.partner_id), "acme");
	(void)snprintf(d.channel, sizeof(d.channel), "cli");
	d.artifact_id = art.id;
	d.at = 9;
	assert_int_equal(store_delivery_add(s, &d, &id), 0);
	assert_int_equal(store_meta_set(s, "log_head", "h", 1), 0);
	assert_int_equal(store_generation(s, &g2), 0);
	assert_int_equal(g2, g1);

	/* Every stored time, and the relative release, in order. */
	assert_int_equal(store_next_change(s, 0, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(store_next_change(s, 3, &id), 0);
	assert_int_equal(id, 4);
	assert_int_equal(store_next_change(s, 4, &id), 0);
	assert_int_equal(id, 90);
	assert_int_equal(store_next_change(s, 90, &id), 0);
	assert_int_equal(id, 100);
	assert_int_equal(store_next_change(s, 100, &id), 0);
	assert_int_equal(id, INT64_MAX);
	store_close(s);
}

/* A read snapshot holds until it ends; a writer ends it first. */
static void
test_read_snapshot(void **state)
{
	struct store *s, *w;
	struct store_tier t = {"x", 1}, u = {"y", 2}, got;
	int64_t g0, g1;

	(void)state;
	fresh(&s);
	assert_int_equal(store_open(path, false, &w), 0);
	assert_int_equal(store_read_begin(s), 0);
	assert_int_equal(store_generation(s, &g0), 0);
	assert_int_equal(store_tier_add(w, &t), 0);
	assert_int_equal(store_generation(s, &g1), 0);
	assert_int_equal(g1, g0);
	assert_int_equal(store_tier_get(s, "x", &got), EMB_ENOENT);
	store_read_end(s);
	assert_int_equal(store_generation(s, &g1), 0);
	assert_true(g1 > g0);
	assert_int_equal(store_tier_get(s, "x", &got), 0);
	/* Writing from inside a snapshot starts from the newest state. */
	assert_int_equal(store_read_begin(s), 0);
	assert_int_equal(store_generation(s, &g0), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_tier_add(s, &u), 0);
	assert_int_equal(store_commit(s), 0);
	store_read_end(s);
	assert_int_equal(store_tier_get(w, "y", &got), 0);
	store_close(w);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_refuses_foreign),
	    cmocka_unit_test(test_tiers_partners),
	    cmocka_unit_test(test_advisories_artifacts),
	    cmocka_unit_test(test_transactions_and_meta),
	    cmocka_unit_test(test_generation),
	    cmocka_unit_test(test_read_snapshot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
