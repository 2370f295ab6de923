#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "common/emb.h"

/* 'embg' in PRAGMA application_id marks an embargo database. */
#define STORE_APPLICATION_ID 0x656d6267

/* Triggers that move the generation on after each change to a table. */
#define GEN_TRIGGER(table, name, op, when)                                     \
	"CREATE TRIGGER gen_" table "_" name " AFTER " op " ON " table when    \
	" BEGIN UPDATE generation SET n = n + 1; END;"
#define GEN_TRIGGERS(table, when)                                              \
	GEN_TRIGGER(table, "insert", "INSERT", when)                           \
	GEN_TRIGGER(table, "update", "UPDATE", when)                           \
	GEN_TRIGGER(table, "delete", "DELETE", when)

/*
 * Forward-only migrations: migrations[i] takes the schema from version i
 * to i + 1.  Never edit a released entry; append a new one.
 */
static const char *const migrations[] = {
    /* 0 -> 1: the foundation schema. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;"
    "CREATE TABLE tiers (name TEXT PRIMARY KEY,"
    "  rank INTEGER NOT NULL UNIQUE) STRICT;"
    "CREATE TABLE partners (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  country TEXT, contact TEXT,"
    "  tier TEXT NOT NULL REFERENCES tiers(name),"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('active','suspended','revoked')),"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE advisories (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
    "  severity TEXT, cvss TEXT, patch_at INTEGER NOT NULL,"
    "  state TEXT NOT NULL"
    "    CHECK (state IN ('draft','shared','published','withdrawn')),"
    "  created_at INTEGER NOT NULL, published_at INTEGER,"
    "  updated_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE advisory_cves ("
    "  advisory_id TEXT NOT NULL REFERENCES advisories(id),"
    "  ord INTEGER NOT NULL, cve TEXT NOT NULL,"
    "  PRIMARY KEY (advisory_id, ord), UNIQUE (advisory_id, cve)) STRICT;"
    "CREATE TABLE advisory_products ("
    "  advisory_id TEXT NOT NULL REFERENCES advisories(id),"
    "  ord INTEGER NOT NULL, name TEXT NOT NULL,"
    "  PRIMARY KEY (advisory_id, ord)) STRICT;"
    "CREATE TABLE reschedules ("
    "  advisory_id TEXT NOT NULL REFERENCES advisories(id),"
    "  seq INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  old_patch_at INTEGER NOT NULL, new_patch_at INTEGER NOT NULL,"
    "  reason TEXT NOT NULL, PRIMARY KEY (advisory_id, seq)) STRICT;"
    "CREATE TABLE exclusions ("
    "  advisory_id TEXT NOT NULL REFERENCES advisories(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('partner','country')),"
    "  value TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (advisory_id, kind, value)) STRICT;"
    "CREATE TABLE artifacts (id INTEGER PRIMARY KEY,"
    "  advisory_id TEXT NOT NULL REFERENCES advisories(id),"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL"
    "    CHECK (kind IN ('advisory','detection','poc','other')),"
    "  tier TEXT NOT NULL REFERENCES tiers(name),"
    "  release_at INTEGER, release_before INTEGER,"
    "  mark TEXT NOT NULL CHECK (mark IN ('auto','template','none')),"
    "  size INTEGER NOT NULL, sha256 BLOB NOT NULL,"
    "  attached_at INTEGER NOT NULL, withdrawn_at INTEGER,"
    "  CHECK ((release_at IS NULL) != (release_before IS NULL))) STRICT;"
    "CREATE UNIQUE INDEX artifacts_live_name ON artifacts(advisory_id, name)"
    "  WHERE withdrawn_at IS NULL;"
    "CREATE TABLE artifact_blobs ("
    "  artifact_id INTEGER PRIMARY KEY REFERENCES artifacts(id),"
    "  sealed BLOB NOT NULL) STRICT;"
    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY,"
    "  partner_id TEXT NOT NULL REFERENCES partners(id),"
    "  artifact_id INTEGER NOT NULL REFERENCES artifacts(id),"
    "  at INTEGER NOT NULL, sha256 BLOB NOT NULL,"
    "  channel TEXT NOT NULL) STRICT;"
    "CREATE INDEX deliveries_partner ON deliveries(partner_id);"
    "CREATE INDEX deliveries_artifact ON deliveries(artifact_id);"
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL,"
    "  detail TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL)"
    "  STRICT;",
    /* 1 -> 2: the client certificate key pinned to a partner (mTLS). */
    "ALTER TABLE partners ADD COLUMN cert_pin BLOB"
    "  CHECK (cert_pin IS NULL OR length(cert_pin) = 32);",
    /*
     * 2 -> 3: a generation number that every change to what partners or
     * the public may see moves on (store_generation), kept by triggers so
     * that no write path can forget it.  Deliveries, events and the log
     * head are append-only records no view depends on: they leave it
     * alone, so one partner's download does not show in another's timing.
     */
    "CREATE TABLE generation (one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  n INTEGER NOT NULL) STRICT;"
    "INSERT INTO generation VALUES (1, 1);" GEN_TRIGGERS(
        "tiers", "") GEN_TRIGGERS("partners", "") GEN_TRIGGERS("advisories", "")
        GEN_TRIGGERS("advisory_cves", "") GEN_TRIGGERS("advisory_products",
            "") GEN_TRIGGERS("reschedules", "") GEN_TRIGGERS("exclusions", "")
            GEN_TRIGGERS("artifacts", "") GEN_TRIGGERS("artifact_blobs", "")
                GEN_TRIGGER("meta", "insert", "INSERT",
                    " WHEN NEW.key <> 'log_head'") GEN_TRIGGER("meta", "update",
                    "UPDATE", " WHEN NEW.key <> 'log_head'") GEN_TRIGGER("meta",
                    "delete", "DELETE", " WHEN OLD.key <> 'log_head'"),
};

