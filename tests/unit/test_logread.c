/*
 * The log reader: chunks end at lines and add up to the input, plain or
 * gzip (one or more members), from a file or memory; damage and limits
 * are reported after the good bytes; the W3C and common/combined field
 * parsers read what they should and nothing from garbage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "test.h"
#include "common/buf.h"
#include "trace/logread.h"
#include "common/emb.h"

static uint64_t rng = 0x10c;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Lines of random length (some longer than a chunk), maybe no last \n. */
static void
make_text(struct buf *b, size_t lines, bool final_nl)
{
	buf_init(b, (size_t)1 << 28);
	for (size_t i = 0; i < lines; i++) {
		size_t len = i % 97 == 50 ? 10000 + rnd() % 5000 : rnd() % 300;
		for (size_t k = 0; k < len; k++) {
			char c = (char)('a' + rnd() % 26);
			assert_int_equal(buf_append(b, &c, 1), 0);
		}
		if (i + 1 < lines || final_nl)
			assert_int_equal(buf_append(b, "\n", 1), 0);
	}
}

static void
gzip_buf(const uint8_t *p, size_t n, struct buf *out, int members)
{
	size_t done = 0;

	buf_init(out, (size_t)1 << 28);
	for (int k = 0; k < members; k++) {
		z_stream zs;
		size_t len = k + 1 == members ? n - done : n / (size_t)members;
		uint8_t tmp[65536];
		int zr;
		memset(&zs, 0, sizeof(zs));
		assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
		                     Z_DEFAULT_STRATEGY),
		    Z_OK);
		zs.next_in = (Bytef *)(p + done);
		zs.avail_in = (uInt)len;
		do {
			zs.next_out = tmp;
			zs.avail_out = sizeof(tmp);
			zr = deflate(&zs, Z_FINISH);
			assert_true(zr == Z_OK || zr == Z_STREAM_END);
			assert_int_equal(
			    buf_append(out, tmp, sizeof(tmp) - zs.avail_out),
			    0);
		} while (zr != Z_STREAM_END);
		deflateEnd(&zs);
		done += len;
	}
}

static void
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/*
 * Read everything from r: the chunks must add up to want (want_n bytes),
 * each but the last end with '\n' unless it is a full buffer, and the
 * reader must end with end_rc.
 */
static void
drain(struct logread *r, const uint8_t *want, size_t want_n, size_t chunk,
    int end_rc)
{
	const uint8_t *p;
	size_t n, got = 0;
	int k, chunks = 0;

	while ((k = logread_next(r, &p, &n)) > 0) {
		bool at_end = logread_at_end(r);
		assert_true(n > 0 && n <= chunk);
		assert_true(got + n <= want_n);
		assert_memory_equal(p, want + got, n);
		got += n;
		chunks++;
		if (!at_end)
			assert_true(p[n - 1] == '\n' || n == chunk);
		else
			assert_int_equal(got, want_n);
	}
	assert_int_equal(k, end_rc);
	assert_int_equal(got, want_n);
	/* The end is sticky. */
	assert_int_equal(logread_next(r, &p, &n), end_rc);
	if (want_n > 3 * chunk)
		assert_true(chunks > 2);
}

static void
test_plain_and_gzip(void **state)
{
	struct logread_opts o = {.chunk = LOGREAD_CHUNK_MIN};
	char path[] = "/tmp/test_logread_XXXXXX";
	struct logread *r;
	struct buf t, z;
	uint64_t done, total;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (int final_nl = 0; final_nl < 2; final_nl++) {
		make_text(&t, 2000, final_nl);
		for (int members = 0; members <= 3; members++) {
			const uint8_t *in = t.data;
			size_t in_n = t.len;
			if (members > 0) {
				gzip_buf(t.data, t.len, &z, members);
				in = z.data;
				in_n = z.len;
			}
			write_file(path, in, in_n);
			assert_int_equal(logread_open(path, &o, &r), 0);
			drain(r, t.data, t.len, o.chunk, 0);
			assert_int_equal(logread_is_gzip(r), members > 0);
			logread_progress(r, &done, &total);
			assert_int_equal(done, in_n);
			assert_int_equal(total, in_n);
			logread_close(r);

			assert_int_equal(logread_open_mem(in, in_n, &o, &r), 0);
			drain(r, t.data, t.len, o.chunk, 0);
			logread_progress(r, &done, &total);
			assert_int_equal(done, in_n);
			logread_close(r);
			if (members > 0)
				buf_fini(&z);
		}
		buf_fini(&t);
	}
	unlink(path);
}

