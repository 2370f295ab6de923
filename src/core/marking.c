#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "core/marking.h"
#include "trace/accuse.h"
#include "common/emb.h"

#define SIM_TRIALS 40

int
core_mark_prepare(const struct crypto_keys *keys,
    const struct store_artifact *art, const uint8_t *plain, size_t n,
    struct mark_artifact *ma, struct emb_error *err)
{
	uint8_t ident[MARK_IDENT_BYTES];
	struct buf name;
	int r;

	/* Advisory, name, attach time and content name the artifact. */
	buf_init(&name, 512);
	if ((r = buf_printf(&name, "%s|%s|%lld|", art->advisory_id, art->name,
	         (long long)art->attached_at)) < 0 ||
	    (r = buf_append(&name, art->sha256, sizeof(art->sha256))) < 0) {
		buf_fini(&name);
		return emb_error_code(err, r);
	}
	mark_ident(keys, name.data, name.len, ident);
	buf_fini(&name);
	return mark_artifact_prepare(
	    ma, keys, ident, art->name, art->mark, plain, n, err);
}

void
core_capacity_add(struct core_capacity *c, const struct mark_set *set)
{
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		if (s->kind == MARK_CANARY) {
			c->sites[MARK_CANARY]++;
		} else if (s->q >= 2) {
			c->sites[s->kind]++;
			c->bits[s->kind] += log2((double)s->q);
		}
	}
}

int
core_capacity_simulate(const unsigned *q, size_t n, size_t partners,
    unsigned colluders, double survive, size_t trials, double *ret_caught,
    size_t *ret_framed)
{
	struct accuse_sim sim = {0};
	struct accuse_sim_result res;
	int r;

	if (n == 0 || partners < colluders + 1) {
		*ret_caught = 0;
		*ret_framed = 0;
		return 0;
	}
	sim.q = q;
	sim.sites = n;
	sim.partners = partners;
	sim.colluders = colluders;
	sim.survive = survive;
	sim.strategy = ACCUSE_MAJORITY;
	sim.alpha = CORE_ALPHA;
	sim.cutoff = TARDOS_CUTOFF_DEFAULT;
	sim.trials = trials;
	/* A fixed seed: the report is reproducible. */
	memset(sim.seed, 0x5a, sizeof(sim.seed));
	sim.seed[0] = (uint8_t)colluders;
	sim.seed[1] = (uint8_t)(survive * 100);
	if ((r = accuse_simulate(&sim, &res)) < 0)
		return r;
	*ret_caught = res.trials ? (double)res.caught / (double)res.trials : 0;
	*ret_framed = res.framed;
	return 0;
}

struct rule_count {
	const char *rule;
	size_t sites;
	double bits;
};

static void
count_rules(json_t *rules, const struct mark_set *set)
{
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		json_t *o;
		if (s->q < 2 && s->kind != MARK_CANARY)
			continue;
		o = json_object_get(rules, s->rule);
		if (o == NULL) {
			o = json_pack("{s:i, s:f}", "sites", 0, "bits", 0.0);
			json_object_set_new(rules, s->rule, o);
		}
		json_object_set_new(o, "sites",
		    json_integer(
		        json_integer_value(json_object_get(o, "sites")) + 1));
		json_object_set_new(o, "bits",
		    json_real(json_real_value(json_object_get(o, "bits")) +
		        (s->q >= 2 ? log2((double)s->q) : 0)));
	}
}

static json_t *
capacity_json(const struct core_capacity *c)
{
	return json_pack("{s:i, s:f, s:i, s:f, s:i, s:f}", "robust_sites",
	    (int)c->sites[MARK_ROBUST], "robust_bits", c->bits[MARK_ROBUST],
	    "fragile_sites", (int)c->sites[MARK_FRAGILE], "fragile_bits",
	    c->bits[MARK_FRAGILE], "canaries", (int)c->sites[MARK_CANARY],
	    "total_bits", c->bits[MARK_ROBUST] + c->bits[MARK_FRAGILE]);
}

/* Append the alphabet sizes of a set's coded sites of the given kinds. */
static int
collect_q(const struct mark_set *set, bool fragile_too, unsigned **q, size_t *n,
    size_t *cap)
{
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		if (s->q < 2 ||
		    (s->kind != MARK_ROBUST &&
		        !(fragile_too && s->kind == MARK_FRAGILE)))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			unsigned *p = realloc(*q, nc * sizeof(**q));
			if (p == NULL)
				return EMB_ENOMEM;
			*q = p;
			*cap = nc;
		}
		(*q)[(*n)++] = s->q;
	}
	return 0;
}

/* Simulated identification power for the report. */
static int
simulate_json(const unsigned *q, size_t n, size_t partners, json_t **ret)
{
	static const double survive[] = {1.0, 0.6, 0.4, 0.2};
	json_t *rows = json_array();
	size_t framed_total = 0;
	int r;

	for (unsigned c = 1; c <= 3; c++) {
		json_t *row = json_object();
		for (size_t k = 0; k < EMB_ARRAY_LEN(survive); k++) {
			double caught;
			size_t framed;
			char key[16];
			if ((r = core_capacity_simulate(q, n, partners, c,
			         survive[k], SIM_TRIALS, &caught, &framed)) <
			    0) {
				json_decref(row);
				json_decref(rows);
				return r;
			}
			framed_total += framed;
			(void)snprintf(
			    key, sizeof(key), "%d", (int)(survive[k] * 100));
			json_object_set_new(row, key, json_real(caught));
		}
		json_array_append_new(rows,
		    json_pack("{s:i, s:o}", "colluders", c, "caught", row));
	}
	*ret = json_pack("{s:i, s:f, s:i, s:s, s:o, s:i}", "partners",
	    (int)partners, "alpha", CORE_ALPHA, "trials", SIM_TRIALS,
	    "sites_used", "robust", "by_colluders", rows, "innocents_accused",
	    (int)framed_total);
	return 0;
}

