/*
 * JSON views of the records, shared by the CLI's --json output and the
 * server's REST API so both say the same thing the same way.  Each returns
 * a new reference (NULL only when out of memory).  None ever includes a
 * token hash or any other secret.
 */
#ifndef EMB_CORE_JSON_H
#define EMB_CORE_JSON_H

#include <jansson.h>

#include "core/core.h"

json_t *core_json_tier(const struct store_tier *t);
json_t *core_json_partner(const struct store_partner *p);
json_t *core_json_artifact(
    const struct store_artifact *art, const struct store_advisory *a);
/* With with_artifacts, the n artifacts in arts are listed too. */
json_t *core_json_advisory(const struct store_advisory *a, bool with_artifacts,
    const struct store_artifact *arts, size_t n, int64_t now);
json_t *core_json_event(const struct store_event *e);
json_t *core_json_delivery(const struct store_delivery *d);

/* RFC 3339 string for a time (a JSON string). */
json_t *core_json_time(int64_t ms);

#endif
