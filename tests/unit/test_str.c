#include <string.h>

#include "test.h"
#include "common/str.h"
#include "common/emb.h"

static void
test_ident(void **state)
{
	(void)state;
	assert_true(emb_valid_ident("acme", 10));
	assert_true(emb_valid_ident("ADV-2021.01_x", 63));
	assert_false(emb_valid_ident("", 10));
	assert_false(emb_valid_ident("-lead", 10));
	assert_false(emb_valid_ident(".hidden", 10));
	assert_false(emb_valid_ident("a b", 10));
	assert_false(emb_valid_ident("a/b", 10));
	assert_false(emb_valid_ident("abcdefghijk", 10));
	assert_true(emb_valid_ident("abcdefghij", 10));
	assert_false(emb_valid_ident("caf\xc3\xa9", 10));
}

static void
test_cve(void **state)
{
	(void)state;
	assert_true(emb_valid_cve("CVE-2021-26855"));
	assert_true(emb_valid_cve("CVE-1999-0001"));
	assert_true(emb_valid_cve("CVE-2024-1234567"));
	assert_false(emb_valid_cve("CVE-1998-0001"));
	assert_false(emb_valid_cve("cve-2021-26855"));
	assert_false(emb_valid_cve("CVE-21-26855"));
	assert_false(emb_valid_cve("CVE-2021-123"));
	assert_false(emb_valid_cve("CVE-2021-26855 "));
	assert_false(emb_valid_cve("CVE-2021-"));
	assert_false(emb_valid_cve("CVE-2021-12345678901234567890"));
}

static void
test_country(void **state)
{
	char cc[3];

	(void)state;
	assert_true(emb_country_normalise("de", cc));
	assert_string_equal(cc, "DE");
	assert_true(emb_country_normalise("US", cc));
	assert_true(emb_country_normalise("ZW", cc));
	assert_true(emb_country_normalise("AD", cc));
	assert_false(emb_country_normalise("XX", cc));
	assert_false(emb_country_normalise("UK", cc)); /* GB is assigned */
	assert_false(emb_country_normalise("DEU", cc));
	assert_false(emb_country_normalise("D", cc));
	assert_false(emb_country_normalise("", cc));
	assert_false(emb_country_normalise("1A", cc));
}

static void
test_email(void **state)
{
	(void)state;
	assert_true(emb_valid_email("sec@acme.example"));
	assert_true(emb_valid_email("a.b+c@d.e.f"));
	assert_false(emb_valid_email("noat.example"));
	assert_false(emb_valid_email("@acme.example"));
	assert_false(emb_valid_email("a@b"));
	assert_false(emb_valid_email("a@@b.c"));
	assert_false(emb_valid_email("a b@c.d"));
	assert_false(emb_valid_email("a@b."));
	assert_false(emb_valid_email("a@.b"));
}

static void
test_text_and_utf8(void **state)
{
	(void)state;
	assert_true(emb_valid_text("Exchange SSRF", 100));
	assert_true(emb_valid_text("Caf\xc3\xa9 \xe2\x82\xac", 100));
	assert_false(emb_valid_text("", 100));
	assert_false(emb_valid_text("   ", 100));
	assert_false(emb_valid_text("a\nb", 100));
	assert_false(emb_valid_text("abc", 2));
	assert_false(emb_valid_text("\xc3", 100)); /* truncated */
	assert_false(emb_valid_text("\xc0\xaf", 100)); /* overlong */
	assert_false(emb_valid_text("\xed\xa0\x80", 100)); /* surrogate */
	assert_false(emb_valid_text("\xf4\x90\x80\x80", 100)); /* > U+10FFFF */
}

static void
test_slugify(void **state)
{
	char id[EMB_ID_MAX];

	(void)state;
	assert_true(emb_slugify("Acme Security GmbH", id));
	assert_string_equal(id, "acme-security-gmbh");
	assert_true(emb_slugify("  --Foo!!Bar--  ", id));
	assert_string_equal(id, "foo-bar");
	assert_false(emb_slugify("!!!", id));
	assert_true(emb_slugify("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                        "aaaaaaaaaaaaaaaaaaaaaa",
	    id));
	assert_int_equal(strlen(id), EMB_ID_MAX - 1);
}

static void
test_parse_int(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(emb_parse_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(emb_parse_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(emb_parse_int("101", 0, 100, &v), EMB_EOVERFLOW);
	assert_int_equal(
	    emb_parse_int("99999999999999999999", 0, INT64_MAX, &v),
	    EMB_EOVERFLOW);
	assert_int_equal(
	    emb_parse_int("-9223372036854775808", INT64_MIN, 0, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(emb_parse_int("", 0, 10, &v), EMB_EINVAL);
	assert_int_equal(emb_parse_int("1x", 0, 10, &v), EMB_EINVAL);
	assert_int_equal(emb_parse_int(" 1", 0, 10, &v), EMB_EINVAL);
	assert_int_equal(emb_parse_int("+1", 0, 10, &v), EMB_EINVAL);
}

static void
test_hex(void **state)
{
	char out[7];

	(void)state;
	emb_hex((const uint8_t *)"\x00\xab\xff", 3, out);
	assert_string_equal(out, "00abff");
}

static void
test_errors(void **state)
{
	struct emb_error err = {0};

	(void)state;
	assert_int_equal(emb_err_http_status(EMB_ENOENT), 404);
	assert_int_equal(emb_err_http_status(EMB_EAUTH), 401);
	assert_int_equal(emb_err_http_status(-999), 500);
	assert_string_equal(emb_strerror(EMB_EEXIST), "already exists");
	assert_int_equal(
	    emb_error_set(&err, EMB_EINVAL, "bad %s", "thing"), EMB_EINVAL);
	/* The first, innermost error is kept. */
	assert_int_equal(emb_error_set(&err, EMB_EIO, "outer"), EMB_EIO);
	assert_string_equal(err.msg, "bad thing");
	assert_int_equal(err.code, EMB_EINVAL);
	emb_error_clear(&err);
	assert_int_equal(err.code, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ident),
	    cmocka_unit_test(test_cve),
	    cmocka_unit_test(test_country),
	    cmocka_unit_test(test_email),
	    cmocka_unit_test(test_text_and_utf8),
	    cmocka_unit_test(test_slugify),
	    cmocka_unit_test(test_parse_int),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
