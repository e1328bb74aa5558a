// SPDX-License-Identifier: GPL-2.0
/*
 * Printing the family's messages: every attribute through the table, the
 * ones this program does not know (or that are malformed) generically.
 */
#include <arpa/inet.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "cka.h"

#define CKA_TB_SIZE	(sizeof(((struct cka_parsed *)0)->tb) / \
			 sizeof(((struct cka_parsed *)0)->tb[0]))

_Static_assert(CKA_TB_SIZE <= 64, "struct cka_parsed's present has a bit per type");

/* Payload length of a well-formed value of each kind; -1: any. */
static const int cka_kind_len[] = {
	[CKA_KIND_U32]		= 4,
	[CKA_KIND_ENUM]		= 4,
	[CKA_KIND_FLAGS]	= 4,
	[CKA_KIND_FACTOR]	= 4,
	[CKA_KIND_S32]		= 4,
	[CKA_KIND_U64]		= 8,
	[CKA_KIND_BE16]		= 2,
	[CKA_KIND_IPV4]		= 4,
	[CKA_KIND_IPV6]		= 16,
	[CKA_KIND_PAD]		= -1,
};

static unsigned int cka_attr_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

static unsigned int cka_attr_len(const struct nlattr *attr)
{
	return attr->nla_len - MNL_ATTR_HDRLEN;
}

static const void *cka_attr_data(const struct nlattr *attr)
{
	return (const char *)attr + MNL_ATTR_HDRLEN;
}

#define CKA_LEN_ANY	(-1)
#define CKA_LEN_UNKNOWN	(-2)	/* not a type of the set: never in tb */

/* A name as printed before its value, padded: copied whole, then len kept. */
#define CKA_KEY_MAX	48

struct cka_key {
	unsigned char len;		/* 0: too long, written otherwise */
	char text[CKA_KEY_MAX];
};

/* What the parser and the printers work out once per attribute set. */
struct cka_set_info {
	const struct cka_attr_set *set;
	/* Payload length of a well-formed attribute: CKA_LEN_ANY, _UNKNOWN */
	int want[CKA_TB_SIZE];
	struct cka_key text[CKA_TB_SIZE];	/* "name " */
	struct cka_key json[CKA_TB_SIZE];	/* "\"name\":" (compact) */
};

static void cka_key_init(struct cka_key *k, const char *pre, const char *name,
			 const char *post)
{
	int n = snprintf(k->text, sizeof(k->text), "%s%s%s", pre, name, post);

	k->len = n > 0 && n < CKA_KEY_MAX ? (unsigned char)n : 0;
}

static const struct cka_set_info *cka_set_info(const struct cka_attr_set *set)
{
	static struct cka_set_info info;
	const struct cka_attr *a;
	unsigned int type;

	if (info.set == set)
		return &info;
	memset(&info, 0, sizeof(info));
	for (type = 0; type < CKA_TB_SIZE; type++) {
		a = cka_attr_get(set, type);
		if (!a || a->kind >= sizeof(cka_kind_len) / sizeof(cka_kind_len[0]) ||
		    !cka_kind_len[a->kind]) {
			info.want[type] = CKA_LEN_UNKNOWN;
			continue;
		}
		info.want[type] = cka_kind_len[a->kind];
		/* Names are plain (attrs.h): nothing to escape in JSON. */
		cka_key_init(&info.text[type], "", a->name, " ");
		cka_key_init(&info.json[type], "\"", a->name, "\":");
	}
	info.set = set;
	return &info;
}

int cka_parse_msg(const struct cka_attr_set *set, const struct nlmsghdr *nlh,
		  struct cka_parsed *p)
{
	const char *tail = (const char *)nlh + MNL_ALIGN(nlh->nlmsg_len);
	const struct genlmsghdr *genl;
	const struct nlattr *attr;
	unsigned int type;
	const int *want;
	int len;

