#include <string.h>

#include "test.h"
#include "core/cvss.h"
#include "common/emb.h"

static void
test_scores(void **state)
{
	/* Reference scores from FIRST's calculator. */
	static const struct {
		const char *v;
		int tenths;
	} cases[] = {
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 98},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 100},
	    {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 88},
	    {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 78},
	    {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 31},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 61},
	    {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0},
	    {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 98},
	    {"CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 98},
	};
	struct core_cvss cv;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		assert_int_equal(core_cvss_parse(cases[i].v, &cv), 0);
		assert_int_equal(cv.base_tenths, cases[i].tenths);
	}
	assert_string_equal(core_cvss_severity(98), "critical");
	assert_string_equal(core_cvss_severity(88), "high");
	assert_string_equal(core_cvss_severity(61), "medium");
	assert_string_equal(core_cvss_severity(31), "low");
	assert_string_equal(core_cvss_severity(0), "none");
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
	    "",
	    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", /* missing A */
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", /* trailing / */
	    "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /* bad value */
	    "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	    "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X",
	    "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	};
	struct core_cvss cv;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++)
		assert_int_equal(core_cvss_parse(bad[i], &cv), EMB_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scores),
	    cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
