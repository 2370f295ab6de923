#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_int.h"
#include "common/emb.h"

#define KCV_KEY "key_check"
#define KCV_DOMAIN "embargo-key-check-v1"
#define SIGN_PUB_KEY "sign_pub"

static const struct store_tier default_tiers[] = {
    {"notify", 10},
    {"detect", 20},
    {"poc", 30},
};

int
core_store_error(struct emb_error *err, int r, const char *what)
{
	return emb_error_set(err, r, "%s: %s", what, emb_strerror(r));
}

int
core_tx_begin(struct emb_instance *inst, struct emb_error *err)
{
	int r = store_begin(inst->store);

	if (r < 0)
		return emb_error_set(err, r,
		    "cannot start a transaction (database busy or locked)");
	return 0;
}

int
core_tx_fail(struct emb_instance *inst, int r)
{
	store_rollback(inst->store);
	return r;
}

int
core_tx_commit(struct emb_instance *inst, const char *actor, int64_t now,
    const char *type, const char *subject, json_t *detail_take,
    struct emb_error *err)
{
	struct log_report rep;
	char *detail;
	int r;

	/*
	 * Never extend a log that has been tampered with: check the whole
	 * chain once per process (every CLI command, a server at its first
	 * change); log_append checks the signed head and last entry always.
	 */
	if (!inst->log_verified) {
		r = log_verify(inst->store, inst->keys, &rep);
		if (r < 0) {
			json_decref(detail_take);
			r = r == EMB_ECORRUPT
			    ? emb_error_set(err, r,
			          "the event log does not verify (%s);"
			          " refusing to append",
			          rep.problem)
			    : core_store_error(
			          err, r, "cannot verify the event log");
			return core_tx_fail(inst, r);
		}
		inst->log_verified = true;
	}
	if (detail_take == NULL)
		detail_take = json_object();
	detail = json_dumps(
	    detail_take, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(detail_take);
	if (detail == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		return core_tx_fail(inst, r);
	}
	r = log_append(
	    inst->store, inst->keys, now, actor, type, subject, detail);
	free(detail);
	if (r == EMB_ECORRUPT) {
		r = emb_error_set(err, r,
		    "the event log does not verify; refusing to append"
		    " (run 'embargo audit verify')");
		return core_tx_fail(inst, r);
	}
	if (r < 0) {
		r = core_store_error(err, r, "cannot append to the event log");
		return core_tx_fail(inst, r);
	}
	if ((r = store_commit(inst->store)) < 0) {
		r = core_store_error(err, r, "cannot commit");
		return core_tx_fail(inst, r);
	}
	return 0;
}

/* Path join into a fixed buffer; false when it does not fit. */
static bool
path_join(char *out, size_t outlen, const char *dir, const char *file)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);

	return n > 0 && (size_t)n < outlen;
}

/* Write n bytes to a new file with mode, durably. */
static int
write_new_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const uint8_t *q = p;

	if (fd < 0)
		return EMB_EIO;
	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return EMB_EIO;
		}
		q += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		close(fd);
		return EMB_EIO;
	}
	return close(fd) == 0 ? 0 : EMB_EIO;
}

/* Read a 32-byte key file that must not be readable by others. */
static int
read_key_file(const char *path, uint8_t key[32], struct emb_error *err)
{
	struct stat st;
	ssize_t n;
	uint8_t extra;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return emb_error_set(err, EMB_ENOTINST, "cannot read %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return emb_error_set(
		    err, EMB_ENOTINST, "%s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return emb_error_set(err, EMB_EPERM,
		    "%s is accessible by other users; run chmod 600 on it",
		    path);
	}
	n = read(fd, key, 32);
	if (n == 32 && read(fd, &extra, 1) == 0) {
		close(fd);
		return 0;
	}
	close(fd);
	crypto_wipe(key, 32);
	return emb_error_set(err, EMB_ECORRUPT,
	    "%s is damaged (expected exactly 32 bytes)", path);
}

