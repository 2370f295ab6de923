/*
 * Chunked reading of plain and gzip input, and the log line parsers.  See
 * logread.h for the contract.
 *
 * The reader keeps one buffer of `chunk` bytes.  Each call refills it
 * behind the partial line left over from the previous chunk, then hands
 * out everything up to the last newline and keeps the rest for next
 * time.  Input from memory that needs no inflating is handed out in place,
 * without a copy.  A read error or damaged gzip data does not lose what
 * was decoded before it: those bytes are handed out first and the error
 * is returned by the following call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "trace/logread.h"
#include "common/emb.h"

#define GZ_IN_SIZE ((size_t)128 << 10) /* compressed input buffer */
#define W3C_FIELDS_MAX 256 /* fields looked at in a line */

struct logread {
	int fd; /* -1 when reading from memory */
	bool own_fd;
	const uint8_t *mem; /* memory input */
	size_t mem_len, mem_pos;

	uint8_t *buf; /* chunk buffer (NULL for plain memory input) */
	size_t cap;
	size_t carry_off, carry_len; /* partial line kept in buf */

	bool sniffed, gzip;
	bool src_eof; /* the raw source is exhausted */
	bool eof; /* nothing more will be decoded */
	int err; /* error to return once the buffer is drained */

	z_stream zs;
	bool zinit, zmember; /* zs initialised; inside a gzip member */
	uint8_t *in; /* compressed input (fd only) */

	uint64_t in_read; /* raw bytes read from the source */
	uint64_t in_done, in_total, out_done, max_bytes;
};

static int
reader_new(const struct logread_opts *opts, struct logread **ret_r)
{
	struct logread *r;
	size_t chunk = LOGREAD_CHUNK_DEFAULT;

	if (opts != NULL && opts->chunk != 0)
		chunk = opts->chunk;
	if (chunk < LOGREAD_CHUNK_MIN || chunk > LOGREAD_CHUNK_MAX)
		return EMB_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return EMB_ENOMEM;
	r->fd = -1;
	r->cap = chunk;
	r->max_bytes = opts != NULL ? opts->max_bytes : 0;
	*ret_r = r;
	return 0;
}

int
logread_open(
    const char *path, const struct logread_opts *opts, struct logread **ret_r)
{
	struct logread *r = NULL;
	struct stat st;
	int fd, rc;

	if (path == NULL)
		return EMB_EINVAL;
	if ((rc = reader_new(opts, &r)) < 0)
		return rc;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			rc = EMB_EIO;
			goto out;
		}
		r->own_fd = true;
	}
	r->fd = fd;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		rc = EMB_EIO;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		r->in_total = (uint64_t)st.st_size;
	r->buf = malloc(r->cap);
	if (r->buf == NULL) {
		rc = EMB_ENOMEM;
		goto out;
	}
	if (r->own_fd)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*ret_r = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) {
		int e = errno;
		logread_close(r);
		errno = e;
	}
	return rc;
}

int
logread_open_mem(const void *p, size_t n, const struct logread_opts *opts,
    struct logread **ret_r)
{
	struct logread *r;
	int rc;

	if (p == NULL && n > 0)
		return EMB_EINVAL;
	if ((rc = reader_new(opts, &r)) < 0)
		return rc;
	r->mem = p;
	r->mem_len = n;
	r->in_total = n;
	*ret_r = r;
	return 0;
}

void
logread_close(struct logread *r)
{
	if (r == NULL)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	if (r->own_fd)
		close(r->fd);
	free(r->in);
	free(r->buf);
	free(r);
}

bool
logread_at_end(const struct logread *r)
{
	if (r->fd < 0 && !r->gzip)
		return r->mem_pos == r->mem_len ||
		    (r->max_bytes != 0 && r->out_done >= r->max_bytes);
	return r->eof && r->carry_len == 0;
}

bool
logread_is_gzip(const struct logread *r)
{
	return r->gzip;
}

void
logread_progress(
    const struct logread *r, uint64_t *ret_done, uint64_t *ret_total)
{
	*ret_done = r->in_done;
	*ret_total = r->in_total;
}

