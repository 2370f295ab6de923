#include <string.h>

#include "test.h"
#include "common/timeutil.h"
#include "common/emb.h"

static void
test_parse(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(emb_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
	assert_int_equal(emb_time_parse("2021-03-02T17:00:00Z", &t), 0);
	assert_true(t == INT64_C(1614704400000));
	/* Offsets are folded into UTC. */
	assert_int_equal(emb_time_parse("2021-03-02T18:00:00+01:00", &t), 0);
	assert_true(t == INT64_C(1614704400000));
	assert_int_equal(emb_time_parse("2021-03-02T12:00:00-05:00", &t), 0);
	assert_true(t == INT64_C(1614704400000));
	assert_int_equal(emb_time_parse("2021-03-02t17:00:00.5z", &t), 0);
	assert_true(t == INT64_C(1614704400500));
	assert_int_equal(emb_time_parse("2021-03-02T17:00:00.123456Z", &t), 0);
	assert_true(t == INT64_C(1614704400123));
	assert_int_equal(emb_time_parse("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(emb_time_parse("9999-12-31T23:59:59.999Z", &t), 0);
	assert_true(t == EMB_TIME_MAX);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2021-03-02",
	    "2021-03-02T17:00:00", /* no zone */
	    "2021-03-02T17:00Z", /* no seconds */
	    "2021-02-30T00:00:00Z", /* no such day */
	    "2023-02-29T00:00:00Z", /* not a leap year */
	    "2021-13-01T00:00:00Z",
	    "2021-03-02T24:00:00Z",
	    "2021-03-02T17:60:00Z",
	    "2021-03-02T17:00:60Z", /* leap seconds refused */
	    "2021-03-02T17:00:00+24:00",
	    "2021-03-02T17:00:00.Z",
	    "2021-03-02T17:00:00.1234567890Z",
	    "1969-12-31T23:59:59Z",
	    "1970-01-01T00:30:00+01:00", /* before the epoch in UTC */
	    "2021-03-02T17:00:00Zjunk",
	    "21-03-02T17:00:00Z",
	    "2021/03/02T17:00:00Z",
	};
	int64_t t = 7;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		assert_int_equal(emb_time_parse(bad[i], &t), EMB_EINVAL);
		assert_true(t == 7); /* not written on failure */
	}
}

static void
test_format_round_trip(void **state)
{
	char out[EMB_TIME_STR];
	int64_t t;

	(void)state;
	assert_string_equal(
	    emb_time_format(0, false, out), "1970-01-01T00:00:00Z");
	assert_string_equal(
	    emb_time_format(0, true, out), "1970-01-01T00:00:00.000Z");
	assert_string_equal(emb_time_format(INT64_C(1614704400500), false, out),
	    "2021-03-02T17:00:00.500Z");
	for (int64_t ms = 0; ms < INT64_C(253402300799999);
	     ms += INT64_C(86400000) * 397 + 1234567) {
		emb_time_format(ms, true, out);
		assert_int_equal(emb_time_parse(out, &t), 0);
		assert_true(t == ms);
	}
}

static void
test_duration(void **state)
{
	char out[EMB_TIME_STR];
	int64_t d = 5;

	(void)state;
	assert_int_equal(emb_duration_parse("7d", &d), 0);
	assert_true(d == INT64_C(7) * 86400000);
	assert_int_equal(emb_duration_parse("1d12h", &d), 0);
	assert_true(d == INT64_C(36) * 3600000);
	assert_int_equal(emb_duration_parse("2w", &d), 0);
	assert_true(d == INT64_C(14) * 86400000);
	assert_int_equal(emb_duration_parse("90m", &d), 0);
	assert_true(d == INT64_C(90) * 60000);
	assert_int_equal(emb_duration_parse("0", &d), 0);
	assert_true(d == 0);
	d = 5;
	assert_int_equal(emb_duration_parse("", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("7", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("d", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("7x", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("12h1d", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("1d1d", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("-7d", &d), EMB_EINVAL);
	assert_int_equal(
	    emb_duration_parse("99999999999999999999d", &d), EMB_EINVAL);
	assert_int_equal(emb_duration_parse("40000d", &d), EMB_EINVAL);
	assert_true(d == 5);
	assert_string_equal(
	    emb_duration_format(INT64_C(36) * 3600000, out), "1d12h");
	assert_string_equal(emb_duration_format(0, out), "0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
