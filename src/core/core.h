/*
 * The application: an instance (data directory) with its tiers, partners,
 * advisories and artifacts, and the use cases the front ends call.
 *
 * Each use case that changes anything runs in one database transaction
 * that also appends its event to the log, so it either happens entirely,
 * recorded, or not at all.  Every use case takes `now` and an `actor`
 * (who is acting, for the log) from the caller, and reports failures as a
 * negative EMB_E* code plus a one-line message in *err.
 */
#ifndef EMB_CORE_CORE_H
#define EMB_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "store/log.h"
#include "store/store.h"

#define CORE_DB_FILE "embargo.db"
#define CORE_MASTER_FILE "master.key"
#define CORE_SIGN_FILE "sign.key"
#define CORE_ARTIFACT_MAX (16u * 1024 * 1024) /* bytes per artifact */

struct emb_instance;

/*
 * Create a new instance in dir (which must not exist, or be an empty
 * directory): mode 0700, database, master secret and signing key in 0600
 * files, default tiers notify < detect < poc.  Built in a temporary
 * sibling directory and renamed into place, so a failure leaves nothing.
 */
int core_instance_create(const char *dir, const char *actor, int64_t now,
    struct emb_error *err) EMB_MUST_USE;

/*
 * Open an existing instance.  Fails with a clear message when dir is
 * missing, is not an embargo data directory, or its key files do not
 * belong to its database.
 */
int core_instance_open(const char *dir, struct emb_instance **ret,
    struct emb_error *err) EMB_MUST_USE;

/* Close; accepts NULL. */
void core_instance_free(struct emb_instance *inst);

/*
 * One consistent snapshot for a run of reads (the server: one request),
 * taking the database's locks once.  A use case that writes ends it
 * first.  core_read_end accepts an instance with no snapshot open.
 */
int
core_read_begin(struct emb_instance *inst, struct emb_error *err) EMB_MUST_USE;
void core_read_end(struct emb_instance *inst);

/*
 * What a view depends on, as of the snapshot: gen changes with every
 * change to the stored data a view reads (store_generation), and no
 * stored time falls in [from, until) (store_next_change).  Requests that
 * see the same gen at times in the same [from, until) see the same views.
 */
struct core_stamp {
	int64_t gen, from, until;
};

/*
 * The stamp at now into *ret.  hint (NULL: none) is an earlier stamp; when
 * it is still right, the stored times are not searched again.
 */
int core_data_stamp(struct emb_instance *inst, int64_t now,
    const struct core_stamp *hint, struct core_stamp *ret,
    struct emb_error *err) EMB_MUST_USE;

/* ---- tiers ---- */

int core_tier_list(struct emb_instance *inst, struct store_tier **ret,
    size_t *ret_n, struct emb_error *err) EMB_MUST_USE;
int
core_tier_add(struct emb_instance *inst, const char *actor, const char *name,
    int64_t rank, int64_t now, struct emb_error *err) EMB_MUST_USE;

/* ---- partners ---- */

struct core_partner_new {
	const char *name;
	const char *id; /* NULL: derived from the name */
	const char *tier;
	const char *country; /* NULL when unknown */
	const char *contact; /* NULL when unknown */
};

/*
 * Add a partner; writes its id and its API token (shown once, only the
 * keyed hash is kept) to ret_id / ret_token.
 */
int core_partner_add(struct emb_instance *inst, const char *actor,
    const struct core_partner_new *np, int64_t now, char ret_id[EMB_ID_MAX],
    char ret_token[CRYPTO_TOKEN_STR], struct emb_error *err) EMB_MUST_USE;
int core_partner_get(struct emb_instance *inst, const char *id,
    struct store_partner *ret, struct emb_error *err) EMB_MUST_USE;
int core_partner_list(struct emb_instance *inst, struct store_partner **ret,
    size_t *ret_n, struct emb_error *err) EMB_MUST_USE;

enum core_partner_change {
	CORE_PARTNER_SET_TIER,
	CORE_PARTNER_SUSPEND,
	CORE_PARTNER_REINSTATE,
	CORE_PARTNER_REVOKE
};

/* Change tier (tier used only with SET_TIER) or status; revoke is final. */
int core_partner_set(struct emb_instance *inst, const char *actor,
    const char *id, enum core_partner_change change, const char *tier,
    int64_t now, struct emb_error *err) EMB_MUST_USE;

/*
 * Pin the key of a partner's client certificate for mutual TLS: pin is
 * the SHA-256 of its SubjectPublicKeyInfo (see http_tls_cert_pin), or
 * NULL to remove the pin.  A revoked partner cannot change.
 */
int core_partner_cert_set(struct emb_instance *inst, const char *actor,
    const char *id, const uint8_t *pin, int64_t now,
    struct emb_error *err) EMB_MUST_USE;

