// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rule sets of an attached steering program: atomic install into the double-buffered maps,
 * the rule store that lets any process add, delete and list rules, and the counters. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "steer_internal.h"
#include "rule_internal.h"

static int delete_generation(int rules_fd, __u32 gen)
{
	struct xf_rule_key key, next, *doomed = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking with get_next_key restarts the walk. */
	while (!bpf_map_get_next_key(rules_fd, prev, &next)) {
		if (next.slot / XF_MAX_MASKS == gen) {
			if (n == cap) {
				void *p;

				cap = cap ? cap * 2 : 256;
				p = realloc(doomed, cap * sizeof(*doomed));
				if (!p) {
					free(doomed);
					return -ENOMEM;
				}
				doomed = p;
			}
			doomed[n++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(rules_fd, &doomed[i]) && errno != ENOENT)
			err = -errno;
	free(doomed);
	return err;
}

/* Wait until every steering program run that started before now has finished. An update
 * of a map-of-maps makes the kernel wait for an RCU grace period (all running BPF programs
 * done) before returning, so one such update is the barrier. */
static int wait_for_programs(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int outer_fd = -1, inner_fd = -1;
	LIBBPF_OPTS(bpf_map_create_opts, o);
	__u32 zero = 0;
	int err = 0;

	pthread_mutex_lock(&lock);
	if (outer_fd < 0) {
		inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xf_barrier_in", 4, 4, 1, NULL);
		if (inner_fd < 0) {
			err = -errno;
			goto out;
		}
		o.inner_map_fd = inner_fd;
		outer_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "xf_barrier", 4, 4, 1, &o);
		if (outer_fd < 0) {
			err = -errno;
			close(inner_fd);
			inner_fd = -1;
			goto out;
		}
	}
	if (bpf_map_update_elem(outer_fd, &zero, &inner_fd, 0))
		err = -errno;
out:
	pthread_mutex_unlock(&lock);
	if (err)
		xf_err("cannot wait for running steering programs (map-of-maps barrier): %s",
		       strerror(-err));
	return err;
}

_Static_assert(XF_RULES_MAX == XF_MAX_RULES, "public and map rule limits differ");

static int zero_counters(int stats_fd, __u32 gen, const __u32 *ids, size_t n);

/* Set @bit in every slot v of @tab with (v & m) == k: 2^(zero bits of m) slots. The slots
 * of distinct k under one m are disjoint, so a k already marked is done. */
static void pf_mark(__u32 *tab, __u16 m, __u16 k, __u32 bit)
{
	__u16 free = ~m, s = free;

	if (tab[k] & bit)
		return;
	for (;;) {
		tab[k | s] |= bit;
		if (!s)
			break;
		s = (s - 1) & free;
	}
}

static __u16 be16_at(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/* Fill generation @gen of the prefilter: per field value, the masks worth a lookup. */
static int pf_install(int pf_fd, __u32 gen, const struct xf_compiled *c)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 *tab, *keys, count = XF_PF_GEN_SIZE;
	int err = 0;

	tab = calloc(XF_PF_GEN_SIZE, sizeof(*tab));
	keys = calloc(XF_PF_GEN_SIZE, sizeof(*keys));
	if (!tab || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < c->nentries; i++) {
		const struct xf_compiled_entry *e = &c->entries[i];
		const struct xf_key *m = &c->masks[e->mask_idx];
		__u32 bit = 1u << e->mask_idx;

		pf_mark(tab + XF_PF_DPORT * XF_PF_SLOTS, m->dport, e->key.dport, bit);
		pf_mark(tab + XF_PF_SPORT * XF_PF_SLOTS, m->sport, e->key.sport, bit);
		pf_mark(tab + XF_PF_SRC16 * XF_PF_SLOTS, be16_at(m->src), be16_at(e->key.src), bit);
	}
	for (__u32 i = 0; i < XF_PF_GEN_SIZE; i++)
		keys[i] = gen * XF_PF_GEN_SIZE + i;
	if (bpf_map_update_batch(pf_fd, keys, tab, &count, &bo))
		err = -errno;
out:
	free(tab);
	free(keys);
	return err;
}

int xf_rules_install_obj(struct bpf_object *obj, const struct xf_rule *rules, size_t n)
{
	static const char *const names[] = { "xf_config", "xf_masks", "xf_rules", "xf_prefilter" };
	int fd[4];

	for (int i = 0; i < 4; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, names[i]);

		if (!map || (fd[i] = bpf_map__fd(map)) < 0)
			return -ENOENT;
	}
	struct xf_rule_maps m = {
		.config = fd[0], .masks = fd[1], .rules = fd[2], .prefilter = fd[3],
		.rule_stats = -1,
	};
	return xf_rules_install_maps(&m, rules, NULL, n, NULL, 0);
}

