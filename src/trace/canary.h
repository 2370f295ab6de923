/*
 * Canary scan: find every partner's canary tokens in samples and logs.
 *
 * A canary token (mark.h) is 96 to 122 secret bits per (artifact,
 * partner) written in a format chosen by the PoC author.  Whoever runs a
 * leaked copy sends it along (a User-Agent, a host name, a query string),
 * so it turns up in web server logs, proxy logs and captured scripts,
 * often re-encoded.  The scanner looks for each token's distinctive part
 * in every form in which it is likely to travel: as is (ASCII case
 * ignored, since hex and base32 are case-free and logs upper-case GUIDs),
 * fully percent-encoded, inside base64 or base64url text, as UTF-16LE,
 * and inside base64 of UTF-16LE (PowerShell -EncodedCommand).
 *
 * All patterns go into one Vectorscan (Hyperscan API) database of
 * literals compiled for streaming mode, so input of any size is read in
 * bounded chunks and a token split across two chunks is still found.  A
 * scanner counts lines as it goes (only the newlines before each hit and
 * at the end of each chunk are counted, in one vectorised pass) and
 * reports each hit with the input's name, the line, the byte offset of
 * the token in the decoded input and the pattern's partner, artifact and
 * form.  When the hit's line is a W3C (IIS) or common/combined
 * (Apache, nginx) log line, its time and client address are reported
 * too; a "#Fields:" directive anywhere in the input is found by the same
 * database, so W3C layouts are followed as they change.
 *
 * Memory is bounded by the chunk size, Vectorscan's fixed stream state
 * and scratch, and the pattern tables; nothing is allocated per hit.
 * Only this file and canary.c include <hs/hs.h>.
 */
#ifndef EMB_TRACE_CANARY_H
#define EMB_TRACE_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "mark/site.h"
#include "trace/logread.h"

#define CANARY_PATTERN_MAX 512 /* bytes in one pattern */
#define CANARY_PATTERNS_MAX ((size_t)1 << 22) /* patterns in one set */

/* How a token appears in the input. */
enum canary_form {
	CANARY_FORM_PLAIN, /* as rendered */
	CANARY_FORM_URL, /* every byte as %XX */
	CANARY_FORM_BASE64, /* inside base64 / base64url text */
	CANARY_FORM_UTF16LE, /* UTF-16LE */
	CANARY_FORM_UTF16LE_BASE64, /* inside base64 of UTF-16LE */
	CANARY_FORM_COUNT
};

#define CANARY_FORMS_ALL ((1u << CANARY_FORM_COUNT) - 1)

/* One token found. */
struct canary_hit {
	const char *name; /* the input's name, as given (borrowed) */
	/*
	 * Where the matched pattern starts in the decoded input (for the
	 * base64 forms: the first character that encodes only token bits),
	 * and the 1-based line of that byte.
	 */
	uint64_t line;
	uint64_t offset;
	uint32_t partner; /* as given to canary_set_add* */
	uint32_t artifact; /* as given to canary_set_add* */
	enum canary_form form;
	/*
	 * The whole line, without its newline, valid during the callback;
	 * NULL when the line was not whole in the chunk or piece scanned
	 * (a line longer than the chunk buffer).  Hostile bytes.
	 */
	const uint8_t *line_text;
	size_t line_len;
	struct logread_fields log; /* time and client, when the line says */
};

/* Called for every hit; a non-zero return stops the scan. */
typedef int canary_hit_fn(const struct canary_hit *hit, void *arg);

/* Called after every chunk: input bytes done and total (0: unknown). */
typedef void canary_progress_fn(uint64_t done, uint64_t total, void *arg);

struct canary_set; /* patterns being collected */
struct canary_db; /* compiled, immutable; may be shared by threads */
struct canary_scanner; /* one per thread: scratch and stream state */

/* What a scanner has seen since it was created. */
struct canary_stats {
	uint64_t inputs; /* inputs begun */
	uint64_t bytes; /* decoded bytes scanned */
	uint64_t lines; /* lines, counting a last unterminated one */
	uint64_t hits; /* hits reported */
};

/* Options for canary_scan_file and canary_scan_mem; NULL = defaults. */
struct canary_opts {
	size_t chunk; /* read buffer; 0 = LOGREAD_CHUNK_DEFAULT */
	uint64_t max_bytes; /* per input; 0 = no limit */
	canary_progress_fn *progress;
	void *progress_arg;
};

/* A new empty pattern set: 0 or EMB_ENOMEM. */
int canary_set_new(struct canary_set **ret_set) EMB_MUST_USE;

/* Free a set; accepts NULL. */
void canary_set_free(struct canary_set *set);

/* Number of patterns in the set. */
size_t canary_set_count(const struct canary_set *set);

/*
 * Add one literal pattern (len bytes, any values, copied) that reports
 * partner, artifact and form; caseless ignores ASCII case.  EMB_EINVAL
 * for an empty pattern or one over CANARY_PATTERN_MAX bytes, EMB_ETOOBIG
 * past CANARY_PATTERNS_MAX, EMB_ENOMEM.  Nothing is added on failure.
 */
int canary_set_add(struct canary_set *set, const void *pat, size_t len,
    uint32_t partner, uint32_t artifact, enum canary_form form,
    bool caseless) EMB_MUST_USE;