/* gzip(1) ignores trailing zeros; damage reports after the good bytes. */
static void
test_gzip_damage(void **state)
{
	struct logread_opts o = {.chunk = 65536};
	struct logread *r;
	struct buf t, z;
	const uint8_t *p;
	size_t n, got = 0;
	int k;

	(void)state;
	make_text(&t, 3000, true);
	gzip_buf(t.data, t.len, &z, 2);
	assert_int_equal(buf_append(&z, "\0\0\0\0\0\0\0\0", 8), 0);
	assert_int_equal(logread_open_mem(z.data, z.len, &o, &r), 0);
	drain(r, t.data, t.len, o.chunk, 0);
	logread_close(r);

	/* Truncated: a prefix of the text, then EMB_ECORRUPT. */
	assert_int_equal(logread_open_mem(z.data, z.len / 2, &o, &r), 0);
	while ((k = logread_next(r, &p, &n)) > 0) {
		assert_memory_equal(p, t.data + got, n);
		got += n;
	}
	assert_int_equal(k, EMB_ECORRUPT);
	assert_true(got > t.len / 4 && got < t.len);
	logread_close(r);

	/* A flipped byte in the deflate data. */
	z.data[z.len / 3] ^= 0x55;
	assert_int_equal(logread_open_mem(z.data, z.len, &o, &r), 0);
	got = 0;
	while ((k = logread_next(r, &p, &n)) > 0)
		got += n;
	assert_int_equal(k, EMB_ECORRUPT);
	logread_close(r);

	/* The magic alone. */
	assert_int_equal(logread_open_mem("\x1f\x8b", 2, &o, &r), 0);
	assert_int_equal(logread_next(r, &p, &n), EMB_ECORRUPT);
	assert_true(logread_is_gzip(r));
	logread_close(r);
	buf_fini(&z);
	buf_fini(&t);
}

static void
test_limits(void **state)
{
	struct logread_opts o = {.chunk = 8192, .max_bytes = 100000};
	struct logread *r;
	struct buf t, z;
	char path[] = "/tmp/test_logread_XXXXXX";
	const uint8_t *p;
	size_t n;
	int fd;

	(void)state;
	make_text(&t, 3000, true);
	gzip_buf(t.data, t.len, &z, 1);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* Exactly max_bytes are handed out, then EMB_ETOOBIG. */
	assert_int_equal(logread_open_mem(t.data, t.len, &o, &r), 0);
	drain(r, t.data, 100000, o.chunk, EMB_ETOOBIG);
	logread_close(r);
	assert_int_equal(logread_open_mem(z.data, z.len, &o, &r), 0);
	drain(r, t.data, 100000, o.chunk, EMB_ETOOBIG);
	logread_close(r);
	write_file(path, t.data, t.len);
	assert_int_equal(logread_open(path, &o, &r), 0);
	drain(r, t.data, 100000, o.chunk, EMB_ETOOBIG);
	logread_close(r);
	/* At the limit exactly is fine. */
	o.max_bytes = t.len;
	assert_int_equal(logread_open(path, &o, &r), 0);
	drain(r, t.data, t.len, o.chunk, 0);
	logread_close(r);

	/* Bad options and paths. */
	o.chunk = 100;
	assert_int_equal(logread_open_mem(t.data, t.len, &o, &r), EMB_EINVAL);
	o.chunk = LOGREAD_CHUNK_MAX + 1;
	assert_int_equal(logread_open(path, &o, &r), EMB_EINVAL);
	assert_int_equal(logread_open("/nonexistent/x", NULL, &r), EMB_EIO);
	assert_int_equal(logread_open("/tmp", NULL, &r), EMB_EIO);
	assert_int_equal(logread_open_mem(NULL, 1, NULL, &r), EMB_EINVAL);

	/* Empty input. */
	assert_int_equal(logread_open_mem("", 0, NULL, &r), 0);
	assert_int_equal(logread_next(r, &p, &n), 0);
	logread_close(r);
	write_file(path, t.data, 0);
	assert_int_equal(logread_open(path, NULL, &r), 0);
	assert_int_equal(logread_next(r, &p, &n), 0);
	logread_close(r);
	logread_close(NULL);
	unlink(path);
	buf_fini(&z);
	buf_fini(&t);
}