int xf_rules_install_maps(const struct xf_rule_maps *m, const struct xf_rule *rules,
			  const __u32 *ids, size_t n, const __u32 *fresh, size_t nfresh)
{
	int cfg_fd = m->config, masks_fd = m->masks, rules_fd = m->rules;
	struct xf_config cfg;
	struct xf_compiled c;
	__u32 zero = 0, idle;
	int err;

	err = xf_rules_compile_ids(rules, ids, n, &c);
	if (err)
		return err;
	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		err = -errno;
		goto out;
	}
	/* Build the idle generation completely, then flip to it with one map write. Packets
	 * classified against the idle generation before the last flip may still be in flight:
	 * wait for them before touching it. */
	idle = (cfg.gen & 1) ^ 1;
	err = wait_for_programs();
	if (err)
		goto out;
	err = delete_generation(rules_fd, idle);
	if (err)
		goto out;
	/* New rules start from zero: their idle-generation counters now, their live ones
	 * once the flip has drained (below). Surviving rules keep both. */
	if (m->rule_stats >= 0 && nfresh) {
		err = zero_counters(m->rule_stats, idle, fresh, nfresh);
		if (err)
			goto out;
	}
	for (__u32 i = 0; i < c.nmasks; i++) {
		__u32 slot = idle * XF_MAX_MASKS + i;
		struct xf_mask m = { .mask = c.masks[i] };

		if (bpf_map_update_elem(masks_fd, &slot, &m, 0)) {
			err = -errno;
			goto out;
		}
	}
	for (__u32 i = 0; i < c.nentries; i++) {
		struct xf_rule_key k = {
			.slot = idle * XF_MAX_MASKS + c.entries[i].mask_idx,
			.key = c.entries[i].key,
		};

		if (bpf_map_update_elem(rules_fd, &k, &c.entries[i].val, 0)) {
			err = -errno;
			goto out;
		}
	}
	err = pf_install(m->prefilter, idle, &c);
	if (err)
		goto out;
	/* Two writes: a reader that sees the new gen must also see its mask count, and the
	 * value copy gives no ordering between fields. */
	cfg.nmasks[idle] = c.nmasks;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0)) {
		err = -errno;
		goto out;
	}
	cfg.gen = idle;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0)) {
		err = -errno;
		goto out;
	}
	xf_dbg("%zu rules live (%u masks, %u entries, generation %u)", n, c.nmasks, c.nentries,
	       idle);
	/* What the replaced set counted under a reused id belongs to the rule that had it. */
	if (m->rule_stats >= 0 && nfresh) {
		err = wait_for_programs();
		if (!err)
			err = zero_counters(m->rule_stats, idle ^ 1, fresh, nfresh);
	}
out:
	xf_rules_compiled_free(&c);
	return err;
}

static int percpu_sum(int fd, __u32 idx, __u64 *out, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu * nfields, sizeof(__u64));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	memset(out, 0, nfields * sizeof(__u64));
	for (int c = 0; c < ncpu; c++)
		for (size_t f = 0; f < nfields; f++)
			out[f] += vals[(size_t)c * nfields + f];
	free(vals);
	return 0;
}

int xf_rule_counter_read(int stats_fd, __u32 id, struct xf_counter *c)
{
	__u64 v[2];
	int err;

	if (id >= XF_MAX_RULES)
		return -EINVAL;
	c->packets = c->bytes = 0;
	for (__u32 gen = 0; gen < XF_GENERATIONS; gen++) {
		err = percpu_sum(stats_fd, gen * XF_MAX_RULES + id, v, 2);
		if (err)
			return err;
		c->packets += v[0];
		c->bytes += v[1];
	}
	return 0;
}