/* read(2) until n bytes or end of file: the count, or EMB_EIO. */
static ssize_t
read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return EMB_EIO;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Raw bytes from the source into p: the count (0 at the end) or error. */
static ssize_t
source_read(struct logread *r, uint8_t *p, size_t n)
{
	ssize_t k;

	if (r->src_eof)
		return 0;
	if (r->fd < 0) {
		size_t left = r->mem_len - r->mem_pos;
		if (n > left)
			n = left;
		if (n > 0)
			memcpy(p, r->mem + r->mem_pos, n);
		r->mem_pos += n;
		k = (ssize_t)n;
	} else if ((k = read_full(r->fd, p, n)) < 0) {
		return k;
	}
	r->in_read += (uint64_t)k;
	if ((size_t)k < n)
		r->src_eof = true;
	return k;
}

/*
 * Decide whether the input is gzip.  For a file the first bytes are read
 * into buf (plain) or into the compressed input buffer (gzip).
 */
static int
sniff(struct logread *r, size_t *fill)
{
	const uint8_t *head;
	size_t have;
	ssize_t k;

	r->sniffed = true;
	if (r->fd < 0) {
		head = r->mem;
		have = r->mem_len;
	} else {
		k = source_read(r, r->buf, r->cap);
		if (k < 0)
			return (int)k;
		head = r->buf;
		have = (size_t)k;
		*fill = have;
	}
	if (have < 2 || head[0] != 0x1f || head[1] != 0x8b)
		return 0;

	r->gzip = true;
	if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
		return EMB_ENOMEM;
	r->zinit = true;
	r->zmember = true;
	if (r->fd < 0) {
		r->zs.next_in = (Bytef *)r->mem;
		r->zs.avail_in =
		    (uInt)(r->mem_len > UINT_MAX ? UINT_MAX : r->mem_len);
		r->mem_pos = r->zs.avail_in;
		if (r->mem_pos == r->mem_len)
			r->src_eof = true;
		return 0;
	}
	/* Move what was read into the compressed buffer. */
	r->in = malloc(GZ_IN_SIZE > have ? GZ_IN_SIZE : have);
	if (r->in == NULL)
		return EMB_ENOMEM;
	memcpy(r->in, r->buf, have);
	r->zs.next_in = r->in;
	r->zs.avail_in = (uInt)have;
	*fill = 0;
	return 0;
}

/* Refill the compressed input: 0, or an error. */
static int
gz_refill(struct logread *r)
{
	ssize_t k;

	if (r->fd < 0) {
		size_t left = r->mem_len - r->mem_pos;
		size_t n = left > UINT_MAX ? UINT_MAX : left;
		r->zs.next_in = (Bytef *)(r->mem + r->mem_pos);
		r->zs.avail_in = (uInt)n;
		r->mem_pos += n;
		if (r->mem_pos == r->mem_len)
			r->src_eof = true;
		return 0;
	}
	if ((k = source_read(r, r->in, GZ_IN_SIZE)) < 0)
		return (int)k;
	r->zs.next_in = r->in;
	r->zs.avail_in = (uInt)k;
	return 0;
}

/*
 * Inflate into p[0..n): the count decoded.  At the end of the input or on
 * damage sets r->eof (and r->err).
 */
