/*
 * Request-target parsing: the path split into percent-decoded segments
 * and the query string into decoded name/value pairs.  Hostile input:
 * bounded, and strict (no NUL or control characters after decoding, no
 * "." or ".." segments, no empty segments but a trailing slash, no
 * repeated parameter), so routing never sees anything ambiguous.
 */
#ifndef EMB_HTTP_QUERY_H
#define EMB_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define HTTP_TARGET_MAX 4096
#define HTTP_SEGMENTS_MAX 12
#define HTTP_PARAMS_MAX 16

struct http_param {
	const char *name;
	const char *value;
};

struct http_target {
	char *storage; /* decoded strings live here */
	const char *seg[HTTP_SEGMENTS_MAX];
	size_t n_seg;
	bool trailing_slash; /* the path ended with '/' */
	struct http_param params[HTTP_PARAMS_MAX];
	size_t n_params;
};

/*
 * Parse target ("/a/b/?x=1&y=%20") into *ret (release with
 * http_target_fini).  EMB_EINVAL for anything malformed, EMB_ETOOBIG past
 * the limits, EMB_ENOMEM.
 */
int http_target_parse(const char *target, struct http_target *ret) EMB_MUST_USE;

void http_target_fini(struct http_target *t);

/* A parameter's decoded value, or NULL when absent. */
const char *http_target_param(const struct http_target *t, const char *name);

#endif
