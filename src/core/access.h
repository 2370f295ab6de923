/*
 * The access rule, one pure function: may this partner see this artifact
 * of this advisory at time now?  Everything the server and the CLI show a
 * partner goes through it; whatever it denies must look nonexistent.
 */
#ifndef EMB_CORE_ACCESS_H
#define EMB_CORE_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum access_verdict {
	ACCESS_VISIBLE = 0,
	ACCESS_PARTNER_INACTIVE, /* suspended or revoked */
	ACCESS_TIER_TOO_LOW, /* partner tier ranks below the artifact's */
	ACCESS_NOT_RELEASED, /* before release and not yet published */
	ACCESS_EXCLUDED, /* excluded by partner id or country */
	ACCESS_WITHDRAWN, /* artifact or advisory withdrawn */
	ACCESS_DRAFT /* advisory not shared yet */
};

/*
 * The rule: the partner is active, its tier ranks at or above the
 * artifact's, the release time has passed (or the advisory is published),
 * no exclusion applies, and neither the artifact nor the advisory is
 * withdrawn.  Returns ACCESS_VISIBLE or the first reason it is not.
 */
enum access_verdict
core_access(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now);

/* core_access(...) == ACCESS_VISIBLE. */
bool core_visible(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now);

/* An advisory is visible when at least one of its artifacts is. */
bool core_visible_advisory(const struct store_partner *p,
    const struct store_advisory *a, const struct store_artifact *arts,
    size_t n_arts, int64_t now);

/* Whether an exclusion of the advisory names this partner or its country. */
bool
core_excluded(const struct store_partner *p, const struct store_advisory *a);

/* Human text for a verdict, for the coordinator (never for partners). */
const char *core_access_reason(enum access_verdict v);

#endif