int
store_schema_version(void)
{
	return (int)EMB_ARRAY_LEN(migrations);
}

static int
exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK
	    ? 0
	    : EMB_EDB;
}

static int
pragma_int(struct store *s, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st;
	int r = EMB_EDB;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return EMB_EDB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static int
migrate(struct store *s, int64_t from)
{
	char sql[64];
	int r;

	for (int64_t v = from; v < store_schema_version(); v++) {
		if ((r = store_begin(s)) < 0)
			return r;
		(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)v + 1);
		if ((r = exec(s, migrations[v])) < 0 ||
		    (r = exec(s, sql)) < 0 || (r = store_commit(s)) < 0) {
			store_rollback(s);
			return r;
		}
	}
	return 0;
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/*
 * Before SQLite starts: no memory statistics (they take a global mutex on
 * every allocation, which serialises the server's threads).
 */
static void
configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *path, bool create, struct store **ret_store)
{
	struct store *s;
	struct stat st;
	int64_t appid = 0, version = 0;
	/* A connection is only ever used by one thread at a time. */
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	int r;

	if (create) {
		if (lstat(path, &st) == 0)
			return EMB_EEXIST;
		flags |= SQLITE_OPEN_CREATE;
	} else if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		return EMB_ENOTINST;
	}
	if (pthread_once(&config_once, configure) != 0)
		return EMB_EDB;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return EMB_ENOMEM;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		r = create ? EMB_EIO : EMB_ENOTINST;
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	(void)sqlite3_busy_timeout(s->db, 5000);
	if (!create) {
		/* Reading the header fails on a file that is not SQLite. */
		if (pragma_int(s, "PRAGMA application_id", &appid) < 0 ||
		    appid != STORE_APPLICATION_ID) {
			r = EMB_ENOTINST;
			goto fail;
		}
		if ((r = pragma_int(s, "PRAGMA user_version", &version)) < 0)
			goto fail;
		if (version > store_schema_version()) {
			r = EMB_EVERSION;
			goto fail;
		}
	}
	if ((r = exec(s, "PRAGMA journal_mode = WAL")) < 0 ||
	    (r = exec(s, "PRAGMA synchronous = FULL")) < 0 ||
	    (r = exec(s, "PRAGMA foreign_keys = ON")) < 0 ||
	    (r = exec(s, "PRAGMA secure_delete = ON")) < 0)
		goto fail;
	if (create) {
		char sql[64];
		(void)snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		    STORE_APPLICATION_ID);
		if ((r = exec(s, sql)) < 0)
			goto fail;
	}
	if ((r = migrate(s, version)) < 0)
		goto fail;
	*ret_store = s;
	return 0;
