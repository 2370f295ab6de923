/* A fixed-size ring buffer of log lines for an embedded status page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_LINES 256
#define LINE_MAX_LEN 160

struct ring {
	char lines[RING_LINES][LINE_MAX_LEN];
	time_t stamps[RING_LINES];
	unsigned head;
	unsigned count;
};

static struct ring status_ring;

void
ring_reset(struct ring *r)
{
	memset(r, 0, sizeof(*r));
}

void
ring_add(struct ring *r, time_t when, const char *fmt, ...)
{
	va_list ap;
	char *slot = r->lines[r->head];

	va_start(ap, fmt);
	vsnprintf(slot, LINE_MAX_LEN, fmt, ap);
	va_end(ap);
	r->stamps[r->head] = when;
	r->head = (r->head + 1) % RING_LINES;
	if (r->count < RING_LINES)
		r->count++;
}

const char *
ring_get(const struct ring *r, unsigned age, time_t *when)
{
	unsigned idx;

	if (age >= r->count)
		return NULL;
	idx = (r->head + RING_LINES - 1 - age) % RING_LINES;
	if (when != NULL)
		*when = r->stamps[idx];
	return r->lines[idx];
}

unsigned
ring_grep(const struct ring *r, const char *needle, unsigned *out,
    unsigned max)
{
	unsigned n = 0;

	for (unsigned age = 0; age < r->count && n < max; age++) {
		const char *line = ring_get(r, age, NULL);

		if (line != NULL && strstr(line, needle) != NULL)
			out[n++] = age;
	}
	return n;
}

int
ring_write_html(const struct ring *r, FILE *f)
{
	char stamp[32];

	if (fputs("<table class=\"log\">\n", f) == EOF)
		return -1;
	for (unsigned age = 0; age < r->count; age++) {
		time_t when;
		const char *line = ring_get(r, age, &when);
		struct tm tm;

		gmtime_r(&when, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "<tr><td>%s</td><td>", stamp);
		for (const char *p = line; *p != '\0'; p++) {
			switch (*p) {
			case '<':
				fputs("&lt;", f);
				break;
			case '>':
				fputs("&gt;", f);
				break;
			case '&':
				fputs("&amp;", f);
				break;
			default:
				fputc(*p, f);
			}
		}
		fputs("</td></tr>\n", f);
	}
	return fputs("</table>\n", f) == EOF ? -1 : 0;
}

int
main(void)
{
	unsigned hits[8];

	ring_reset(&status_ring);
	ring_add(&status_ring, time(NULL), "boot %d", 1);
	ring_add(&status_ring, time(NULL), "link up on %s", "eth0");
	ring_add(&status_ring, time(NULL), "dhcp lease %s", "10.0.0.7");
	printf("%u hits\n", ring_grep(&status_ring, "link", hits, 8));
	return ring_write_html(&status_ring, stdout) == 0 ? 0 : 1;
}
