#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/cvss.h"
#include "common/emb.h"

struct metric {
	const char *name;
	const char *values; /* accepted value letters */
};

static const struct metric metrics[8] = {
    {"AV", "NALP"},
    {"AC", "LH"},
    {"PR", "NLH"},
    {"UI", "NR"},
    {"S", "UC"},
    {"C", "HLN"},
    {"I", "HLN"},
    {"A", "HLN"},
};

/* v3.1 Roundup: smallest one-decimal number >= x, robust to FP error. */
static double
roundup31(double x)
{
	long long i = llround(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

static double
roundup30(double x)
{
	return ceil(x * 10.0) / 10.0;
}

static double
cia(char v)
{
	return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0;
}

int
core_cvss_parse(const char *vector, struct core_cvss *ret)
{
	char val[8] = {0};
	const char *p;
	int minor;

	if (strncmp(vector, "CVSS:3.1/", 9) == 0)
		minor = 1;
	else if (strncmp(vector, "CVSS:3.0/", 9) == 0)
		minor = 0;
	else
		return EMB_EINVAL;
	p = vector + 9;
	for (;;) {
		size_t n = strcspn(p, ":/"), m;
		size_t i;

		if (p[n] != ':')
			return EMB_EINVAL;
		for (i = 0; i < EMB_ARRAY_LEN(metrics); i++)
			if (strlen(metrics[i].name) == n &&
			    strncmp(p, metrics[i].name, n) == 0)
				break;
		if (i == EMB_ARRAY_LEN(metrics) || val[i] != 0)
			return EMB_EINVAL;
		p += n + 1;
		m = strcspn(p, "/");
		if (m != 1 || strchr(metrics[i].values, *p) == NULL)
			return EMB_EINVAL;
		val[i] = *p++;
		if (*p == '\0')
			break;
		p++; /* '/' */
		if (*p == '\0')
			return EMB_EINVAL;
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(metrics); i++)
		if (val[i] == 0)
			return EMB_EINVAL;

	bool changed = val[4] == 'C';
	double av = val[0] == 'N' ? 0.85
	    : val[0] == 'A'       ? 0.62
	    : val[0] == 'L'       ? 0.55
	                          : 0.2;
	double ac = val[1] == 'L' ? 0.77 : 0.44;
	double pr = val[2] == 'N' ? 0.85
	    : val[2] == 'L'       ? (changed ? 0.68 : 0.62)
	                          : (changed ? 0.5 : 0.27);
	double ui = val[3] == 'N' ? 0.85 : 0.62;
	double iss = 1.0 -
	    (1.0 - cia(val[5])) * (1.0 - cia(val[6])) * (1.0 - cia(val[7]));
	double impact = changed
	    ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15)
	    : 6.42 * iss;
	double expl = 8.22 * av * ac * pr * ui, base;

	if (impact <= 0) {
		base = 0;
	} else {
		double raw = changed ? 1.08 * (impact + expl) : impact + expl;
		if (raw > 10)
			raw = 10;
		base = minor ? roundup31(raw) : roundup30(raw);
	}
	ret->minor = minor;
	ret->base_tenths = (int)lround(base * 10.0);
	return 0;
}

const char *
core_cvss_severity(int t)
{
	return t == 0 ? "none"
	    : t < 40  ? "low"
	    : t < 70  ? "medium"
	    : t < 90  ? "high"
	              : "critical";
}
