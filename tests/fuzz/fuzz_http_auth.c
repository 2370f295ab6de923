/*
 * Fuzz target: Authorization header parsing (http/auth.c).  Never
 * crashes; a result other than MALFORMED has a well-formed token and, for
 * Basic, a valid partner id.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "fuzz_http_replay.h"
#include "common/emb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_credentials c;
	uint8_t out[64];
	char *s;

	if (size > 4 * HTTP_AUTH_HEADER_MAX)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	http_auth_parse(s, &c);
	if (c.scheme == HTTP_AUTH_BEARER || c.scheme == HTTP_AUTH_BASIC) {
		size_t n = strlen(c.token);
		assert(n > 0 && n <= HTTP_AUTH_TOKEN_MAX);
		for (size_t i = 0; i < n; i++)
			assert(c.token[i] > 0x20 && c.token[i] < 0x7f);
	} else {
		assert(c.token[0] == '\0');
	}
	if (c.scheme == HTTP_AUTH_BASIC)
		assert(emb_valid_ident(c.user, EMB_ID_MAX - 1));
	(void)http_base64_decode(s, strlen(s), out, sizeof(out));
	free(s);
	return 0;
}
