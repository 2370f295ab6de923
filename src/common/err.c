#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/emb.h"

static const struct {
	const char *msg;
	int http;
} err_table[EMB_ERR_COUNT] = {
    [EMB_OK] = {"success", 200},
    [-EMB_EINVAL] = {"invalid input", 400},
    [-EMB_ENOENT] = {"not found", 404},
    [-EMB_EEXIST] = {"already exists", 409},
    [-EMB_ENOMEM] = {"out of memory", 500},
    [-EMB_EIO] = {"input/output error", 500},
    [-EMB_ETOOBIG] = {"too large", 413},
    [-EMB_ESTATE] = {"not allowed in the current state", 409},
    [-EMB_EDB] = {"database error", 500},
    [-EMB_ECRYPTO] = {"cryptographic failure", 500},
    [-EMB_ECORRUPT] = {"stored data is corrupt", 500},
    [-EMB_ENOTINST] = {"not an embargo data directory", 500},
    [-EMB_EVERSION] = {"unsupported data version", 500},
    [-EMB_EAUTH] = {"authentication failed", 401},
    [-EMB_EPERM] = {"not permitted", 403},
    [-EMB_EOVERFLOW] = {"number out of range", 400},
};

static size_t
err_index(int code)
{
	if (code > 0 || code <= -EMB_ERR_COUNT)
		return (
		    size_t)-EMB_ENOMEM; /* unknown codes are internal errors */
	return (size_t)-code;
}

const char *
emb_strerror(int code)
{
	if (code > 0 || code <= -EMB_ERR_COUNT)
		return "unknown error";
	return err_table[err_index(code)].msg;
}

int
emb_err_http_status(int code)
{
	return err_table[err_index(code)].http;
}

int
emb_error_set(struct emb_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
emb_error_code(struct emb_error *err, int code)
{
	return emb_error_set(err, code, "%s", emb_strerror(code));
}

void
emb_error_clear(struct emb_error *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
