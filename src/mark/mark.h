/*
 * Traceable copies of one artifact.
 *
 * The artifact's text is parsed once into a set of mark sites (template
 * markers, then automatic discovery for its language).  Each site i gets
 * a secret bias vector p_i and each partner P a symbol x_{P,i} drawn from
 * p_i: a symmetric q-ary Tardos code (see tardos.h).  Both come from keyed
 * BLAKE2b of the instance's mark subkey over the artifact's identity, the
 * site index and (for symbols) the partner id, so any partner's copy can
 * be rendered again byte for byte and nothing per copy is stored.  Canary
 * tokens come the same way from the canary subkey: 128 secret bits per
 * (artifact, partner), shown in the format the marker asks for.
 */
#ifndef EMB_MARK_MARK_H
#define EMB_MARK_MARK_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "mark/lang.h"
#include "mark/site.h"
#include "store/store.h"

#define MARK_IDENT_BYTES 32
#define MARK_CANARY_MAX 160 /* longest rendered canary (the User-Agent) */

struct mark_artifact {
	struct mark_set set;
	enum mark_lang lang;
	enum store_mark_mode mode;
	uint8_t ident[MARK_IDENT_BYTES];
	const struct crypto_keys *keys; /* borrowed */
	double *p; /* nsites x MARK_Q_MAX biases */
	/*
	 * nsites x (MARK_Q_MAX - 1): the cumulative biases times 2^53,
	 * rounded up (UINT64_MAX past q - 1).  A site's 53-bit uniform u
	 * gives the symbol that counts the thresholds <= u: the inverse CDF
	 * in integers, without branches.
	 */
	uint64_t *thr;
};

/*
 * Identity of an artifact for the code: a keyed hash of the bytes that
 * name it uniquely (advisory, name, attach time, content hash).
 */
void mark_ident(const struct crypto_keys *keys, const void *name, size_t n,
    uint8_t out[MARK_IDENT_BYTES]);

/*
 * Parse text (borrowed; must outlive ma) for mode: NONE gives no sites,
 * TEMPLATE only markers, AUTO markers plus discovery for the language
 * guessed from file_name and content.  Malformed markers fail with
 * EMB_EINVAL and the line in *err.
 */
int mark_artifact_prepare(struct mark_artifact *ma,
    const struct crypto_keys *keys, const uint8_t ident[MARK_IDENT_BYTES],
    const char *file_name, enum store_mark_mode mode, const uint8_t *text,
    size_t len, struct emb_error *err) EMB_MUST_USE;

/* Free what prepare allocated. */
void mark_artifact_fini(struct mark_artifact *ma);

/* Partner's symbols, one per site (nsites bytes). */
void mark_artifact_symbols(
    const struct mark_artifact *ma, const char *partner_id, uint8_t *symbols);

/*
 * Whether partner's symbol at sites[i] (increasing) is want[i], for i <
 * n: bit i % 8 of agree[i / 8] is set when it is (agree must be zeroed,
 * (n + 7) / 8 bytes).  The same symbols as mark_artifact_symbols, for
 * what tracing needs: two comparisons a site.
 */
void mark_artifact_agree(const struct mark_artifact *ma, const char *partner_id,
    const size_t *sites, const uint8_t *want, size_t n, uint8_t *agree);

/* Render partner's copy, appending to out. */
int mark_artifact_copy(const struct mark_artifact *ma, const char *partner_id,
    struct buf *out) EMB_MUST_USE;

/* Partner's canary token for this artifact in format fmt, appended. */
int mark_canary_token(const struct crypto_keys *keys,
    const uint8_t ident[MARK_IDENT_BYTES], const char *partner_id,
    enum mark_canary_fmt fmt, struct buf *out) EMB_MUST_USE;

/* The bias vector of site i (MARK_Q_MAX doubles, q used). */
const double *mark_artifact_bias(const struct mark_artifact *ma, size_t i);

#endif
