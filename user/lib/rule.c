// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The rule language: parse, print (round-trip safe) and compile rules into the masks and
 * hash entries the steering program looks up (see bpf/xf_abi.h). */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include "xf_internal.h"
#include "rule_internal.h"

#define XF_PRIO_MAX 65535

struct xf_word {
	const char *name;
	int (*parse)(struct xf_rule *r, const char *arg, char *why, size_t len);
	__u32 field;	/* XF_RF_* it sets; a second setting is an error */
	bool takes_arg;
};

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -ERANGE;
	return 0;
}

static int arg_uint(const char *arg, unsigned long lo, unsigned long hi, unsigned long *v,
		    char *why, size_t len)
{
	if (parse_uint(arg, hi, v) || *v < lo) {
		snprintf(why, len, "'%s' is not a number in %lu-%lu", arg, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int w_prio(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	unsigned long v;

	if (arg_uint(arg, 0, XF_PRIO_MAX, &v, why, len))
		return -EINVAL;
	r->prio = v;
	return 0;
}

static int w_vlan(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	unsigned long v;

	if (arg_uint(arg, 0, 4095, &v, why, len))
		return -EINVAL;
	r->vlan = v;
	return 0;
}

static int w_queue(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	unsigned long v;

	if (arg_uint(arg, 0, XF_MAX_QUEUES - 1, &v, why, len))
		return -EINVAL;
	r->queue = v;
	return 0;
}

static int w_slot(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	unsigned long v;

	if (arg_uint(arg, 0, XF_SLOTS - 1, &v, why, len))
		return -EINVAL;
	r->slot = v;
	return 0;
}

static int w_proto(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	unsigned long v;

	if (arg_uint(arg, 0, 255, &v, why, len))
		return -EINVAL;
	r->l4 = v;
	return 0;
}

static int parse_range(const char *arg, __u16 *lo, __u16 *hi, char *why, size_t len)
{
	char buf[16], *dash;
	unsigned long a, b;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(buf, 65535, &a))
		goto bad;
	b = a;
	if (dash && parse_uint(dash + 1, 65535, &b))
		goto bad;
	if (a > b) {
		snprintf(why, len, "range '%s' is upside down; write %lu-%lu", arg, b, a);
		return -EINVAL;
	}
	*lo = a;
	*hi = b;
	return 0;
bad:
	snprintf(why, len, "'%s' is not a port (0-65535) or a range P-Q", arg);
	return -EINVAL;
}

static int w_sport(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	return parse_range(arg, &r->sport_lo, &r->sport_hi, why, len);
}

static int w_dport(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	return parse_range(arg, &r->dport_lo, &r->dport_hi, why, len);
}

static int parse_prefix(const char *arg, __u8 *addr, __u8 *plen, __u8 *fam, char *why,
			size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long l;
	int bits;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*fam = XF_L3_IPV4;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*fam = XF_L3_IPV6;
		bits = 128;
	} else {
		goto bad;
	}
	l = bits;
	if (slash && parse_uint(slash + 1, bits, &l)) {
		snprintf(why, len, "prefix length in '%s' must be 0-%d", arg, bits);
		return -EINVAL;
	}
	for (int i = l; i < bits; i++) {
		if (addr[i / 8] & (0x80 >> (i % 8))) {
			snprintf(why, len, "'%s' has bits set past the prefix length", arg);
			return -EINVAL;
		}
	}
	*plen = l;
	return 0;
bad:
	snprintf(why, len, "'%s' is not an IPv4 or IPv6 address or prefix", arg);
	return -EINVAL;
}

static int set_family(struct xf_rule *r, __u8 fam, const char *what, char *why, size_t len)
{
	if ((r->fields & XF_RF_L3) && r->l3 != fam) {
		snprintf(why, len, "%s is IPv%u but the rule already says IPv%u", what, fam, r->l3);
		return -EINVAL;
	}
	r->fields |= XF_RF_L3;
	r->l3 = fam;
	return 0;
}

static int w_src(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	__u8 fam;

	if (parse_prefix(arg, r->src, &r->src_len, &fam, why, len))
		return -EINVAL;
	return set_family(r, fam, "the source prefix", why, len);
}

static int w_dst(struct xf_rule *r, const char *arg, char *why, size_t len)
{
	__u8 fam;

	if (parse_prefix(arg, r->dst, &r->dst_len, &fam, why, len))
		return -EINVAL;
	return set_family(r, fam, "the destination prefix", why, len);
}

#define L3_WORD(fn, fam)							\
	static int fn(struct xf_rule *r, const char *arg, char *why, size_t len)	\
	{									\
		(void)arg;							\
		return set_family(r, fam, "the protocol", why, len);		\
	}
L3_WORD(w_ip, XF_L3_IPV4)
L3_WORD(w_ip6, XF_L3_IPV6)

#define L4_WORD(fn, num)							\
	static int fn(struct xf_rule *r, const char *arg, char *why, size_t len)	\
	{									\
		(void)arg; (void)why; (void)len;				\
		r->l4 = num;							\
		return 0;							\
	}
L4_WORD(w_tcp, IPPROTO_TCP)
L4_WORD(w_udp, IPPROTO_UDP)
L4_WORD(w_icmp, IPPROTO_ICMP)
L4_WORD(w_icmp6, IPPROTO_ICMPV6)

#define ACTION_WORD(fn, act)							\
	static int fn(struct xf_rule *r, const char *arg, char *why, size_t len)	\
	{									\
		(void)arg; (void)why; (void)len;				\
		r->action = act;						\
		return 0;							\
	}
ACTION_WORD(w_xsk, XF_RULE_XSK)
ACTION_WORD(w_pass, XF_RULE_PASS)
ACTION_WORD(w_drop, XF_RULE_DROP)

/* Pseudo-fields for "an action / ip|ip6 word was given", so a second one is refused like
 * any repeat (src/dst also set the family, which is not a repeat). */
#define XF_RF_ACTION_SEEN (1u << 31)
#define XF_RF_FAMILY_SEEN (1u << 30)
#define XF_RF_SEEN_MASK (XF_RF_ACTION_SEEN | XF_RF_FAMILY_SEEN)

static const struct xf_word words[] = {
	{ "prio", w_prio, XF_RF_PRIO, true },
	{ "vlan", w_vlan, XF_RF_VLAN, true },
	{ "ip", w_ip, XF_RF_FAMILY_SEEN, false },
	{ "ip6", w_ip6, XF_RF_FAMILY_SEEN, false },
	{ "tcp", w_tcp, XF_RF_L4, false },
	{ "udp", w_udp, XF_RF_L4, false },
	{ "icmp", w_icmp, XF_RF_L4, false },
	{ "icmp6", w_icmp6, XF_RF_L4, false },
	{ "proto", w_proto, XF_RF_L4, true },
	{ "src", w_src, XF_RF_SRC, true },
	{ "dst", w_dst, XF_RF_DST, true },
	{ "sport", w_sport, XF_RF_SPORT, true },
	{ "dport", w_dport, XF_RF_DPORT, true },
	{ "queue", w_queue, XF_RF_QUEUE, true },
	{ "slot", w_slot, XF_RF_SLOT, true },
	{ "xsk", w_xsk, XF_RF_ACTION_SEEN, false },
	{ "pass", w_pass, XF_RF_ACTION_SEEN, false },
	{ "drop", w_drop, XF_RF_ACTION_SEEN, false },
};

static const struct xf_word *find_word(const char *w)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i].name, w))
			return &words[i];
	return NULL;
}

