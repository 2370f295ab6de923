#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "common/emb.h"

#define MS_PER_S INT64_C(1000)
#define MS_PER_DAY (INT64_C(86400) * MS_PER_S)

int64_t
emb_time_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *ry, int *rm, int *rd)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*rd = (int)(doy - (153 * mp + 2) / 5 + 1);
	*rm = (int)(mp < 10 ? mp + 3 : mp - 9);
	*ry = (int)(y + (*rm <= 2));
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly n decimal digits. */
static bool
digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int
emb_time_parse(const char *s, int64_t *ret_ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, frac = 0, off = 0;
	int64_t ms;

	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d))
		return EMB_EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return EMB_EINVAL;
	p++;
	if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) ||
	    !expect(&p, ':') || !digits(&p, 2, &sec))
		return EMB_EINVAL;
	if (*p == '.') {
		int n = 0;
		p++;
		if (*p < '0' || *p > '9')
			return EMB_EINVAL;
		for (; *p >= '0' && *p <= '9'; p++, n++) {
			if (n >= 9)
				return EMB_EINVAL;
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		}
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, sign = *p == '-' ? -1 : 1;
		p++;
		if (!digits(&p, 2, &oh) || !expect(&p, ':') ||
		    !digits(&p, 2, &om) || oh > 23 || om > 59)
			return EMB_EINVAL;
		off = sign * (oh * 60 + om);
	} else {
		return EMB_EINVAL;
	}
	if (*p != '\0')
		return EMB_EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return EMB_EINVAL;
	ms = days_from_civil(y, mo, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + sec - (int64_t)off * 60) * MS_PER_S +
	    frac;
	if (ms < 0 || ms > EMB_TIME_MAX)
		return EMB_EINVAL;
	*ret_ms = ms;
	return 0;
}

char *
emb_time_format(int64_t ms, bool always_ms, char out[EMB_TIME_STR])
{
	int64_t days, rem;
	int y, mo, d;

	if (ms < 0)
		ms = 0;
	if (ms > EMB_TIME_MAX)
		ms = EMB_TIME_MAX;
	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	civil_from_days(days, &y, &mo, &d);
	int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60);
	int s = (int)(rem / 1000 % 60), f = (int)(rem % 1000);
	if (always_ms || f != 0)
		(void)snprintf(out, EMB_TIME_STR,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, s,
		    f);
	else
		(void)snprintf(out, EMB_TIME_STR,
		    "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
	return out;
}

static const struct {
	char unit;
	int64_t ms;
} duration_units[] = {
    {'w', 7 * MS_PER_DAY},
    {'d', MS_PER_DAY},
    {'h', 3600 * MS_PER_S},
    {'m', 60 * MS_PER_S},
    {'s', MS_PER_S},
};

#define DURATION_MAX (INT64_C(36525) * MS_PER_DAY)

int
emb_duration_parse(const char *s, int64_t *ret_ms)
{
	int64_t total = 0;
	const char *p = s;
	size_t last_unit = 0;

	if (strcmp(s, "0") == 0) {
		*ret_ms = 0;
		return 0;
	}
	if (*p == '\0')
		return EMB_EINVAL;
	while (*p != '\0') {
		int64_t n = 0;
		size_t u;

		if (*p < '0' || *p > '9')
			return EMB_EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX / MS_PER_S)
				return EMB_EINVAL;
		}
		for (u = 0; u < EMB_ARRAY_LEN(duration_units); u++)
			if (duration_units[u].unit == *p)
				break;
		/* Units must appear largest first, each at most once. */
		if (u == EMB_ARRAY_LEN(duration_units) || u + 1 <= last_unit)
			return EMB_EINVAL;
		last_unit = u + 1;
		p++;
		if (n > (DURATION_MAX - total) / duration_units[u].ms)
			return EMB_EINVAL;
		total += n * duration_units[u].ms;
	}
	*ret_ms = total;
	return 0;
}

char *
emb_duration_format(int64_t ms, char out[EMB_TIME_STR])
{
	size_t off = 0;

	out[0] = '\0';
	if (ms <= 0) {
		(void)snprintf(out, EMB_TIME_STR, "0");
		return out;
	}
	for (size_t u = 1; u < EMB_ARRAY_LEN(duration_units); u++) {
		int64_t n = ms / duration_units[u].ms;
		if (n == 0)
			continue;
		ms -= n * duration_units[u].ms;
		int w = snprintf(out + off, EMB_TIME_STR - off, "%lld%c",
		    (long long)n, duration_units[u].unit);
		if (w < 0 || (size_t)w >= EMB_TIME_STR - off)
			break;
		off += (size_t)w;
	}
	if (off == 0)
		(void)snprintf(out, EMB_TIME_STR, "0");
	return out;
}
