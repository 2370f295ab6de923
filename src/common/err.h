/*
 * One error enum for the whole project, one table mapping each code to a
 * message and an HTTP status.  Fallible functions return 0 (or a count) on
 * success and a negative EMB_E* code on failure.  Functions that the front
 * ends call also fill a struct emb_error with a one-line, specific message
 * ("partner 'acme' not found"); libraries never print it themselves.
 */
#ifndef EMB_COMMON_ERR_H
#define EMB_COMMON_ERR_H

#include <stddef.h>

#define EMB_MUST_USE __attribute__((warn_unused_result))
#define EMB_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum emb_err {
	EMB_OK = 0,
	EMB_EINVAL = -1, /* malformed input */
	EMB_ENOENT = -2, /* no such object (or not visible) */
	EMB_EEXIST = -3, /* already exists */
	EMB_ENOMEM = -4, /* out of memory */
	EMB_EIO = -5, /* file system error */
	EMB_ETOOBIG = -6, /* over a size limit */
	EMB_ESTATE = -7, /* not allowed in the object's current state */
	EMB_EDB = -8, /* database error */
	EMB_ECRYPTO = -9, /* cryptographic failure (bad key, forged data) */
	EMB_ECORRUPT = -10, /* stored data failed an integrity check */
	EMB_ENOTINST = -11, /* not an embargo data directory */
	EMB_EVERSION = -12, /* data from a newer or unknown version */
	EMB_EAUTH = -13, /* authentication failed */
	EMB_EPERM = -14, /* authenticated but not allowed */
	EMB_EOVERFLOW = -15 /* arithmetic overflow on input */
};
#define EMB_ERR_COUNT 16

#define EMB_ERROR_MSG_MAX 320

/* Error detail filled by the application layer for the front ends. */
struct emb_error {
	int code;
	char msg[EMB_ERROR_MSG_MAX];
};

/* Short generic text for an error code; never NULL. */
const char *emb_strerror(int code);

/* HTTP status that fits an error code (400, 404, 409, 413, 500 ...). */
int emb_err_http_status(int code);

/*
 * Record an error with a formatted message in *err (which may be NULL) and
 * return code, so callers can write `return emb_error_set(err, ...)`.  An
 * error already recorded is kept: the innermost, most specific one wins.
 */
int emb_error_set(struct emb_error *err, int code, const char *fmt, ...)
    EMB_PRINTF(3, 4);

/* Record code with its generic message unless an error is already set. */
int emb_error_code(struct emb_error *err, int code);

/* Clear *err. */
void emb_error_clear(struct emb_error *err);

#endif
