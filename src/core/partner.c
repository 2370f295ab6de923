#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "common/emb.h"

static int
check_tier(struct emb_instance *inst, const char *tier, struct store_tier *ret,
    struct emb_error *err)
{
	int r;

	if (!emb_valid_ident(tier, EMB_ID_MAX - 1))
		return emb_error_set(
		    err, EMB_EINVAL, "invalid tier name '%s'", tier);
	r = store_tier_get(inst->store, tier, ret);
	if (r == EMB_ENOENT)
		return emb_error_set(err, r,
		    "unknown tier '%s' (see 'embargo tier list')", tier);
	return r < 0 ? core_store_error(err, r, "cannot read tiers") : 0;
}

static int
get_partner(struct emb_instance *inst, const char *id,
    struct store_partner *ret, struct emb_error *err)
{
	int r;

	if (!emb_valid_ident(id, EMB_ID_MAX - 1))
		return emb_error_set(
		    err, EMB_EINVAL, "invalid partner id '%s'", id);
	r = store_partner_get(inst->store, id, ret);
	if (r == EMB_ENOENT)
		return emb_error_set(err, r, "partner '%s' not found", id);
	return r < 0 ? core_store_error(err, r, "cannot read partner") : 0;
}

int
core_partner_add(struct emb_instance *inst, const char *actor,
    const struct core_partner_new *np, int64_t now, char ret_id[EMB_ID_MAX],
    char ret_token[CRYPTO_TOKEN_STR], struct emb_error *err)
{
	struct store_partner p;
	struct store_tier tier;
	char token[CRYPTO_TOKEN_STR];
	int r;

	memset(&p, 0, sizeof(p));
	if (!emb_valid_text(np->name, STORE_NAME_MAX))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid partner name (1-%d characters of printable"
		    " UTF-8)",
		    STORE_NAME_MAX);
	if (np->id != NULL) {
		if (!emb_valid_ident(np->id, EMB_ID_MAX - 1))
			return emb_error_set(err, EMB_EINVAL,
			    "invalid partner id '%s' (letters, digits, '.',"
			    " '_', '-'; at most %d)",
			    np->id, EMB_ID_MAX - 1);
		(void)snprintf(p.id, sizeof(p.id), "%s", np->id);
	} else if (!emb_slugify(np->name, p.id)) {
		return emb_error_set(err, EMB_EINVAL,
		    "cannot derive an id from name '%s'; give one with --id",
		    np->name);
	}
	if (np->country != NULL &&
	    !emb_country_normalise(np->country, p.country))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid country '%s' (ISO 3166-1 alpha-2, e.g. DE)",
		    np->country);
	if (np->contact != NULL) {
		if (!emb_valid_email(np->contact))
			return emb_error_set(err, EMB_EINVAL,
			    "invalid contact e-mail address '%s'", np->contact);
		(void)snprintf(p.contact, sizeof(p.contact), "%s", np->contact);
	}
	(void)snprintf(p.name, sizeof(p.name), "%s", np->name);
	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if ((r = check_tier(inst, np->tier, &tier, err)) < 0)
		return core_tx_fail(inst, r);
	(void)snprintf(p.tier, sizeof(p.tier), "%s", tier.name);
	p.tier_rank = tier.rank;
	p.status = STORE_PARTNER_ACTIVE;
	p.created_at = p.updated_at = now;
	crypto_token_new(token);
	crypto_token_hash(inst->keys, token, p.token_hash);
	r = store_partner_add(inst->store, &p);
	if (r == EMB_EEXIST) {
		r = emb_error_set(err, r, "partner '%s' already exists%s", p.id,
		    np->id ? "" : "; choose another id with --id");
		goto fail;
	}
	if (r < 0) {
		r = core_store_error(err, r, "cannot add partner");
		goto fail;
	}
	r = core_tx_commit(inst, actor, now, "partner.add", p.id,
	    json_pack("{s:s, s:s, s:s?, s:s?}", "name", p.name, "tier", p.tier,
	        "country", p.country[0] ? p.country : NULL, "contact",
	        p.contact[0] ? p.contact : NULL),
	    err);
	if (r < 0)
		goto wipe;
	memcpy(ret_id, p.id, sizeof(p.id));
	memcpy(ret_token, token, CRYPTO_TOKEN_STR);
	goto wipe;
fail:
	(void)core_tx_fail(inst, r);
wipe:
	crypto_wipe(token, sizeof(token));
	return r;
}

int
core_partner_get(struct emb_instance *inst, const char *id,
    struct store_partner *ret, struct emb_error *err)
{
	return get_partner(inst, id, ret, err);
}

int
core_partner_list(struct emb_instance *inst, struct store_partner **ret,
    size_t *ret_n, struct emb_error *err)
{
	int r = store_partner_list(inst->store, ret, ret_n);

	return r < 0 ? core_store_error(err, r, "cannot list partners") : 0;
}

