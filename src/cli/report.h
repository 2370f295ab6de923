/* Trace reports for people: terminal text and a self-contained HTML page. */
#ifndef EMB_CLI_REPORT_H
#define EMB_CLI_REPORT_H

#include <jansson.h>

/* Print the report (core_trace's JSON) as text: verdict first. */
int report_text(const json_t *rep);

struct cli_out;

/*
 * Write the report as one self-contained HTML page (inline CSS and SVG,
 * no scripts, nothing fetched) to path, atomically, through out (opened
 * with cli_out_open before the trace ran, so a bad path fails early).
 */
int report_html(const json_t *rep, const char *path, struct cli_out *out);

#endif
