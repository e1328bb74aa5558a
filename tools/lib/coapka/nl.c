// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The one netlink client of the coap_keepalive family: family resolution
 * through nlctrl, request/reply and dumps with extended ACKs, events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/coap_keepalive.h>

#include "coapka_nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK	11
#endif

int coapka_nl_local_err(struct coapka_nl *nl, const char *what, int err)
{
	nl->ext.err = err > 0 ? err : EIO;
	nl->ext.local = what;
	return -nl->ext.err;
}

struct nlmsghdr *coapka_nl_req(const struct coapka_nl *nl, void *buf,
			       size_t size, uint16_t type, uint8_t cmd,
			       uint16_t flags)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	/* libmnl before 1.0.5 leaves attribute padding as it finds it. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type ? type : nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = type == GENL_ID_CTRL ? 1 : COAP_KA_GENL_VERSION;
	return nlh;
}

bool coapka_nl_put_peer(struct nlmsghdr *nlh, const struct sockaddr *sa,
			socklen_t len)
{
	struct nlattr *nest;

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		nest = mnl_attr_nest_start(nlh, COAP_KA_A_PEER);
		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, &in->sin_addr);
		mnl_attr_put(nlh, COAP_KA_A_PEER_PORT, 2, &in->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		nest = mnl_attr_nest_start(nlh, COAP_KA_A_PEER);
		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 16, &in6->sin6_addr);
		mnl_attr_put(nlh, COAP_KA_A_PEER_PORT, 2, &in6->sin6_port);
	} else {
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

int coapka_nl_batch_ids(const struct nlmsghdr *nlh, uint32_t *ids,
			unsigned int max, unsigned int *n)
{
	const struct nlattr *a, *b;
	uint32_t id;

	*n = 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EPROTO;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != COAP_KA_A_PEER)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 || *n == max)
			return -EPROTO;
		id = 0;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == COAP_KA_A_SESSION_ID &&
			    mnl_attr_validate(b, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(b);
		if (!id)
			return -EPROTO;
		ids[(*n)++] = id;
	}
	return 0;
}

/* The extended ACK attributes of an error or done message, from @off. */
static void coapka_nl_parse_ext(struct coapka_ext *e,
				const struct nlmsghdr *nlh, size_t off)
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

/* An NLMSG_ERROR: 0 for an ACK (maybe with a warning in ext.msg). */
static int coapka_nl_ack(struct coapka_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	size_t off;

	if (len < sizeof(err->error))
		return coapka_nl_local_err(nl, "truncated netlink ACK",
					   EBADMSG);
	if (len >= sizeof(*err)) {
		if (nlh->nlmsg_flags & NLM_F_CAPPED)
			off = sizeof(*err);
		else
			off = sizeof(err->error) + err->msg.nlmsg_len;
		coapka_nl_parse_ext(&nl->ext, nlh, off);
	}
	if (!err->error)
		return 0;
	nl->ext.err = err->error < 0 ? -err->error : err->error;
	return -nl->ext.err;
}

static int coapka_nl_done(struct coapka_nl *nl, const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	int status;

	if (len < sizeof(status))
		return 0;
	memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
	if (status >= 0)
		return 0;
	coapka_nl_parse_ext(&nl->ext, nlh, sizeof(status));
	nl->ext.err = -status;
	return status;
}

/* A family message outside the awaited request: an event. */
static int coapka_nl_other(struct coapka_nl *nl, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type != nl->family || !nl->family || !nl->other)
		return 0;
	return nl->other(nlh, nl->other_data);
}

/*
 * Go through one buffer of messages. Returns 1 when the request is
 * finished (ACK or DONE), 0 to read more, -errno on error.
 */
static int coapka_nl_run(struct coapka_nl *nl, size_t len, uint32_t seq,
			 coapka_nl_cb cb, void *data)
{
	const struct nlmsghdr *nlh = (const void *)nl->rx;
	bool data_here = false;
	int rem = (int)len, ret;

	for (; coapka_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		/* Events, and leftovers of an earlier request. */
		if (nlh->nlmsg_seq != seq ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid)) {
			ret = coapka_nl_other(nl, nlh);
			if (ret < 0)
				return ret;
			continue;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			nl->intr = true;

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			continue;
		case NLMSG_ERROR:
			ret = coapka_nl_ack(nl, nlh);
			goto out;
		case NLMSG_DONE:
			ret = coapka_nl_done(nl, nlh);
			goto out;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		nl->nmsgs++;
		data_here = true;
		if (cb) {
			ret = cb(nlh, data);
			if (ret < 0) {
				nl->ext.err = -ret;
				goto out;
			}
		}
	}
	if (data_here)
		nl->nparts++;
	if (rem > 0)
		return coapka_nl_local_err(nl, "truncated netlink message",
					   EBADMSG);
	return 0;
out:
	if (data_here)
		nl->nparts++;
	return ret < 0 ? ret : 1;
}