	memset(p->tb, 0, sizeof(p->tb));
	p->present = 0;
	p->nother = 0;
	p->cmd = 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*genl))
		return -1;
	genl = mnl_nlmsg_get_payload(nlh);
	p->cmd = genl->cmd;
	/*
	 * As mnl_attr_parse() walks: stops quietly at a truncated attribute,
	 * print what was whole. A known type of the right length goes in tb,
	 * (the last one if repeated) the rest in other.
	 */
	want = cka_set_info(set)->want;
	attr = (const void *)((const char *)genl + MNL_ALIGN(sizeof(*genl)));
	while (tail - (const char *)attr >= (int)sizeof(*attr) &&
	       attr->nla_len >= sizeof(*attr) &&
	       attr->nla_len <= tail - (const char *)attr) {
		type = cka_attr_type(attr);
		len = type < CKA_TB_SIZE ? want[type] : CKA_LEN_UNKNOWN;
		if (len != CKA_LEN_UNKNOWN &&
		    (len == CKA_LEN_ANY ||
		     cka_attr_len(attr) == (unsigned int)len)) {
			p->tb[type] = attr;
			p->present |= 1ULL << type;
		} else if (p->nother < CKA_MAX_OTHER) {
			p->other[p->nother++] = attr;
		}
		attr = (const void *)((const char *)attr +
				      MNL_ALIGN(attr->nla_len));
	}
	return 0;
}

static uint32_t cka_get(const struct nlattr *attr)
{
	uint32_t v;

	memcpy(&v, cka_attr_data(attr), sizeof(v));
	return v;
}

static uint64_t cka_get64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, cka_attr_data(attr), sizeof(v));
	return v;
}

static uint16_t cka_get_be16(const struct nlattr *attr)
{
	uint16_t v;

	memcpy(&v, cka_attr_data(attr), sizeof(v));
	return ntohs(v);
}

