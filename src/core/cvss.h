/*
 * CVSS v3.0 / v3.1 base vectors: validation and the base score, as FIRST's
 * specification defines them (section 7 of the v3.1 specification; v3.0
 * rounds up to one decimal plainly, v3.1 with its floating-point-safe
 * Roundup).  Pure.
 */
#ifndef EMB_CORE_CVSS_H
#define EMB_CORE_CVSS_H

#include "common/err.h"

struct core_cvss {
	int minor; /* 0 for 3.0, 1 for 3.1 */
	int base_tenths; /* base score times ten, 0..100 */
};

/*
 * Parse "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": the eight base
 * metrics, each exactly once, in any order.  EMB_EINVAL otherwise.
 */
int core_cvss_parse(const char *vector, struct core_cvss *ret) EMB_MUST_USE;

/* "none", "low", "medium", "high" or "critical" for a score. */
const char *core_cvss_severity(int base_tenths);

#endif
