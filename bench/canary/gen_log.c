/*
 * Generate an IIS (W3C extended) log of a given size with canary tokens
 * planted in it, and the token lists the benchmark searches for.
 *
 *	gen_log OUTDIR [MIB] [SEED]
 *
 * writes OUTDIR/iis.log (MIB mebibytes, default 1024),
 * OUTDIR/patterns-100.txt, -1000.txt, -10000.txt (one token per line; each
 * list is a prefix of the next) and OUTDIR/planted.tsv (line, token
 * index, form).  Tokens have the shapes mark_canary_token renders (hex,
 * base32, uuid, hostname label, the base32 part of a User-Agent), drawn
 * from a seeded generator, so runs are reproducible.  The log is what an
 * Exchange front end writes: random but plausible requests whose query
 * strings are full of hex ids, GUIDs and base64, which is what makes
 * literal search for hex tokens work hard.  About one line in 1,800
 * carries a token: a third from the first 100, a third from the first
 * 1,000, a third from all 10,000; 70% as is, 10% upper-cased, 10% in
 * base64, 10% fully percent-encoded.  Only text forms are planted, so
 * grep and ripgrep see a text file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/emb.h"

#define NTOK 10000
#define TOKMAX 40

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static char tokens[NTOK][TOKMAX];
static int token_fmt[NTOK]; /* 0 hex 1 base32 2 uuid 3 host 4 ua */

static void
rand_chars(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rndn((unsigned)k)];
	out[n] = '\0';
}