int xf_steer__rule_counter(const struct xf_steer *s, __u32 idx, struct xf_counter *c)
{
	return xf_rule_counter_read(s->fd[XF_M_RULE_STATS], idx, c);
}

int xf_steer__stats(const struct xf_steer *s, struct xf_steer_stats *st)
{
	__u64 *out[XF_STAT_MAX] = {
		[XF_STAT_PACKETS] = &st->packets,   [XF_STAT_MALFORMED] = &st->malformed,
		[XF_STAT_UNMATCHED] = &st->unmatched, [XF_STAT_PASS] = &st->pass,
		[XF_STAT_DROP] = &st->drop,	    [XF_STAT_XSK] = &st->xsk,
		[XF_STAT_XSK_NOSOCK] = &st->xsk_nosock,
	};
	int fd = s->fd[XF_M_STATS];

	for (__u32 i = 0; i < XF_STAT_MAX; i++) {
		int err = percpu_sum(fd, i, out[i], 1);

		if (err)
			return err;
	}
	return 0;
}


static int zero_counters(int stats_fd, __u32 gen, const __u32 *ids, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xf_rule_stats *zeros;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zeros = calloc(ncpu, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		__u32 id = gen * XF_MAX_RULES + ids[i];

		if (bpf_map_update_elem(stats_fd, &id, zeros, 0))
			err = -errno;
	}
	free(zeros);
	return err;
}

static int install(struct xf_steer *s, const struct xf_rule *rules, const __u32 *ids, size_t n,
		   const __u32 *fresh, size_t nfresh)
{
	struct xf_rule_maps m = {
		.config = s->fd[XF_M_CONFIG], .masks = s->fd[XF_M_MASKS],
		.rules = s->fd[XF_M_RULES], .prefilter = s->fd[XF_M_PREFILTER],
		.rule_stats = s->fd[XF_M_RULE_STATS],
	};
	int err = xf_rules_install_maps(&m, rules, ids, n, fresh, nfresh);

	if (err == -E2BIG)
		xf_err("interface '%s': %zu rules need more than %d masks or %d table entries; "
		       "use fewer distinct rule shapes or port ranges", s->ifname, n, XF_MAX_MASKS,
		       XF_MAX_RULES);
	else if (err)
		xf_err("interface '%s': map 'xf_rules': cannot install %zu rules: %s; the previous "
		       "rules stay live", s->ifname, n, strerror(-err));
	return err;
}

/* ---- the rule store: id -> canonical text, the source of truth for add/del/list ---- */

static int store_clear(struct xf_steer *s)
{
	__u32 key, next;
	void *prev = NULL;

	/* Restart from the beginning after every delete: the walk order is undefined. */
	while (!bpf_map_get_next_key(s->fd[XF_M_RULE_STORE], prev, &next)) {
		if (bpf_map_delete_elem(s->fd[XF_M_RULE_STORE], &next) && errno != ENOENT)
			return -errno;
		(void)key;
		prev = NULL;
	}
	return 0;
}

