/*
 * Request-target parsing: segments, decoding, parameters, and everything
 * that must be refused.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "http/query.h"
#include "common/emb.h"

static void
test_paths(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_target_parse("/", &t), 0);
	assert_int_equal(t.n_seg, 0);
	assert_true(t.trailing_slash);
	http_target_fini(&t);

	assert_int_equal(http_target_parse("/taxii2/api/", &t), 0);
	assert_int_equal(t.n_seg, 2);
	assert_string_equal(t.seg[0], "taxii2");
	assert_string_equal(t.seg[1], "api");
	assert_true(t.trailing_slash);
	assert_int_equal(t.n_params, 0);
	http_target_fini(&t);

	assert_int_equal(http_target_parse("/v1/advisories/EMB%2D1", &t), 0);
	assert_int_equal(t.n_seg, 3);
	assert_string_equal(t.seg[2], "EMB-1");
	assert_false(t.trailing_slash);
	http_target_fini(&t);

	/* '+' is a plus in a path, a space in a query. */
	assert_int_equal(http_target_parse("/a+b?x=a+b%2B", &t), 0);
	assert_string_equal(t.seg[0], "a+b");
	assert_string_equal(http_target_param(&t, "x"), "a b+");
	http_target_fini(&t);
}

static void
test_params(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_target_parse("/o/?limit=5&match%5Bid%5D=a,b&"
	                                   "flag&empty=",
	                     &t),
	    0);
	assert_int_equal(t.n_params, 4);
	assert_string_equal(http_target_param(&t, "limit"), "5");
	assert_string_equal(http_target_param(&t, "match[id]"), "a,b");
	assert_string_equal(http_target_param(&t, "flag"), "");
	assert_string_equal(http_target_param(&t, "empty"), "");
	assert_null(http_target_param(&t, "absent"));
	http_target_fini(&t);

	assert_int_equal(http_target_parse("/o?", &t), 0);
	assert_int_equal(t.n_params, 0);
	http_target_fini(&t);
	assert_int_equal(http_target_parse("/o?a=1&", &t), 0);
	assert_int_equal(t.n_params, 1);
	http_target_fini(&t);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "relative",
	    "//",
	    "/a//b",
	    "/a/./b",
	    "/a/../b",
	    "/a/%2e%2e/b",
	    "/a%2Fb",
	    "/a%00b",
	    "/a%0ab",
	    "/a%zz",
	    "/a%4",
	    "/a%",
	    "/a b",
	    "/a\tb",
	    "/a#frag",
	    "/\x80",
	    "/?=v",
	    "/?a=1&&b=2",
	    "/?&",
	    "/?a=1&a=2",
	    "/?a=%00",
	    "/?a%00=1",
	    "/?a=%0d%0a",
	};
	struct http_target t;
	char longt[HTTP_TARGET_MAX + 8], many[256];

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		int r = http_target_parse(bad[i], &t);
		if (r == 0)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(r, EMB_EINVAL);
	}
	memset(longt, 'a', sizeof(longt) - 1);
	longt[0] = '/';
	longt[sizeof(longt) - 1] = '\0';
	assert_int_equal(http_target_parse(longt, &t), EMB_ETOOBIG);
	(void)snprintf(many, sizeof(many), "/a/b/c/d/e/f/g/h/i/j/k/l/m");
	assert_int_equal(http_target_parse(many, &t), EMB_ETOOBIG);
	(void)snprintf(many, sizeof(many),
	    "/?a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1"
	    "&p=1&q=1");
	assert_int_equal(http_target_parse(many, &t), EMB_ETOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
