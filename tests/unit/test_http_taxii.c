/*
 * TAXII query parameters per endpoint and pagination tokens.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "http/taxii_query.h"
#include "common/emb.h"

#define RID "report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a2"

static int
parse(const char *target, enum taxii_endpoint ep, struct taxii_query *q)
{
	struct http_target t;
	const char *why = NULL;
	int r;

	assert_int_equal(http_target_parse(target, &t), 0);
	r = taxii_query_parse(&t, ep, "scope", q, &why);
	if (r < 0)
		assert_non_null(why);
	http_target_fini(&t);
	return r;
}

static void
test_defaults_and_values(void **state)
{
	struct taxii_query q;

	(void)state;
	assert_int_equal(parse("/o/", TAXII_EP_OBJECTS, &q), 0);
	assert_int_equal(q.limit, TAXII_LIMIT_DEFAULT);
	assert_true(q.v_last);
	assert_false(q.v_first || q.v_all);
	assert_true(q.spec_21);
	assert_false(q.added_after_set || q.next_set);

	assert_int_equal(parse("/o/?limit=1000&added_after=2021-03-02T17:00:"
	                       "00.5Z&match[type]=report,note&match[id]=" RID
	                       "&match[version]=first,2021-03-02T17:00:00Z"
	                       "&match[spec_version]=2.0,2.1",
	                     TAXII_EP_OBJECTS, &q),
	    0);
	assert_int_equal(q.limit, 1000);
	assert_true(q.added_after_set);
	assert_int_equal(q.added_after, INT64_C(1614704400500));
	assert_int_equal(q.n_types, 2);
	assert_string_equal(q.types[1], "note");
	assert_int_equal(q.n_ids, 1);
	assert_string_equal(q.ids[0], RID);
	assert_true(q.v_first);
	assert_false(q.v_last);
	assert_int_equal(q.n_vtimes, 1);
	assert_int_equal(q.vtimes[0], INT64_C(1614704400000));
	assert_true(q.spec_21);
	assert_int_equal(
	    parse("/o/?match[spec_version]=2.0", TAXII_EP_OBJECTS, &q), 0);
	assert_false(q.spec_21);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *target;
		enum taxii_endpoint ep;
	} bad[] = {
	    {"/o/?limit=0", TAXII_EP_OBJECTS},
	    {"/o/?limit=1001", TAXII_EP_OBJECTS},
	    {"/o/?limit=-5", TAXII_EP_OBJECTS},
	    {"/o/?limit=5x", TAXII_EP_OBJECTS},
	    {"/o/?limit=", TAXII_EP_OBJECTS},
	    {"/o/?limit=999999999999999999999999", TAXII_EP_OBJECTS},
	    {"/o/?added_after=now", TAXII_EP_OBJECTS},
	    {"/o/?match[id]=x", TAXII_EP_OBJECTS},
	    {"/o/?match[id]=" RID ",", TAXII_EP_OBJECTS},
	    {"/o/?match[type]=", TAXII_EP_OBJECTS},
	    {"/o/?match[type]=A", TAXII_EP_OBJECTS},
	    {"/o/?match[version]=newest", TAXII_EP_OBJECTS},
	    {"/o/?match[spec_version]=2", TAXII_EP_OBJECTS},
	    {"/o/?match[spec_version]=2.1.0", TAXII_EP_OBJECTS},
	    {"/o/?match[foo]=1", TAXII_EP_OBJECTS},
	    {"/o/?other=1", TAXII_EP_MANIFEST},
	    {"/o/?match[type]=report", TAXII_EP_OBJECT},
	    {"/o/?match[id]=" RID, TAXII_EP_VERSIONS},
	    {"/o/?match[version]=all", TAXII_EP_VERSIONS},
	    {"/o/?next=", TAXII_EP_OBJECTS},
	    {"/o/?next=abc", TAXII_EP_OBJECTS},
	};
	struct taxii_query q;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++)
		if (parse(bad[i].target, bad[i].ep, &q) == 0)
			fail_msg("accepted: %s", bad[i].target);
	/* 32 types are fine, 33 one too many. */
	for (int n = 32; n <= 33; n++) {
		char t[4096] = "/o/?match[type]=";
		for (int i = 0; i < n; i++)
			(void)snprintf(t + strlen(t), sizeof(t) - strlen(t),
			    "%sa", i ? "," : "");
		assert_int_equal(parse(t, TAXII_EP_OBJECTS, &q) == 0, n == 32);
	}
}

static void
test_cursor(void **state)
{
	struct taxii_cursor c, d;
	struct taxii_query q;
	uint8_t b1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b2[8] = {1};
	char tok[TAXII_NEXT_MAX], target[TAXII_NEXT_MAX + 64];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.date_added = INT64_C(1614704400123);
	c.version = INT64_C(1614704400000);
	(void)snprintf(c.id, sizeof(c.id), "%s", RID);
	taxii_cursor_encode(&c, b1, tok);
	assert_int_equal(taxii_cursor_decode(tok, b1, &d), 0);
	assert_int_equal(d.date_added, c.date_added);
	assert_int_equal(d.version, c.version);
	assert_string_equal(d.id, RID);
	/* Bound to its query. */
	assert_int_equal(taxii_cursor_decode(tok, b2, &d), EMB_EINVAL);
	/* Any change to the token is refused or lands elsewhere safely. */
	for (size_t i = 0; tok[i] != '\0'; i++) {
		char t2[TAXII_NEXT_MAX];
		memcpy(t2, tok, sizeof(t2));
		t2[i] = t2[i] == 'A' ? 'B' : 'A';
		if (taxii_cursor_decode(t2, b1, &d) == 0)
			assert_true(d.date_added != c.date_added ||
			    d.version != c.version || strcmp(d.id, c.id) != 0);
	}
	tok[strlen(tok) - 1] = '\0';
	assert_int_equal(taxii_cursor_decode(tok, b1, &d), EMB_EINVAL);
	/* Through the query parser: the binding covers the filters. */
	assert_int_equal(
	    parse("/o/?match[type]=report", TAXII_EP_OBJECTS, &q), 0);
	taxii_cursor_encode(&c, q.binding, tok);
	(void)snprintf(target, sizeof(target),
	    "/o/?match[type]=report&limit=3&next=%s", tok);
	assert_int_equal(parse(target, TAXII_EP_OBJECTS, &q), 0);
	assert_true(q.next_set);
	assert_string_equal(q.next.id, RID);
	(void)snprintf(
	    target, sizeof(target), "/o/?match[type]=note&next=%s", tok);
	assert_int_not_equal(parse(target, TAXII_EP_OBJECTS, &q), 0);
	(void)snprintf(
	    target, sizeof(target), "/o/?match[type]=report&next=%s", tok);
	assert_int_not_equal(parse(target, TAXII_EP_MANIFEST, &q), 0);
}

static void
test_stix_ids(void **state)
{
	(void)state;
	assert_true(taxii_valid_stix_id(RID));
	assert_true(taxii_valid_stix_id(
	    "course-of-action--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a2"));
	assert_false(taxii_valid_stix_id("report"));
	assert_false(taxii_valid_stix_id("report--"));
	assert_false(taxii_valid_stix_id(
	    "Report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a2"));
	assert_false(
	    taxii_valid_stix_id("report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a"));
	assert_false(taxii_valid_stix_id(
	    "report--0b7f3c50xd0b3-4b5f-8a6d-0c1f00d4e1a2"));
	assert_false(taxii_valid_stix_id(
	    "report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1ag"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_values),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_cursor),
	    cmocka_unit_test(test_stix_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
