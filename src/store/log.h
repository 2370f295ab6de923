/*
 * The event log: every change and every delivery, append-only and
 * tamper-evident.
 *
 * Entries form a hash chain.  Entry i stores prev = hash(i - 1) (32 zero
 * bytes for the first) and
 *
 *   hash(i) = BLAKE2b-256_K("embargo-log-v1" || seq || at || actor ||
 *                           type || subject || detail || prev)
 *
 * under K, the instance's audit subkey, each variable field length
 * prefixed, so an entry cannot be edited, and entries cannot be removed
 * from or reordered within the chain, without recomputing every later hash,
 * which needs the key.  The head (last seq and hash) is kept in the meta
 * table signed with the instance's Ed25519 key, so cutting entries off the
 * end shows too.  Replacing the whole database with an older copy does
 * not; that needs checkpoints held outside the instance, which the signed
 * Merkle log will add behind this same interface.
 */
#ifndef EMB_STORE_LOG_H
#define EMB_STORE_LOG_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

/*
 * Append one entry inside the caller's transaction.  detail is a JSON
 * text (never a secret).  EMB_ECORRUPT when the current head does not
 * verify (the log was tampered with).
 */
int log_append(struct store *s, const struct crypto_keys *keys, int64_t at,
    const char *actor, const char *type, const char *subject,
    const char *detail) EMB_MUST_USE;

struct log_report {
	int64_t entries; /* entries checked */
	int64_t bad_seq; /* first entry that failed, 0 if none */
	char problem[160]; /* what failed, "" if all is well */
};

/*
 * Walk the whole log and check sequence numbers, the chain and the signed
 * head.  Returns 0 when it verifies, EMB_ECORRUPT with *rep saying where
 * and what when not, or another error when it could not be read.
 */
int log_verify(struct store *s, const struct crypto_keys *keys,
    struct log_report *rep) EMB_MUST_USE;

/* Walk the entries in order (see store_event_each). */
int log_each(struct store *s, int (*fn)(const struct store_event *e, void *arg),
    void *arg) EMB_MUST_USE;

#endif
