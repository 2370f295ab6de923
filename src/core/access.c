#include <string.h>

#include "core/access.h"
#include "core/core.h"
#include "common/emb.h"

bool
core_excluded(const struct store_partner *p, const struct store_advisory *a)
{
	for (size_t i = 0; i < a->n_exclusions; i++) {
		const struct store_exclusion *e = &a->exclusions[i];
		if (e->kind == STORE_EXCL_PARTNER &&
		    strcmp(e->value, p->id) == 0)
			return true;
		if (e->kind == STORE_EXCL_COUNTRY && p->country[0] != '\0' &&
		    strcmp(e->value, p->country) == 0)
			return true;
	}
	return false;
}

enum access_verdict
core_access(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now)
{
	enum store_advisory_state state = core_advisory_state(a, now);

	if (p->status != STORE_PARTNER_ACTIVE)
		return ACCESS_PARTNER_INACTIVE;
	if (state == STORE_ADV_WITHDRAWN || art->withdrawn_at != 0)
		return ACCESS_WITHDRAWN;
	if (state == STORE_ADV_DRAFT)
		return ACCESS_DRAFT;
	if (core_excluded(p, a))
		return ACCESS_EXCLUDED;
	if (p->tier_rank < art->tier_rank)
		return ACCESS_TIER_TOO_LOW;
	if (state != STORE_ADV_PUBLISHED &&
	    now < core_artifact_release_at(art, a))
		return ACCESS_NOT_RELEASED;
	return ACCESS_VISIBLE;
}

bool
core_visible(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now)
{
	return core_access(p, a, art, now) == ACCESS_VISIBLE;
}

bool
core_visible_advisory(const struct store_partner *p,
    const struct store_advisory *a, const struct store_artifact *arts,
    size_t n_arts, int64_t now)
{
	for (size_t i = 0; i < n_arts; i++)
		if (core_visible(p, a, &arts[i], now))
			return true;
	return false;
}

const char *
core_access_reason(enum access_verdict v)
{
	switch (v) {
	case ACCESS_VISIBLE:
		return "visible";
	case ACCESS_PARTNER_INACTIVE:
		return "the partner is not active";
	case ACCESS_TIER_TOO_LOW:
		return "the partner's tier ranks below the artifact's";
	case ACCESS_NOT_RELEASED:
		return "the artifact is not released yet";
	case ACCESS_EXCLUDED:
		return "the partner is excluded from this advisory";
	case ACCESS_WITHDRAWN:
		return "the artifact or advisory is withdrawn";
	case ACCESS_DRAFT:
		return "the advisory has not been shared";
	}
	return "not visible";
}
