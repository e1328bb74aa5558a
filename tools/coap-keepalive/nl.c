// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink plumbing: family resolution through nlctrl, request/reply with
 * extended ACKs, multicast membership.
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

/* The slack lets libmnl read up to the aligned end of a last message. */
static union {
	char buf[CKA_RECV_SIZE + MNL_ALIGNTO];
	struct nlmsghdr align;
} cka_rx;

static int cka_nl_local_err(struct cka_nl *nl, const char *what, int err)
{
	nl->ext.err = err ? err : EIO;
	nl->ext.local = what;
	return -nl->ext.err;
}

struct nlmsghdr *cka_nl_req(struct cka_nl *nl, void *buf, uint8_t cmd,
			    uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	/* libmnl before 1.0.5 leaves attribute padding as it finds it. */
	memset(buf, 0, CKA_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = COAP_KA_GENL_VERSION;
	return nlh;
}

void cka_msgs_free(struct cka_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
	m->cap = 0;
}

static int cka_msgs_add(struct cka_msgs *m, const struct nlmsghdr *nlh)
{
	struct nlmsghdr **v, *copy;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	/* libmnl walks attributes up to the aligned end: pad with zeroes. */
	copy = calloc(1, MNL_ALIGN(nlh->nlmsg_len));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, nlh, nlh->nlmsg_len);
	m->v[m->n++] = copy;
	return 0;
}

/* The extended ACK attributes of an error or done message, from @off. */
static void cka_nl_parse_ext(struct cka_ext *e, const struct nlmsghdr *nlh,
			     size_t off)
{
	const struct nlattr *attr, *pol;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    MNL_ALIGN(off) > mnl_nlmsg_get_payload_len(nlh))
		return;

	mnl_attr_for_each(attr, nlh, off) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				break;
			snprintf(e->msg, sizeof(e->msg), "%s",
				 mnl_attr_get_str(attr));
			e->msg[strcspn(e->msg, "\n")] = '\0';
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			e->has_offs = true;
			e->offs = mnl_attr_get_u32(attr);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			e->has_miss = true;
			e->miss_type = mnl_attr_get_u32(attr);
			break;
		case NLMSGERR_ATTR_POLICY:
			if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
				break;
			mnl_attr_for_each_nested(pol, attr) {
				if (mnl_attr_validate(pol, MNL_TYPE_U64) < 0)
					continue;
				switch (mnl_attr_get_type(pol)) {
				case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
					e->has_umin = true;
					e->umin = mnl_attr_get_u64(pol);
					break;
				case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
					e->has_umax = true;
					e->umax = mnl_attr_get_u64(pol);
					break;
				case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
					e->has_smin = true;
					e->smin = (int64_t)mnl_attr_get_u64(pol);
					break;
				case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
					e->has_smax = true;
					e->smax = (int64_t)mnl_attr_get_u64(pol);
					break;
				case NL_POLICY_TYPE_ATTR_MASK:
					e->has_mask = true;
					e->mask = mnl_attr_get_u64(pol);
					break;
				}
			}
			break;
		}
	}
}

static int cka_nl_ack(struct cka_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	struct cka_ext *e = &nl->ext;
	size_t off;

	if (len < sizeof(err->error))
		return cka_nl_local_err(nl, "truncated netlink ACK", EBADMSG);

	if (len >= sizeof(*err)) {
		if (nlh->nlmsg_flags & NLM_F_CAPPED)
			off = sizeof(*err);
		else
			off = sizeof(err->error) + err->msg.nlmsg_len;
		cka_nl_parse_ext(e, nlh, off);
	}
	if (!err->error) {
		/* A success may carry a warning. */
		if (e->msg[0])
			fprintf(stderr, "%s: warning: %s\n", CKA_PROG, e->msg);
		e->msg[0] = '\0';
		return 1;
	}
	e->err = err->error < 0 ? -err->error : err->error;
	return -e->err;
}

static int cka_nl_done(struct cka_nl *nl, const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	int status;

	if (len < sizeof(status))
		return 1;
	memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
	if (status >= 0)
		return 1;
	cka_nl_parse_ext(&nl->ext, nlh, sizeof(status));
	nl->ext.err = -status;
	return status;
}

/*
 * Go through one buffer of messages. Returns 1 when the request is
 * finished (ACK or DONE), 0 to read more, -errno on error.
 */
static int cka_nl_run(struct cka_nl *nl, const void *buf, size_t len,
		      uint32_t seq, struct cka_msgs *out, bool *intr)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len, ret;

	for (; cka_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		/* Leftovers of an earlier request are not ours to handle. */
		if (nlh->nlmsg_seq != seq ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			continue;
		case NLMSG_ERROR:
			return cka_nl_ack(nl, nlh);
		case NLMSG_DONE:
			return cka_nl_done(nl, nlh);
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE || *intr)
			continue;
		ret = cka_msgs_add(out, nlh);
		if (ret)
			return cka_nl_local_err(nl, "storing the reply", -ret);
	}
	if (rem > 0)
		return cka_nl_local_err(nl, "truncated netlink message",
					EBADMSG);
	return 0;
}

