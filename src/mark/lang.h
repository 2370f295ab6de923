/*
 * Site discovery, one module per language family, behind one interface:
 * each function reads set->text and adds sites to set (it never
 * finalises).  All are pure, bounded and must stay safe on any bytes at
 * all (they are fuzzed): a text they cannot make sense of simply yields
 * fewer sites.  They add their most valuable (robust) sites first, so
 * overlaps are resolved in the robust sites' favour.
 */
#ifndef EMB_MARK_LANG_H
#define EMB_MARK_LANG_H

#include "mark/site.h"

enum mark_lang {
	MARK_LANG_BINARY, /* not text: verbatim copies only */
	MARK_LANG_PROSE, /* Markdown and plain-text advisories */
	MARK_LANG_PYTHON,
	MARK_LANG_POWERSHELL,
	MARK_LANG_C, /* C, C++, C#, Java, JavaScript */
	MARK_LANG_SHELL, /* POSIX sh and bash */
	MARK_LANG_YARA,
	MARK_LANG_SURICATA, /* Snort and Suricata rules */
	MARK_LANG_COUNT
};

/* Short name ("python", "c", ...) and back (EMB_EINVAL if unknown). */
const char *mark_lang_name(enum mark_lang lang);
int mark_lang_parse(const char *name, enum mark_lang *ret) EMB_MUST_USE;

/*
 * Guess the language from the file name and the first bytes (shebang,
 * keywords); MARK_LANG_BINARY for anything that is not UTF-8 text.
 */
enum mark_lang
mark_lang_detect(const char *name, const uint8_t *text, size_t len);

/*
 * Template markers written by the author: @@mark:A|B|C@@ (2-8 equivalent
 * variants), @@canary@@ and @@canary:FORMAT@@ (hex, base32, uuid, ua,
 * hostname), and @@@@ for a literal @@.  Other @@ are left alone.  A
 * malformed marker is an error (EMB_EINVAL, with the line in *err): it
 * would otherwise reach partners verbatim.
 */
int mark_template(struct mark_set *set, struct emb_error *err) EMB_MUST_USE;

/* Automatic discovery for one language. */
int mark_lang_python(struct mark_set *set) EMB_MUST_USE;
int mark_lang_powershell(struct mark_set *set) EMB_MUST_USE;
int mark_lang_c(struct mark_set *set) EMB_MUST_USE;
int mark_lang_shell(struct mark_set *set) EMB_MUST_USE;
int mark_lang_prose(struct mark_set *set) EMB_MUST_USE;
int mark_lang_yara(struct mark_set *set) EMB_MUST_USE;
int mark_lang_suricata(struct mark_set *set) EMB_MUST_USE;

/* Dispatch to the function for lang (nothing for BINARY). */
int mark_lang_discover(enum mark_lang lang, struct mark_set *set) EMB_MUST_USE;

#endif
