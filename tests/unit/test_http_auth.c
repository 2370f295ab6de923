/*
 * Authorization headers (Bearer, Basic, everything malformed), base64,
 * and the failed-attempt limiter.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "http/auth.h"
#include "common/emb.h"

#define TOKEN "emb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static void
test_bearer(void **state)
{
	struct http_credentials c;

	(void)state;
	http_auth_parse(NULL, &c);
	assert_int_equal(c.scheme, HTTP_AUTH_NONE);
	http_auth_parse("Bearer " TOKEN, &c);
	assert_int_equal(c.scheme, HTTP_AUTH_BEARER);
	assert_string_equal(c.token, TOKEN);
	assert_string_equal(c.user, "");
	http_auth_parse("bEaReR   " TOKEN "  ", &c);
	assert_int_equal(c.scheme, HTTP_AUTH_BEARER);
	assert_string_equal(c.token, TOKEN);
}

static void
test_basic(void **state)
{
	struct http_credentials c;

	(void)state;
	/* base64("acme:" TOKEN) */
	http_auth_parse("Basic YWNtZTplbWJfQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	                "QUFBQUFBQUFBQUFBQUFBQUFBQQ==",
	    &c);
	assert_int_equal(c.scheme, HTTP_AUTH_BASIC);
	assert_string_equal(c.user, "acme");
	assert_string_equal(c.token, TOKEN);
	/* The password may hold a colon; the user may not. */
	http_auth_parse("Basic YTpiOmM=", &c); /* a:b:c */
	assert_int_equal(c.scheme, HTTP_AUTH_BASIC);
	assert_string_equal(c.user, "a");
	assert_string_equal(c.token, "b:c");
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
	    "", "Bearer", "Bearer ", "Bearer a b", "Bearer\t" TOKEN,
	    "BearerX " TOKEN, "Token " TOKEN, "Digest username=x", "Basic",
	    "Basic ", "Basic %%%", "Basic YWNtZQ==", /* "acme": no colon */
	    "Basic OnRva2Vu", /* ":token": no user */
	    "Basic YWNtZTo=", /* "acme:": no token */
	    "Basic Li46dG9rZW4=", /* "..:token": not an id */
	    "Basic YQ", /* truncated */
	    "Basic YWNtZTp0b2tlbg==x",
	    "Basic YWNtZTp0b2tlbg===", "Basic YWJ=", /* non-zero padding bits */
	    "Basic YWNtZQB4OnRva2Vu", /* NUL in the user */
	};
	struct http_credentials c;
	char longh[HTTP_AUTH_HEADER_MAX + 16];

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		http_auth_parse(bad[i], &c);
		if (c.scheme != HTTP_AUTH_MALFORMED)
			fail_msg("not malformed: \"%s\"", bad[i]);
		assert_string_equal(c.token, "");
	}
	memset(longh, 'a', sizeof(longh) - 1);
	memcpy(longh, "Bearer ", 7);
	longh[sizeof(longh) - 1] = '\0';
	http_auth_parse(longh, &c);
	assert_int_equal(c.scheme, HTTP_AUTH_MALFORMED);
}

static void
test_base64(void **state)
{
	uint8_t out[16];

	(void)state;
	assert_int_equal(http_base64_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(http_base64_decode("Zg==", 4, out, sizeof(out)), 1);
	assert_int_equal(out[0], 'f');
	assert_int_equal(http_base64_decode("Zm8", 3, out, sizeof(out)), 2);
	assert_memory_equal(out, "fo", 2);
	assert_int_equal(http_base64_decode("Zm9v", 4, out, sizeof(out)), 3);
	assert_int_equal(http_base64_decode("Zm9v", 4, out, 2), -1);
	assert_int_equal(http_base64_decode("Z", 1, out, sizeof(out)), -1);
	assert_int_equal(http_base64_decode("Zm9v=", 5, out, sizeof(out)), -1);
	assert_int_equal(http_base64_decode("Zm-v", 4, out, sizeof(out)), -1);
}

static void
test_ratelimit(void **state)
{
	struct http_ratelimit *rl = http_ratelimit_new(3, 1000, 5000);
	int64_t retry = 0;

	(void)state;
	assert_non_null(rl);
	assert_false(http_ratelimit_blocked(rl, "10.0.0.1", 0, &retry));
	http_ratelimit_fail(rl, "10.0.0.1", 0);
	http_ratelimit_fail(rl, "10.0.0.1", 10);
	assert_false(http_ratelimit_blocked(rl, "10.0.0.1", 20, &retry));
	http_ratelimit_fail(rl, "10.0.0.1", 20);
	assert_true(http_ratelimit_blocked(rl, "10.0.0.1", 30, &retry));
	assert_int_equal(retry, 4990);
	/* Other addresses are not affected. */
	assert_false(http_ratelimit_blocked(rl, "10.0.0.2", 30, &retry));
	/* The block ends. */
	assert_false(http_ratelimit_blocked(rl, "10.0.0.1", 5021, &retry));
	/* Failures spread beyond the window do not add up. */
	http_ratelimit_fail(rl, "10.0.0.3", 0);
	http_ratelimit_fail(rl, "10.0.0.3", 600);
	http_ratelimit_fail(rl, "10.0.0.3", 1200);
	http_ratelimit_fail(rl, "10.0.0.3", 1700);
	assert_false(http_ratelimit_blocked(rl, "10.0.0.3", 1800, &retry));
	/* Many addresses: the table makes room and keeps working. */
	for (int i = 0; i < 20000; i++) {
		char a[32];
		(void)snprintf(a, sizeof(a), "192.0.%d.%d", i / 256, i % 256);
		http_ratelimit_fail(rl, a, 100);
	}
	http_ratelimit_fail(rl, "10.0.0.9", 200);
	http_ratelimit_fail(rl, "10.0.0.9", 200);
	http_ratelimit_fail(rl, "10.0.0.9", 200);
	assert_true(http_ratelimit_blocked(rl, "10.0.0.9", 300, &retry));
	http_ratelimit_free(rl);
	/* A limit of 0 turns it off. */
	rl = http_ratelimit_new(0, 1000, 5000);
	for (int i = 0; i < 10; i++)
		http_ratelimit_fail(rl, "10.0.0.1", 0);
	assert_false(http_ratelimit_blocked(rl, "10.0.0.1", 1, &retry));
	http_ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bearer),
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