/* Checks across words, once all are read. */
static int check_rule(const struct xf_rule *r, char *why, size_t len)
{
	bool ports = r->fields & (XF_RF_SPORT | XF_RF_DPORT);

	if (ports && (r->fields & XF_RF_L4) && r->l4 != IPPROTO_TCP && r->l4 != IPPROTO_UDP) {
		snprintf(why, len, "ports need tcp or udp, not protocol %u", r->l4);
		return -EINVAL;
	}
	if ((r->fields & XF_RF_L4) && (r->fields & XF_RF_L3) &&
	    ((r->l4 == IPPROTO_ICMP && r->l3 == XF_L3_IPV6) ||
	     (r->l4 == IPPROTO_ICMPV6 && r->l3 == XF_L3_IPV4))) {
		snprintf(why, len, "%s does not exist over IPv%u",
			 r->l4 == IPPROTO_ICMP ? "icmp" : "icmp6", r->l3);
		return -EINVAL;
	}
	if ((r->fields & XF_RF_SLOT) && r->action != XF_RULE_XSK) {
		snprintf(why, len, "slot picks a socket: it needs the xsk action");
		return -EINVAL;
	}
	if (!(r->fields & ~(XF_RF_PRIO | XF_RF_SLOT | XF_RF_SEEN_MASK))) {
		snprintf(why, len, "a rule must match on something, e.g. 'udp dport 4242'");
		return -EINVAL;
	}
	return 0;
}

