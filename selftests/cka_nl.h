/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small generic netlink client for the coap_keepalive selftests (libmnl).
 * It records the error, the extack message and the offending attribute of
 * each request so tests can assert on exactly what the kernel said.
 */
#ifndef CKA_NL_H
#define CKA_NL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/coap_keepalive.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define CKA_BUF_SIZE	(1 << 16)

struct cka_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp_events;
	uint32_t seq;
	uint32_t portid;
	/* what the kernel said about the last request */
	int err;		/* 0 or a positive errno */
	char msg[256];		/* extack message, "" if none */
	uint32_t bad_off;	/* NLMSGERR_ATTR_OFFS, 0 if none */
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, 0 if none */
	/* dump bookkeeping */
	unsigned int nmsgs;	/* data messages seen */
	unsigned int nparts;	/* recv() calls that carried them */
	bool intr;		/* some message had NLM_F_DUMP_INTR */
	char buf[CKA_BUF_SIZE];
};

/* One context as the kernel reported it (attribute values, present mask). */
struct cka_ctx {
	uint32_t v[COAP_KA_A_MAX + 1];
	uint64_t present;
};

typedef int (*cka_msg_cb)(const struct nlmsghdr *nlh, void *data);

static inline int cka_ctrl_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTRL_ATTR_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static inline int cka_ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	struct cka_nl *nl = data;
	struct nlattr *grp;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), cka_ctrl_attr_cb, tb);
	if (tb[CTRL_ATTR_FAMILY_ID])
		nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
		struct nlattr *gtb[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};
		struct nlattr *a;

		mnl_attr_for_each_nested(a, grp)
			if (mnl_attr_get_type(a) <= CTRL_ATTR_MCAST_GRP_MAX)
				gtb[mnl_attr_get_type(a)] = a;
		if (gtb[CTRL_ATTR_MCAST_GRP_NAME] && gtb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(mnl_attr_get_str(gtb[CTRL_ATTR_MCAST_GRP_NAME]),
			    COAP_KA_MCGRP_EVENTS))
			nl->mcgrp_events = mnl_attr_get_u32(gtb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return MNL_CB_OK;
}

/* Parse an error/ack message; returns the (positive) errno. */
static inline int cka_parse_err(struct cka_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int off;

	nl->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return nl->err;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(a, nlh, off) {
		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(nl->msg, sizeof(nl->msg), "%s", mnl_attr_get_str(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			nl->bad_off = mnl_attr_get_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			nl->miss_type = mnl_attr_get_u32(a);
			break;
		}
	}
	return nl->err;
}

/*
 * Receive until the request with sequence @seq is answered (ACK, error or
 * NLMSG_DONE), feeding data messages to @cb. Returns 0 or -errno.
 */
static inline int cka_recv(struct cka_nl *nl, uint32_t seq, cka_msg_cb cb, void *data)
{
	nl->err = 0;
	nl->msg[0] = 0;
	nl->bad_off = 0;
	nl->miss_type = 0;
	nl->nmsgs = 0;
	nl->nparts = 0;
	nl->intr = false;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		const struct nlmsghdr *nlh;
		bool data_here = false;
		int len;

		if (n < 0)
			return -errno;
		len = n;
		for (nlh = (void *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				nl->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				int err = cka_parse_err(nl, nlh);

				return -err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
					int *e = mnl_nlmsg_get_payload(nlh);

					nl->err = *e < 0 ? -*e : 0;
				}
				return -nl->err;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			nl->nmsgs++;
			data_here = true;
			if (cb && cb(nlh, data) < 0)
				return -EPROTO;
		}
		if (data_here)
			nl->nparts++;
	}
}

static inline struct nlmsghdr *cka_msg_start(struct cka_nl *nl, char *buf,
				      uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = COAP_KA_GENL_VERSION;
	return nlh;
}

static inline int cka_send(struct cka_nl *nl, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Send @nlh and wait for its answer. */
static inline int cka_talk(struct cka_nl *nl, struct nlmsghdr *nlh, cka_msg_cb cb,
		    void *data)
{
	int err = cka_send(nl, nlh);

	if (err)
		return err;
	return cka_recv(nl, nlh->nlmsg_seq, cb, data);
}

static inline void cka_close(struct cka_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/* Open a socket and resolve the family; NULL with errno set on failure. */
static inline struct cka_nl *cka_open(void)
{
	struct cka_nl *nl = calloc(1, sizeof(*nl));
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1, err;

	if (!nl)
		return NULL;
	nl->seq = time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* A lost answer fails the test instead of hanging it. */
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 60 }, sizeof(struct timeval));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = cka_msg_start(nl, buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAP_KA_GENL_NAME);
	err = cka_talk(nl, nlh, cka_ctrl_cb, nl);
	if (err || !nl->family) {
		errno = err ? -err : ENOENT;
		goto fail;
	}
	return nl;
fail:
	err = errno;
	cka_close(nl);
	errno = err;
	return NULL;
}

static inline int cka_ctx_attr_cb(const struct nlattr *a, void *data)
{
	struct cka_ctx *c = data;
	int type = mnl_attr_get_type(a);

	if (type <= COAP_KA_A_MAX && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		c->v[type] = mnl_attr_get_u32(a);
		c->present |= 1ULL << type;
	}
	return MNL_CB_OK;
}

/* Parse one context message into the struct cka_ctx at @data. */
static inline int cka_ctx_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cka_ctx *c = data;

	memset(c, 0, sizeof(*c));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), cka_ctx_attr_cb, c);
}

/* A request carrying any number of (type, u32 value) pairs, ended by 0. */
static inline struct nlmsghdr *cka_req(struct cka_nl *nl, char *buf, uint8_t cmd,
				uint16_t flags, const uint32_t *pairs)
{
	struct nlmsghdr *nlh = cka_msg_start(nl, buf, nl->family, flags, cmd);

	for (; pairs && pairs[0]; pairs += 2)
		mnl_attr_put_u32(nlh, pairs[0], pairs[1]);
	return nlh;
}

/* Make a context with the given settings; returns its id or -errno. */
static inline long cka_ctx_new(struct cka_nl *nl, const uint32_t *pairs,
			struct cka_ctx *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct cka_ctx c;
	int err;

	err = cka_talk(nl, cka_req(nl, buf, COAP_KA_CMD_CTX_NEW, 0, pairs),
		       cka_ctx_cb, &c);
	if (err)
		return err;
	if (out)
		*out = c;
	return c.v[COAP_KA_A_CTX_ID];
}

/* Run a do command on context @id (GET/SET/DEL) with optional settings. */
static inline int cka_ctx_cmd(struct cka_nl *nl, uint8_t cmd, uint32_t id,
		       const uint32_t *pairs, struct cka_ctx *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_ctx c;

	nlh = cka_msg_start(nl, buf, nl->family, 0, cmd);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, id);
	for (; pairs && pairs[0]; pairs += 2)
		mnl_attr_put_u32(nlh, pairs[0], pairs[1]);
	return cka_talk(nl, nlh, cka_ctx_cb, out ? out : &c);
}

#endif /* CKA_NL_H */
