/* Trace reports for people: terminal text and a self-contained HTML page. */
#ifndef EMB_CLI_REPORT_H
#define EMB_CLI_REPORT_H

#include <jansson.h>

/* Print the report (core_trace's JSON) as text: verdict first. */
int report_text(const json_t *rep);

/*
 * Write the report as one self-contained HTML page (inline CSS and SVG,
 * no scripts, nothing fetched) to path, atomically.
 */
int report_html(const json_t *rep, const char *path);

#endif