static const char hexl[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
make_tokens(void)
{
	for (int i = 0; i < NTOK; i++) {
		char *t = tokens[i];
		token_fmt[i] = i % 5;
		switch (i % 5) {
		case 0:
			rand_chars(t, 24, hexl);
			break;
		case 1:
		case 4:
			rand_chars(t, 20, b32);
			break;
		case 2:
			rand_chars(t, 36, hexl);
			t[8] = t[13] = t[18] = t[23] = '-';
			t[14] = '4';
			t[19] = "89ab"[rndn(4)];
			break;
		case 3:
			rand_chars(t + 1, 23, b32);
			t[0] = 'h';
			break;
		}
	}
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

static const char *const stems[] = {"/owa/auth/logon.aspx", "/owa/service.svc",
    "/ecp/default.flt", "/ecp/PersonalSettings/",
    "/autodiscover/autodiscover.xml", "/mapi/emsmdb/", "/mapi/nspi/",
    "/EWS/Exchange.asmx", "/Microsoft-Server-ActiveSync/default.eas",
    "/rpc/rpcproxy.dll", "/owa/prem/15.2.1118/scripts/boot.worldwide.js",
    "/owa/auth/15.2.1118/themes/resources/favicon.ico", "/OAB/", "/powershell/",
    "/owa/calendar/", "/favicon.ico"};

static const char *const agents[] = {
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+"
    "(KHTML,+like+Gecko)+Chrome/124.0.0.0+Safari/537.36",
    "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17531;"
    "+Pro)",
    "Apple-iPhone15C2/2104.203", "MSRPC", "Microsoft+WinRM+Client",
    "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_15_7)+AppleWebKit/605.1.15+"
    "(KHTML,+like+Gecko)+Version/17.4+Safari/605.1.15",
    "python-requests/2.31.0", "curl/8.5.0", "ExchangeServicesClient/15.20.7"};

static const char *const users[] = {"-", "CONTOSO\\jdoe", "CONTOSO\\asmith",
    "jdoe@contoso.com", "CONTOSO\\svc-backup", "-", "-"};

static const int statuses[] = {200, 200, 200, 200, 302, 401, 404, 440, 500};

static void
rand_guid(char *out, const char *alphabet)
{
	rand_chars(out, 36, alphabet);
	out[8] = out[13] = out[18] = out[23] = '-';
}

/* A random query string (or "-") into q. */
static void
rand_query(char *q, size_t cap)
{
	char a[64], b[64], c[64];

	switch (rndn(6)) {
	case 0:
	case 1:
		snprintf(q, cap, "-");
		break;
	case 2:
		rand_chars(a, 32, hexu);
		snprintf(q, cap,
		    "Cmd=Sync&User=jdoe&DeviceId=%s&DeviceType=iPhone", a);
		break;
	case 3:
		rand_chars(a, 32, hexl);
		rand_guid(b, hexl);
		snprintf(q, cap, "ClientId=%s&corrid=%s&reqid=%u", a, b,
		    rndn(100000));
		break;
	case 4:
		rand_chars(a, 43, b64);
		rand_guid(b, hexu);
		snprintf(q, cap, "X-OWA-CANARY=%s&RequestId=%s", a, b);
		break;
	default:
		rand_chars(a, 16, hexl);
		rand_chars(c, 24, b64);
		snprintf(q, cap, "&CorrelationID=<empty>;&cafeReqId=%s;&sid=%s",
		    a, c);
		break;
	}
}

/* The token in the planted form into out; returns the form's name. */
static const char *
render(int idx, char *out, size_t cap)
{
	const char *t = tokens[idx];
	unsigned r = rndn(10);

	if (r < 7) {
		snprintf(out, cap, "%s", t);
		return "plain";
	}
	if (r == 7) {
		size_t i;
		for (i = 0; t[i] != '\0' && i + 1 < cap; i++)
			out[i] = (char)(t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32
			                                           : t[i]);
		out[i] = '\0';
		return "upper";
	}
	if (r == 8) {
		unsigned char raw[128];
		size_t pre = rndn(3), n = 0;
		for (size_t i = 0; i < pre; i++)
			raw[n++] = (unsigned char)"ab="[i];
		for (size_t i = 0; t[i] != '\0'; i++)
			raw[n++] = (unsigned char)t[i];
		raw[n++] = '&';
		base64(raw, n, out);
		return "base64";
	}
	{
		size_t o = 0;
		for (size_t i = 0; t[i] != '\0' && o + 4 < cap; i++) {
			unsigned char c = (unsigned char)t[i];
			out[o++] = '%';
			out[o++] = hexu[c >> 4];
			out[o++] = hexu[c & 15];
		}
		out[o] = '\0';
	}
	return "url";
}

int
main(int argc, char **argv)
{
	char path[4096], query[512], host[300], ua[600], tok[256];
	uint64_t target, written = 0, line = 0, planted = 0;
	unsigned secs = 0;
	FILE *f, *pl;
	int rc = 0;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: gen_log OUTDIR [MIB] [SEED]\n");
		return 2;
	}
	target = (uint64_t)(argc > 2 ? strtoull(argv[2], NULL, 10) : 1024)
	    << 20;
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 20210302;
	make_tokens();

	for (int k = 100; k <= NTOK; k *= 10) {
		snprintf(path, sizeof(path), "%s/patterns-%d.txt", argv[1], k);
		if ((f = fopen(path, "w")) == NULL) {
			perror(path);
			return 1;
		}
		for (int i = 0; i < k; i++)
			fprintf(f, "%s\n", tokens[i]);
		if (fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}

	snprintf(path, sizeof(path), "%s/planted.tsv", argv[1]);
	if ((pl = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/iis.log", argv[1]);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	written += (uint64_t)fprintf(f,
	    "#Software: Microsoft Internet Information Services 10.0\r\n"
	    "#Version: 1.0\r\n#Date: 2021-02-26 00:00:00\r\n"
	    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query "
	    "s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host "
	    "sc-status sc-substatus sc-win32-status sc-bytes cs-bytes "
	    "time-taken\r\n");
	line = 4;
	while (written < target) {
		int idx = -1, where = 0;
		const char *form = NULL;
		unsigned day, n;

		rand_query(query, sizeof(query));
		snprintf(host, sizeof(host), "mail.contoso.com");
		snprintf(ua, sizeof(ua), "%s", agents[rndn(9)]);
		if (rndn(1800) == 0) {
			unsigned range = (unsigned[]){100, 1000, NTOK}[rndn(3)];
			idx = (int)rndn(range);
			form = render(idx, tok, sizeof(tok));
			where = token_fmt[idx];
			if (where == 4)
				snprintf(ua, sizeof(ua),
				    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+"
				    "AppleWebKit/537.36+(KHTML,+like+Gecko)+"
				    "Chrome/124.0.0.0+Safari/537.36+rid/%s",
				    tok);
			else if (where == 3)
				snprintf(host, sizeof(host),
				    "%s.cdn-contoso.net", tok);
			else
				snprintf(query, sizeof(query), "id=%s&v=%u",
				    tok, rndn(100));
		}
		secs += rndn(3);
		day = 26 + secs / 86400;
		line++;
		n = (unsigned)fprintf(f,
		    "2021-%02u-%02u %02u:%02u:%02u 10.0.%u.%u %s %s %s 443 %s "
		    "%u.%u.%u.%u %s %s %s %u %u %u %u %u %u\r\n",
		    day > 28 ? 3 : 2, day > 28 ? day - 28 : day,
		    secs / 3600 % 24, secs / 60 % 60, secs % 60, rndn(4),
		    rndn(250) + 1, rndn(10) < 8 ? "GET" : "POST",
		    stems[rndn(16)], query, users[rndn(7)], rndn(223) + 1,
		    rndn(256), rndn(256), rndn(254) + 1, ua,
		    rndn(3) ? "-" : "https://mail.contoso.com/owa/", host,
		    statuses[rndn(9)], 0u, 0u, rndn(90000) + 200,
		    rndn(4000) + 300, rndn(900) + 1);
		written += n;
		if (idx >= 0) {
			fprintf(pl, "%" PRIu64 "\t%d\t%s\n", line, idx, form);
			planted++;
		}
	}
	if (fclose(f) != 0 || fclose(pl) != 0) {
		perror("write");
		rc = 1;
	}
	fprintf(stderr,
	    "gen_log: %" PRIu64 " bytes, %" PRIu64 " lines, %" PRIu64
	    " tokens planted\n",
	    written, line, planted);
	return rc;
}