int
core_partner_set(struct emb_instance *inst, const char *actor, const char *id,
    enum core_partner_change change, const char *tier, int64_t now,
    struct emb_error *err)
{
	static const char *const types[] = {"partner.tier", "partner.suspend",
	    "partner.reinstate", "partner.revoke"};
	struct store_partner p;
	struct store_tier t;
	json_t *detail = NULL;
	int r;

	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if ((r = get_partner(inst, id, &p, err)) < 0)
		return core_tx_fail(inst, r);
	if (p.status == STORE_PARTNER_REVOKED)
		return core_tx_fail(inst,
		    emb_error_set(err, EMB_ESTATE,
		        "partner '%s' is revoked; revocation is final", id));
	switch (change) {
	case CORE_PARTNER_SET_TIER:
		if ((r = check_tier(inst, tier, &t, err)) < 0)
			return core_tx_fail(inst, r);
		if (strcmp(p.tier, t.name) == 0)
			return core_tx_fail(inst,
			    emb_error_set(err, EMB_ESTATE,
			        "partner '%s' is already in tier '%s'", id,
			        t.name));
		detail = json_pack("{s:s, s:s}", "from", p.tier, "to", t.name);
		(void)snprintf(p.tier, sizeof(p.tier), "%s", t.name);
		p.tier_rank = t.rank;
		break;
	case CORE_PARTNER_SUSPEND:
		if (p.status == STORE_PARTNER_SUSPENDED)
			return core_tx_fail(inst,
			    emb_error_set(err, EMB_ESTATE,
			        "partner '%s' is already suspended", id));
		p.status = STORE_PARTNER_SUSPENDED;
		break;
	case CORE_PARTNER_REINSTATE:
		if (p.status == STORE_PARTNER_ACTIVE)
			return core_tx_fail(inst,
			    emb_error_set(err, EMB_ESTATE,
			        "partner '%s' is already active", id));
		p.status = STORE_PARTNER_ACTIVE;
		break;
	case CORE_PARTNER_REVOKE:
		p.status = STORE_PARTNER_REVOKED;
		/* A revoked partner's token can never match again. */
		crypto_random(p.token_hash, sizeof(p.token_hash));
		break;
	}
	p.updated_at = now;
	if ((r = store_partner_update(inst->store, &p)) < 0) {
		json_decref(detail);
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot update partner"));
	}
	return core_tx_commit(inst, actor, now, types[change], id, detail, err);
}

int
core_partner_cert_set(struct emb_instance *inst, const char *actor,
    const char *id, const uint8_t *pin, int64_t now, struct emb_error *err)
{
	struct store_partner p;
	char hex[65];
	int r;

	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if ((r = get_partner(inst, id, &p, err)) < 0)
		return core_tx_fail(inst, r);
	if (p.status == STORE_PARTNER_REVOKED)
		return core_tx_fail(inst,
		    emb_error_set(err, EMB_ESTATE,
		        "partner '%s' is revoked; revocation is final", id));
	if (pin == NULL && !p.has_cert_pin)
		return core_tx_fail(inst,
		    emb_error_set(err, EMB_ESTATE,
		        "partner '%s' has no pinned certificate", id));
	p.has_cert_pin = pin != NULL;
	if (pin != NULL)
		memcpy(p.cert_pin, pin, sizeof(p.cert_pin));
	else
		memset(p.cert_pin, 0, sizeof(p.cert_pin));
	p.updated_at = now;
	if ((r = store_partner_update(inst->store, &p)) < 0)
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot update partner"));
	if (pin != NULL)
		emb_hex(pin, 32, hex);
	return core_tx_commit(inst, actor, now, "partner.cert", id,
	    json_pack("{s:s?}", "pin_sha256", pin ? hex : NULL), err);
}

int
core_partner_token_rotate(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, char ret_token[CRYPTO_TOKEN_STR],
    struct emb_error *err)
{
	struct store_partner p;
	char token[CRYPTO_TOKEN_STR];
	int r;

	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if ((r = get_partner(inst, id, &p, err)) < 0)
		return core_tx_fail(inst, r);
	if (p.status == STORE_PARTNER_REVOKED)
		return core_tx_fail(inst,
		    emb_error_set(err, EMB_ESTATE,
		        "partner '%s' is revoked; it cannot get a new token",
		        id));
	crypto_token_new(token);
	crypto_token_hash(inst->keys, token, p.token_hash);
	p.updated_at = now;
	if ((r = store_partner_update(inst->store, &p)) < 0) {
		crypto_wipe(token, sizeof(token));
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot update partner"));
	}
	r = core_tx_commit(inst, actor, now, "partner.token", id, NULL, err);
	if (r == 0)
		memcpy(ret_token, token, CRYPTO_TOKEN_STR);
	crypto_wipe(token, sizeof(token));
	return r;
}

int
core_partner_authenticate(
    struct emb_instance *inst, const char *token, struct store_partner *ret)
{
	struct store_partner p;
	uint8_t h[CRYPTO_HASH_BYTES];
	bool ok;
	int r;

	/*
	 * Hash whatever was sent (a malformed token hashes too) so every
	 * path costs one keyed hash and one indexed lookup.  The lookup is
	 * by a keyed hash, which tells a timing observer nothing about the
	 * token; the final comparison is constant-time.
	 */
	ok = crypto_token_well_formed(token);
	crypto_token_hash(inst->keys, token, h);
	r = store_partner_by_token(inst->store, h, &p);
	if (r < 0)
		memset(&p, 0, sizeof(p));
	ok = crypto_equal(p.token_hash, h, sizeof(h)) && ok && r == 0 &&
	    p.status == STORE_PARTNER_ACTIVE;
	if (!ok)
		return EMB_EAUTH;
	*ret = p;
	return 0;
}
