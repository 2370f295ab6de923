/*
 * Credentials from an Authorization header, and the per-address limit on
 * failed attempts.
 *
 * Parsing never fails: whatever cannot be read is HTTP_AUTH_MALFORMED, and
 * the caller still spends the same work on it as on a well-formed header
 * (authenticating an empty token), so a malformed header, an unknown
 * partner and a wrong token cannot be told apart by their timing.
 */
#ifndef EMB_HTTP_AUTH_H
#define EMB_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/str.h"

#define HTTP_AUTH_HEADER_MAX 1024
#define HTTP_AUTH_TOKEN_MAX 128

enum http_auth_scheme {
	HTTP_AUTH_NONE, /* no header */
	HTTP_AUTH_BEARER, /* token only */
	HTTP_AUTH_BASIC, /* partner id and token */
	HTTP_AUTH_MALFORMED
};

struct http_credentials {
	enum http_auth_scheme scheme;
	char user[EMB_ID_MAX]; /* Basic: the partner id */
	char token[HTTP_AUTH_TOKEN_MAX + 1]; /* "" unless BEARER/BASIC */
};

/*
 * Read header (NULL when absent) into *ret: "Bearer TOKEN" or "Basic
 * base64(id:token)", scheme names in any case.  Wipe ret->token after use.
 */
void http_auth_parse(const char *header, struct http_credentials *ret);

/*
 * Decode standard base64 (padding optional) of s[0..n) into out (room
 * for outmax bytes); the decoded length, or -1 when malformed or too long.
 */
long http_base64_decode(const char *s, size_t n, uint8_t *out, size_t outmax);

/*
 * Failed attempts per client address: at most `limit` within `window_ms`;
 * past that the address is blocked for `block_ms`.  Thread-safe; a fixed
 * table, the stalest entries making room for new addresses.
 */
struct http_ratelimit;

struct http_ratelimit *
http_ratelimit_new(unsigned limit, int64_t window_ms, int64_t block_ms);
void http_ratelimit_free(struct http_ratelimit *rl);

/* Whether addr is blocked at now; *ret_retry_ms: how long it stays so. */
bool http_ratelimit_blocked(struct http_ratelimit *rl, const char *addr,
    int64_t now, int64_t *ret_retry_ms);

/* Count one failed attempt from addr. */
void
http_ratelimit_fail(struct http_ratelimit *rl, const char *addr, int64_t now);

#endif
