/*
 * The access rule, table-driven: every combination of partner status x
 * tier rank x release x publication x exclusion is checked against an
 * explicit list of the combinations that must be visible.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "core/access.h"
#include "core/core.h"
#include "common/emb.h"

enum status { ACTIVE, SUSPENDED, REVOKED, N_STATUS };
enum rank { BELOW, EQUAL, ABOVE, N_RANK };
enum release { BEFORE_RELEASE, AFTER_RELEASE, N_RELEASE };
enum publication { UNPUBLISHED, PUBLISHED_BY_HAND, PATCH_PASSED, N_PUB };
enum exclusion { NOT_EXCLUDED, BY_PARTNER, BY_COUNTRY, OTHER_EXCLUDED, N_EXCL };

struct row {
	enum status s;
	enum rank r;
	enum release rel;
	enum publication pub;
	enum exclusion ex;
};

/* The only visible combinations. */
static const struct row visible_rows[] = {
    {ACTIVE, EQUAL, AFTER_RELEASE, UNPUBLISHED, NOT_EXCLUDED},
    {ACTIVE, EQUAL, AFTER_RELEASE, UNPUBLISHED, OTHER_EXCLUDED},
    {ACTIVE, EQUAL, AFTER_RELEASE, PUBLISHED_BY_HAND, NOT_EXCLUDED},
    {ACTIVE, EQUAL, AFTER_RELEASE, PUBLISHED_BY_HAND, OTHER_EXCLUDED},
    {ACTIVE, EQUAL, AFTER_RELEASE, PATCH_PASSED, NOT_EXCLUDED},
    {ACTIVE, EQUAL, AFTER_RELEASE, PATCH_PASSED, OTHER_EXCLUDED},
    {ACTIVE, EQUAL, BEFORE_RELEASE, PUBLISHED_BY_HAND, NOT_EXCLUDED},
    {ACTIVE, EQUAL, BEFORE_RELEASE, PUBLISHED_BY_HAND, OTHER_EXCLUDED},
    {ACTIVE, EQUAL, BEFORE_RELEASE, PATCH_PASSED, NOT_EXCLUDED},
    {ACTIVE, EQUAL, BEFORE_RELEASE, PATCH_PASSED, OTHER_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, UNPUBLISHED, NOT_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, UNPUBLISHED, OTHER_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, PUBLISHED_BY_HAND, NOT_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, PUBLISHED_BY_HAND, OTHER_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, PATCH_PASSED, NOT_EXCLUDED},
    {ACTIVE, ABOVE, AFTER_RELEASE, PATCH_PASSED, OTHER_EXCLUDED},
    {ACTIVE, ABOVE, BEFORE_RELEASE, PUBLISHED_BY_HAND, NOT_EXCLUDED},
    {ACTIVE, ABOVE, BEFORE_RELEASE, PUBLISHED_BY_HAND, OTHER_EXCLUDED},
    {ACTIVE, ABOVE, BEFORE_RELEASE, PATCH_PASSED, NOT_EXCLUDED},
    {ACTIVE, ABOVE, BEFORE_RELEASE, PATCH_PASSED, OTHER_EXCLUDED},
};

#define NOW INT64_C(1614000000000)
#define HOUR INT64_C(3600000)

static bool
expected(const struct row *w)
{
	for (size_t i = 0; i < EMB_ARRAY_LEN(visible_rows); i++)
		if (memcmp(&visible_rows[i], w, sizeof(*w)) == 0)
			return true;
	return false;
}

static void
build(const struct row *w, struct store_partner *p, struct store_advisory *a,
    struct store_artifact *art, struct store_exclusion *ex)
{
	static const enum store_partner_status st[] = {STORE_PARTNER_ACTIVE,
	    STORE_PARTNER_SUSPENDED, STORE_PARTNER_REVOKED};

	memset(p, 0, sizeof(*p));
	memset(a, 0, sizeof(*a));
	memset(art, 0, sizeof(*art));
	memset(ex, 0, sizeof(*ex));
	(void)snprintf(p->id, sizeof(p->id), "acme");
	(void)snprintf(p->country, sizeof(p->country), "DE");
	p->status = st[w->s];
	p->tier_rank = 20 + (int)w->r * 10 - 10; /* 10, 20, 30 */
	art->tier_rank = 20;

