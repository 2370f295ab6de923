/*
 * What one partner may see, and what the public may see: the read side of
 * the application that the distribution server (and `export`) build on.
 *
 * A partner's view is built from core_visible() alone: an artifact is in
 * it exactly when core_visible(partner, advisory, artifact, now) holds,
 * and an advisory is in it exactly when at least one of its artifacts is
 * (core_visible_advisory).  Nothing else decides, so whatever the rule
 * denies is simply absent, indistinguishable from what does not exist.
 * The public view holds the advisories that count as published (and no
 * artifact: those are for partners only).
 *
 * Each entry also says since when it has been in the view ("since"), the
 * TAXII date_added: the first moment the rule held under the schedule in
 * force at the time (a relative release follows the patch time as it was
 * moved), never before the partner's own last change (a tier raised or a
 * partner reinstated brings older material in now, so a client polling
 * with added_after does not miss it).
 */
#ifndef EMB_CORE_PARTNER_VIEW_H
#define EMB_CORE_PARTNER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct emb_lru;

/* Detection guidance larger than this is never taken for a STIX pattern. */
#define CORE_VIEW_PATTERN_MAX (64u * 1024)

struct core_view_artifact {
	struct store_artifact art;
	int64_t release_at; /* effective release time */
	int64_t since; /* in this view since (TAXII date_added) */
	bool stix_pattern; /* detection guidance written as a STIX pattern */
};

struct core_view_advisory {
	struct store_advisory adv;
	struct core_view_artifact *arts; /* the visible ones only */
	size_t n_arts;
	int64_t since; /* earliest since of its artifacts; public: */
	/* the publication time */
	int64_t published; /* publication time, 0 while under embargo */
};

struct core_view {
	bool is_public;
	struct store_partner partner; /* unset for the public view */
	int64_t now;
	struct core_view_advisory *advs; /* by advisory id */
	size_t n;
};

/*
 * Build partner p's view at time now into *ret (release with
 * core_view_fini).  p is the record as just read (core_partner_
 * authenticate); an inactive partner gets an empty view.
 */
int core_view_partner(struct emb_instance *inst, const struct store_partner *p,
    int64_t now, struct core_view *ret, struct emb_error *err) EMB_MUST_USE;

/*
 * The same for one advisory: EMB_ENOENT (with the same message whether it
 * does not exist or is not visible) unless it is in p's view.
 */
int core_view_partner_one(struct emb_instance *inst,
    const struct store_partner *p, const char *advisory_id, int64_t now,
    struct core_view *ret, struct emb_error *err) EMB_MUST_USE;

/* The public view: published advisories, no artifacts. */
int core_view_public(struct emb_instance *inst, int64_t now,
    struct core_view *ret, struct emb_error *err) EMB_MUST_USE;

/* Free a view's contents; accepts a zeroed or already released view. */
void core_view_fini(struct core_view *v);

/* The advisory of the view with that id, or NULL. */
const struct core_view_advisory *
core_view_find(const struct core_view *v, const char *advisory_id);

/* The visible artifact of va with that name, or NULL. */
const struct core_view_artifact *
core_view_find_artifact(const struct core_view_advisory *va, const char *name);

/*
 * When an advisory was published (by hand, or its patch time passing), or
 * 0 while it is under embargo (or withdrawn).
 */
int64_t core_advisory_published_at(const struct store_advisory *a, int64_t now);

/*
 * One state of an advisory: the schedule in force from `at` on.  Version
 * i of an advisory is the state after its first n_reschedules changes;
 * the last one may be its publication.
 */
struct core_adv_version {
	int64_t at; /* when this state began */
	int64_t patch_at; /* the patch time then in force */
	size_t n_reschedules;
	bool published;
};

/*
 * The states of a (with publication time published, or 0), oldest first,
 * into out (room for a->n_reschedules + 2).  Returns how many.  States
 * that begin in the same millisecond collapse into the later one.
 */
size_t core_advisory_versions(const struct store_advisory *a, int64_t published,
    struct core_adv_version *out);

/*
 * Since when artifact art of a has been visible to p, given that it is
 * visible at now: the first instant the access rule held under the
 * schedule then in force, and not before p's last change.  Pure.
 */
int64_t
core_view_since(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now);

/*
 * Partner p's copy of an artifact into out, exactly as core_copy renders
 * it, but idempotent: when p already holds a durable delivery record for
 * these very bytes (the same artifact and SHA-256: copies are rendered
 * deterministically), that record already covers them and nothing is
 * written; otherwise core_copy renders again and records a new delivery
 * before returning.  So no byte leaves without its record, and a partner
 * polling for the same copy costs no durable write.  *ret_delivery is the
 * record (new or not); *ret_new says which.  EMB_ENOENT when the artifact
 * does not exist or is not visible to p at now.  cache (NULL: none) keeps
 * copies already rendered and on record, so that serving one again costs
 * neither the rendering nor a durable write: keyed by partner, artifact
 * and the artifact's content hash, each with its delivery record, and
 * used only after the access rule has allowed the request.
 */
int core_copy_once(struct emb_instance *inst, struct emb_lru *cache,
    const char *actor, const struct store_partner *p, const char *advisory_id,
    const char *name, const char *channel, int64_t now, struct buf *out,
    struct store_delivery *ret_delivery, bool *ret_new,
    struct emb_error *err) EMB_MUST_USE;

/* A partner's own delivery receipt, with the names it refers to. */
struct core_receipt {
	struct store_delivery d;
	char advisory_id[EMB_ID_MAX];
	char artifact[STORE_ARTIFACT_NAME_MAX + 1];
};

/*
 * p's own delivery receipts, oldest first (*ret is freed with free()).
 * Never anyone else's: a partner learns nothing of other deliveries.
 */
int core_receipts(struct emb_instance *inst, const struct store_partner *p,
    struct core_receipt **ret, size_t *ret_n,
    struct emb_error *err) EMB_MUST_USE;

/*
 * Whether text reads as a STIX 2.1 pattern: one or more bracketed
 * comparison expressions ("[file:hashes.'SHA-256' = '...']") joined by
 * observation operators, brackets balanced outside quoted strings.  Pure
 * and bounded; a heuristic, not a full pattern grammar.
 */
bool core_text_is_stix_pattern(const uint8_t *text, size_t n);

#endif
