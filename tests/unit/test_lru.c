/*
 * The bounded cache: values come back for their key only, a take that
 * declines is a miss, the least recently used go first when the budget
 * is full, and what is too large is not kept.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "common/lru.h"
#include "common/emb.h"

struct got {
	char v[256];
	size_t n;
	bool accept;
};

static bool
take(void *arg, const unsigned char *value, size_t len)
{
	struct got *g = arg;

	if (!g->accept || len >= sizeof(g->v))
		return false;
	memcpy(g->v, value, len);
	g->v[len] = '\0';
	g->n = len;
	return true;
}

static bool
get(struct emb_lru *c, const char *key, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->accept = true;
	return emb_lru_get(c, key, strlen(key), take, g);
}

static void
test_get_put(void **state)
{
	struct emb_lru *c = emb_lru_new(1 << 16);
	struct got g;

	(void)state;
	assert_non_null(c);
	assert_false(get(c, "a", &g));
	emb_lru_put(c, "a", 1, "alpha", 5);
	emb_lru_put(c, "ab", 2, "other", 5);
	assert_true(get(c, "a", &g));
	assert_string_equal(g.v, "alpha");
	assert_false(get(c, "b", &g));
	assert_false(get(c, "", &g));
	/* The same key again replaces the value. */
	emb_lru_put(c, "a", 1, "again", 5);
	assert_true(get(c, "a", &g));
	assert_string_equal(g.v, "again");
	assert_true(get(c, "ab", &g));
	assert_string_equal(g.v, "other");
	/* Keys are bytes: an embedded NUL counts. */
	emb_lru_put(c, "k\0x", 3, "nul", 3);
	assert_false(get(c, "k", &g));
	memset(&g, 0, sizeof(g));
	g.accept = true;
	assert_true(emb_lru_get(c, "k\0x", 3, take, &g));
	assert_string_equal(g.v, "nul");
	/* An empty value is a value. */
	emb_lru_put(c, "e", 1, "", 0);
	assert_true(get(c, "e", &g));
	assert_int_equal(g.n, 0);
	/* A take that declines is a miss. */
	memset(&g, 0, sizeof(g));
	assert_false(emb_lru_get(c, "a", 1, take, &g));
	emb_lru_free(c);
	/* A NULL cache keeps nothing and never hits. */
	emb_lru_put(NULL, "a", 1, "x", 1);
	assert_false(get(NULL, "a", &g));
	emb_lru_free(NULL);
}

static void
test_budget(void **state)
{
	struct emb_lru *c = emb_lru_new(8000);
	char key[16], big[1200];
	struct got g;
	size_t kept = 0;

	(void)state;
	/* Over an eighth of the budget: not kept. */
	memset(big, 'b', sizeof(big));
	emb_lru_put(c, "big", 3, big, sizeof(big));
	assert_false(get(c, "big", &g));
	/* About 100 bytes each: fewer than 80 fit; the oldest go first. */
	memset(big, 'v', 100);
	for (int i = 0; i < 200; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		emb_lru_put(c, key, strlen(key), big, 100);
	}
	for (int i = 0; i < 200; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		kept += get(c, key, &g);
	}
	assert_true(kept > 40 && kept <= 80);
	assert_true(get(c, "k199", &g));
	assert_false(get(c, "k0", &g));
	emb_lru_free(c);
}

static void
test_recent_use_survives(void **state)
{
	struct emb_lru *c = emb_lru_new(8000);
	char key[16], v[100];
	struct got g;

	(void)state;
	memset(v, 'v', sizeof(v));
	emb_lru_put(c, "keep", 4, v, sizeof(v));
	for (int i = 0; i < 200; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		emb_lru_put(c, key, strlen(key), v, sizeof(v));
		assert_true(get(c, "keep", &g)); /* used all along */
	}
	assert_false(get(c, "k0", &g));
	emb_lru_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_put),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_recent_use_survives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