static int cka_nl_talk_once(struct cka_nl *nl, struct nlmsghdr *req,
			    struct cka_msgs *out, bool *intr)
{
	ssize_t n;
	int ret;

	memset(&nl->ext, 0, sizeof(nl->ext));
	req->nlmsg_seq = ++nl->seq;
	nl->req = req;
	*intr = false;

	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return cka_nl_local_err(nl, "sending the request", errno);
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, cka_rx.buf, CKA_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cka_nl_local_err(nl, "receiving the reply",
						errno);
		}
		ret = cka_nl_run(nl, cka_rx.buf, (size_t)n, req->nlmsg_seq,
				 out, intr);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

int cka_nl_talk(struct cka_nl *nl, struct nlmsghdr *req,
		struct cka_msgs *out)
{
	int tries = 0, ret;
	bool intr;

	for (;;) {
		ret = cka_nl_talk_once(nl, req, out, &intr);
		if (ret || !intr)
			return ret;
		/* The dump saw a change half-way: start it again. */
		cka_msgs_free(out);
		if (++tries == CKA_DUMP_RETRIES)
			return cka_nl_local_err(nl,
				"the dump kept being interrupted by changes",
				EINTR);
	}
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
	const struct cka_ext *e = &nl->ext;
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
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

/* Find the events group in CTRL_ATTR_MCAST_GROUPS. */
static void cka_nl_parse_groups(struct cka_nl *nl, const struct nlattr *nest)
{
	const struct nlattr *grp, *attr;
	const char *name;
	uint32_t id;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return;
	mnl_attr_for_each_nested(grp, nest) {
		if (mnl_attr_validate(grp, MNL_TYPE_NESTED) < 0)
			continue;
		name = NULL;
		id = 0;
		mnl_attr_for_each_nested(attr, grp) {
			switch (mnl_attr_get_type(attr)) {
			case CTRL_ATTR_MCAST_GRP_NAME:
				if (mnl_attr_validate(attr,
						      MNL_TYPE_NUL_STRING) == 0)
					name = mnl_attr_get_str(attr);
				break;
			case CTRL_ATTR_MCAST_GRP_ID:
				if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
					id = mnl_attr_get_u32(attr);
				break;
			}
		}
		if (name && id && !strcmp(name, COAP_KA_MCGRP_EVENTS))
			nl->grp_events = id;
	}
}

static void cka_nl_parse_family(struct cka_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlattr *attr;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				nl->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				nl->version = mnl_attr_get_u32(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			cka_nl_parse_groups(nl, attr);
			break;
		}
	}
}

static int cka_nl_resolve(struct cka_nl *nl)
{
	union {
		char buf[CKA_REQ_SIZE];
		struct nlmsghdr align;
	} req;
	const struct cka_attr_set *set = nl->set;
	struct cka_msgs msgs = { 0 };
	struct nlmsghdr *nlh;
	size_t i;
	int ret;

	nlh = cka_nl_req(nl, req.buf, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	nlh->nlmsg_type = GENL_ID_CTRL;
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAP_KA_GENL_NAME);

	nl->set = NULL;		/* nlctrl's attributes, not ours */
	ret = cka_nl_talk(nl, nlh, &msgs);
	if (ret == -ENOENT) {
		fprintf(stderr,
			"%s: generic netlink family '%s' not found: is the module loaded? Try 'modprobe coap_keepalive'\n",
			CKA_PROG, COAP_KA_GENL_NAME);
	} else if (ret) {
		cka_nl_perror(nl);
	} else {
		for (i = 0; i < msgs.n; i++)
			cka_nl_parse_family(nl, msgs.v[i]);
		if (!nl->family) {
			ret = cka_nl_local_err(nl,
				"nlctrl did not give the family id", EPROTO);
			cka_nl_perror(nl);
		}
	}
	nl->set = set;
	nl->req = NULL;
	cka_msgs_free(&msgs);
	return ret;
}

int cka_nl_open(struct cka_nl *nl)
{
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->set = &cka_attrs_coap_ka;
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		cka_nl_local_err(nl, "opening a generic netlink socket", errno);
		cka_nl_perror(nl);
		return -nl->ext.err;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		cka_nl_local_err(nl, "binding the netlink socket", errno);
		cka_nl_perror(nl);
		cka_nl_close(nl);
		return -nl->ext.err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Without these (old kernels) errors just come without details. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = (uint32_t)time(NULL);

	ret = cka_nl_resolve(nl);
	if (ret)
		cka_nl_close(nl);
	return ret;
}

void cka_nl_close(struct cka_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}
