/*
 * Bounded growable byte buffer.  Every buffer has a maximum fixed when it
 * is created; growing past it fails with EMB_ETOOBIG instead of eating
 * memory, which is how hostile input (a request body, a suspect sample)
 * is kept in check.  The contents are always NUL-terminated one byte past
 * len, so text can be handed to string functions.
 */
#ifndef EMB_COMMON_BUF_H
#define EMB_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct buf {
	uint8_t *data; /* NUL-terminated at data[len] once anything is added */
	size_t len;
	size_t cap;
	size_t max; /* len never exceeds max */
};

/* Initialise an empty buffer that will hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* Free the contents; the buffer is empty (and reusable) afterwards. */
void buf_fini(struct buf *b);

/* Free the contents after wiping them (for secrets and plaintext). */
void buf_fini_wipe(struct buf *b);

/* Make room for n more bytes: 0, EMB_ETOOBIG or EMB_ENOMEM. */
int buf_reserve(struct buf *b, size_t n) EMB_MUST_USE;

/* Append n bytes: 0, EMB_ETOOBIG or EMB_ENOMEM; unchanged on failure. */
int buf_append(struct buf *b, const void *p, size_t n) EMB_MUST_USE;

/* Append a NUL-terminated string (without its NUL). */
int buf_append_str(struct buf *b, const char *s) EMB_MUST_USE;

/* Append printf-formatted text. */
int
buf_printf(struct buf *b, const char *fmt, ...) EMB_MUST_USE EMB_PRINTF(2, 3);

/* Hand the contents over to the caller (free() them); b becomes empty. */
uint8_t *buf_steal(struct buf *b, size_t *ret_len);

/*
 * Read a whole file (path "-" is standard input) into b, failing with
 * EMB_ETOOBIG when it holds more than b->max bytes and EMB_EIO when it
 * cannot be read or is not a regular file or stream.
 */
int buf_read_file(struct buf *b, const char *path) EMB_MUST_USE;

#endif