static void
key_check_value(const struct crypto_keys *keys, uint8_t out[32])
{
	crypto_mac(
	    keys, CRYPTO_KEY_CHECK, KCV_DOMAIN, sizeof(KCV_DOMAIN) - 1, out);
}

/* Remove a directory we are building, with the files we put in it. */
static void
remove_tree(const char *dir)
{
	static const char *const files[] = {CORE_DB_FILE, CORE_DB_FILE "-wal",
	    CORE_DB_FILE "-shm", CORE_MASTER_FILE, CORE_SIGN_FILE};
	char path[PATH_MAX];

	for (size_t i = 0; i < EMB_ARRAY_LEN(files); i++)
		if (path_join(path, sizeof(path), dir, files[i]))
			(void)unlink(path);
	(void)rmdir(dir);
}

static bool
dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int
populate(const char *tmp, const char *actor, int64_t now, struct emb_error *err)
{
	char path[PATH_MAX];
	uint8_t *secret = NULL, kcv[32], pub[CRYPTO_SIGN_PUB_BYTES];
	struct emb_instance inst = {0};
	json_t *detail;
	int r;

	secret = crypto_secret_alloc(64);
	if (secret == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	crypto_random(secret, 64);
	if (!path_join(path, sizeof(path), tmp, CORE_MASTER_FILE) ||
	    write_new_file(path, secret, 32, 0600) < 0 ||
	    !path_join(path, sizeof(path), tmp, CORE_SIGN_FILE) ||
	    write_new_file(path, secret + 32, 32, 0600) < 0) {
		r = emb_error_set(
		    err, EMB_EIO, "cannot write key files in %s", tmp);
		goto out;
	}
	if ((r = crypto_keys_new(secret, secret + 32, &inst.keys)) < 0) {
		r = emb_error_code(err, r);
		goto out;
	}
	if (!path_join(path, sizeof(path), tmp, CORE_DB_FILE)) {
		r = emb_error_set(err, EMB_EINVAL, "path too long");
		goto out;
	}
	if ((r = store_open(path, true, &inst.store)) < 0) {
		r = core_store_error(err, r, "cannot create the database");
		goto out;
	}
	if ((r = core_tx_begin(&inst, err)) < 0)
		goto out;
	key_check_value(inst.keys, kcv);
	crypto_sig_pub(inst.keys, pub);
	if ((r = store_meta_set(inst.store, KCV_KEY, kcv, sizeof(kcv))) < 0 ||
	    (r = store_meta_set(inst.store, SIGN_PUB_KEY, pub, sizeof(pub))) <
	        0) {
		r = core_store_error(err, r, "cannot initialise the database");
		(void)core_tx_fail(&inst, r);
		goto out;
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(default_tiers); i++) {
		if ((r = store_tier_add(inst.store, &default_tiers[i])) < 0) {
			r = core_store_error(err, r, "cannot add tiers");
			(void)core_tx_fail(&inst, r);
			goto out;
		}
	}
	detail = json_pack("{s:i, s:[s,s,s]}", "schema", store_schema_version(),
	    "tiers", "notify", "detect", "poc");
	r = core_tx_commit(
	    &inst, actor, now, "instance.init", "instance", detail, err);
out:
	store_close(inst.store);
	crypto_keys_free(inst.keys);
	crypto_secret_free(secret);
	return r;
}

int
core_instance_create(
    const char *dir, const char *actor, int64_t now, struct emb_error *err)
{
	char tmp[PATH_MAX];
	struct stat st;
	int n, r;

	if (dir[0] == '\0')
		return emb_error_set(err, EMB_EINVAL, "empty data directory");
	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return emb_error_set(err, EMB_EEXIST,
			    "%s exists and is not a directory", dir);
		if (!dir_is_empty(dir))
			return emb_error_set(err, EMB_EEXIST,
			    "%s exists and is not empty; refusing to touch it",
			    dir);
	} else if (errno != ENOENT) {
		return emb_error_set(err, EMB_EIO, "cannot inspect %s: %s", dir,
		    strerror(errno));
	}
	n = snprintf(tmp, sizeof(tmp), "%s.init-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return emb_error_set(err, EMB_EINVAL, "path too long: %s", dir);
	if (mkdtemp(tmp) == NULL)
		return emb_error_set(
		    err, EMB_EIO, "cannot create %s: %s", tmp, strerror(errno));
	/* mkdtemp makes it 0700 already. */
	if ((r = populate(tmp, actor, now, err)) < 0) {
		remove_tree(tmp);
		return r;
	}
	/* rename(2) replaces an empty directory atomically. */
	if (rename(tmp, dir) < 0) {
		r = emb_error_set(
		    err, EMB_EIO, "cannot create %s: %s", dir, strerror(errno));
		remove_tree(tmp);
		return r;
	}
	return 0;
}

int
core_instance_open(
    const char *dir, struct emb_instance **ret, struct emb_error *err)
{
	struct emb_instance *inst;
	char path[PATH_MAX];
	uint8_t *secret = NULL, kcv[32], pub[CRYPTO_SIGN_PUB_BYTES];
	struct buf stored;
	struct stat st;
	int r;

	if (stat(dir, &st) < 0)
		return emb_error_set(err, EMB_ENOTINST,
		    "data directory %s does not exist (run 'embargo init')",
		    dir);
	if (!S_ISDIR(st.st_mode))
		return emb_error_set(
		    err, EMB_ENOTINST, "%s is not a directory", dir);
	if (!path_join(path, sizeof(path), dir, CORE_DB_FILE))
		return emb_error_set(err, EMB_EINVAL, "path too long: %s", dir);
	if (lstat(path, &st) < 0)
		return emb_error_set(err, EMB_ENOTINST,
		    "%s is not an embargo data directory (no %s)", dir,
		    CORE_DB_FILE);
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL || (inst->dir = strdup(dir)) == NULL) {
		free(inst);
		return emb_error_code(err, EMB_ENOMEM);
	}
	buf_init(&stored, 64);
	secret = crypto_secret_alloc(64);
	if (secret == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		goto fail;
	}
	if ((r = store_open(path, false, &inst->store)) < 0) {
		if (r == EMB_ENOTINST)
			r = emb_error_set(err, r,
			    "%s is not an embargo data directory (%s is not"
			    " an embargo database)",
			    dir, CORE_DB_FILE);
		else if (r == EMB_EVERSION)
			r = emb_error_set(err, r,
			    "%s was written by a newer embargo (schema newer"
			    " than %d)",
			    dir, store_schema_version());
		else
			r = core_store_error(
			    err, r, "cannot open the database");
		goto fail;
	}
	if (!path_join(path, sizeof(path), dir, CORE_MASTER_FILE) ||
	    (r = read_key_file(path, secret, err)) < 0 ||
	    !path_join(path, sizeof(path), dir, CORE_SIGN_FILE) ||
	    (r = read_key_file(path, secret + 32, err)) < 0) {
		r = emb_error_set(err, EMB_ENOTINST, "cannot read key files");
		goto fail;
	}
	if ((r = crypto_keys_new(secret, secret + 32, &inst->keys)) < 0) {
		r = emb_error_code(err, r);
		goto fail;
	}
	key_check_value(inst->keys, kcv);
	if (store_meta_get(inst->store, KCV_KEY, &stored) < 0 ||
	    stored.len != sizeof(kcv) ||
	    !crypto_equal(stored.data, kcv, sizeof(kcv))) {
		r = emb_error_set(err, EMB_ECRYPTO,
		    "%s does not belong to the database in %s",
		    CORE_MASTER_FILE, dir);
		goto fail;
	}
	crypto_sig_pub(inst->keys, pub);
	buf_fini(&stored);
	if (store_meta_get(inst->store, SIGN_PUB_KEY, &stored) < 0 ||
	    stored.len != sizeof(pub) ||
	    !crypto_equal(stored.data, pub, sizeof(pub))) {
		r = emb_error_set(err, EMB_ECRYPTO,
		    "%s does not belong to the database in %s", CORE_SIGN_FILE,
		    dir);
		goto fail;
	}
	buf_fini(&stored);
	crypto_secret_free(secret);
	*ret = inst;
	return 0;
fail:
	buf_fini(&stored);
	crypto_secret_free(secret);
	core_instance_free(inst);
	return r;
}

