// SPDX-License-Identifier: GPL-2.0
/*
 * Printing the family's messages: every attribute through the table, the
 * ones this program does not know (or that are malformed) generically.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "cka.h"

#define CKA_TB_SIZE	(sizeof(((struct cka_parsed *)0)->tb) / \
			 sizeof(((struct cka_parsed *)0)->tb[0]))

/* Is @attr well-formed for the table's idea of the attribute? */
static bool cka_attr_wellformed(const struct cka_attr *a,
				const struct nlattr *attr)
{
	switch (a->kind) {
	case CKA_KIND_U32:
	case CKA_KIND_ENUM:
	case CKA_KIND_FLAGS:
	case CKA_KIND_FACTOR:
	case CKA_KIND_S32:
	case CKA_KIND_IPV4:
		return mnl_attr_validate(attr, MNL_TYPE_U32) == 0;
	case CKA_KIND_U64:
		return mnl_attr_validate(attr, MNL_TYPE_U64) == 0;
	case CKA_KIND_BE16:
		return mnl_attr_validate(attr, MNL_TYPE_U16) == 0;
	case CKA_KIND_IPV6:
		return mnl_attr_get_payload_len(attr) == 16;
	case CKA_KIND_PAD:
		return true;
	}
	return false;
}

struct cka_parse_ctx {
	const struct cka_attr_set *set;
	struct cka_parsed *p;
};

static int cka_parse_attr(const struct nlattr *attr, void *data)
{
	struct cka_parse_ctx *c = data;
	unsigned int type = mnl_attr_get_type(attr);
	const struct cka_attr *a = cka_attr_get(c->set, type);

	if (a && type < CKA_TB_SIZE && cka_attr_wellformed(a, attr))
		c->p->tb[type] = attr;
	else if (c->p->nother < CKA_MAX_OTHER)
		c->p->other[c->p->nother++] = attr;
	return MNL_CB_OK;
}

int cka_parse_msg(const struct cka_attr_set *set, const struct nlmsghdr *nlh,
		  struct cka_parsed *p)
{
	struct cka_parse_ctx c = { .set = set, .p = p };
	const struct genlmsghdr *genl;

	memset(p, 0, sizeof(*p));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*genl))
		return -1;
	genl = mnl_nlmsg_get_payload(nlh);
	p->cmd = genl->cmd;
	/* Stops quietly at a truncated attribute: print what was whole. */
	mnl_attr_parse(nlh, sizeof(*genl), cka_parse_attr, &c);
	return 0;
}

static uint32_t cka_get(const struct nlattr *attr)
{
	return mnl_attr_get_u32(attr);
}

/* Text of a well-formed attribute's value. */
static void cka_val_fmt(const struct cka_attr *a, const struct nlattr *attr,
			char *buf, size_t len)
{
	const void *d = mnl_attr_get_payload(attr);

	switch (a->kind) {
	case CKA_KIND_S32:
		snprintf(buf, len, "%" PRId32, (int32_t)cka_get(attr));
		return;
	case CKA_KIND_U64:
		snprintf(buf, len, "%" PRIu64, mnl_attr_get_u64(attr));
		return;
	case CKA_KIND_BE16:
		snprintf(buf, len, "%u", ntohs(mnl_attr_get_u16(attr)));
		return;
	case CKA_KIND_IPV4:
		if (!inet_ntop(AF_INET, d, buf, (socklen_t)len))
			buf[0] = '\0';
		return;
	case CKA_KIND_IPV6:
		if (!inet_ntop(AF_INET6, d, buf, (socklen_t)len))
			buf[0] = '\0';
		return;
	case CKA_KIND_PAD:
		buf[0] = '\0';
		return;
	default:
		cka_attr_fmt(a, cka_get(attr), buf, len);
		return;
	}
}

/* JSON member of a well-formed attribute, as YNL's cli.py prints it. */
static void cka_val_json(struct json *j, const struct cka_attr *a,
			 const struct nlattr *attr)
{
	char buf[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case CKA_KIND_S32:
		json_int(j, a->name, (int32_t)cka_get(attr));
		return;
	case CKA_KIND_U64:
		json_uint(j, a->name, mnl_attr_get_u64(attr));
		return;
	case CKA_KIND_BE16:
		json_uint(j, a->name, ntohs(mnl_attr_get_u16(attr)));
		return;
	case CKA_KIND_IPV4:
	case CKA_KIND_IPV6:
		cka_val_fmt(a, attr, buf, sizeof(buf));
		json_str(j, a->name, buf);
		return;
	case CKA_KIND_PAD:
		return;
	default:
		cka_attr_json(j, a, cka_get(attr));
		return;
	}
}

void cka_print_text(FILE *f, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj)
{
	const struct cka_attr *a;
	const char *sep = "";
	char val[256];
	unsigned int type, i;

	/* The object's id first, then the rest in attribute order. */
	if (obj && p->tb[obj->id_attr]) {
		a = cka_attr_get(set, obj->id_attr);
		cka_val_fmt(a, p->tb[obj->id_attr], val, sizeof(val));
		fprintf(f, "%s %s", a->name, val);
		sep = " ";
	}
	for (type = 0; type <= set->max && type < CKA_TB_SIZE; type++) {
		if (!p->tb[type] || (obj && type == obj->id_attr))
			continue;
		a = cka_attr_get(set, type);
		if (a->kind == CKA_KIND_PAD)
			continue;
		cka_val_fmt(a, p->tb[type], val, sizeof(val));
		fprintf(f, "%s%s %s", sep, a->name, val);
		sep = " ";
	}
	for (i = 0; i < p->nother; i++) {
		fprintf(f, "%sattr %u len %u", sep,
			mnl_attr_get_type(p->other[i]),
			mnl_attr_get_payload_len(p->other[i]));
		sep = " ";
	}
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

void cka_print_json(struct json *j, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj)
{
	unsigned int type, i;

	if (obj && p->tb[obj->id_attr])
		cka_val_json(j, cka_attr_get(set, obj->id_attr),
			     p->tb[obj->id_attr]);
	for (type = 0; type <= set->max && type < CKA_TB_SIZE; type++) {
		if (!p->tb[type] || (obj && type == obj->id_attr))
			continue;
		cka_val_json(j, cka_attr_get(set, type), p->tb[type]);
	}
	for (i = 0; i < p->nother; i++)
		cka_json_other(j, p->other[i]);
}