static size_t
gz_fill(struct logread *r, uint8_t *p, size_t n)
{
	int zr, rc;

	r->zs.next_out = p;
	r->zs.avail_out = (uInt)(n > UINT_MAX ? UINT_MAX : n);
	while (r->zs.avail_out > 0) {
		if (r->zs.avail_in == 0) {
			if (r->src_eof) {
				r->eof = true;
				if (r->zmember) /* cut off inside a member */
					r->err = EMB_ECORRUPT;
				break;
			}
			if ((rc = gz_refill(r)) < 0) {
				r->eof = true;
				r->err = rc;
				break;
			}
			continue;
		}
		if (!r->zmember) {
			/*
			 * Another member follows, or trailing bytes that do
			 * not start one (tar padding, garbage): gzip(1)
			 * ignores those with a warning, and so do we.
			 */
			if (r->zs.next_in[0] != 0x1f) {
				r->eof = true;
				break;
			}
			if (inflateReset(&r->zs) != Z_OK) {
				r->eof = true;
				r->err = EMB_ECORRUPT;
				break;
			}
			r->zmember = true;
		}
		zr = inflate(&r->zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			r->zmember = false;
		} else if (zr == Z_MEM_ERROR) {
			r->eof = true;
			r->err = EMB_ENOMEM;
			break;
		} else if (zr != Z_OK &&
		    (zr != Z_BUF_ERROR || r->zs.avail_in > 0)) {
			r->eof = true;
			r->err = EMB_ECORRUPT;
			break;
		}
	}
	if (r->fd < 0)
		r->in_done = r->mem_pos - r->zs.avail_in;
	else
		r->in_done = r->in_read - r->zs.avail_in;
	return n - r->zs.avail_out;
}

/* Plain input from memory, handed out in place. */
static int
next_mem_plain(struct logread *r, const uint8_t **ret_p, size_t *ret_n)
{
	size_t left = r->mem_len - r->mem_pos, n = left;
	const uint8_t *p = r->mem + r->mem_pos;

	if (left == 0)
		return r->err;
	if (r->max_bytes != 0 && r->out_done + n > r->max_bytes) {
		n = (size_t)(r->max_bytes - r->out_done);
		if (n == 0)
			return EMB_ETOOBIG;
	}
	if (n > r->cap) {
		const uint8_t *nl = memrchr(p, '\n', r->cap);
		n = nl != NULL ? (size_t)(nl - p) + 1 : r->cap;
	}
	r->mem_pos += n;
	r->out_done += n;
	r->in_done = r->mem_pos;
	*ret_p = p;
	*ret_n = n;
	return 1;
}

int
logread_next(struct logread *r, const uint8_t **ret_p, size_t *ret_n)
{
	size_t fill = 0, n;
	const uint8_t *nl;
	int rc;

	if (!r->sniffed) {
		if ((rc = sniff(r, &fill)) < 0) {
			r->eof = true;
			r->err = rc;
			return rc;
		}
		if (r->fd >= 0 && !r->gzip) {
			r->in_done = fill;
			r->out_done = fill;
			r->eof = r->src_eof;
		}
	}
	if (r->fd < 0 && !r->gzip)
		return next_mem_plain(r, ret_p, ret_n);
	if (r->buf == NULL && (r->buf = malloc(r->cap)) == NULL)
		return EMB_ENOMEM;

	if (r->carry_len > 0) {
		memmove(r->buf, r->buf + r->carry_off, r->carry_len);
		fill = r->carry_len;
		r->carry_len = 0;
	}
	while (fill < r->cap && !r->eof) {
		size_t before = fill;
		if (r->gzip) {
			fill += gz_fill(r, r->buf + fill, r->cap - fill);
		} else {
			ssize_t k =
			    source_read(r, r->buf + fill, r->cap - fill);
			if (k < 0) {
				r->eof = true;
				r->err = (int)k;
				break;
			}
			fill += (size_t)k;
			r->in_done = r->in_read;
			if (r->src_eof)
				r->eof = true;
		}
		r->out_done += fill - before;
	}
	if (r->max_bytes != 0 && r->out_done > r->max_bytes) {
		uint64_t over = r->out_done - r->max_bytes;
		fill -= (size_t)over; /* over <= what this call added */
		r->out_done = r->max_bytes;
		r->eof = true;
		r->err = EMB_ETOOBIG;
	}
	if (fill == 0)
		return r->err;

	n = fill;
	if (!r->eof && (nl = memrchr(r->buf, '\n', fill)) != NULL) {
		n = (size_t)(nl - r->buf) + 1;
		r->carry_off = n;
		r->carry_len = fill - n;
	}
	*ret_p = r->buf;
	*ret_n = n;
	return 1;
}

/* ---- log formats ---- */

