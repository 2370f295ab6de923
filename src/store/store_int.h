/* Internal helpers shared by the store's source files. */
#ifndef EMB_STORE_INT_H
#define EMB_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_STMT_CACHE 64

struct store {
	sqlite3 *db;
	struct {
		const char *sql; /* identity: the literal's address */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
	size_t n_cache;
	bool reading; /* inside a store_read_begin transaction */
};

/* A cached, reset statement for a string literal; EMB_EDB on failure. */
int
store_stmt(struct store *s, const char *sql, sqlite3_stmt **ret) EMB_MUST_USE;

/* Run a statement to completion expecting no rows: 0, EMB_EEXIST, EMB_EDB. */
int store_step_done(sqlite3_stmt *st) EMB_MUST_USE;

/* Copy column text into a fixed buffer (truncating, always terminated). */
void store_col_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* Copy a blob column of exactly n bytes; EMB_ECORRUPT otherwise. */
int
store_col_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n) EMB_MUST_USE;

/* Bind text, or NULL for an empty string. */
int store_bind_text_or_null(sqlite3_stmt *st, int col, const char *s);

/* Map an enum to/from its stored name through a table. */
int store_name_index(const char *const *names, size_t n, const char *s);

/*
 * Make room for one more element of size elem in a heap array holding n
 * (capacity *cap): 0 or EMB_ENOMEM / EMB_ETOOBIG past max elements.
 */
int store_grow(
    void **arr, size_t *cap, size_t n, size_t elem, size_t max) EMB_MUST_USE;

#endif
