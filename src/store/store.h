/*
 * SQLite persistence, the only folder that includes <sqlite3.h>.
 *
 * One database file per instance, WAL mode with synchronous=FULL so a
 * commit is durable when it returns.  The schema is versioned with
 * PRAGMA user_version and upgraded by forward-only migrations; a database
 * from a newer embargo is refused.  Every use case runs in one IMMEDIATE
 * transaction (store_begin .. store_commit), so a failing command leaves
 * nothing half-written.
 *
 * Records are plain structs with fixed-size strings where the domain
 * bounds them; lists inside an advisory are heap arrays freed by
 * store_advisory_fini.
 */
#ifndef EMB_STORE_STORE_H
#define EMB_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"

#define STORE_NAME_MAX 200 /* partner names, product names */
#define STORE_TITLE_MAX 300 /* advisory titles */
#define STORE_REASON_MAX 500 /* reschedule reasons */
#define STORE_CONTACT_MAX 254 /* e-mail addresses */
#define STORE_ARTIFACT_NAME_MAX 128
#define STORE_CVE_MAX 24
#define STORE_CVSS_MAX 160
#define STORE_LIST_MAX 64 /* CVEs, products per advisory */

struct store;

enum store_partner_status {
	STORE_PARTNER_ACTIVE,
	STORE_PARTNER_SUSPENDED,
	STORE_PARTNER_REVOKED
};

enum store_advisory_state {
	STORE_ADV_DRAFT,
	STORE_ADV_SHARED,
	STORE_ADV_PUBLISHED,
	STORE_ADV_WITHDRAWN
};

enum store_artifact_kind {
	STORE_KIND_ADVISORY,
	STORE_KIND_DETECTION,
	STORE_KIND_POC,
	STORE_KIND_OTHER
};

enum store_mark_mode { STORE_MARK_AUTO, STORE_MARK_TEMPLATE, STORE_MARK_NONE };

struct store_tier {
	char name[EMB_ID_MAX];
	int64_t rank;
};

struct store_partner {
	char id[EMB_ID_MAX];
	char name[STORE_NAME_MAX + 1];
	char country[3]; /* "" when unknown */
	char contact[STORE_CONTACT_MAX + 1];
	char tier[EMB_ID_MAX];
	int64_t tier_rank;
	enum store_partner_status status;
	uint8_t token_hash[32];
	bool has_cert_pin; /* mutual TLS: a client key is pinned */
	uint8_t cert_pin[32]; /* SHA-256 of its SubjectPublicKeyInfo */
	int64_t created_at;
	int64_t updated_at;
};

struct store_reschedule {
	int64_t at;
	int64_t old_patch_at;
	int64_t new_patch_at;
	char reason[STORE_REASON_MAX + 1];
};

enum store_exclusion_kind { STORE_EXCL_PARTNER, STORE_EXCL_COUNTRY };

struct store_exclusion {
	enum store_exclusion_kind kind;
	char value[EMB_ID_MAX];
	int64_t at;
};

struct store_advisory {
	char id[EMB_ID_MAX];
	char title[STORE_TITLE_MAX + 1];
	char severity[16]; /* "" when not given */
	char cvss[STORE_CVSS_MAX + 1];
	int64_t patch_at;
	enum store_advisory_state state;
	int64_t created_at;
	int64_t published_at; /* 0 unless published by hand */
	int64_t updated_at;
	char (*cves)[STORE_CVE_MAX];
	size_t n_cves;
	char (*products)[STORE_NAME_MAX + 1];
	size_t n_products;
	struct store_reschedule *reschedules;
	size_t n_reschedules;
	struct store_exclusion *exclusions;
	size_t n_exclusions;
};

struct store_artifact {
	int64_t id;
	char advisory_id[EMB_ID_MAX];
	char name[STORE_ARTIFACT_NAME_MAX + 1];
	enum store_artifact_kind kind;
	char tier[EMB_ID_MAX];
	int64_t tier_rank;
	bool release_relative; /* release_before applies, not release_at */
	int64_t release_at; /* absolute release time */
	int64_t release_before; /* ms before the patch time */
	enum store_mark_mode mark;
	int64_t size;
	uint8_t sha256[32];
	int64_t attached_at;
	int64_t withdrawn_at; /* 0 while live */
};

struct store_delivery {
	int64_t id;
	char partner_id[EMB_ID_MAX];
	int64_t artifact_id;
	int64_t at;
	uint8_t sha256[32];
	char channel[16];
};

/* Names of enum values as stored and shown ("active", "poc", ...). */
const char *store_partner_status_name(enum store_partner_status s);
const char *store_advisory_state_name(enum store_advisory_state s);
const char *store_artifact_kind_name(enum store_artifact_kind k);
const char *store_mark_mode_name(enum store_mark_mode m);
int store_artifact_kind_parse(const char *s, enum store_artifact_kind *ret);
int store_mark_mode_parse(const char *s, enum store_mark_mode *ret);

/*
 * Open the database at path.  With create, the file must not exist and is
 * made with the current schema; without, it must exist, carry embargo's
 * application id (else EMB_ENOTINST) and a schema no newer than this
 * build's (else EMB_EVERSION); older schemas are migrated.
 */
int store_open(
    const char *path, bool create, struct store **ret_store) EMB_MUST_USE;

