#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/emb.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_fini(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_fini_wipe(struct buf *b)
{
	if (b->data != NULL) {
		volatile uint8_t *p = b->data;
		for (size_t i = 0; i < b->cap; i++)
			p[i] = 0;
	}
	buf_fini(b);
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (n > b->max || b->len > b->max - n)
		return EMB_ETOOBIG;
	need = b->len + n + 1; /* room for the terminating NUL */
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return EMB_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int r;

	if ((r = buf_reserve(b, n)) < 0)
		return r;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return EMB_EINVAL;
	if ((r = buf_reserve(b, (size_t)n)) < 0)
		return r;
	va_start(ap, fmt);
	(void)vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

uint8_t *
buf_steal(struct buf *b, size_t *ret_len)
{
	uint8_t *p = b->data;

	if (ret_len != NULL)
		*ret_len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int
buf_read_file(struct buf *b, const char *path)
{
	struct stat st;
	int fd, r = 0;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return EMB_EIO;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		r = EMB_EIO;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > b->max) {
		r = EMB_ETOOBIG;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if ((r = buf_reserve(b, 1)) < 0)
			goto out;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = EMB_EIO;
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (b->len == b->max) {
			/* At the limit: one more byte means too big. */
			uint8_t c;
			ssize_t m;
			do
				m = read(fd, &c, 1);
			while (m < 0 && errno == EINTR);
			if (m != 0) {
				r = m < 0 ? EMB_EIO : EMB_ETOOBIG;
				goto out;
			}
			break;
		}
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';
	r = 0;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}