void
core_instance_free(struct emb_instance *inst)
{
	if (inst == NULL)
		return;
	store_close(inst->store);
	crypto_keys_free(inst->keys);
	free(inst->dir);
	free(inst);
}

int
core_tier_list(struct emb_instance *inst, struct store_tier **ret,
    size_t *ret_n, struct emb_error *err)
{
	int r = store_tier_list(inst->store, ret, ret_n);

	return r < 0 ? core_store_error(err, r, "cannot list tiers") : 0;
}

int
core_tier_add(struct emb_instance *inst, const char *actor, const char *name,
    int64_t rank, int64_t now, struct emb_error *err)
{
	struct store_tier t;
	int r;

	if (!emb_valid_ident(name, EMB_ID_MAX - 1))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid tier name '%s' (letters, digits, '.', '_', '-';"
		    " at most %d)",
		    name, EMB_ID_MAX - 1);
	if (rank < 0 || rank > 1000000)
		return emb_error_set(
		    err, EMB_EINVAL, "tier rank must be between 0 and 1000000");
	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if (store_tier_get(inst->store, name, &t) == 0)
		return core_tx_fail(inst,
		    emb_error_set(
		        err, EMB_EEXIST, "tier '%s' already exists", name));
	(void)snprintf(t.name, sizeof(t.name), "%s", name);
	t.rank = rank;
	r = store_tier_add(inst->store, &t);
	if (r == EMB_EEXIST)
		return core_tx_fail(inst,
		    emb_error_set(err, r, "another tier already has rank %lld",
		        (long long)rank));
	if (r < 0)
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot add tier"));
	return core_tx_commit(inst, actor, now, "tier.add", name,
	    json_pack("{s:I}", "rank", (json_int_t)rank), err);
}

