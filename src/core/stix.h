/*
 * The STIX 2.1 mapping of a view (see partner_view.h).
 *
 * The vendor is one `identity`.  Each advisory becomes a `vulnerability`
 * (its CVE ids as external references), a `report` on it, a
 * `course-of-action` (install the update) and a `remediates`
 * relationship between those two; all four are partner-independent and
 * get a new version at each change of the advisory's schedule (creation,
 * every reschedule, publication), so reschedules show as versions.  Each
 * visible file becomes an `artifact` whose payload_bin is that partner's
 * own marked copy (with its hashes) and a `related-to` relationship to
 * the vulnerability; detection guidance also becomes an `indicator` when
 * it is written as a STIX pattern (related to the vulnerability), else a
 * `note` on the vulnerability and the artifact.
 *
 * Every object carries one TLP 2.0 marking, referring to the official
 * TLP 2.0 marking-definition objects (ids and "created" fixed by their
 * OASIS publication), which are served with the objects: embargoed
 * material TLP:AMBER+STRICT, proof-of-concept code TLP:RED (before and
 * after publication: exploit code is never for public release), published
 * material TLP:CLEAR.
 *
 * Object ids are UUIDs derived from the instance's public signing key and
 * the object's natural key (advisory id; advisory, file name and attach
 * time), so they are stable across requests and restarts without storing
 * anything, and are the same for every partner.  (STIX suggests UUIDv5
 * from the contents for observables; an artifact's payload differs per
 * partner, so its id follows the file instead.)
 *
 * The catalogue lists every object version of a view with its TAXII
 * date_added, without rendering anything; only rendering an object that
 * carries a file's content produces (and records, through core_copy) the
 * partner's copy.
 */
#ifndef EMB_CORE_STIX_H
#define EMB_CORE_STIX_H

#include <jansson.h>

#include "core/partner_view.h"

#define CORE_STIX_ID_MAX 64
#define CORE_STIX_MEDIA_TYPE "application/stix+json;version=2.1"

enum core_tlp {
	CORE_TLP_CLEAR,
	CORE_TLP_AMBER_STRICT,
	CORE_TLP_RED,
	CORE_TLP_COUNT
};

enum core_stix_kind {
	CORE_STIX_IDENTITY,
	CORE_STIX_MARKING,
	CORE_STIX_VULNERABILITY,
	CORE_STIX_REPORT,
	CORE_STIX_COA,
	CORE_STIX_REMEDIATES,
	CORE_STIX_ARTIFACT,
	CORE_STIX_ARTIFACT_REL,
	CORE_STIX_INDICATOR,
	CORE_STIX_INDICATOR_REL,
	CORE_STIX_NOTE
};

/* One version of one object of a view. */
struct core_stix_entry {
	char id[CORE_STIX_ID_MAX];
	const char *type;
	enum core_stix_kind kind;
	int64_t version; /* modified (or created; observables: date_added) */
	int64_t date_added; /* TAXII: when it entered the collection */
	size_t adv; /* index in the view's advisories */
	size_t art; /* index in that advisory's artifacts */
	size_t ver; /* which version of the advisory or artifact */
	enum core_tlp tlp;
	size_t estimate; /* rough size of the rendered object in bytes */
};

struct core_stix_catalog {
	struct core_stix_entry *v; /* sorted by (date_added, id, version) */
	size_t n;
};

/* What the deployment says about itself. */
struct core_stix_conf {
	const char *vendor; /* the identity's name */
	const char *public_url; /* base URL for links, or NULL */
	uint8_t ns[32]; /* from core_stix_namespace */
	struct emb_lru *cache; /* copies on record, or NULL */
};

/* The id namespace of this instance (from its public signing key). */
void core_stix_namespace(struct emb_instance *inst, uint8_t ns[32]);

/* "type--uuid" for a natural key under namespace ns (out: ID_MAX). */
void core_stix_id(const uint8_t ns[32], const char *type, const char *key,
    char out[CORE_STIX_ID_MAX]);

/* Official id and name of a TLP 2.0 marking-definition. */
const char *core_tlp_id(enum core_tlp t);
const char *core_tlp_name(enum core_tlp t);

/* The official TLP 2.0 marking-definition object (new reference). */
json_t *core_tlp_marking(enum core_tlp t);

/*
 * List every object version of view v into *ret (release with
 * core_stix_catalog_fini).  Pure; EMB_ENOMEM.
 */
int
core_stix_catalog(const struct core_view *v, const struct core_stix_conf *conf,
    struct core_stix_catalog *ret) EMB_MUST_USE;
void core_stix_catalog_fini(struct core_stix_catalog *c);

/* Order of the catalogue: -1, 0, 1 as for qsort. */
int core_stix_entry_cmp(
    const struct core_stix_entry *a, const struct core_stix_entry *b);

/*
 * The copies made while rendering one response: each file is rendered
 * (and its delivery recorded) at most once per response, whatever number
 * of objects carry it.
 */
struct core_stix_copies;
struct core_stix_copies *core_stix_copies_new(void);
void core_stix_copies_free(struct core_stix_copies *c);

/* Delivery record ids of the copies made, in order. */
size_t core_stix_copies_deliveries(
    const struct core_stix_copies *c, const int64_t **ret);

/* Whether rendering e needs the partner's copy of a file. */
bool core_stix_needs_copy(const struct core_stix_entry *e);

/*
 * Render entry e of view v as a JSON object (*ret, a new reference).  An
 * entry that carries a file gets the partner's copy from core_copy (actor
 * and channel go to the delivery record), made once per `copies`.
 * Fails with core_copy's error when the copy cannot be made.
 */
int core_stix_render(struct emb_instance *inst, const struct core_view *v,
    const struct core_stix_conf *conf, const struct core_stix_entry *e,
    const char *actor, const char *channel, struct core_stix_copies *copies,
    json_t **ret, struct emb_error *err) EMB_MUST_USE;

/* MIME type for a file name (by extension); never NULL. */
const char *core_mime_type(const char *name);

/* Standard base64 with padding of n bytes, appended to out. */
int core_base64(const uint8_t *p, size_t n, struct buf *out) EMB_MUST_USE;

#endif