/* Close, checkpointing the WAL; accepts NULL. */
void store_close(struct store *s);

/* Schema version of this build. */
int store_schema_version(void);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK (never fails). */
int store_begin(struct store *s) EMB_MUST_USE;
int store_commit(struct store *s) EMB_MUST_USE;
void store_rollback(struct store *s);

/*
 * A read transaction: every read until store_read_end sees one snapshot,
 * and takes the database's locks once rather than once per statement.
 * store_begin ends it first (a writer starts from the newest state).
 * Nothing happens when a transaction is already open.
 */
int store_read_begin(struct store *s) EMB_MUST_USE;
void store_read_end(struct store *s);

/*
 * The generation number: it moves on with every committed change to
 * tiers, partners, advisories and their lists, artifacts and meta (not
 * with deliveries, events or the log head).  Equal numbers mean the same
 * data, whichever connection or process wrote it.
 */
int store_generation(struct store *s, int64_t *ret) EMB_MUST_USE;

/*
 * The first stored time after now (a patch or release time, a relative
 * release it implies, a publication...), INT64_MAX when there is none:
 * until then, and while the generation stays, every view is unchanged.
 */
int store_next_change(struct store *s, int64_t now, int64_t *ret) EMB_MUST_USE;

/* Meta key/value (blobs).  store_meta_get: EMB_ENOENT when absent. */
int
store_meta_get(struct store *s, const char *key, struct buf *out) EMB_MUST_USE;
int store_meta_set(
    struct store *s, const char *key, const void *p, size_t n) EMB_MUST_USE;

/* Tiers, ordered by rank. */
int store_tier_list(
    struct store *s, struct store_tier **ret, size_t *ret_n) EMB_MUST_USE;
int store_tier_get(
    struct store *s, const char *name, struct store_tier *ret) EMB_MUST_USE;
int store_tier_add(struct store *s, const struct store_tier *t) EMB_MUST_USE;

/* Partners.  get/lookup: EMB_ENOENT when absent. */
int
store_partner_add(struct store *s, const struct store_partner *p) EMB_MUST_USE;
int store_partner_get(
    struct store *s, const char *id, struct store_partner *ret) EMB_MUST_USE;
int store_partner_by_token(struct store *s, const uint8_t hash[32],
    struct store_partner *ret) EMB_MUST_USE;
int store_partner_list(
    struct store *s, struct store_partner **ret, size_t *ret_n) EMB_MUST_USE;
int store_partner_update(
    struct store *s, const struct store_partner *p) EMB_MUST_USE;

/* Advisories.  The advisory record includes its lists. */
int store_advisory_add(
    struct store *s, const struct store_advisory *a) EMB_MUST_USE;
int store_advisory_get(
    struct store *s, const char *id, struct store_advisory *ret) EMB_MUST_USE;
int store_advisory_ids(
    struct store *s, char (**ret)[EMB_ID_MAX], size_t *ret_n) EMB_MUST_USE;
int store_advisory_update(
    struct store *s, const struct store_advisory *a) EMB_MUST_USE;
int store_reschedule_add(struct store *s, const char *advisory_id,
    const struct store_reschedule *r) EMB_MUST_USE;
int store_exclusion_add(struct store *s, const char *advisory_id,
    const struct store_exclusion *e) EMB_MUST_USE;
void store_advisory_fini(struct store_advisory *a);

/* Artifacts: metadata plus one sealed blob each. */
int store_artifact_add(struct store *s, struct store_artifact *a,
    const void *sealed, size_t n) EMB_MUST_USE;
int store_artifact_list(struct store *s, const char *advisory_id,
    bool include_withdrawn, struct store_artifact **ret,
    size_t *ret_n) EMB_MUST_USE;
int store_artifact_get(struct store *s, const char *advisory_id,
    const char *name, struct store_artifact *ret) EMB_MUST_USE;
int store_artifact_blob(
    struct store *s, int64_t artifact_id, struct buf *out) EMB_MUST_USE;
int store_artifact_withdraw(
    struct store *s, int64_t artifact_id, int64_t at) EMB_MUST_USE;

/* Deliveries: *ret_id is the new record's id. */
int store_delivery_add(struct store *s, const struct store_delivery *d,
    int64_t *ret_id) EMB_MUST_USE;
int store_delivery_list(struct store *s, const char *partner_id,
    struct store_delivery **ret, size_t *ret_n) EMB_MUST_USE;

/* Event rows, as the log module stores and verifies them. */
struct store_event {
	int64_t seq;
	int64_t at;
	char actor[EMB_ID_MAX + 16];
	char type[48];
	char subject[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 2];
	char *detail; /* JSON text, heap */
	uint8_t prev[32];
	uint8_t hash[32];
};
int
store_event_insert(struct store *s, const struct store_event *e) EMB_MUST_USE;
/* Last event (EMB_ENOENT when the log is empty); detail not loaded. */
int store_event_last(struct store *s, struct store_event *ret) EMB_MUST_USE;
/*
 * Call fn for each event in rowid order (the physical order, so a reorder
 * shows); fn returning non-zero stops the walk and is returned.
 */
int store_event_each(struct store *s,
    int (*fn)(const struct store_event *e, void *arg), void *arg) EMB_MUST_USE;
int64_t store_event_count(struct store *s);

#endif