int
core_audit_each(struct emb_instance *inst,
    int (*fn)(const struct store_event *e, void *arg), void *arg,
    struct emb_error *err)
{
	int r = log_each(inst->store, fn, arg);

	return r < 0 ? core_store_error(err, r, "cannot read the event log")
	             : r;
}

int
core_audit_verify(
    struct emb_instance *inst, struct log_report *rep, struct emb_error *err)
{
	int r = log_verify(inst->store, inst->keys, rep);

	if (r == EMB_ECORRUPT)
		return emb_error_set(
		    err, r, "event log does not verify: %s", rep->problem);
	if (r < 0)
		return core_store_error(err, r, "cannot verify the event log");
	return 0;
}

int
core_read_begin(struct emb_instance *inst, struct emb_error *err)
{
	int r = store_read_begin(inst->store);

	return r < 0 ? core_store_error(err, r, "cannot read the database") : 0;
}

void
core_read_end(struct emb_instance *inst)
{
	store_read_end(inst->store);
}

int
core_data_stamp(struct emb_instance *inst, int64_t now,
    const struct core_stamp *hint, struct core_stamp *ret,
    struct emb_error *err)
{
	int64_t gen, until;
	int r;

	if ((r = store_generation(inst->store, &gen)) < 0)
		return core_store_error(err, r, "cannot read the database");
	if (hint != NULL && hint->gen == gen && hint->from <= now &&
	    now < hint->until) {
		*ret = *hint;
		return 0;
	}
	if ((r = store_next_change(inst->store, now, &until)) < 0)
		return core_store_error(err, r, "cannot read the database");
	ret->gen = gen;
	ret->from = now;
	ret->until = until;
	return 0;
}
