/*
 * The event log catches every kind of tampering done directly in the
 * database: an edited field, a removed entry (middle or end), a reorder,
 * an inserted entry, a forged head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "store/log.h"
#include "common/emb.h"

static char dir[] = "/tmp/embargo-log-XXXXXX";
static struct crypto_keys *keys;

static int
setup(void **state)
{
	uint8_t m[32] = {1, 2, 3}, s[32] = {4, 5, 6};

	(void)state;
	if (crypto_lib_init() < 0 || mkdtemp(dir) == NULL)
		return -1;
	return crypto_keys_new(m, s, &keys);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	crypto_keys_free(keys);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database with five entries; returns its path. */
static const char *
make_log(int variant)
{
	static char path[300];
	struct store *s;
	char detail[64];

	(void)snprintf(path, sizeof(path), "%s/log%d.db", dir, variant);
	assert_int_equal(store_open(path, true, &s), 0);
	for (int i = 1; i <= 5; i++) {
		(void)snprintf(detail, sizeof(detail), "{\"n\":%d}", i);
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(log_append(s, keys, 1000 + i, "cli:test",
		                     "test.event", "subject", detail),
		    0);
		assert_int_equal(store_commit(s), 0);
	}
	store_close(s);
	return path;
}

static void
tamper(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
verify(const char *path, struct log_report *rep)
{
	struct store *s;
	int r;

	assert_int_equal(store_open(path, false, &s), 0);
	r = log_verify(s, keys, rep);
	store_close(s);
	return r;
}

static void
test_intact(void **state)
{
	struct log_report rep;

	(void)state;
	assert_int_equal(verify(make_log(0), &rep), 0);
	assert_int_equal(rep.entries, 5);
	assert_string_equal(rep.problem, "");
}

static void
expect_caught(int variant, const char *sql, int64_t seq, const char *what)
{
	const char *path = make_log(variant);
	struct log_report rep;

	tamper(path, sql);
	assert_int_equal(verify(path, &rep), EMB_ECORRUPT);
	if (seq > 0)
		assert_int_equal(rep.bad_seq, seq);
	if (strstr(rep.problem, what) == NULL)
		fail_msg(
		    "problem '%s' does not mention '%s'", rep.problem, what);
}

static void
test_tampering(void **state)
{
	(void)state;
	expect_caught(1, "UPDATE events SET detail = '{\"n\":9}' WHERE seq = 3",
	    3, "altered");
	expect_caught(
	    2, "UPDATE events SET at = at + 1 WHERE seq = 2", 2, "altered");
	expect_caught(3,
	    "UPDATE events SET actor = 'cli:mallory' WHERE seq = 5", 5,
	    "altered");
	expect_caught(4, "DELETE FROM events WHERE seq = 3", 3, "missing");
	expect_caught(5, "DELETE FROM events WHERE seq = 5", 0, "removed");
	expect_caught(6, "DELETE FROM events WHERE seq = 1", 1, "missing");
	/* Swap entries 2 and 3 by exchanging their sequence numbers. */
	expect_caught(7,
	    "UPDATE events SET seq = 100 WHERE seq = 2;"
	    "UPDATE events SET seq = 2 WHERE seq = 3;"
	    "UPDATE events SET seq = 3 WHERE seq = 100;",
	    2, "chain");
	/* Swap contents, keeping seq: the chain breaks. */
	expect_caught(8,
	    "CREATE TEMP TABLE x AS SELECT * FROM events WHERE seq IN (2, 4);"
	    "UPDATE events SET at = (SELECT at FROM x WHERE seq = 4),"
	    " detail = (SELECT detail FROM x WHERE seq = 4),"
	    " prev = (SELECT prev FROM x WHERE seq = 4),"
	    " hash = (SELECT hash FROM x WHERE seq = 4) WHERE seq = 2;",
	    2, "chain");
	/* An entry added by hand, copying the last one's hash as prev. */
	expect_caught(9,
	    "INSERT INTO events SELECT 6, at, actor, type, subject, detail,"
	    " hash, hash FROM events WHERE seq = 5",
	    6, "altered");
	/* A forged or dropped head. */
	expect_caught(10,
	    "UPDATE meta SET value = zeroblob(104) WHERE key = 'log_head'", 0,
	    "signature");
	expect_caught(11, "DELETE FROM meta WHERE key = 'log_head'", 0, "head");
}

static void
test_append_refuses_after_tamper(void **state)
{
	const char *path = make_log(12);
	struct store *s;

	(void)state;
	tamper(path,
	    "UPDATE meta SET value = zeroblob(104) WHERE key ="
	    " 'log_head'");
	assert_int_equal(store_open(path, false, &s), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(
	    log_append(s, keys, 1, "a", "b", "c", "{}"), EMB_ECORRUPT);
	store_rollback(s);
	store_close(s);
}

static void
test_wrong_key(void **state)
{
	const char *path = make_log(13);
	struct crypto_keys *other;
	uint8_t m[32] = {9}, sd[32] = {4, 5, 6};
	struct log_report rep;
	struct store *s;

	(void)state;
	assert_int_equal(crypto_keys_new(m, sd, &other), 0);
	assert_int_equal(store_open(path, false, &s), 0);
	assert_int_equal(log_verify(s, other, &rep), EMB_ECORRUPT);
	store_close(s);
	crypto_keys_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intact),
	    cmocka_unit_test(test_tampering),
	    cmocka_unit_test(test_append_refuses_after_tamper),
	    cmocka_unit_test(test_wrong_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