const char *
logread_format_name(enum logread_format f)
{
	switch (f) {
	case LOGREAD_W3C:
		return "w3c";
	case LOGREAD_COMBINED:
		return "combined";
	case LOGREAD_RAW:
		break;
	}
	return "raw";
}

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Strip a trailing "\n" or "\r\n". */
static size_t
chomp(const uint8_t *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

static bool
has_prefix(const uint8_t *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && memcmp(p, pre, k) == 0;
}

/* n decimal digits at p as an integer, or -1. */
static int
digits(const uint8_t *p, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a valid date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
valid_date(int y, int m, int d)
{
	static const int mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int dim;

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		dim = 29;
	return d <= dim;
}

/* "HH:MM:SS" at p: seconds into the day, or -1. */
static int
parse_hms(const uint8_t *p, size_t n)
{
	int h, m, s;

	if (n < 8 || p[2] != ':' || p[5] != ':')
		return -1;
	h = digits(p, 2);
	m = digits(p + 3, 2);
	s = digits(p + 6, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* Copy a client address if it looks like one; else leave out empty. */
static void
copy_client(char out[LOGREAD_CLIENT_MAX], const uint8_t *p, size_t n)
{
	out[0] = '\0';
	if (n == 0 || n >= LOGREAD_CLIENT_MAX || (n == 1 && p[0] == '-'))
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		        (c >= 'A' && c <= 'Z') || c == '.' || c == ':' ||
		        c == '-' || c == '_' || c == '%' || c == '[' ||
		        c == ']'))
			return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

void
logread_w3c_init(struct logread_w3c *w)
{
	w->valid = false;
	w->date = -1;
	w->time = -1;
	w->client = -1;
	w->nfields = 0;
}

/* Whether the field name at p is name (ASCII case-insensitively). */
static bool
field_is(const uint8_t *p, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp((const char *)p, name, n) == 0;
}

bool
logread_w3c_directive(struct logread_w3c *w, const uint8_t *line, size_t len)
{
	static const char pre[] = "#Fields:";
	size_t i, k = 0;

	len = chomp(line, len);
	if (!has_prefix(line, len, pre))
		return false;
	logread_w3c_init(w);
	w->valid = true;
	i = sizeof(pre) - 1;
	while (i < len) {
		size_t s;
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		s = i;
		while (i < len && !is_blank(line[i]))
			i++;
		if (k < W3C_FIELDS_MAX) {
			if (field_is(line + s, i - s, "date"))
				w->date = (int)k;
			else if (field_is(line + s, i - s, "time"))
				w->time = (int)k;
			else if (field_is(line + s, i - s, "c-ip"))
				w->client = (int)k;
		}
		k++;
	}
	w->nfields = k > W3C_FIELDS_MAX ? W3C_FIELDS_MAX : (int)k;
	return true;
}

static void
fields_clear(struct logread_fields *out, enum logread_format f)
{
	out->format = f;
	out->time_ms = LOGREAD_TIME_NONE;
	out->client[0] = '\0';
}

/* A W3C data line: fields separated by blanks. */
static void
w3c_line(const struct logread_w3c *w, const uint8_t *line, size_t len,
    struct logread_fields *out)
{
	const uint8_t *date = NULL, *time = NULL;
	size_t date_n = 0, time_n = 0, i = 0;
	int k = 0;

	fields_clear(out, LOGREAD_W3C);
	if (len > 0 && line[0] == '#')
		return;
	while (i < len && k < w->nfields) {
		size_t s = i;
		while (i < len && !is_blank(line[i]))
			i++;
		if (k == w->date) {
			date = line + s;
			date_n = i - s;
		} else if (k == w->time) {
			time = line + s;
			time_n = i - s;
		} else if (k == w->client) {
			copy_client(out->client, line + s, i - s);
		}
		k++;
		if (i < len)
			i++; /* one separator per field: empty fields count */
	}
	if (date != NULL && time != NULL && date_n == 10 && date[4] == '-' &&
	    date[7] == '-') {
		int y = digits(date, 4), m = digits(date + 5, 2),
		    d = digits(date + 8, 2), sec = parse_hms(time, time_n);
		int ms = 0;
		if (time_n >= 10 && time[8] == '.') {
			/* fraction: up to milliseconds */
			int scale = 100;
			for (size_t j = 9; j < time_n && j < 12; j++) {
				if (time[j] < '0' || time[j] > '9') {
					sec = -1;
					break;
				}
				ms += (time[j] - '0') * scale;
				scale /= 10;
			}
		} else if (time_n != 8) {
			sec = -1;
		}
		if (sec >= 0 && valid_date(y, m, d))
			out->time_ms =
			    (days_from_civil(y, m, d) * 86400 + sec) * 1000 +
			    ms;
	}
}

static int
month_of(const uint8_t *p)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

	for (int i = 0; i < 12; i++)
		if (strncasecmp((const char *)p, names + 3 * i, 3) == 0)
			return i + 1;
	return -1;
}

/*
 * "dd/Mon/yyyy:hh:mm:ss +zzzz" (26 bytes) as UTC milliseconds, or
 * LOGREAD_TIME_NONE.
 */
static int64_t
clf_time(const uint8_t *p, size_t n)
{
	int d, m, y, sec, oh, om, off;

	if (n != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' ||
	    p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return LOGREAD_TIME_NONE;
	d = digits(p, 2);
	m = month_of(p + 3);
	y = digits(p + 7, 4);
	sec = parse_hms(p + 12, 8);
	oh = digits(p + 22, 2);
	om = digits(p + 24, 2);
	if (sec < 0 || oh < 0 || oh > 23 || om < 0 || om > 59 ||
	    !valid_date(y, m, d))
		return LOGREAD_TIME_NONE;
	off = (oh * 60 + om) * 60;
	if (p[21] == '-')
		off = -off;
	return (days_from_civil(y, m, d) * 86400 + sec - off) * 1000;
}

/*
 * A common/combined line: host ident user [time] "request" ...  Returns
 * whether it parsed; fills out only then.
 */
static bool
clf_line(const uint8_t *line, size_t len, struct logread_fields *out)
{
	size_t i = 0, host_n, t;
	int64_t ms;

	while (i < len && line[i] != ' ')
		i++;
	host_n = i;
	if (host_n == 0 || host_n >= LOGREAD_CLIENT_MAX)
		return false;
	for (int f = 0; f < 2; f++) { /* ident, user */
		if (i >= len || line[i] != ' ')
			return false;
		i++;
		t = i;
		while (i < len && line[i] != ' ')
			i++;
		if (i == t)
			return false;
	}
	if (len - i < 2 + 26 + 3 || line[i] != ' ' || line[i + 1] != '[')
		return false;
	i += 2;
	if (line[i + 26] != ']' || line[i + 27] != ' ' || line[i + 28] != '"')
		return false;
	if ((ms = clf_time(line + i, 26)) == LOGREAD_TIME_NONE)
		return false;
	fields_clear(out, LOGREAD_COMBINED);
	copy_client(out->client, line, host_n);
	if (out->client[0] == '\0')
		return false;
	out->time_ms = ms;
	return true;
}

enum logread_format
logread_line_fields(const struct logread_w3c *w, const uint8_t *line,
    size_t len, struct logread_fields *out)
{
	len = chomp(line, len);
	if (w != NULL && w->valid) {
		w3c_line(w, line, len, out);
		return LOGREAD_W3C;
	}
	if (clf_line(line, len, out))
		return LOGREAD_COMBINED;
	fields_clear(out, LOGREAD_RAW);
	return LOGREAD_RAW;
}

enum logread_format
logread_sniff(const uint8_t *p, size_t n)
{
	static const char *const directives[] = {"#Software:", "#Version:",
	    "#Date:", "#Fields:", "#Start-Date:", "#End-Date:", "#Remark:"};
	struct logread_fields f;
	const uint8_t *nl;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3; /* UTF-8 byte order mark */
		n -= 3;
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(directives); i++)
		if (has_prefix(p, n, directives[i]))
			return LOGREAD_W3C;
	nl = memchr(p, '\n', n);
	if (clf_line(p, nl != NULL ? (size_t)(nl - p) : n, &f))
		return LOGREAD_COMBINED;
	return LOGREAD_RAW;
}
