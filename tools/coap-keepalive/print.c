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
static char *cka_fmt_ipv4(char *p, const unsigned char *a)
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
static char *cka_fmt_ipv6(char *p, const unsigned char *a)
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

/* An address attribute's text in @buf, NUL-terminated; returns its length. */
static size_t cka_fmt_addr(const struct cka_attr *a, const struct nlattr *attr,
			   char buf[INET6_ADDRSTRLEN])
{
	char *end;

	if (a->kind == CKA_KIND_IPV4)
		end = cka_fmt_ipv4(buf, cka_attr_data(attr));
	else
		end = cka_fmt_ipv6(buf, cka_attr_data(attr));
	*end = '\0';
	return (size_t)(end - buf);
}

/* Text of a well-formed attribute's value. */
static void cka_val_text(struct obuf *b, const struct cka_attr *a,
			 const struct nlattr *attr)
{
	char *p;

	switch (a->kind) {
	case CKA_KIND_S32:
		obuf_s64(b, (int32_t)cka_get(attr));
		return;
	case CKA_KIND_U64:
		obuf_u64(b, cka_get64(attr));
		return;
	case CKA_KIND_BE16:
		obuf_u64(b, cka_get_be16(attr));
		return;
	case CKA_KIND_IPV4:
		p = obuf_room(b, INET_ADDRSTRLEN);
		b->len += (size_t)(cka_fmt_ipv4(p, cka_attr_data(attr)) - p);
		return;
	case CKA_KIND_IPV6:
		p = obuf_room(b, INET6_ADDRSTRLEN);
		b->len += (size_t)(cka_fmt_ipv6(p, cka_attr_data(attr)) - p);
		return;
	case CKA_KIND_PAD:
		return;
	default:
		cka_attr_text(b, a, cka_get(attr));
		return;
	}
}

/* JSON member of a well-formed attribute, as YNL's cli.py prints it. */
static void cka_val_json(struct json *j, const struct cka_attr *a,
			 const struct nlattr *attr)
{
	size_t klen = cka_attr_name_len(a);
	char buf[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case CKA_KIND_U32:
	case CKA_KIND_FACTOR:
		json_uint_plain(j, a->name, klen, cka_get(attr));
		return;
	case CKA_KIND_S32:
		json_int_plain(j, a->name, klen, (int32_t)cka_get(attr));
		return;
	case CKA_KIND_U64:
		json_uint_plain(j, a->name, klen, cka_get64(attr));
		return;
	case CKA_KIND_BE16:
		json_uint_plain(j, a->name, klen, cka_get_be16(attr));
		return;
	case CKA_KIND_IPV4:
	case CKA_KIND_IPV6:
		/* Digits, letters, ':' and '.': nothing to escape. */
		json_strn_plain(j, a->name, klen, buf,
				cka_fmt_addr(a, attr, buf));
		return;
	case CKA_KIND_PAD:
		return;
	default:
		cka_attr_json(j, a, cka_get(attr));
		return;
	}
}

/* Room for the values cka_text_member() writes itself: an IPv6 address. */
#define CKA_VAL_ROOM	INET6_ADDRSTRLEN

/*
 * "<name> <value>", after a space unless it is the first. The common
 * kinds are written with a pointer into room asked for once; the rest
 * (and names of any length) through cka_val_text().
 */
static inline __attribute__((always_inline))
void cka_text_member(struct obuf *b, const struct cka_attr *a,
		     const struct cka_key *key, const struct nlattr *attr,
		     bool first)
{
	const struct cka_name *n;
	size_t len;
	uint32_t v;
	char *p;

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
	switch (a->kind) {
	case CKA_KIND_U32:
		p = obuf_fmt_u64(p, cka_get(attr));
		break;
	case CKA_KIND_U64:
		p = obuf_fmt_u64(p, cka_get64(attr));
		break;
	case CKA_KIND_BE16:
		p = obuf_fmt_u64(p, cka_get_be16(attr));
		break;
	case CKA_KIND_IPV4:
		p = cka_fmt_ipv4(p, cka_attr_data(attr));
		break;
	case CKA_KIND_IPV6:
		p = cka_fmt_ipv6(p, cka_attr_data(attr));
		break;
	case CKA_KIND_ENUM:
		v = cka_get(attr);
		for (n = a->names; n && n->name; n++)
			if (n->val == v)
				break;
		if (!n || !n->name || (len = strlen(n->name)) > CKA_VAL_ROOM)
			goto other;
		obuf_copy(p, n->name, len);
		p += len;
		break;
	default:
		goto other;
	}
	obuf_commit(b, p);
	return;
other:
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

/* Room for the values cka_json_member() writes itself: an IPv6 address. */
#define CKA_JSON_VAL_ROOM	(INET6_ADDRSTRLEN + 2)

/*
 * The JSON member of an attribute. Compact output of the common kinds is
 * written straight into the buffer ("name":value, names plain); the rest
 * goes through cka_val_json().
 */
static inline __attribute__((always_inline))
void cka_json_member(struct json *j, const struct cka_attr *a,
		     const struct cka_key *key, const struct nlattr *attr)
{
	const struct cka_name *n = NULL;
	uint32_t v = 0;
	size_t len = 0;
	char *p;

	if (j->pretty || !key->len)
		goto other;
	switch (a->kind) {
	case CKA_KIND_U32:
	case CKA_KIND_FACTOR:
	case CKA_KIND_U64:
	case CKA_KIND_BE16:
	case CKA_KIND_IPV4:
	case CKA_KIND_IPV6:
		break;
	case CKA_KIND_ENUM:
		v = cka_get(attr);
		for (n = a->names; n && n->name; n++)
			if (n->val == v)
				break;
		if (n && !n->name)
			n = NULL;
		if (n && (len = strlen(n->name)) > CKA_JSON_VAL_ROOM - 2)
			goto other;
		break;
	default:
		goto other;
	}

	p = json_member_room(j, CKA_KEY_MAX + CKA_JSON_VAL_ROOM);
	memcpy(p, key->text, CKA_KEY_MAX);
	p += key->len;
	switch (a->kind) {
	case CKA_KIND_U32:
	case CKA_KIND_FACTOR:
		p = obuf_fmt_u64(p, cka_get(attr));
		break;
	case CKA_KIND_U64:
		p = obuf_fmt_u64(p, cka_get64(attr));
		break;
	case CKA_KIND_BE16:
		p = obuf_fmt_u64(p, cka_get_be16(attr));
		break;
	case CKA_KIND_IPV4:
		*p++ = '"';
		p = cka_fmt_ipv4(p, cka_attr_data(attr));
		*p++ = '"';
		break;
	case CKA_KIND_IPV6:
		*p++ = '"';
		p = cka_fmt_ipv6(p, cka_attr_data(attr));
		*p++ = '"';
		break;
	default:	/* ENUM: its name, or the number without one */
		if (!n) {
			p = obuf_fmt_u64(p, v);
			break;
		}
		*p++ = '"';
		obuf_copy(p, n->name, len);
		p += len;
		*p++ = '"';
		break;
	}
	json_commit(j, p);
	return;
other:
	cka_val_json(j, a, attr);
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
