#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/log.h"
#include "common/emb.h"

#define LOG_DOMAIN "embargo-log-v1"
#define HEAD_DOMAIN "embargo-log-head-v1"
#define HEAD_KEY "log_head"
#define HEAD_BYTES (8 + 32 + CRYPTO_SIG_BYTES)
#define ENTRY_MAX (1024 * 1024)

static int
put_u64(struct buf *b, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	return buf_append(b, x, sizeof(x));
}

static int
put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	int r;

	if ((r = put_u64(b, n)) < 0)
		return r;
	return buf_append(b, s, n);
}

static int
entry_hash(const struct crypto_keys *keys, const struct store_event *e,
    uint8_t out[32])
{
	struct buf b;
	int r;

	buf_init(&b, ENTRY_MAX);
	if ((r = buf_append_str(&b, LOG_DOMAIN)) < 0 ||
	    (r = put_u64(&b, (uint64_t)e->seq)) < 0 ||
	    (r = put_u64(&b, (uint64_t)e->at)) < 0 ||
	    (r = put_str(&b, e->actor)) < 0 || (r = put_str(&b, e->type)) < 0 ||
	    (r = put_str(&b, e->subject)) < 0 ||
	    (r = put_str(&b, e->detail)) < 0 ||
	    (r = buf_append(&b, e->prev, 32)) < 0)
		goto out;
	crypto_mac(keys, CRYPTO_KEY_AUDIT, b.data, b.len, out);
out:
	buf_fini(&b);
	return r;
}

static void
head_message(int64_t seq, const uint8_t hash[32], struct buf *b)
{
	/* Fixed small size: cannot fail with this maximum. */
	if (buf_append_str(b, HEAD_DOMAIN) < 0 ||
	    put_u64(b, (uint64_t)seq) < 0 || buf_append(b, hash, 32) < 0)
		abort();
}

/* Read and check the signed head; seq 0 and zero hash for a new log. */
static int
head_get(struct store *s, const struct crypto_keys *keys, int64_t *ret_seq,
    uint8_t ret_hash[32])
{
	struct buf h, m;
	uint8_t pub[CRYPTO_SIGN_PUB_BYTES];
	uint64_t seq = 0;
	int r;

	buf_init(&h, HEAD_BYTES);
	buf_init(&m, 128);
	r = store_meta_get(s, HEAD_KEY, &h);
	if (r == EMB_ENOENT) {
		*ret_seq = 0;
		memset(ret_hash, 0, 32);
		r = 0;
		goto out;
	}
	if (r == EMB_ETOOBIG || (r == 0 && h.len != HEAD_BYTES)) {
		r = EMB_ECORRUPT;
		goto out;
	}
	if (r < 0)
		goto out;
	for (int i = 0; i < 8; i++)
		seq = (seq << 8) | h.data[i];
	if (seq > INT64_MAX) {
		r = EMB_ECORRUPT;
		goto out;
	}
	head_message((int64_t)seq, h.data + 8, &m);
	crypto_sig_pub(keys, pub);
	if (crypto_sig_check(pub, m.data, m.len, h.data + 40) < 0) {
		r = EMB_ECORRUPT;
		goto out;
	}
	*ret_seq = (int64_t)seq;
	memcpy(ret_hash, h.data + 8, 32);
out:
	buf_fini(&h);
	buf_fini(&m);
	return r;
}

