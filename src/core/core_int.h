/* Internal to src/core: the instance and the transaction helpers. */
#ifndef EMB_CORE_INT_H
#define EMB_CORE_INT_H

#include <jansson.h>

#include "core/core.h"

struct emb_instance {
	char *dir;
	struct store *store;
	struct crypto_keys *keys;
	bool log_verified; /* whole chain checked before our first append */
};

/* Start the use case's transaction. */
int
core_tx_begin(struct emb_instance *inst, struct emb_error *err) EMB_MUST_USE;

/*
 * Append the use case's event (detail_take: a JSON object, consumed) and
 * commit.  On any failure the transaction is rolled back.
 */
int core_tx_commit(struct emb_instance *inst, const char *actor, int64_t now,
    const char *type, const char *subject, json_t *detail_take,
    struct emb_error *err) EMB_MUST_USE;

/* Roll back after a failure; returns r for `return core_tx_fail(...)`. */
int core_tx_fail(struct emb_instance *inst, int r);

/* Map a store failure to a generic message. */
int core_store_error(struct emb_error *err, int r, const char *what);

/* Load, decrypt and integrity-check an artifact's content into out. */
int core_artifact_content(struct emb_instance *inst,
    const struct store_artifact *art, struct buf *out,
    struct emb_error *err) EMB_MUST_USE;

#endif