	a->state = w->pub == PUBLISHED_BY_HAND ? STORE_ADV_PUBLISHED
	                                       : STORE_ADV_SHARED;
	a->patch_at = w->pub == PATCH_PASSED ? NOW - HOUR : NOW + 48 * HOUR;
	/* Alternate absolute and patch-relative releases. */
	if (w->rel == AFTER_RELEASE) {
		art->release_at = NOW - HOUR;
	} else {
		art->release_at = NOW + HOUR;
	}
	if (w->pub != PATCH_PASSED && ((int)w->ex & 1)) {
		art->release_relative = true;
		art->release_before = a->patch_at - art->release_at;
	}
	a->exclusions = ex;
	if (w->ex == BY_PARTNER) {
		ex->kind = STORE_EXCL_PARTNER;
		(void)snprintf(ex->value, sizeof(ex->value), "acme");
		a->n_exclusions = 1;
	} else if (w->ex == BY_COUNTRY) {
		ex->kind = STORE_EXCL_COUNTRY;
		(void)snprintf(ex->value, sizeof(ex->value), "DE");
		a->n_exclusions = 1;
	} else if (w->ex == OTHER_EXCLUDED) {
		ex->kind = STORE_EXCL_COUNTRY;
		(void)snprintf(ex->value, sizeof(ex->value), "FR");
		a->n_exclusions = 1;
	}
}

static void
test_every_combination(void **state)
{
	struct store_partner p;
	struct store_advisory a;
	struct store_artifact art;
	struct store_exclusion ex;
	size_t n = 0, seen_visible = 0;

	(void)state;
	for (int s = 0; s < N_STATUS; s++)
		for (int r = 0; r < N_RANK; r++)
			for (int rel = 0; rel < N_RELEASE; rel++)
				for (int pub = 0; pub < N_PUB; pub++)
					for (int e = 0; e < N_EXCL; e++) {
						struct row w = {(enum status)s,
						    (enum rank)r,
						    (enum release)rel,
						    (enum publication)pub,
						    (enum exclusion)e};
						bool want = expected(&w), got;

						build(&w, &p, &a, &art, &ex);
						got = core_visible(
						    &p, &a, &art, NOW);
						if (got != want)
							fail_msg(
							    "status %d rank %d "
							    "release %d pub %d "
							    "excl %d:"
							    " visible=%d, want "
							    "%d",
							    s, r, rel, pub, e,
							    got, want);
						/* An advisory is visible exactly when its artifact is. */
						assert_int_equal(
						    core_visible_advisory(
						        &p, &a, &art, 1, NOW),
						    want);
						seen_visible += want;
						n++;
					}
	assert_int_equal(n, 216);
	assert_int_equal(seen_visible, EMB_ARRAY_LEN(visible_rows));
}

static void
test_withdrawn_and_draft(void **state)
{
	struct row w = {
	    ACTIVE, ABOVE, AFTER_RELEASE, UNPUBLISHED, NOT_EXCLUDED};
	struct store_partner p;
	struct store_advisory a;
	struct store_artifact art;
	struct store_exclusion ex;

	(void)state;
	build(&w, &p, &a, &art, &ex);
	assert_true(core_visible(&p, &a, &art, NOW));
	art.withdrawn_at = NOW - 1;
	assert_int_equal(core_access(&p, &a, &art, NOW), ACCESS_WITHDRAWN);
	art.withdrawn_at = 0;
	a.state = STORE_ADV_WITHDRAWN;
	assert_int_equal(core_access(&p, &a, &art, NOW), ACCESS_WITHDRAWN);
	a.state = STORE_ADV_DRAFT;
	assert_int_equal(core_access(&p, &a, &art, NOW), ACCESS_DRAFT);
	/* No artifacts: the advisory is invisible. */
	a.state = STORE_ADV_SHARED;
	assert_false(core_visible_advisory(&p, &a, &art, 0, NOW));
	/* A partner without a country is not caught by country rules. */
	p.country[0] = '\0';
	ex.kind = STORE_EXCL_COUNTRY;
	a.n_exclusions = 1;
	assert_true(core_visible(&p, &a, &art, NOW));
}

static void
test_relative_release_follows_patch(void **state)
{
	struct store_advisory a = {0};
	struct store_artifact art = {0};

	(void)state;
	a.patch_at = NOW + 10 * HOUR;
	art.release_relative = true;
	art.release_before = 2 * HOUR;
	assert_true(core_artifact_release_at(&art, &a) == NOW + 8 * HOUR);
	a.patch_at = NOW + 5 * HOUR; /* expedite */
	assert_true(core_artifact_release_at(&art, &a) == NOW + 3 * HOUR);
	art.release_before = a.patch_at + HOUR; /* before the epoch: clamp */
	assert_true(core_artifact_release_at(&art, &a) == 0);
}

static void
test_effective_state(void **state)
{
	struct store_advisory a = {0};

	(void)state;
	a.state = STORE_ADV_SHARED;
	a.patch_at = NOW;
	assert_int_equal(core_advisory_state(&a, NOW - 1), STORE_ADV_SHARED);
	assert_int_equal(core_advisory_state(&a, NOW), STORE_ADV_PUBLISHED);
	a.state = STORE_ADV_WITHDRAWN;
	assert_int_equal(core_advisory_state(&a, NOW + 1), STORE_ADV_WITHDRAWN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_combination),
	    cmocka_unit_test(test_withdrawn_and_draft),
	    cmocka_unit_test(test_relative_release_follows_patch),
	    cmocka_unit_test(test_effective_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