static int store_put(struct xf_steer *s, __u32 id, const struct xf_rule *r)
{
	struct xf_rule_rec rec = {};

	xf_rule__format(r, rec.text, sizeof(rec.text));
	if (bpf_map_update_elem(s->fd[XF_M_RULE_STORE], &id, &rec, 0))
		return -errno;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct xf_rule_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Read the whole store, sorted by id. Caller frees *out. */
static int store_read(const struct xf_steer *s, struct xf_rule_entry **out, size_t *n)
{
	struct xf_rule_entry *e = NULL;
	struct xf_rule_rec rec;
	size_t cnt = 0, cap = 0;
	__u32 key, next;
	void *prev = NULL;
	char why[256];

	while (!bpf_map_get_next_key(s->fd[XF_M_RULE_STORE], prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(s->fd[XF_M_RULE_STORE], &key, &rec))
			continue;
		if (cnt == cap) {
			void *p;

			cap = cap ? cap * 2 : 64;
			p = realloc(e, cap * sizeof(*e));
			if (!p) {
				free(e);
				return -ENOMEM;
			}
			e = p;
		}
		rec.text[sizeof(rec.text) - 1] = '\0';
		if (xf_rule__parse(rec.text, &e[cnt].rule, why, sizeof(why))) {
			xf_err("map 'xf_rule_store': rule %u is corrupt: %s", key, why);
			free(e);
			return -EINVAL;
		}
		e[cnt++].id = key;
	}
	if (cnt)
		qsort(e, cnt, sizeof(*e), entry_cmp);
	*out = e;
	*n = cnt;
	return 0;
}

static int install_entries(struct xf_steer *s, const struct xf_rule_entry *e, size_t n,
			   const __u32 *fresh, size_t nfresh)
{
	struct xf_rule *rules = calloc(n ? n : 1, sizeof(*rules));
	__u32 *ids = calloc(n ? n : 1, sizeof(*ids));
	int err = -ENOMEM;

	if (rules && ids) {
		for (size_t i = 0; i < n; i++) {
			rules[i] = e[i].rule;
			ids[i] = e[i].id;
		}
		err = install(s, rules, ids, n, fresh, nfresh);
	}
	free(rules);
	free(ids);
	return err;
}

int xf_steer__set_rules(struct xf_steer *s, const struct xf_rule *rules, size_t n)
{
	__u32 *ids = calloc(n ? n : 1, sizeof(*ids));
	int err = -ENOMEM;

	if (ids) {
		for (size_t i = 0; i < n; i++)
			ids[i] = i;
		/* Every rule of a new set is new: all counters restart. */
		err = install(s, rules, ids, n, ids, n);
		free(ids);
	}
	if (err)
		return err;
	/* The store follows the live set; it is only read by rule edits and listings. */
	err = store_clear(s);
	for (size_t i = 0; i < n && !err; i++)
		err = store_put(s, i, &rules[i]);
	if (err)
		xf_err("map 'xf_rule_store': cannot record the rule set of '%s': %s", s->ifname,
		       strerror(-err));
	return err;
}

int xf_steer__add_rule(struct xf_steer *s, const struct xf_rule *rule, __u32 *id)
{
	struct xf_rule_entry *e, *bigger;
	size_t n;
	__u32 free_id = 0;
	int err;

	err = store_read(s, &e, &n);
	if (err)
		return err;
	/* Lowest free id: ids are sorted. */
	for (size_t i = 0; i < n && e[i].id == free_id; i++)
		free_id++;
	if (free_id >= XF_MAX_RULES) {
		free(e);
		xf_err("interface '%s': already %d rules; delete some first", s->ifname,
		       XF_MAX_RULES);
		return -E2BIG;
	}
	bigger = realloc(e, (n + 1) * sizeof(*e));
	if (!bigger) {
		free(e);
		return -ENOMEM;
	}
	e = bigger;
	e[n].id = free_id;
	e[n].rule = *rule;
	err = install_entries(s, e, n + 1, &free_id, 1);
	if (!err)
		err = store_put(s, free_id, rule);
	if (!err && id)
		*id = free_id;
	free(e);
	return err;
}

int xf_steer__del_rule(struct xf_steer *s, __u32 id)
{
	struct xf_rule_entry *e;
	size_t n, at = (size_t)-1;
	int err;

	err = store_read(s, &e, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (e[i].id == id)
			at = i;
	if (at == (size_t)-1) {
		free(e);
		xf_err("interface '%s': no rule with id %u; see 'xskflow rule list'", s->ifname, id);
		return -ENOENT;
	}
	memmove(&e[at], &e[at + 1], (n - at - 1) * sizeof(*e));
	err = install_entries(s, e, n - 1, NULL, 0);
	if (!err && bpf_map_delete_elem(s->fd[XF_M_RULE_STORE], &id))
		err = -errno;
	free(e);
	return err;
}

int xf_steer__list_rules(const struct xf_steer *s, struct xf_rule_entry *out, size_t max)
{
	struct xf_rule_entry *e;
	size_t n;
	int err;

	err = store_read(s, &e, &n);
	if (err)
		return err;
	if (out && max && n)
		memcpy(out, e, (n < max ? n : max) * sizeof(*e));
	free(e);
	return (int)n;
}