fail:
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_cache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close(s->db);
	free(s);
}

int
store_stmt(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < s->n_cache; i++) {
		if (s->cache[i].sql == sql) {
			st = s->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			*ret = st;
			return 0;
		}
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	        NULL) != SQLITE_OK)
		return EMB_EDB;
	if (s->n_cache < STORE_STMT_CACHE) {
		s->cache[s->n_cache].sql = sql;
		s->cache[s->n_cache].stmt = st;
		s->n_cache++;
	} else {
		/* Full cache: evict the oldest entry. */
		sqlite3_finalize(s->cache[0].stmt);
		memmove(&s->cache[0], &s->cache[1],
		    sizeof(s->cache[0]) * (STORE_STMT_CACHE - 1));
		s->cache[STORE_STMT_CACHE - 1].sql = sql;
		s->cache[STORE_STMT_CACHE - 1].stmt = st;
	}
	*ret = st;
	return 0;
}

int
store_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		        rc == SQLITE_CONSTRAINT_UNIQUE
		    ? EMB_EEXIST
		    : EMB_EINVAL;
	return EMB_EDB;
}

void
store_col_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= outlen)
		n = outlen - 1;
	if (n > 0)
		memcpy(out, t, n);
	out[n] = '\0';
}

int
store_col_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *b = sqlite3_column_blob(st, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(st, col) != n)
		return EMB_ECORRUPT;
	memcpy(out, b, n);
	return 0;
}

int
store_bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return sqlite3_bind_null(st, col);
	return sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
}

int
store_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return EMB_EINVAL;
}

int
store_begin(struct store *s)
{
	store_read_end(s);
	return exec(s, "BEGIN IMMEDIATE");
}

int
store_read_begin(struct store *s)
{
	sqlite3_stmt *st;

	if (!sqlite3_get_autocommit(s->db))
		return 0; /* already inside a transaction */
	/* Prepared once: this runs for every request the server answers. */
	if (store_stmt(s, "BEGIN DEFERRED", &st) < 0 ||
	    sqlite3_step(st) != SQLITE_DONE)
		return EMB_EDB;
	s->reading = true;
	return 0;
}

void
store_read_end(struct store *s)
{
	sqlite3_stmt *st;

	if (s->reading && !sqlite3_get_autocommit(s->db) &&
	    (store_stmt(s, "COMMIT", &st) < 0 ||
	        sqlite3_step(st) != SQLITE_DONE))
		(void)exec(s, "ROLLBACK"); /* a read has nothing to lose */
	s->reading = false;
}

int
store_generation(struct store *s, int64_t *ret)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s, "SELECT n FROM generation WHERE one = 1", &st)) <
	    0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return EMB_EDB;
	}
	*ret = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_commit(struct store *s)
{
	return exec(s, "COMMIT");
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK");
}

int
store_meta_get(struct store *s, const char *key, struct buf *out)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_stmt(s, "SELECT value FROM meta WHERE key = ?", &st)) <
	    0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = buf_append(out, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	else
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	sqlite3_reset(st);
	return r;
}

int
store_meta_set(struct store *s, const char *key, const void *p, size_t n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO meta (key, value) VALUES (?, ?)"
	         " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, n ? p : "", (int)n, SQLITE_STATIC);
	return store_step_done(st);
}

int
store_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return EMB_ETOOBIG;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	if (ncap > SIZE_MAX / elem)
		return EMB_ENOMEM;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return EMB_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}