/* Replace a partner's token; the old one stops working at once. */
int core_partner_token_rotate(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, char ret_token[CRYPTO_TOKEN_STR],
    struct emb_error *err) EMB_MUST_USE;

/*
 * Find the partner holding token, comparing keyed hashes in constant
 * time.  EMB_EAUTH for any failure (malformed, unknown, not active), with
 * the same work done in every case.
 */
int core_partner_authenticate(struct emb_instance *inst, const char *token,
    struct store_partner *ret) EMB_MUST_USE;

/* ---- advisories ---- */

struct core_advisory_new {
	const char *id;
	const char *title;
	const char *severity; /* NULL: from the CVSS vector, if any */
	const char *cvss; /* NULL when not given */
	const char *const *cves;
	size_t n_cves;
	const char *const *products;
	size_t n_products;
	int64_t patch_at;
};

int core_advisory_create(struct emb_instance *inst, const char *actor,
    const struct core_advisory_new *na, int64_t now,
    struct emb_error *err) EMB_MUST_USE;
/* *ret is released with store_advisory_fini. */
int core_advisory_get(struct emb_instance *inst, const char *id,
    struct store_advisory *ret, struct emb_error *err) EMB_MUST_USE;
/* All advisories; release with core_advisory_list_free. */
int core_advisory_list(struct emb_instance *inst, struct store_advisory **ret,
    size_t *ret_n, struct emb_error *err) EMB_MUST_USE;
void core_advisory_list_free(struct store_advisory *v, size_t n);

int core_advisory_reschedule(struct emb_instance *inst, const char *actor,
    const char *id, int64_t patch_at, const char *reason, int64_t now,
    struct emb_error *err) EMB_MUST_USE;
int core_advisory_exclude(struct emb_instance *inst, const char *actor,
    const char *id, enum store_exclusion_kind kind, const char *value,
    int64_t now, struct emb_error *err) EMB_MUST_USE;
int core_advisory_publish(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, struct emb_error *err) EMB_MUST_USE;
int core_advisory_withdraw(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, struct emb_error *err) EMB_MUST_USE;

/*
 * The state that counts: published once published by hand or once the
 * patch time has passed, whatever was stored.
 */
enum store_advisory_state
core_advisory_state(const struct store_advisory *a, int64_t now);

/* ---- artifacts ---- */

enum core_release { CORE_RELEASE_NOW, CORE_RELEASE_AT, CORE_RELEASE_BEFORE };

struct core_attach {
	const char *advisory_id;
	const char *name;
	enum store_artifact_kind kind;
	const char *tier;
	enum core_release release;
	int64_t release_at; /* CORE_RELEASE_AT */
	int64_t release_before; /* CORE_RELEASE_BEFORE, ms before patch */
	enum store_mark_mode mark;
};

/*
 * Attach content (n bytes, at most CORE_ARTIFACT_MAX), sealed at rest.
 * Moves a draft advisory to shared.  *ret gets the stored record.
 */
int core_artifact_attach(struct emb_instance *inst, const char *actor,
    const struct core_attach *at, const uint8_t *data, size_t n, int64_t now,
    struct store_artifact *ret, struct emb_error *err) EMB_MUST_USE;
int core_artifact_list(struct emb_instance *inst, const char *advisory_id,
    bool include_withdrawn, struct store_artifact **ret, size_t *ret_n,
    struct emb_error *err) EMB_MUST_USE;
int core_artifact_withdraw(struct emb_instance *inst, const char *actor,
    const char *advisory_id, const char *name, int64_t now,
    struct emb_error *err) EMB_MUST_USE;

/* When an artifact is released, given its advisory's patch time. */
int64_t core_artifact_release_at(
    const struct store_artifact *art, const struct store_advisory *a);

/*
 * Render partner_id's copy of an artifact into out (max CORE_ARTIFACT_MAX
 * plus marking growth), after durably recording the delivery (with the
 * copy's SHA-256) and its event.  EMB_ENOENT with a reason in *err when
 * the artifact is not visible to that partner.
 */
int core_copy(struct emb_instance *inst, const char *actor,
    const char *advisory_id, const char *name, const char *partner_id,
    const char *channel, int64_t now, struct buf *out,
    struct store_delivery *ret_delivery, struct emb_error *err) EMB_MUST_USE;

/* ---- audit ---- */

int core_audit_each(struct emb_instance *inst,
    int (*fn)(const struct store_event *e, void *arg), void *arg,
    struct emb_error *err) EMB_MUST_USE;
int core_audit_verify(struct emb_instance *inst, struct log_report *rep,
    struct emb_error *err) EMB_MUST_USE;

#endif