/* A pipe: no size, read until the end. */
static void
test_stdin_pipe(void **state)
{
	struct logread *r;
	struct buf t;
	int fds[2], saved;
	pid_t pid;
	uint64_t done, total;

	(void)state;
	make_text(&t, 500, true);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t off = 0;
		close(fds[0]);
		while (off < t.len) {
			size_t k = t.len - off < 777 ? t.len - off : 777;
			if (write(fds[1], t.data + off, k) != (ssize_t)k)
				_exit(1);
			off += k;
		}
		_exit(0);
	}
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	assert_true(dup2(fds[0], STDIN_FILENO) >= 0);
	close(fds[0]);
	assert_int_equal(logread_open("-", NULL, &r), 0);
	drain(r, t.data, t.len, LOGREAD_CHUNK_DEFAULT, 0);
	logread_progress(r, &done, &total);
	assert_int_equal(done, t.len);
	assert_int_equal(total, 0);
	logread_close(r);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	buf_fini(&t);
}

static void
test_sniff(void **state)
{
	const char *w3c = "#Software: Microsoft Internet Information "
	                  "Services 10.0\r\n#Version: 1.0\r\n";
	const char *clf = "192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] "
	                  "\"GET /a.gif HTTP/1.0\" 200 2326\n";

	(void)state;
	assert_int_equal(
	    logread_sniff((const uint8_t *)w3c, strlen(w3c)), LOGREAD_W3C);
	assert_int_equal(logread_sniff((const uint8_t *)"\xef\xbb\xbf#Fields: "
	                                                "date",
	                     13),
	    LOGREAD_W3C);
	assert_int_equal(
	    logread_sniff((const uint8_t *)clf, strlen(clf)), LOGREAD_COMBINED);
	assert_int_equal(
	    logread_sniff((const uint8_t *)"hello\n", 6), LOGREAD_RAW);
	assert_int_equal(logread_sniff((const uint8_t *)"", 0), LOGREAD_RAW);
	assert_int_equal(
	    logread_sniff((const uint8_t *)"#Field", 6), LOGREAD_RAW);
	assert_string_equal(logread_format_name(LOGREAD_W3C), "w3c");
	assert_string_equal(logread_format_name(LOGREAD_COMBINED), "combined");
	assert_string_equal(logread_format_name(LOGREAD_RAW), "raw");
}

static enum logread_format
fields(
    const struct logread_w3c *w, const char *line, struct logread_fields *out)
{
	return logread_line_fields(w, (const uint8_t *)line, strlen(line), out);
}

static bool
directive(struct logread_w3c *w, const char *line)
{
	return logread_w3c_directive(w, (const uint8_t *)line, strlen(line));
}

static void
test_w3c(void **state)
{
	struct logread_w3c w;
	struct logread_fields f;
	/* 2021-03-02 17:00:05 UTC */
	const int64_t t0 = (INT64_C(18688) * 86400 + 17 * 3600 + 5) * 1000;

	(void)state;
	logread_w3c_init(&w);
	assert_false(w.valid);
	assert_false(directive(&w, "#Version: 1.0"));
	assert_false(w.valid);
	assert_true(directive(&w,
	    "#Fields: date time s-ip cs-method "
	    "cs-uri-stem c-ip cs(User-Agent)\r\n"));
	assert_true(w.valid);
	assert_int_equal(w.date, 0);
	assert_int_equal(w.time, 1);
	assert_int_equal(w.client, 5);
	assert_int_equal(w.nfields, 7);

	assert_int_equal(fields(&w,
	                     "2021-03-02 17:00:05 10.0.0.1 GET / "
	                     "198.51.100.7 curl/8.0\r\n",
	                     &f),
	    LOGREAD_W3C);
	assert_true(f.time_ms == t0);
	assert_string_equal(f.client, "198.51.100.7");
	/* Fractions, IPv6, tabs. */
	assert_int_equal(fields(&w,
	                     "2021-03-02\t17:00:05.25\tx\tGET\t/\t"
	                     "2001:db8::1\tua",
	                     &f),
	    LOGREAD_W3C);
	assert_true(f.time_ms == t0 + 250);
	assert_string_equal(f.client, "2001:db8::1");
	/* A "-" client, a bad date, a short line, a directive. */
	fields(&w, "2021-02-30 17:00:05 x GET / - ua", &f);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	assert_string_equal(f.client, "");
	fields(&w, "2021-03-02 25:00:00 x GET / 1.2.3.4", &f);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	assert_string_equal(f.client, "1.2.3.4");
	fields(&w, "2021-03-02", &f);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	assert_string_equal(f.client, "");
	fields(&w, "#Date: 2021-03-02 17:00:05", &f);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	/* A client that is not an address is left out. */
	fields(&w, "2021-03-02 17:00:05 x GET / <script> ua", &f);
	assert_string_equal(f.client, "");
	fields(&w,
	    "2021-03-02 17:00:05 x GET / "
	    "0123456789012345678901234567890123456789012345678901234567"
	    "89012345 ua",
	    &f);
	assert_string_equal(f.client, "");

	/* Another layout replaces the first; no date means no time. */
	assert_true(directive(&w, "#Fields: c-ip time"));
	assert_int_equal(w.date, -1);
	assert_int_equal(w.client, 0);
	fields(&w, "192.0.2.9 17:00:05", &f);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	assert_string_equal(f.client, "192.0.2.9");
	assert_true(directive(&w, "#Fields:"));
	assert_int_equal(w.nfields, 0);
	fields(&w, "192.0.2.9 17:00:05", &f);
	assert_string_equal(f.client, "");
}