int
core_advisory_marks(struct emb_instance *inst, const char *id, json_t **ret,
    struct emb_error *err)
{
	struct store_advisory a;
	struct store_artifact *arts = NULL;
	struct store_partner *ps = NULL;
	struct core_capacity total = {0};
	json_t *list = NULL, *rules_total = NULL, *sim = NULL;
	unsigned *q = NULL;
	size_t narts = 0, nps = 0, nq = 0, qcap = 0, partners = 0;
	int r;

	if ((r = core_advisory_get(inst, id, &a, err)) < 0)
		return r;
	if ((r = core_artifact_list(inst, id, false, &arts, &narts, err)) < 0 ||
	    (r = core_partner_list(inst, &ps, &nps, err)) < 0)
		goto out;
	for (size_t i = 0; i < nps; i++)
		partners += ps[i].status != STORE_PARTNER_REVOKED;
	list = json_array();
	rules_total = json_object();
	for (size_t i = 0; i < narts; i++) {
		struct buf plain;
		struct mark_artifact ma;
		struct core_capacity c = {0};
		json_t *rules = json_object();

		buf_init(&plain, CORE_ARTIFACT_MAX);
		if ((r = core_artifact_content(inst, &arts[i], &plain, err)) <
		        0 ||
		    (r = core_mark_prepare(inst->keys, &arts[i], plain.data,
		         plain.len, &ma, err)) < 0) {
			buf_fini_wipe(&plain);
			json_decref(rules);
			goto out;
		}
		core_capacity_add(&c, &ma.set);
		core_capacity_add(&total, &ma.set);
		count_rules(rules, &ma.set);
		count_rules(rules_total, &ma.set);
		r = collect_q(&ma.set, false, &q, &nq, &qcap);
		json_t *o = capacity_json(&c);
		json_object_set_new(o, "artifact", json_string(arts[i].name));
		json_object_set_new(
		    o, "language", json_string(mark_lang_name(ma.lang)));
		json_object_set_new(
		    o, "mark", json_string(store_mark_mode_name(arts[i].mark)));
		json_object_set_new(o, "rules", rules);
		json_array_append_new(list, o);
		mark_artifact_fini(&ma);
		buf_fini_wipe(&plain);
		if (r < 0) {
			r = emb_error_code(err, r);
			goto out;
		}
	}
	if (partners < CORE_TYPICAL_PARTNERS)
		partners = CORE_TYPICAL_PARTNERS;
	if ((r = simulate_json(q, nq, partners, &sim)) < 0) {
		r = emb_error_set(
		    err, r, "simulation failed: %s", emb_strerror(r));
		goto out;
	}
	{
		json_t *t = capacity_json(&total);
		json_object_set_new(t, "rules", rules_total);
		rules_total = NULL;
		*ret = json_pack("{s:s, s:o, s:o, s:o}", "advisory", a.id,
		    "artifacts", list, "total", t, "simulation", sim);
		list = NULL;
		sim = NULL;
	}
out:
	json_decref(list);
	json_decref(rules_total);
	json_decref(sim);
	free(q);
	free(arts);
	free(ps);
	store_advisory_fini(&a);
	return r;
}

int
core_artifact_assess(struct emb_instance *inst, const char *advisory_id,
    const char *name, struct core_assessment *ret, struct emb_error *err)
{
	struct store_artifact art;
	struct store_partner *ps = NULL;
	struct mark_artifact ma;
	struct core_assessment as;
	struct buf plain;
	unsigned *q = NULL;
	size_t nq = 0, qcap = 0, nps = 0, framed;
	int r;

	memset(&as, 0, sizeof(as));
	r = store_artifact_get(inst->store, advisory_id, name, &art);
	if (r < 0)
		return r == EMB_ENOENT
		    ? emb_error_set(err, r,
		          "advisory '%s' has no artifact '%s'", advisory_id,
		          name)
		    : core_store_error(err, r, "cannot read artifact");
	if ((r = core_partner_list(inst, &ps, &nps, err)) < 0)
		return r;
	for (size_t i = 0; i < nps; i++)
		as.partners += ps[i].status != STORE_PARTNER_REVOKED;
	free(ps);
	if (as.partners < CORE_TYPICAL_PARTNERS)
		as.partners = CORE_TYPICAL_PARTNERS;
	buf_init(&plain, CORE_ARTIFACT_MAX);
	if ((r = core_artifact_content(inst, &art, &plain, err)) < 0)
		goto out;
	if ((r = core_mark_prepare(
	         inst->keys, &art, plain.data, plain.len, &ma, err)) < 0)
		goto out;
	as.lang = ma.lang;
	core_capacity_add(&as.cap, &ma.set);
	r = collect_q(&ma.set, true, &q, &nq, &qcap);
	mark_artifact_fini(&ma);
	if (r < 0 ||
	    (r = core_capacity_simulate(q, nq, as.partners, 1, 1.0, SIM_TRIALS,
	         &as.single_caught, &framed)) < 0) {
		r = emb_error_code(err, r);
		goto out;
	}
	*ret = as;
out:
	free(q);
	buf_fini_wipe(&plain);
	return r;
}
