/*
 * The response cache: an answer comes back only for the same requester,
 * method and target under a stamp that still holds; bodies and headers
 * come back byte for byte; the byte budget holds.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "http/respcache.h"
#include "common/emb.h"

static const struct core_stamp ST = {7, 1000, 2000};

static void
answer(struct http_response *r, const char *body, const char *note)
{
	http_response_init(r);
	r->status = 200;
	http_response_header(r, "ETag", "\"%s\"", body);
	http_response_header(r, "Content-Type", "text/plain");
	assert_int_equal(buf_append(&r->body, body, strlen(body)), 0);
	(void)snprintf(r->who, sizeof(r->who), "acme");
	(void)snprintf(r->note, sizeof(r->note), "%s", note);
}

static bool
get(struct emb_lru *c, const char *who, const char *method, const char *target,
    const struct core_stamp *st, int64_t now, struct http_response *out)
{
	http_response_init(out);
	return http_respcache_get(c, who, method, target, st, now, out);
}

static void
test_hit_is_the_same_answer(void **state)
{
	struct emb_lru *c = emb_lru_new(1 << 20);
	struct http_response in, out;

	(void)state;
	assert_non_null(c);
	answer(&in, "copy for acme", "delivery 3");
	http_respcache_put(c, "acme", "GET", "/v1/x", &ST, &in);
	assert_true(get(c, "acme", "GET", "/v1/x", &ST, 1500, &out));
	assert_int_equal(out.status, 200);
	assert_int_equal(out.n_headers, 2);
	assert_string_equal(
	    http_response_get(&out, "ETag"), "\"copy for acme\"");
	assert_int_equal(out.body.len, in.body.len);
	assert_memory_equal(out.body.data, in.body.data, in.body.len);
	assert_string_equal(out.who, "acme");
	assert_string_equal(out.note, "delivery 3");
	http_response_fini(&out);
	/* Headers already on the response stay first. */
	http_response_init(&out);
	http_response_header(&out, "Connection", "close");
	assert_true(
	    http_respcache_get(c, "acme", "GET", "/v1/x", &ST, 1500, &out));
	assert_int_equal(out.n_headers, 3);
	assert_string_equal(out.headers[0].name, "Connection");
	http_response_fini(&out);
	http_response_fini(&in);
	emb_lru_free(c);
}

static void
test_misses(void **state)
{
	struct emb_lru *c = emb_lru_new(1 << 20);
	struct http_response in, out;
	struct core_stamp newer = ST;

	(void)state;
	answer(&in, "copy for acme", "");
	http_respcache_put(c, "acme", "GET", "/v1/x", &ST, &in);
	/* Another requester, method or target. */
	assert_false(get(c, "bolt", "GET", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	assert_false(get(c, "", "GET", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	assert_false(get(c, "acme", "HEAD", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	assert_false(get(c, "acme", "GET", "/v1/x?a=1", &ST, 1500, &out));
	http_response_fini(&out);
	/* Keys do not run into each other. */
	assert_false(get(c, "acme\nGET", "", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	/* Another generation, or a time outside [from, until). */
	newer.gen++;
	assert_false(get(c, "acme", "GET", "/v1/x", &newer, 1500, &out));
	http_response_fini(&out);
	assert_false(get(c, "acme", "GET", "/v1/x", &ST, 2000, &out));
	http_response_fini(&out);
	assert_false(get(c, "acme", "GET", "/v1/x", &ST, 999, &out));
	http_response_fini(&out);
	/* A newer answer replaces the old one. */
	http_response_fini(&in);
	answer(&in, "second", "");
	http_respcache_put(c, "acme", "GET", "/v1/x", &newer, &in);
	assert_true(get(c, "acme", "GET", "/v1/x", &newer, 1500, &out));
	assert_memory_equal(out.body.data, "second", 6);
	http_response_fini(&out);
	assert_false(get(c, "acme", "GET", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	http_response_fini(&in);
	/* A NULL cache never hits and keeps nothing. */
	answer(&in, "x", "");
	http_respcache_put(NULL, "acme", "GET", "/v1/x", &ST, &in);
	assert_false(get(NULL, "acme", "GET", "/v1/x", &ST, 1500, &out));
	http_response_fini(&out);
	http_response_fini(&in);
	emb_lru_free(c);
}

static void
test_budget(void **state)
{
	struct emb_lru *c = emb_lru_new(64 * 1024);
	struct http_response in, out;
	char target[32], big[9000];
	size_t hits = 0;

	(void)state;
	/* Too large for the budget's eighth: not kept. */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	answer(&in, big, "");
	http_respcache_put(c, "acme", "GET", "/big", &ST, &in);
	assert_false(get(c, "acme", "GET", "/big", &ST, 1500, &out));
	http_response_fini(&out);
	http_response_fini(&in);
	/* Many answers: the oldest go, the newest stay. */
	memset(big, 'a', 4000);
	big[4000] = '\0';
	answer(&in, big, "");
	for (int i = 0; i < 100; i++) {
		(void)snprintf(target, sizeof(target), "/t/%d", i);
		http_respcache_put(c, "acme", "GET", target, &ST, &in);
	}
	for (int i = 0; i < 100; i++) {
		(void)snprintf(target, sizeof(target), "/t/%d", i);
		if (get(c, "acme", "GET", target, &ST, 1500, &out))
			hits++;
		http_response_fini(&out);
	}
	assert_true(hits > 0 && hits < 17);
	assert_true(get(c, "acme", "GET", "/t/99", &ST, 1500, &out));
	http_response_fini(&out);
	http_response_fini(&in);
	emb_lru_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit_is_the_same_answer),
	    cmocka_unit_test(test_misses),
	    cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
