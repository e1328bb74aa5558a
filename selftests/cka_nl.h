/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' face of the project's one netlink client, libcoapka's
 * core (tools/lib/coapka/coapka_nl.h, linked from libcoapka.a). It records
 * the error, the extack message and the offending attribute of each
 * request so tests can assert on exactly what the kernel said.
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

#include "coapka_nl.h"

#define CKA_BUF_SIZE	(1 << 16)

struct cka_nl {
	struct coapka_nl core;	/* the shared client */
	/* copies of the core's */
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp_events;
	uint32_t portid;
	uint32_t seq;		/* of the requests built here */
	/* what the kernel said about the last request */
	int err;		/* 0 or a positive errno */
	char msg[256];		/* extack message, "" if none */
	uint32_t bad_off;	/* NLMSGERR_ATTR_OFFS, 0 if none */
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, 0 if none */
	/* dump bookkeeping */
	unsigned int nmsgs;	/* data messages seen */
	unsigned int nparts;	/* recv() calls that carried them */
	bool intr;		/* some message had NLM_F_DUMP_INTR */
	char buf[CKA_BUF_SIZE];	/* for tests that read the socket themselves */
};

/* One context as the kernel reported it (attribute values, present mask). */
struct cka_ctx {
	uint32_t v[COAP_KA_A_MAX + 1];
	uint64_t present;
};

typedef int (*cka_msg_cb)(const struct nlmsghdr *nlh, void *data);

struct cka_recv_arg {
	cka_msg_cb cb;
	void *data;
};

static inline int cka_recv_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cka_recv_arg *a = data;

	return a->cb && a->cb(nlh, a->data) < 0 ? -EPROTO : 0;
}

/*
 * Receive until the request with sequence @seq is answered (ACK, error or
 * NLMSG_DONE), feeding data messages to @cb. Returns 0 or -errno.
 */
static inline int cka_recv(struct cka_nl *nl, uint32_t seq, cka_msg_cb cb, void *data)
{
	struct cka_recv_arg a = { .cb = cb, .data = data };
	const struct coapka_ext *e = &nl->core.ext;
	size_t len;
	int ret;

	ret = coapka_nl_recv(&nl->core, seq, cka_recv_cb, &a);
	nl->err = e->err;
	len = strnlen(e->msg, sizeof(nl->msg) - 1);
	memcpy(nl->msg, e->msg, len);
	nl->msg[len] = '\0';
	nl->bad_off = e->has_offs ? e->offs : 0;
	nl->miss_type = e->has_miss ? e->miss_type : 0;
	nl->nmsgs = nl->core.nmsgs;
	nl->nparts = nl->core.nparts;
	nl->intr = nl->core.intr;
	return ret;
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
	return coapka_nl_send(&nl->core, nlh);
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
	coapka_nl_close(&nl->core);
	free(nl);
}

/* Open a socket and resolve the family; NULL with errno set on failure. */
static inline struct cka_nl *cka_open(void)
{
	struct cka_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return NULL;
	err = coapka_nl_open(&nl->core);
	if (err) {
		free(nl);
		errno = -err;
		return NULL;
	}
	nl->sock = nl->core.sock;
	nl->family = nl->core.family;
	nl->mcgrp_events = nl->core.grp_events;
	nl->portid = nl->core.portid;
	nl->seq = nl->core.seq;
	/* A lost answer fails the test instead of hanging it. */
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 60 }, sizeof(struct timeval));
	return nl;
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
