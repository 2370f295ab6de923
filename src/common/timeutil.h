/*
 * Time: milliseconds since the Unix epoch, UTC, as int64_t everywhere.
 * RFC 3339 in (any offset, optional fraction) and out (always UTC, "Z").
 * Pure functions but emb_time_now(), which only the front ends call: the
 * engines and the access rule take `now` as an argument.
 */
#ifndef EMB_COMMON_TIMEUTIL_H
#define EMB_COMMON_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* Room for "YYYY-MM-DDTHH:MM:SS.mmmZ" with margin. */
#define EMB_TIME_STR 64

/* Latest representable time: 9999-12-31T23:59:59.999Z. */
#define EMB_TIME_MAX INT64_C(253402300799999)

/* Current wall-clock time. */
int64_t emb_time_now(void);

/*
 * Parse an RFC 3339 date-time ("2021-03-02T17:00:00Z",
 * "2021-03-02T18:00:00.5+01:00") into *ret_ms.  Years 1970-9999;
 * fractions beyond milliseconds are truncated.  EMB_EINVAL on anything
 * else.
 */
int emb_time_parse(const char *s, int64_t *ret_ms) EMB_MUST_USE;

/*
 * Format ms as RFC 3339 UTC into out (EMB_TIME_STR bytes).  With
 * always_ms the milliseconds are always written (STIX wants them);
 * otherwise only when non-zero.  Returns out.
 */
char *emb_time_format(int64_t ms, bool always_ms, char out[EMB_TIME_STR]);

/*
 * Parse a duration: one or more <number><unit> with units w, d, h, m, s
 * ("7d", "1d12h", "90m"), or "0".  At most 100 years.
 */
int emb_duration_parse(const char *s, int64_t *ret_ms) EMB_MUST_USE;

/* Format a duration the way emb_duration_parse reads it ("7d", "1d12h"). */
char *emb_duration_format(int64_t ms, char out[EMB_TIME_STR]);

#endif
