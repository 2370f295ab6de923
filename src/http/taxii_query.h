/*
 * TAXII 2.1 query parameters and pagination tokens.
 *
 * Every parameter is validated up front: an unknown one, a repeated one,
 * a non-numeric, zero or over-large limit, a malformed added_after, id,
 * type, version or spec_version, or a bad next token is a 400 with a
 * reason, before anything is looked up.
 *
 * A `next` token is the position after the last item of the page (its
 * date_added, id and version: the catalogue's sort key) plus 8 bytes of a
 * hash binding it to the endpoint, collection, object, partner and the
 * other filters, so it is refused with any other query.  It carries
 * nothing secret and grants nothing: a forged token can only select a
 * starting point inside what the partner may already see.  Positions
 * stay valid across restarts and as new objects arrive.
 */
#ifndef EMB_HTTP_TAXII_QUERY_H
#define EMB_HTTP_TAXII_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stix.h"
#include "http/query.h"

#define TAXII_LIMIT_DEFAULT 100
#define TAXII_LIMIT_MAX 1000
#define TAXII_MATCH_MAX 32
#define TAXII_NEXT_MAX 256

enum taxii_endpoint {
	TAXII_EP_OBJECTS, /* collections/{id}/objects/ */
	TAXII_EP_OBJECT, /* collections/{id}/objects/{oid}/ */
	TAXII_EP_VERSIONS, /* collections/{id}/objects/{oid}/versions/ */
	TAXII_EP_MANIFEST /* collections/{id}/manifest/ */
};

struct taxii_cursor {
	int64_t date_added;
	int64_t version;
	char id[CORE_STIX_ID_MAX];
};

struct taxii_query {
	size_t limit;
	bool added_after_set;
	int64_t added_after;
	size_t n_ids;
	char ids[TAXII_MATCH_MAX][CORE_STIX_ID_MAX];
	size_t n_types;
	char types[TAXII_MATCH_MAX][CORE_STIX_ID_MAX];
	bool v_first, v_last, v_all; /* match[version] keywords */
	size_t n_vtimes;
	int64_t vtimes[TAXII_MATCH_MAX];
	bool spec_21; /* match[spec_version] admits 2.1 (all we serve) */
	bool next_set; /* a next token was given and is valid */
	struct taxii_cursor next;
	uint8_t binding[8];
};

/*
 * Parse t's parameters for endpoint ep into *q.  scope names what the
 * token is bound to besides the filters ("collection|object|partner").
 * EMB_EINVAL (or EMB_EOVERFLOW for limit) with a reason in *why.
 */
int taxii_query_parse(const struct http_target *t, enum taxii_endpoint ep,
    const char *scope, struct taxii_query *q, const char **why) EMB_MUST_USE;

/* The next token for position c under binding, into out (NEXT_MAX). */
void taxii_cursor_encode(const struct taxii_cursor *c, const uint8_t binding[8],
    char out[TAXII_NEXT_MAX]);

/* Read a next token; EMB_EINVAL when malformed or bound elsewhere. */
int taxii_cursor_decode(const char *s, const uint8_t binding[8],
    struct taxii_cursor *ret) EMB_MUST_USE;

/* Whether s is a STIX identifier "type--uuid". */
bool taxii_valid_stix_id(const char *s);

#endif
