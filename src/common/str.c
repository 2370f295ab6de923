#include <string.h>

#include "common/str.h"
#include "common/emb.h"

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
emb_valid_ident(const char *s, size_t max)
{
	size_t i;

	if (!is_alnum(s[0]))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return false;
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	}
	return true;
}

bool
emb_valid_cve(const char *s)
{
	size_t n = 0;
	int year = 0;

	if (strncmp(s, "CVE-", 4) != 0)
		return false;
	for (int i = 4; i < 8; i++) {
		if (!is_digit(s[i]))
			return false;
		year = year * 10 + (s[i] - '0');
	}
	if (year < 1999 || s[8] != '-')
		return false;
	for (s += 9; is_digit(*s); s++)
		n++;
	return *s == '\0' && n >= 4 && n <= 19;
}

/* Officially assigned ISO 3166-1 alpha-2 codes. */
static const char iso3166[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH "
    "BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL "
    "CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET "
    "FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU "
    "GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE "
    "KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC "
    "MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC "
    "NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR "
    "SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA "
    "UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

bool
emb_country_normalise(const char *s, char out[3])
{
	char up[3];

	for (int i = 0; i < 2; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return false;
		up[i] = c;
	}
	if (s[2] != '\0')
		return false;
	for (size_t i = 0; i + 1 < sizeof(iso3166); i += 3) {
		if (iso3166[i] == up[0] && iso3166[i + 1] == up[1]) {
			out[0] = up[0];
			out[1] = up[1];
			out[2] = '\0';
			return true;
		}
	}
	return false;
}

bool
emb_valid_email(const char *s)
{
	const char *at = NULL, *dot = NULL;
	size_t n = 0;

	for (const char *p = s; *p != '\0'; p++, n++) {
		unsigned char c = (unsigned char)*p;
		if (n >= 254 || c <= ' ' || c >= 0x7f || c == '<' || c == '>' ||
		    c == '"' || c == ',' || c == ';' || c == '\\')
			return false;
		if (c == '@') {
			if (at != NULL)
				return false;
			at = p;
		} else if (c == '.' && at != NULL) {
			dot = p;
		}
	}
	return at != NULL && at != s && dot != NULL && dot > at + 1 &&
	    dot[1] != '\0';
}

bool
emb_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t len;
		uint32_t cp;
		uint64_t w;

		if (c < 0x80) {
			/* ASCII, the common case: eight bytes at a time. */
			if (n - i >= 8) {
				memcpy(&w, p + i, 8);
				if ((w & 0x8080808080808080u) == 0) {
					i += 8;
					continue;
				}
			}
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

bool
emb_valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	bool blank = true;

	if (n == 0 || n > max)
		return false;
	if (!emb_utf8_valid((const uint8_t *)s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c != ' ')
			blank = false;
	}
	return !blank;
}

bool
emb_slugify(const char *name, char out[EMB_ID_MAX])
{
	size_t n = 0;
	bool dash = false;

	for (const char *p = name; *p != '\0' && n < EMB_ID_MAX - 1; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (is_alnum(c)) {
			if (dash && n > 0 && n < EMB_ID_MAX - 2)
				out[n++] = '-';
			dash = false;
			out[n++] = c;
		} else {
			dash = true;
		}
	}
	out[n] = '\0';
	return n > 0;
}

int
emb_parse_int(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	bool neg = false;
	uint64_t v = 0, lim;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!is_digit(*s))
		return EMB_EINVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (lim - d) / 10)
			return EMB_EOVERFLOW;
		v = v * 10 + d;
	}
	if (*s != '\0')
		return EMB_EINVAL;
	int64_t r = neg
	    ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
	    : (int64_t)v;
	if (r < min || r > max)
		return EMB_EOVERFLOW;
	*ret = r;
	return 0;
}

void
emb_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}