static void coapka_nl_reset(struct coapka_nl *nl)
{
	memset(&nl->ext, 0, sizeof(nl->ext));
	nl->nmsgs = 0;
	nl->nparts = 0;
	nl->intr = false;
}

int coapka_nl_send(struct coapka_nl *nl, const struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return coapka_nl_local_err(nl, "sending the request", errno);
	return 0;
}

int coapka_nl_recv(struct coapka_nl *nl, uint32_t seq, coapka_nl_cb cb,
		   void *data)
{
	ssize_t n;
	int ret;

	coapka_nl_reset(nl);
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->rx, COAPKA_NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return coapka_nl_local_err(nl, "receiving the reply",
						   errno);
		}
		ret = coapka_nl_run(nl, (size_t)n, seq, cb, data);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

int coapka_nl_talk(struct coapka_nl *nl, struct nlmsghdr *nlh,
		   coapka_nl_cb cb, void *data)
{
	int ret;

	coapka_nl_reset(nl);
	nlh->nlmsg_seq = ++nl->seq;
	ret = coapka_nl_send(nl, nlh);
	if (ret)
		return ret;
	return coapka_nl_recv(nl, nlh->nlmsg_seq, cb, data);
}

int coapka_nl_poll(struct coapka_nl *nl)
{
	const struct nlmsghdr *nlh;
	int fed = 0, rem, ret;
	ssize_t n;

	for (;;) {
		n = recv(mnl_socket_get_fd(nl->sock), nl->rx,
			 COAPKA_NL_RECV_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return fed;
			return -errno;
		}
		rem = (int)n;
		for (nlh = (const void *)nl->rx; coapka_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type != nl->family)
				continue;
			ret = coapka_nl_other(nl, nlh);
			if (ret < 0)
				return ret;
			fed++;
		}
	}
}

int coapka_nl_join(struct coapka_nl *nl, uint32_t group)
{
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

/* Find the events group in CTRL_ATTR_MCAST_GROUPS. */
static void coapka_nl_parse_groups(struct coapka_nl *nl,
				   const struct nlattr *nest)
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

static int coapka_nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapka_nl *nl = data;
	const struct nlattr *attr;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return 0;
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
			coapka_nl_parse_groups(nl, attr);
			break;
		}
	}
	return 0;
}

int coapka_nl_resolve(struct coapka_nl *nl)
{
	union {
		char buf[1024];
		struct nlmsghdr align;
	} req;
	struct nlmsghdr *nlh;
	int ret;

	nl->family = 0;
	nl->grp_events = 0;
	nlh = coapka_nl_req(nl, req.buf, sizeof(req.buf), GENL_ID_CTRL,
			    CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAP_KA_GENL_NAME);
	ret = coapka_nl_talk(nl, nlh, coapka_nl_family_cb, nl);
	if (!ret && !nl->family)
		ret = coapka_nl_local_err(nl, "nlctrl did not give the family id",
					  EPROTO);
	return ret;
}

int coapka_nl_open(struct coapka_nl *nl)
{
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	/* The slack lets libmnl read up to the aligned end of a message. */
	nl->rx = malloc(COAPKA_NL_RECV_SIZE + MNL_ALIGNTO);
	if (!nl->rx)
		return coapka_nl_local_err(nl, "allocating the receive buffer",
					   ENOMEM);
	/*
	 * Not inherited across exec: a program the application starts
	 * would keep the socket, its port id and its sessions' events.
	 */
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock) {
		ret = coapka_nl_local_err(nl,
			"opening a generic netlink socket", errno);
		goto fail;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = coapka_nl_local_err(nl, "binding the netlink socket",
					  errno);
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Without these (old kernels) errors just come without details. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = (uint32_t)time(NULL);

	ret = coapka_nl_resolve(nl);
	if (ret)
		goto fail;
	return 0;
fail:
	{
		struct coapka_ext ext = nl->ext;

		coapka_nl_close(nl);
		nl->ext = ext;
	}
	return ret;
}

void coapka_nl_close(struct coapka_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	memset(nl, 0, sizeof(*nl));
}
