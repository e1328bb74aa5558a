// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink plumbing over libcoapka's core (coapka_nl.h): replies
 * collected, interrupted dumps restarted, extended ACKs printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/coap_keepalive.h>

#include "cka.h"
#include "nl.h"

/* Times a dump is restarted when a concurrent change interrupts it. */
#define CKA_DUMP_RETRIES	8

struct nlmsghdr *cka_nl_req(struct cka_nl *nl, void *buf, uint8_t cmd,
			    uint16_t flags)
{
	return coapka_nl_req(&nl->core, buf, CKA_REQ_SIZE, 0, cmd, flags);
}

/* Messages are copied into blocks of this size (bigger for a big one). */
#define CKA_MSG_BLOCK	(256 * 1024)

struct cka_msg_block {
	struct cka_msg_block *next;
	size_t used, size;
	/* nlmsghdr alignment: MNL_ALIGNTO */
	char data[] __attribute__((aligned(MNL_ALIGNTO)));
};

void cka_msgs_free(struct cka_msgs *m)
{
	struct cka_msg_block *b, *next;

	for (b = m->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
	m->cap = 0;
	m->blocks = NULL;
}

static int cka_msgs_add(struct cka_msgs *m, const struct nlmsghdr *nlh)
{
	size_t len = nlh->nlmsg_len, size = MNL_ALIGN(len);
	struct cka_msg_block *b = m->blocks;
	struct nlmsghdr **v;
	char *copy;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	if (!b || b->size - b->used < size) {
		size_t bsize = size > CKA_MSG_BLOCK ? size : CKA_MSG_BLOCK;

		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return -ENOMEM;
		b->next = m->blocks;
		b->used = 0;
		b->size = bsize;
		m->blocks = b;
	}
	copy = b->data + b->used;
	b->used += size;
	/* libmnl walks attributes up to the aligned end: pad with zeroes. */
	memcpy(copy, nlh, len);
	memset(copy + len, 0, size - len);
	m->v[m->n++] = (struct nlmsghdr *)copy;
	return 0;
}

struct cka_collect {
	struct cka_nl *nl;
	struct cka_msgs *out;
};

/* Keep a copy of each reply message, none once the dump is interrupted. */
static int cka_nl_collect(const struct nlmsghdr *nlh, void *data)
{
	struct cka_collect *c = data;
	int ret;

	if (c->nl->core.intr)
		return 0;
	ret = cka_msgs_add(c->out, nlh);
	if (ret)
		c->nl->core.ext.local = "storing the reply";
	return ret;
}

int cka_nl_talk(struct cka_nl *nl, struct nlmsghdr *req,
		struct cka_msgs *out)
{
	struct cka_collect c = { .nl = nl, .out = out };
	int tries = 0, ret;

	nl->req = req;
	for (;;) {
		ret = coapka_nl_talk(&nl->core, req, cka_nl_collect, &c);
		if (ret)
			return ret;
		if (!nl->core.intr)
			break;
		/* The dump saw a change half-way: start it again. */
		cka_msgs_free(out);
		if (++tries == CKA_DUMP_RETRIES)
			return coapka_nl_local_err(&nl->core,
				"the dump kept being interrupted by changes",
				EINTR);
	}
	/* A success may carry a warning. */
	if (nl->core.ext.msg[0])
		fprintf(stderr, "%s: warning: %s\n", CKA_PROG,
			nl->core.ext.msg);
	nl->core.ext.msg[0] = '\0';
	return 0;
}

/* Type of the attribute of the request at @offs, or -1. */
static int cka_nl_offs_type(const struct cka_nl *nl, uint32_t offs)
{
	const struct nlattr *attr;
	size_t start;

	if (!nl->req || offs >= nl->req->nlmsg_len)
		return -1;
	mnl_attr_for_each(attr, nl->req, sizeof(struct genlmsghdr)) {
		start = (size_t)((const char *)attr - (const char *)nl->req);
		if (offs >= start && offs < start + attr->nla_len)
			return mnl_attr_get_type(attr);
	}
	return -1;
}

static void cka_nl_attr_name(const struct cka_nl *nl, int type, char *buf,
			     size_t len)
{
	const struct cka_attr *a = type >= 0 ?
		cka_attr_get(nl->set, (unsigned int)type) : NULL;

	if (a)
		snprintf(buf, len, "%s", a->name);
	else
		snprintf(buf, len, "%d", type);
}

/* A policy bound, in the attribute's own spelling where it has one. */
static void cka_nl_fmt_bound(const struct cka_attr *a, uint64_t v, char *buf,
			     size_t len)
{
	if (a && a->kind == CKA_KIND_FACTOR && v <= UINT32_MAX)
		cka_attr_fmt(a, (uint32_t)v, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void cka_nl_perror(const struct cka_nl *nl)
{
	const struct coapka_ext *e = &nl->core.ext;
	const struct cka_attr *a = NULL;
	char name[64], lo[32], hi[32];
	int type;

	fprintf(stderr, "%s: ", CKA_PROG);
	if (e->local)
		fprintf(stderr, "%s: ", e->local);
	fputs(strerror(e->err), stderr);
	if (e->msg[0])
		fprintf(stderr, ": %s", e->msg);
	if (e->has_offs) {
		type = cka_nl_offs_type(nl, e->offs);
		if (type >= 0) {
			a = cka_attr_get(nl->set, (unsigned int)type);
			cka_nl_attr_name(nl, type, name, sizeof(name));
			fprintf(stderr, " (attribute %s)", name);
		} else {
			fprintf(stderr, " (attribute at offset %u)", e->offs);
		}
	}
	if (e->has_umin || e->has_umax) {
		cka_nl_fmt_bound(a, e->has_umin ? e->umin : 0, lo, sizeof(lo));
		cka_nl_fmt_bound(a, e->has_umax ? e->umax : UINT64_MAX, hi,
				 sizeof(hi));
		fprintf(stderr, " valid range %s..%s", lo, hi);
	} else if (e->has_smin || e->has_smax) {
		fprintf(stderr, " valid range %lld..%lld",
			(long long)(e->has_smin ? e->smin : INT64_MIN),
			(long long)(e->has_smax ? e->smax : INT64_MAX));
	}
	if (e->has_mask)
		fprintf(stderr, " valid bits 0x%llx",
			(unsigned long long)e->mask);
	if (e->has_miss) {
		cka_nl_attr_name(nl, (int)e->miss_type, name, sizeof(name));
		fprintf(stderr, " (missing attribute %s)", name);
	}
	fputc('\n', stderr);
}

int cka_nl_join(struct cka_nl *nl, uint32_t group)
{
	return coapka_nl_join(&nl->core, group);
}

int cka_nl_open(struct cka_nl *nl)
{
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = coapka_nl_open(&nl->core);
	if (ret == -ENOENT && !nl->core.ext.local) {
		fprintf(stderr,
			"%s: generic netlink family '%s' not found: is the module loaded? Try 'modprobe coap_keepalive'\n",
			CKA_PROG, COAP_KA_GENL_NAME);
	} else if (ret) {
		cka_nl_perror(nl);	/* nlctrl's attributes: no names */
	}
	if (ret)
		return ret;
	nl->sock = nl->core.sock;
	nl->family = nl->core.family;
	nl->grp_events = nl->core.grp_events;
	nl->set = &cka_attrs_coap_ka;
	return 0;
}

void cka_nl_close(struct cka_nl *nl)
{
	coapka_nl_close(&nl->core);
	nl->sock = NULL;
}
