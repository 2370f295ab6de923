/*
 * CSAF 2.0 for the public: once an advisory is published, a
 * csaf_security_advisory document (OASIS CSAF 2.0, section 4.5) and the
 * provider's metadata (section 7.1.20).  The same builder serves the
 * HTTP server and `embargo export csaf`, so both print the same bytes.
 *
 * Document layout: publisher (category vendor, namespace the public URL),
 * distribution TLP:WHITE (CSAF 2.0 knows TLP 1.0 labels only; WHITE is
 * TLP 2.0's CLEAR), tracking with one revision per state of the advisory
 * (created under embargo, each reschedule, publication; the release dates
 * are the publication), notes (summary, disclosure schedule), a "self"
 * reference, a product tree of the affected products, and one
 * vulnerability per CVE (or one without a CVE id when it has none) with
 * notes, references, product status, the vendor fix as remediation and
 * the CVSS v3 score.  Nothing about partners, tiers, artifacts or
 * exclusions is in it.
 *
 * Documents live under <public URL>/.well-known/csaf/white/<year of
 * initial release>/<file name from the tracking id>.json (section 5.1
 * file names; the directory layout of section 7.1.14).
 */
#ifndef EMB_CORE_CSAF_H
#define EMB_CORE_CSAF_H

#include <jansson.h>

#include "core/core.h"

#define CORE_CSAF_PATH_MAX (EMB_ID_MAX + 16)
#define CORE_CSAF_URL_MAX 512
#define CORE_CSAF_DIR "/.well-known/csaf/white/"
#define CORE_CSAF_METADATA "/.well-known/csaf/provider-metadata.json"

struct core_csaf_conf {
	const char *publisher; /* the vendor's name */
	const char
	    *public_url; /* https://host[:port][/prefix], no '/' at end */
};

/* Whether url is usable as the public base URL (https, no '/' at end). */
bool core_csaf_url_valid(const char *url);

/*
 * The path of a's document below CORE_CSAF_DIR, "<year>/<name>.json"
 * (published: its publication time).
 */
void core_csaf_path(const struct store_advisory *a, int64_t published,
    char out[CORE_CSAF_PATH_MAX]);

/* The document for a, published at `published` (a new reference). */
json_t *core_csaf_build(const struct store_advisory *a, int64_t published,
    const struct core_csaf_conf *conf);

/*
 * The document of advisory id as of now: EMB_ENOENT (same message either
 * way) unless it exists and is published.
 */
int core_csaf_document(struct emb_instance *inst, const char *id,
    const struct core_csaf_conf *conf, int64_t now, json_t **ret,
    struct emb_error *err) EMB_MUST_USE;

/* One published document. */
struct core_csaf_entry {
	char id[EMB_ID_MAX];
	char path[CORE_CSAF_PATH_MAX];
	int64_t released; /* current release date */
};

/* The published documents, newest first (*ret freed with free()). */
int core_csaf_list(struct emb_instance *inst, int64_t now,
    struct core_csaf_entry **ret, size_t *ret_n,
    struct emb_error *err) EMB_MUST_USE;

/* provider-metadata.json (a new reference). */
json_t *core_csaf_provider_metadata(
    const struct core_csaf_conf *conf, int64_t last_updated);

/*
 * The one serialisation of a public document (indented, keys in order,
 * reals as written), NUL-terminated, free() it; NULL when out of memory.
 */
char *core_csaf_dump(const json_t *doc);

#endif
