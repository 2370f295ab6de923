/*
 * Fuzz target: request-target parsing (http/query.c).  Whatever the
 * input, parsing either fails cleanly or yields segments and parameters
 * that hold no NUL, no control character, no '/' inside a segment, and
 * no "." or ".." segment.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "fuzz_http_replay.h"
#include "common/emb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_target t;
	char *s;

	if (size > 2 * HTTP_TARGET_MAX)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_target_parse(s, &t) == 0) {
		assert(t.n_seg <= HTTP_SEGMENTS_MAX);
		assert(t.n_params <= HTTP_PARAMS_MAX);
		for (size_t i = 0; i < t.n_seg; i++) {
			assert(t.seg[i][0] != '\0');
			assert(strchr(t.seg[i], '/') == NULL);
			assert(strcmp(t.seg[i], ".") != 0);
			assert(strcmp(t.seg[i], "..") != 0);
			for (const char *p = t.seg[i]; *p; p++)
				assert((unsigned char)*p >= 0x20 && *p != 0x7f);
		}
		for (size_t i = 0; i < t.n_params; i++) {
			assert(t.params[i].name[0] != '\0');
			assert(http_target_param(&t, t.params[i].name) ==
			    t.params[i].value);
		}
		http_target_fini(&t);
	}
	free(s);
	return 0;
}