/* "%u", for the addresses below. */
static char *cka_fmt_dec(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* inet_ntop(AF_INET): a dotted quad. Returns the end (no NUL). */
static __attribute__((returns_nonnull))
char *cka_fmt_ipv4(char *p, const unsigned char *a)
{
	p = cka_fmt_dec(p, a[0]);
	*p++ = '.';
	p = cka_fmt_dec(p, a[1]);
	*p++ = '.';
	p = cka_fmt_dec(p, a[2]);
	*p++ = '.';
	return cka_fmt_dec(p, a[3]);
}

/*
 * inet_ntop(AF_INET6) as glibc writes it (RFC 5952): groups in lowercase
 * hex without leading zeroes, the first longest run of two or more zero
 * groups as "::", and ::a.b.c.d / ::ffff:a.b.c.d for the IPv4-compatible
 * and -mapped forms. Returns the end (no NUL); @p has INET6_ADDRSTRLEN.
 */
static __attribute__((returns_nonnull))
char *cka_fmt_ipv6(char *p, const unsigned char *a)
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, best_len = 0, cur = -1, cur_len = 0, i;
	unsigned int w[8];

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			if (cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return cka_fmt_ipv4(p, a + 12);
		if (w[i] >= 0x1000)
			*p++ = hex[w[i] >> 12];
		if (w[i] >= 0x100)
			*p++ = hex[w[i] >> 8 & 0xf];
		if (w[i] >= 0x10)
			*p++ = hex[w[i] >> 4 & 0xf];
		*p++ = hex[w[i] & 0xf];
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

/* Room cka_fmt_val() needs: an IPv6 address in quotes. */
#define CKA_VAL_ROOM	(INET6_ADDRSTRLEN + 2)

/*
 * A well-formed attribute's value at @p (CKA_VAL_ROOM), as text or (@json)
 * as JSON: the same digits and names, in JSON with addresses and enum names
 * quoted (nothing to escape) and factors in thousandths. Returns the end, or
 * NULL, having written nothing of use, for what it leaves to cka_attr_text()
 * and _json(): flags, factors as text, enum names too long, padding.
 */
static inline __attribute__((always_inline))
char *cka_fmt_val(char *p, const struct cka_attr *a, const struct nlattr *attr,
		  bool json)
{
	const struct cka_name *n;
	uint32_t v;
	size_t len;

	switch (a->kind) {
	case CKA_KIND_U32:
		return obuf_fmt_u64(p, cka_get(attr));
	case CKA_KIND_S32:
		v = cka_get(attr);
		if ((int32_t)v >= 0)
			return obuf_fmt_u64(p, v);
		*p++ = '-';
		return obuf_fmt_u64(p, -(uint64_t)(int32_t)v);
	case CKA_KIND_U64:
		return obuf_fmt_u64(p, cka_get64(attr));
	case CKA_KIND_BE16:
		return obuf_fmt_u64(p, cka_get_be16(attr));
	case CKA_KIND_FACTOR:
		return json ? obuf_fmt_u64(p, cka_get(attr)) : NULL;
	case CKA_KIND_IPV4:
	case CKA_KIND_IPV6:
		*p = '"';
		p += json;
		if (a->kind == CKA_KIND_IPV4)
			p = cka_fmt_ipv4(p, cka_attr_data(attr));
		else
			p = cka_fmt_ipv6(p, cka_attr_data(attr));
		*p = '"';
		return p + json;
	case CKA_KIND_ENUM:
		v = cka_get(attr);
		n = cka_name_of(a->names, v);
		if (!n)
			return obuf_fmt_u64(p, v);
		len = strlen(n->name);
		if (len > CKA_VAL_ROOM - 2)
			return NULL;
		*p = '"';
		p += json;
		obuf_copy(p, n->name, len);
		p += len;
		*p = '"';
		return p + json;
	default:
		return NULL;
	}
}

/*
 * A value as text, off the fast path: after a name too long for the key
 * table, and the kinds cka_fmt_val() leaves (through cka_attr_text()).
 */
static void cka_val_text(struct obuf *b, const struct cka_attr *a,
			 const struct nlattr *attr)
{
	char *p = obuf_room(b, CKA_VAL_ROOM);
	char *end = cka_fmt_val(p, a, attr, false);

	if (end)
		obuf_commit(b, end);
	else if (a->kind != CKA_KIND_PAD)
		cka_attr_text(b, a, cka_get(attr));
}

/*
 * "<name> <value>", after a space unless it is the first: the key copied
 * whole into room asked for once, the value written after it.
 */
static inline __attribute__((always_inline))
void cka_text_member(struct obuf *b, const struct cka_attr *a,
		     const struct cka_key *key, const struct nlattr *attr,
		     bool first)
{
	char *p, *end;

	if (!key->len) {
		if (!first)
			obuf_putc(b, ' ');
		obuf_puts(b, a->name);
		obuf_putc(b, ' ');
		cka_val_text(b, a, attr);
		return;
	}
	p = obuf_room(b, 1 + CKA_KEY_MAX + CKA_VAL_ROOM);
	*p = ' ';
	p += !first;
	memcpy(p, key->text, CKA_KEY_MAX);
	p += key->len;
	end = cka_fmt_val(p, a, attr, false);
	if (end) {
		obuf_commit(b, end);
		return;
	}
	obuf_commit(b, p);
	cka_val_text(b, a, attr);
}

/* The types to print after the id, as bits in attribute order. */
static uint64_t cka_rest(const struct cka_attr_set *set,
			 const struct cka_parsed *p,
			 const struct cka_object *obj)
{
	uint64_t m = p->present;

	if (set->max < 63)
		m &= (2ULL << set->max) - 1;
	if (obj && obj->id_attr < 64)
		m &= ~(1ULL << obj->id_attr);
	return m;
}

void cka_print_text_buf(struct obuf *b, const struct cka_attr_set *set,
			const struct cka_parsed *p,
			const struct cka_object *obj)
{
	const struct cka_set_info *info = cka_set_info(set);
	const struct cka_attr *a;
	unsigned int type, i;
	bool first = true;
	uint64_t m;

	/* The object's id first, then the rest in attribute order. */
	if (obj && p->tb[obj->id_attr]) {
		type = obj->id_attr;
		a = cka_attr_get(set, type);
		cka_text_member(b, a, &info->text[type], p->tb[type], true);
		first = false;
	}
	for (m = cka_rest(set, p, obj); m; m &= m - 1) {
		type = (unsigned int)__builtin_ctzll(m);
		a = cka_attr_get(set, type);
		if (a->kind == CKA_KIND_PAD)
			continue;
		cka_text_member(b, a, &info->text[type], p->tb[type], first);
		first = false;
	}
	for (i = 0; i < p->nother; i++) {
		obuf_puts(b, first ? "attr " : " attr ");
		obuf_u64(b, cka_attr_type(p->other[i]));
		obuf_put(b, " len ", 5);
		obuf_u64(b, cka_attr_len(p->other[i]));
		first = false;
	}
}

void cka_print_text(FILE *f, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj)
{
	static struct obuf b;	/* big: not on the stack */

	obuf_init(&b, f);
	cka_print_text_buf(&b, set, p, obj);
	obuf_flush(&b);
}

static void cka_json_other(struct json *j, const struct nlattr *attr)
{
	const unsigned char *d = mnl_attr_get_payload(attr);
	uint16_t len = mnl_attr_get_payload_len(attr), k;
	char key[32], hex[2 * 256 + 1];

	if (len > 256)
		len = 256;
	for (k = 0; k < len; k++)
		snprintf(hex + 2 * k, 3, "%02x", d[k]);
	hex[2 * len] = '\0';
	snprintf(key, sizeof(key), "attr-%u", mnl_attr_get_type(attr));
	json_str(j, key, hex);
}

/*
 * A JSON member through json.c: pretty output, a name too long for the key
 * table, the kinds cka_fmt_val() leaves (padding: no member).
 */
static __attribute__((noinline))
void cka_json_member_slow(struct json *j, const struct cka_attr *a,
			  const struct nlattr *attr)
{
	char buf[CKA_VAL_ROOM], *end = cka_fmt_val(buf, a, attr, true);

	if (end)
		json_raw_plain(j, a->name, cka_attr_name_len(a), buf,
			       (size_t)(end - buf));
	else if (a->kind != CKA_KIND_PAD)
		cka_attr_json(j, a, cka_get(attr));
}

/*
 * The JSON member of an attribute, as YNL's cli.py prints it. Compact
 * output with a key of the table is written straight into the buffer.
 */
static inline __attribute__((always_inline))
void cka_json_member(struct json *j, const struct cka_attr *a,
		     const struct cka_key *key, const struct nlattr *attr)
{
	char *p, *end;

	if (!j->pretty && key->len) {
		p = json_member_room(j, CKA_KEY_MAX + CKA_VAL_ROOM);
		memcpy(p, key->text, CKA_KEY_MAX);
		end = cka_fmt_val(p + key->len, a, attr, true);
		if (end) {
			json_commit(j, end);
			return;
		}
	}
	cka_json_member_slow(j, a, attr);
}

void cka_print_json(struct json *j, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj)
{
	const struct cka_set_info *info = cka_set_info(set);
	unsigned int type, i;
	uint64_t m;

	if (obj && p->tb[obj->id_attr]) {
		type = obj->id_attr;
		cka_json_member(j, cka_attr_get(set, type), &info->json[type],
				p->tb[type]);
	}
	for (m = cka_rest(set, p, obj); m; m &= m - 1) {
		type = (unsigned int)__builtin_ctzll(m);
		cka_json_member(j, cka_attr_get(set, type), &info->json[type],
				p->tb[type]);
	}
	for (i = 0; i < p->nother; i++)
		cka_json_other(j, p->other[i]);
}