/* The rule text as quoted in messages: whitespace runs become one space, so a message
 * stays on one line whatever the input (e.g. a line read with its newline). */
static void quote_text(char *out, size_t len, const char *text)
{
	size_t n = 0;
	bool space = false;

	for (; *text && n + 1 < len; text++) {
		if (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < len)
			out[n++] = ' ';
		space = false;
		out[n++] = *text;
	}
	out[n] = '\0';
}

int xf_rule__parse(const char *text, struct xf_rule *rule, char *err, size_t errlen)
{
	char buf[XF_RULE_TEXT_MAX], why[160] = "", shown[XF_RULE_TEXT_MAX], scratch[1];
	struct xf_rule r = { .prio = XF_RULE_PRIO_DEFAULT, .action = XF_RULE_XSK };
	char *save = NULL, *w;
	const char *word = NULL;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (!text || strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "rule is empty (NULL) or longer than %d characters",
			 XF_RULE_TEXT_MAX - 1);
		return -EINVAL;
	}
	strcpy(buf, text);
	for (w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		const struct xf_word *d = find_word(w);
		const char *arg = NULL;

		word = w;
		if (!d) {
			snprintf(why, sizeof(why), "unknown word; expected one of prio vlan ip ip6 "
				 "tcp udp icmp icmp6 proto src dst sport dport queue slot xsk pass drop");
			goto fail;
		}
		/* A different family is a contradiction: its parser says so, with both. */
		if ((d->field & r.fields) &&
		    !(d->field == XF_RF_FAMILY_SEEN && r.l3 != (d->parse == w_ip ? 4 : 6))) {
			snprintf(why, sizeof(why), "repeats or contradicts an earlier word");
			goto fail;
		}
		if (d->takes_arg) {
			arg = strtok_r(NULL, " \t\n", &save);
			if (!arg) {
				snprintf(why, sizeof(why), "needs a value");
				goto fail;
			}
		}
		if (d->parse(&r, arg, why, sizeof(why)))
			goto fail;
		r.fields |= d->field;
	}
	word = NULL;
	if (check_rule(&r, why, sizeof(why)))
		goto fail;
	r.fields &= ~XF_RF_SEEN_MASK;
	*rule = r;
	return 0;
fail:
	quote_text(shown, sizeof(shown), text);
	if (word)
		snprintf(err, errlen, "rule '%s': at '%s': %s", shown, word, why);
	else
		snprintf(err, errlen, "rule '%s': %s", shown, why);
	return -EINVAL;
}

static const char *const action_names[] = {
	[XF_RULE_XSK] = "xsk", [XF_RULE_PASS] = "pass", [XF_RULE_DROP] = "drop",
};