/*
 * Add token (len bytes) in each form whose bit (1u << CANARY_FORM_x) is
 * in forms: plain, URL and UTF-16LE caseless when caseless is set;
 * base64 as the stable middle of its encoding at each of the three byte
 * alignments, in the standard and (where different) the URL-safe
 * alphabet.  Tokens must be 4..CANARY_PATTERN_MAX / 6 bytes.  Returns the
 * number of patterns added, or an error as canary_set_add (then nothing
 * is added).
 */
int canary_set_add_token(struct canary_set *set, const void *token, size_t len,
    uint32_t partner, uint32_t artifact, unsigned forms,
    bool caseless) EMB_MUST_USE;

/*
 * The part of a token rendered by mark_canary_token in format fmt that
 * the scanner looks for: the 20 base32 letters after "rid/" of a
 * User-Agent, the whole token for the other formats.  EMB_EINVAL when tok
 * does not have the format's shape.
 */
int canary_token_core(enum mark_canary_fmt fmt, const char *tok, size_t len,
    size_t *ret_off, size_t *ret_len) EMB_MUST_USE;

/*
 * Add a token rendered by mark_canary_token in format fmt: its core
 * (canary_token_core) in every form, caselessly.  Returns the number of
 * patterns added or an error.
 */
int canary_set_add_rendered(struct canary_set *set, enum mark_canary_fmt fmt,
    const char *tok, size_t len, uint32_t partner,
    uint32_t artifact) EMB_MUST_USE;

/*
 * Compile the set (which stays the caller's) into a streaming database.
 * A set may be empty.  EMB_ENOMEM, or EMB_EINVAL with Vectorscan's reason
 * in *err (which may be NULL) when it refuses the patterns or this CPU.
 */
int canary_db_build(const struct canary_set *set, struct canary_db **ret_db,
    struct emb_error *err) EMB_MUST_USE;

/*
 * Append db in a portable-between-runs form to out, so that an application
 * can cache it (Vectorscan compiles tens of thousands of patterns in
 * seconds, and loads them in milliseconds).  EMB_ENOMEM, EMB_ETOOBIG.
 */
int
canary_db_serialize(const struct canary_db *db, struct buf *out) EMB_MUST_USE;

/*
 * A database from n bytes written by canary_db_serialize (on a machine
 * with the same Vectorscan and CPU features).  EMB_ECORRUPT when the bytes
 * are not such a database, EMB_EVERSION when Vectorscan refuses them for
 * this library or CPU (rebuild from the set then), EMB_ENOMEM.
 */
int canary_db_deserialize(
    const void *p, size_t n, struct canary_db **ret_db) EMB_MUST_USE;

/* Free a database; accepts NULL.  Free its scanners first. */
void canary_db_free(struct canary_db *db);

/*
 * Number of token patterns compiled.  Patterns that contain another of
 * the same partner, artifact and form add nothing and are dropped: the
 * token formats of mark_canary_token share their secret, so a host name
 * label holds the base32 token and a User-Agent's core is that token;
 * the shorter pattern is the one reported.
 */
size_t canary_db_count(const struct canary_db *db);

/* Bytes of the compiled database (for reports). */
size_t canary_db_size(const struct canary_db *db);

/*
 * A scanner for db (borrowed; must outlive it) that reports hits to
 * on_hit(hit, arg).  EMB_ENOMEM.
 */
int canary_scanner_new(const struct canary_db *db, canary_hit_fn *on_hit,
    void *arg, struct canary_scanner **ret_sc) EMB_MUST_USE;

/* Free a scanner (and any open input); accepts NULL. */
void canary_scanner_free(struct canary_scanner *sc);

/* Totals since the scanner was created. */
void canary_scanner_stats(
    const struct canary_scanner *sc, struct canary_stats *ret_stats);

/*
 * Streaming by hand: begin an input called name (borrowed until end),
 * feed its bytes in pieces of any size, end it.  Line numbers and offsets
 * count from the begin.  feed returns 0, the non-zero value of on_hit that
 * stopped it (the input is then over: call end), or EMB_ENOMEM.  An input
 * begun while another is open ends that one first.
 */
int canary_scan_begin(struct canary_scanner *sc, const char *name) EMB_MUST_USE;
int canary_scan_feed(
    struct canary_scanner *sc, const void *p, size_t n) EMB_MUST_USE;
int canary_scan_end(struct canary_scanner *sc) EMB_MUST_USE;

/*
 * The layout sniffed from the current (or last) input's first bytes; W3C
 * as soon as a #Fields directive was seen.
 */
enum logread_format canary_scan_format(const struct canary_scanner *sc);

/*
 * Scan the file at path ("-": standard input), plain or gzip, reporting
 * hits under the name path.  0, the non-zero return of on_hit that stopped
 * it, or an error of logread_open / logread_next (what was read before a
 * read error or gzip damage has been scanned and reported).
 */
int canary_scan_file(struct canary_scanner *sc, const char *path,
    const struct canary_opts *opts) EMB_MUST_USE;

/* Scan n bytes at p (plain or gzip) as canary_scan_file does. */
int canary_scan_mem(struct canary_scanner *sc, const char *name, const void *p,
    size_t n, const struct canary_opts *opts) EMB_MUST_USE;

/* Name of a form: "plain", "url", "base64", "utf16le", "utf16le-base64". */
const char *canary_form_name(enum canary_form form);

#endif