static int
head_set(struct store *s, const struct crypto_keys *keys, int64_t seq,
    const uint8_t hash[32])
{
	struct buf m;
	uint8_t head[HEAD_BYTES];
	int r;

	buf_init(&m, 128);
	head_message(seq, hash, &m);
	for (int i = 0; i < 8; i++)
		head[i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
	memcpy(head + 8, hash, 32);
	crypto_sig_make(keys, m.data, m.len, head + 40);
	buf_fini(&m);
	r = store_meta_set(s, HEAD_KEY, head, sizeof(head));
	return r;
}

int
log_append(struct store *s, const struct crypto_keys *keys, int64_t at,
    const char *actor, const char *type, const char *subject,
    const char *detail)
{
	struct store_event e, last;
	int64_t seq;
	int r;

	memset(&e, 0, sizeof(e));
	if ((r = head_get(s, keys, &seq, e.prev)) < 0)
		return r;
	/* The last entry must be the one the signed head names. */
	r = store_event_last(s, &last);
	if (r == EMB_ENOENT ? seq != 0
	                    : r < 0 || last.seq != seq ||
	            !crypto_equal(last.hash, e.prev, 32))
		return r < 0 && r != EMB_ENOENT ? r : EMB_ECORRUPT;
	if (seq == INT64_MAX)
		return EMB_EOVERFLOW;
	e.seq = seq + 1;
	e.at = at;
	(void)snprintf(e.actor, sizeof(e.actor), "%s", actor);
	(void)snprintf(e.type, sizeof(e.type), "%s", type);
	(void)snprintf(e.subject, sizeof(e.subject), "%s", subject);
	e.detail = (char *)detail;
	if ((r = entry_hash(keys, &e, e.hash)) < 0)
		return r;
	if ((r = store_event_insert(s, &e)) < 0)
		return r == EMB_EEXIST ? EMB_ECORRUPT : r;
	return head_set(s, keys, e.seq, e.hash);
}

struct verify_state {
	const struct crypto_keys *keys;
	struct log_report *rep;
	uint8_t prev[32];
	int64_t expect_seq;
	int r; /* error computing a hash */
};

static int
verify_one(const struct store_event *e, void *arg)
{
	struct verify_state *v = arg;
	uint8_t h[32];
	const char *problem = NULL;

	if (e->seq != v->expect_seq)
		problem = e->seq > v->expect_seq
		    ? "entries missing before this one"
		    : "entry out of order";
	else if (!crypto_equal(e->prev, v->prev, 32))
		problem = "chain broken: entry removed, inserted or reordered";
	if (problem == NULL) {
		if ((v->r = entry_hash(v->keys, e, h)) < 0)
			return 1;
		if (!crypto_equal(h, e->hash, 32))
			problem = "entry altered: hash does not match content";
	}
	if (problem != NULL) {
		v->rep->bad_seq = v->expect_seq;
		(void)snprintf(v->rep->problem, sizeof(v->rep->problem),
		    "entry %lld: %s", (long long)v->expect_seq, problem);
		return 1;
	}
	memcpy(v->prev, e->hash, 32);
	v->expect_seq++;
	v->rep->entries++;
	return 0;
}

int
log_verify(
    struct store *s, const struct crypto_keys *keys, struct log_report *rep)
{
	struct verify_state v;
	uint8_t head_hash[32];
	int64_t head_seq;
	int r;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	v.keys = keys;
	v.rep = rep;
	v.expect_seq = 1;
	r = head_get(s, keys, &head_seq, head_hash);
	if (r == 0 && head_seq == 0 && store_event_count(s) > 0) {
		(void)snprintf(rep->problem, sizeof(rep->problem),
		    "the signed log head is missing");
		return EMB_ECORRUPT;
	}
	if (r == EMB_ECORRUPT) {
		(void)snprintf(rep->problem, sizeof(rep->problem),
		    "log head signature does not verify");
		return r;
	}
	if (r < 0)
		return r;
	r = log_each(s, verify_one, &v);
	if (v.r < 0)
		return v.r;
	if (r < 0)
		return r;
	if (rep->problem[0] != '\0')
		return EMB_ECORRUPT;
	if (head_seq > v.expect_seq - 1 ||
	    (head_seq == v.expect_seq - 1 &&
	        !crypto_equal(head_hash, v.prev, 32))) {
		rep->bad_seq = v.expect_seq;
		(void)snprintf(rep->problem, sizeof(rep->problem),
		    "log ends at entry %lld but its signed head is entry %lld:"
		    " entries removed from the end",
		    (long long)(v.expect_seq - 1), (long long)head_seq);
		return EMB_ECORRUPT;
	}
	if (head_seq < v.expect_seq - 1) {
		rep->bad_seq = head_seq + 1;
		(void)snprintf(rep->problem, sizeof(rep->problem),
		    "entries after the signed head (entry %lld): added"
		    " outside embargo or head rolled back",
		    (long long)head_seq);
		return EMB_ECORRUPT;
	}
	return 0;
}

int
log_each(struct store *s, int (*fn)(const struct store_event *e, void *arg),
    void *arg)
{
	return store_event_each(s, fn, arg);
}
