/*
 * String validation and small string helpers.  Every check is bounded and
 * pure; the callers turn a false into a specific one-line error.
 */
#ifndef EMB_COMMON_STR_H
#define EMB_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define EMB_ID_MAX 64

/*
 * An identifier (partner id, advisory id, artifact name): 1..max bytes of
 * [A-Za-z0-9._-], starting with a letter or digit.
 */
bool emb_valid_ident(const char *s, size_t max);

/* A CVE id: "CVE-YYYY-NNNN..." with year >= 1999 and 4-19 digits. */
bool emb_valid_cve(const char *s);

/*
 * An assigned ISO 3166-1 alpha-2 code, either case.  On success writes the
 * upper-case form to out (3 bytes).
 */
bool emb_country_normalise(const char *s, char out[3]);

/* A plausible e-mail address: local@domain.tld, printable ASCII, <= 254. */
bool emb_valid_email(const char *s);

/*
 * Text for a human (titles, names, reasons): valid UTF-8, 1..max bytes,
 * no control characters, not only blanks.
 */
bool emb_valid_text(const char *s, size_t max);

/* Whether n bytes at p are well-formed UTF-8 (no overlongs, surrogates). */
bool emb_utf8_valid(const uint8_t *p, size_t n);

/*
 * Derive an identifier from a display name: lower-case ASCII letters and
 * digits, runs of anything else become one '-', at most EMB_ID_MAX - 1
 * bytes.  Returns false when nothing usable remains.
 */
bool emb_slugify(const char *name, char out[EMB_ID_MAX]);

/*
 * Parse a decimal integer in [min, max] (the whole string, no sign for
 * non-negative ranges, no blanks).  EMB_EINVAL or EMB_EOVERFLOW.
 */
int emb_parse_int(
    const char *s, int64_t min, int64_t max, int64_t *ret) EMB_MUST_USE;

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void emb_hex(const uint8_t *p, size_t n, char *out);

#endif
