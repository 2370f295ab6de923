/*
 * Reading logs and samples for the canary scan: plain or gzip input of any
 * size in bounded chunks, and the little that is needed of the common web
 * server log formats to say when and from where a logged request came.
 *
 * The reader hands out chunks that end at a line boundary (the partial
 * last line is carried over to the next chunk), so a scanner sees every
 * line whole unless a single line is longer than the chunk buffer; such
 * a line is handed out in pieces.  gzip is recognised by its magic bytes,
 * not the file name, and concatenated gzip members (logrotate, pigz) are
 * read one after the other.  Memory is the chunk buffer plus zlib's state,
 * whatever the input size.
 *
 * Formats: the W3C extended log format (IIS), whose "#Fields:" directive
 * names the space-separated fields of the lines that follow (date and time
 * in UTC, c-ip the client); the NCSA common and combined formats (Apache,
 * nginx): `host ident user [dd/Mon/yyyy:hh:mm:ss +zzzz] "request" status
 * ...`; anything else is raw text.  The field parsers take one line of
 * hostile bytes, are bounded and never allocate.
 */
#ifndef EMB_TRACE_LOGREAD_H
#define EMB_TRACE_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define LOGREAD_CHUNK_DEFAULT ((size_t)1 << 20)
#define LOGREAD_CHUNK_MIN ((size_t)4096)
#define LOGREAD_CHUNK_MAX ((size_t)1 << 28)
#define LOGREAD_CLIENT_MAX 64 /* client address text, with its NUL */
#define LOGREAD_TIME_NONE INT64_MIN

enum logread_format {
	LOGREAD_RAW, /* text (or bytes) without a recognised layout */
	LOGREAD_W3C, /* W3C extended / IIS */
	LOGREAD_COMBINED, /* NCSA common or combined (Apache, nginx) */
};

/* Where the interesting fields sit in a W3C line (from "#Fields:"). */
struct logread_w3c {
	bool valid; /* a #Fields directive has been seen */
	int date; /* field index of "date", or -1 */
	int time; /* field index of "time", or -1 */
	int client; /* field index of "c-ip", or -1 */
	int nfields;
};

/* What one log line says about the request it records. */
struct logread_fields {
	enum logread_format format; /* the layout the line was read with */
	int64_t time_ms; /* UTC, or LOGREAD_TIME_NONE */
	char client[LOGREAD_CLIENT_MAX]; /* "" when unknown */
};

struct logread_opts {
	size_t chunk; /* buffer size; 0 = LOGREAD_CHUNK_DEFAULT */
	uint64_t max_bytes; /* decoded bytes before EMB_ETOOBIG; 0 = none */
};

struct logread; /* opaque reader */

/*
 * Open path ("-" is standard input) for reading in chunks.  opts may be
 * NULL.  Fails with EMB_EIO (with errno kept) when the file cannot be
 * opened or is a directory, EMB_EINVAL on bad options, EMB_ENOMEM.
 */
int logread_open(const char *path, const struct logread_opts *opts,
    struct logread **ret_r) EMB_MUST_USE;

/*
 * Read n bytes at p (borrowed; must outlive the reader) the way
 * logread_open reads a file: gzip is inflated, chunks end at lines.
 */
int logread_open_mem(const void *p, size_t n, const struct logread_opts *opts,
    struct logread **ret_r) EMB_MUST_USE;

/* Close the reader and free its buffers; accepts NULL. */
void logread_close(struct logread *r);

/*
 * The next chunk of decoded input: 1 with *ret_p and *ret_n set (the
 * bytes stay valid until the next call), 0 at the end, or EMB_EIO on a
 * read error, EMB_ECORRUPT on a damaged or truncated gzip stream (after
 * every byte decoded before the damage was handed out), EMB_ETOOBIG past
 * max_bytes.  Every chunk but the last ends with '\n' unless a line is
 * longer than the buffer.
 */
int logread_next(
    struct logread *r, const uint8_t **ret_p, size_t *ret_n) EMB_MUST_USE;

/*
 * Whether the chunk last handed out was the last one: the next call will
 * return 0 or an error.
 */
bool logread_at_end(const struct logread *r);

/* Whether the input is gzip-compressed (known once a chunk was read). */
bool logread_is_gzip(const struct logread *r);

/*
 * Progress: input bytes consumed so far (compressed bytes for gzip) and
 * the input size (0 when unknown, as for a pipe).
 */
void logread_progress(
    const struct logread *r, uint64_t *ret_done, uint64_t *ret_total);

/*
 * Guess the layout of a log from its first bytes (a few lines are
 * enough): W3C when it opens with a W3C directive, COMBINED when its first
 * line reads as a common or combined log line, RAW otherwise.
 */
enum logread_format logread_sniff(const uint8_t *p, size_t n);

/* Forget any #Fields directive. */
void logread_w3c_init(struct logread_w3c *w);

/*
 * Read a W3C directive line ("#Fields: date time c-ip ...", with or
 * without the trailing newline).  A #Fields directive replaces w;
 * returns true when it did.  Other lines leave w alone.
 */
bool
logread_w3c_directive(struct logread_w3c *w, const uint8_t *line, size_t len);

/*
 * Read the time and client of one log line (without or with its
 * newline).  With w valid the line is read as W3C; otherwise as common
 * or combined when it parses so, else raw (no fields).  Always fills
 * *out; returns the format the line was read with.
 */
enum logread_format logread_line_fields(const struct logread_w3c *w,
    const uint8_t *line, size_t len, struct logread_fields *out);

/* Name of a format: "raw", "w3c", "combined". */
const char *logread_format_name(enum logread_format f);

#endif
