#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "common/buf.h"
#include "common/emb.h"

static void
test_append_and_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_int_equal(buf_append_str(&b, "world"), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "helloworld");
	/* One byte over the maximum fails and changes nothing. */
	assert_int_equal(buf_append(&b, "!", 1), EMB_ETOOBIG);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "helloworld");
	assert_int_equal(buf_append(&b, "", 0), 0);
	buf_fini(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_overflowing_reserve(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), EMB_ETOOBIG);
	buf_fini(&b);
}

static void
test_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "abc"), 0);
	assert_string_equal((char *)b.data, "42-abc");
	assert_int_equal(buf_printf(&b, "%s", "0123456789abcdef"), EMB_ETOOBIG);
	assert_string_equal((char *)b.data, "42-abc");
	buf_fini_wipe(&b);
}

static void
test_steal(void **state)
{
	struct buf b;
	uint8_t *p;
	size_t n;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_append_str(&b, "abc"), 0);
	p = buf_steal(&b, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	assert_null(b.data);
	free(p);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/embargo-test-XXXXXX";
	struct buf b;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);

	buf_init(&b, 10);
	assert_int_equal(buf_read_file(&b, path), 0);
	assert_int_equal(b.len, 10);
	buf_fini(&b);

	buf_init(&b, 9);
	assert_int_equal(buf_read_file(&b, path), EMB_ETOOBIG);
	buf_fini(&b);

	buf_init(&b, 100);
	assert_int_equal(buf_read_file(&b, "/nonexistent/file"), EMB_EIO);
	assert_int_equal(buf_read_file(&b, "/tmp"), EMB_EIO);
	buf_fini(&b);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_limit),
	    cmocka_unit_test(test_overflowing_reserve),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_steal),
	    cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