static int fmt_prefix(char *out, size_t len, __u8 fam, const __u8 *addr, __u8 plen)
{
	char a[INET6_ADDRSTRLEN];
	int full = fam == XF_L3_IPV4 ? 32 : 128;

	inet_ntop(fam == XF_L3_IPV4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	if (plen == full)
		return snprintf(out, len, "%s", a);
	return snprintf(out, len, "%s/%u", a, plen);
}

static int fmt_range(char *out, size_t len, __u16 lo, __u16 hi)
{
	if (lo == hi)
		return snprintf(out, len, "%u", lo);
	return snprintf(out, len, "%u-%u", lo, hi);
}

int xf_rule__format(const struct xf_rule *r, char *buf, size_t len)
{
	char tmp[XF_RULE_TEXT_MAX], part[64];
	size_t n = 0;

#define PUT(...)								\
	do {									\
		int k_ = snprintf(tmp + n, n < sizeof(tmp) ? sizeof(tmp) - n : 0,	\
				  __VA_ARGS__);					\
		n += k_ > 0 ? (size_t)k_ : 0;					\
	} while (0)

	tmp[0] = '\0';
	if (r->fields & XF_RF_PRIO)
		PUT("prio %u ", r->prio);
	if (r->fields & XF_RF_VLAN)
		PUT("vlan %u ", r->vlan);
	if (r->fields & XF_RF_L3)
		PUT("%s ", r->l3 == XF_L3_IPV6 ? "ip6" : "ip");
	if (r->fields & XF_RF_L4) {
		switch (r->l4) {
		case IPPROTO_TCP: PUT("tcp "); break;
		case IPPROTO_UDP: PUT("udp "); break;
		case IPPROTO_ICMP: PUT("icmp "); break;
		case IPPROTO_ICMPV6: PUT("icmp6 "); break;
		default: PUT("proto %u ", r->l4); break;
		}
	}
	if (r->fields & XF_RF_SRC) {
		fmt_prefix(part, sizeof(part), r->l3, r->src, r->src_len);
		PUT("src %s ", part);
	}
	if (r->fields & XF_RF_DST) {
		fmt_prefix(part, sizeof(part), r->l3, r->dst, r->dst_len);
		PUT("dst %s ", part);
	}
	if (r->fields & XF_RF_SPORT) {
		fmt_range(part, sizeof(part), r->sport_lo, r->sport_hi);
		PUT("sport %s ", part);
	}
	if (r->fields & XF_RF_DPORT) {
		fmt_range(part, sizeof(part), r->dport_lo, r->dport_hi);
		PUT("dport %s ", part);
	}
	if (r->fields & XF_RF_QUEUE)
		PUT("queue %u ", r->queue);
	PUT("%s", (unsigned int)r->action < 3 ? action_names[r->action] : "?");
	if (r->fields & XF_RF_SLOT)
		PUT(" slot %u", r->slot);
#undef PUT
	return snprintf(buf, len, "%s", tmp);
}

/* ---- compilation into masks and hash entries ---- */

/* Split [lo, hi] into aligned power-of-two blocks: each is (value, mask) on 16 bits. */
static unsigned int range_blocks(__u16 lo, __u16 hi, __u16 *val, __u16 *mask)
{
	unsigned int n = 0;
	__u32 cur = lo;

	while (cur <= hi) {
		__u32 size = 1;

		while (!(cur & size) && size < 0x10000 && cur + size * 2 - 1 <= hi)
			size <<= 1;
		val[n] = cur;
		mask[n] = (__u16)~(size - 1);
		n++;
		cur += size;
	}
	return n;
}

static void prefix_mask(__u8 *m, __u8 plen)
{
	for (unsigned int i = 0; i < plen; i++)
		m[i / 8] |= 0x80 >> (i % 8);
}

static void key_and(struct xf_key *k, const struct xf_key *m)
{
	__u8 *p = (__u8 *)k;
	const __u8 *q = (const __u8 *)m;

	for (size_t i = 0; i < sizeof(*k); i++)
		p[i] &= q[i];
}

static int find_or_add_mask(struct xf_compiled *c, const struct xf_key *m)
{
	for (__u32 i = 0; i < c->nmasks; i++)
		if (!memcmp(&c->masks[i], m, sizeof(*m)))
			return i;
	if (c->nmasks == XF_MAX_MASKS)
		return -E2BIG;
	c->masks[c->nmasks] = *m;
	return c->nmasks++;
}

static int add_entry(struct xf_compiled *c, const struct xf_key *mask, const struct xf_key *key,
		     __u32 id, const struct xf_rule *r, __u32 spec)
{
	struct xf_compiled_entry *e;
	int mi = find_or_add_mask(c, mask);

	if (mi < 0)
		return mi;
	if (c->nentries == XF_MAX_RULES)
		return -E2BIG;
	if (c->nentries == c->cap) {
		__u32 cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->entries, cap * sizeof(*c->entries));

		if (!p)
			return -ENOMEM;
		c->entries = p;
		c->cap = cap;
	}
	e = &c->entries[c->nentries++];
	e->mask_idx = mi;
	e->key = *key;
	key_and(&e->key, mask);
	e->val.rule_id = id;
	e->val.prio = r->prio;
	e->val.action = r->action;
	e->val.slot = r->slot;
	e->val.spec = spec;
	return 0;
}

/* Bits a port range pins down: 16 for one port, fewer for wider ranges. */
static __u32 range_bits(__u16 lo, __u16 hi)
{
	__u32 size = (__u32)hi - lo + 1, bits = 16;

	while (size > 1 && bits) {
		size = (size + 1) / 2;
		bits--;
	}
	return bits;
}

/* Specificity belongs to the rule, not to the blocks a range expands into: of two rules at
 * the same prio, the one that pins down more packet-key bits wins everywhere they overlap.
 * The reference classifier (classify.c) uses the same function. */
