/*
 * Fuzz target: TAXII query parameters and pagination tokens
 * (http/taxii_query.c).  The input is a query string, parsed for every
 * endpoint, and also read as a `next` token; any token that decodes must
 * encode back to itself.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/taxii_query.h"
#include "fuzz_http_replay.h"
#include "common/emb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t bind[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct http_target t;
	struct taxii_query *q;
	struct taxii_cursor c;
	char *s, tok[TAXII_NEXT_MAX];
	const char *why;

	if (size > HTTP_TARGET_MAX)
		return 0;
	s = malloc(size + 8);
	q = malloc(sizeof(*q));
	if (s == NULL || q == NULL)
		goto out;
	memcpy(s, "/o/?", 4);
	memcpy(s + 4, data, size);
	s[size + 4] = '\0';
	if (http_target_parse(s, &t) == 0) {
		for (int ep = TAXII_EP_OBJECTS; ep <= TAXII_EP_MANIFEST; ep++)
			if (taxii_query_parse(&t, (enum taxii_endpoint)ep, "s",
			        q, &why) == 0) {
				assert(q->limit >= 1 &&
				    q->limit <= TAXII_LIMIT_MAX);
				assert(q->n_ids <= TAXII_MATCH_MAX);
				assert(q->n_types <= TAXII_MATCH_MAX);
				assert(q->n_vtimes <= TAXII_MATCH_MAX);
				for (size_t i = 0; i < q->n_ids; i++)
					assert(taxii_valid_stix_id(q->ids[i]));
			} else {
				assert(why != NULL);
			}
		http_target_fini(&t);
	}
	if (taxii_cursor_decode(s + 4, bind, &c) == 0) {
		taxii_cursor_encode(&c, bind, tok);
		assert(strcmp(tok, s + 4) == 0);
	}
out:
	free(s);
	free(q);
	return 0;
}