static void
test_combined(void **state)
{
	struct logread_fields f;
	/* 2000-10-10 20:55:36 UTC */
	const int64_t t0 =
	    (INT64_C(11240) * 86400 + 20 * 3600 + 55 * 60 + 36) * 1000;

	(void)state;
	assert_int_equal(fields(NULL,
	                     "192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] "
	                     "\"GET /a.gif HTTP/1.0\" 200 2326 "
	                     "\"http://example.com/\" \"Mozilla/4.08\"\n",
	                     &f),
	    LOGREAD_COMBINED);
	assert_true(f.time_ms == t0);
	assert_string_equal(f.client, "192.0.2.1");
	assert_int_equal(fields(NULL,
	                     "2001:db8::2 - - [11/Oct/2000:03:55:36 +0700] "
	                     "\"GET / HTTP/1.1\" 404 0",
	                     &f),
	    LOGREAD_COMBINED);
	assert_true(f.time_ms == t0);
	assert_string_equal(f.client, "2001:db8::2");
	/* Not quite. */
	assert_int_equal(fields(NULL,
	                     "192.0.2.1 - - [10/Foo/2000:13:55:36 -0700] "
	                     "\"GET / HTTP/1.0\" 200 1",
	                     &f),
	    LOGREAD_RAW);
	assert_true(f.time_ms == LOGREAD_TIME_NONE);
	assert_string_equal(f.client, "");
	assert_int_equal(
	    fields(NULL, "192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] GET", &f),
	    LOGREAD_RAW);
	assert_int_equal(fields(NULL,
	                     "192.0.2.1 - - [29/Feb/2001:13:55:36 -0700] "
	                     "\"GET / HTTP/1.0\" 200 1",
	                     &f),
	    LOGREAD_RAW);
	assert_int_equal(fields(NULL,
	                     "<x> - - [10/Oct/2000:13:55:36 -0700] "
	                     "\"GET / HTTP/1.0\" 200 1",
	                     &f),
	    LOGREAD_RAW);
	assert_int_equal(fields(NULL, "", &f), LOGREAD_RAW);
	assert_int_equal(fields(NULL, " - - [", &f), LOGREAD_RAW);
	/* With a W3C layout in force, lines are read as W3C. */
	{
		struct logread_w3c w;
		logread_w3c_init(&w);
		assert_true(directive(&w, "#Fields: c-ip"));
		assert_int_equal(fields(&w,
		                     "192.0.2.1 - - [10/Oct/2000:13:55:36 "
		                     "-0700] \"GET / HTTP/1.0\" 200 1",
		                     &f),
		    LOGREAD_W3C);
		assert_string_equal(f.client, "192.0.2.1");
	}
}

/* Random bytes through the parsers: bounded, and no crash. */
static void
test_garbage(void **state)
{
	uint8_t b[512];
	struct logread_w3c w;
	struct logread_fields f;

	(void)state;
	logread_w3c_init(&w);
	for (int i = 0; i < 20000; i++) {
		size_t n = rnd() % sizeof(b);
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t) " -[]/:\"#F0a\n"[rnd() % 12];
		if (i % 3 == 0 && n > 8)
			memcpy(b, "#Fields:", 8);
		(void)logread_w3c_directive(&w, b, n);
		(void)logread_line_fields(i % 2 ? &w : NULL, b, n, &f);
		assert_true(strlen(f.client) < LOGREAD_CLIENT_MAX);
		(void)logread_sniff(b, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_and_gzip),
	    cmocka_unit_test(test_gzip_damage),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_stdin_pipe),
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_w3c),
	    cmocka_unit_test(test_combined),
	    cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