__u32 xf_rule__specificity(const struct xf_rule *r)
{
	__u32 fl = r->fields, spec = 0;

	if (fl & XF_RF_VLAN)
		spec += 12 + 1;		/* vid bits + the "tagged" flag */
	if (fl & XF_RF_L3)
		spec += 8;
	if (fl & XF_RF_L4)
		spec += 8;
	if (fl & XF_RF_SRC)
		spec += r->src_len > 128 ? 128 : r->src_len;
	if (fl & XF_RF_DST)
		spec += r->dst_len > 128 ? 128 : r->dst_len;
	if (fl & XF_RF_QUEUE)
		spec += 32;
	if (fl & (XF_RF_SPORT | XF_RF_DPORT))
		spec += 1;		/* the "has ports" flag */
	if (fl & XF_RF_SPORT)
		spec += range_bits(r->sport_lo, r->sport_hi);
	if (fl & XF_RF_DPORT)
		spec += range_bits(r->dport_lo, r->dport_hi);
	return spec;
}

static int compile_one(struct xf_compiled *c, const struct xf_rule *r, __u32 id)
{
	__u16 sv[34], sm[34], dv[34], dm[34];
	unsigned int ns = 1, nd = 1;
	struct xf_key m = {}, k = {};
	__u32 spec;
	int err;

	if (r->fields & XF_RF_VLAN) {
		m.flags |= XF_KF_VLAN;
		k.flags |= XF_KF_VLAN;
		m.vlan = 0x0fff;
		k.vlan = r->vlan;
	}
	if (r->fields & XF_RF_L3) {
		m.l3 = 0xff;
		k.l3 = r->l3;
	}
	if (r->fields & XF_RF_L4) {
		m.l4 = 0xff;
		k.l4 = r->l4;
	}
	if (r->fields & XF_RF_SRC) {
		prefix_mask(m.src, r->src_len);
		memcpy(k.src, r->src, 16);
	}
	if (r->fields & XF_RF_DST) {
		prefix_mask(m.dst, r->dst_len);
		memcpy(k.dst, r->dst, 16);
	}
	if (r->fields & XF_RF_QUEUE) {
		m.queue = 0xffffffff;
		k.queue = r->queue;
	}
	if (r->fields & (XF_RF_SPORT | XF_RF_DPORT)) {
		m.flags |= XF_KF_PORTS;
		k.flags |= XF_KF_PORTS;
	}
	spec = xf_rule__specificity(r);
	sv[0] = sm[0] = dv[0] = dm[0] = 0;
	if (r->fields & XF_RF_SPORT)
		ns = range_blocks(r->sport_lo, r->sport_hi, sv, sm);
	if (r->fields & XF_RF_DPORT)
		nd = range_blocks(r->dport_lo, r->dport_hi, dv, dm);

	for (unsigned int i = 0; i < ns; i++) {
		for (unsigned int j = 0; j < nd; j++) {
			m.sport = sm[i];
			k.sport = sv[i];
			m.dport = dm[j];
			k.dport = dv[j];
			err = add_entry(c, &m, &k, id, r, spec);
			if (err)
				return err;
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct xf_compiled_entry *x = a, *y = b;

	if (x->mask_idx != y->mask_idx)
		return x->mask_idx < y->mask_idx ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static bool val_better(const struct xf_rule_val *a, const struct xf_rule_val *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if (a->spec != b->spec)
		return a->spec > b->spec;
	return a->rule_id < b->rule_id;
}

int xf_rules_compile(const struct xf_rule *rules, size_t n, struct xf_compiled *c)
{
	return xf_rules_compile_ids(rules, NULL, n, c);
}

int xf_rules_compile_ids(const struct xf_rule *rules, const __u32 *ids, size_t n,
			 struct xf_compiled *c)
{
	__u32 out = 0;
	int err;

	memset(c, 0, sizeof(*c));
	if (n > XF_MAX_RULES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		err = compile_one(c, &rules[i], ids ? ids[i] : (__u32)i);
		if (err) {
			xf_rules_compiled_free(c);
			return err;
		}
	}
	/* Identical (mask, key) pairs from different rules: the one the program would pick
	 * anyway is the only one it can see. */
	if (c->nentries)
		qsort(c->entries, c->nentries, sizeof(*c->entries), entry_cmp);
	for (__u32 i = 0; i < c->nentries; i++) {
		if (out && !entry_cmp(&c->entries[out - 1], &c->entries[i])) {
			if (val_better(&c->entries[i].val, &c->entries[out - 1].val))
				c->entries[out - 1] = c->entries[i];
			continue;
		}
		c->entries[out++] = c->entries[i];
	}
	c->nentries = out;
	return 0;
}

void xf_rules_compiled_free(struct xf_compiled *c)
{
	free(c->entries);
	c->entries = NULL;
	c->nentries = c->cap = 0;
}
