// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libcoapka: the application's side of the coap_keepalive module (see
 * coapka.h). Events of the sessions a handle added come to its netlink
 * socket by unicast; those that arrive while a request is out are queued
 * and handed out by the next coapka_dispatch().
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/coap_keepalive.h>

#include "coapka.h"

/* coapka.h restates the uapi's values for applications without it: same numbers. */
#define COAPKA_SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " is not " #b)
COAPKA_SAME(COAPKA_TRANSPORT_UDP, COAP_KA_TRANSPORT_UDP);
COAPKA_SAME(COAPKA_TRANSPORT_TCP, COAP_KA_TRANSPORT_TCP);
COAPKA_SAME(COAPKA_TRANSPORT_TLS, COAP_KA_TRANSPORT_TLS);
COAPKA_SAME(COAPKA_NACK_TOO_MANY_RETRIES, COAP_KA_NACK_TOO_MANY_RETRIES);
COAPKA_SAME(COAPKA_NACK_NO_PONG, COAP_KA_NACK_NO_PONG);
COAPKA_SAME(COAPKA_NACK_UNREACHABLE, COAP_KA_NACK_UNREACHABLE);
COAPKA_SAME(COAPKA_GONE_CLOSED, COAP_KA_GONE_CLOSED);
COAPKA_SAME(COAPKA_GONE_REMOVED, COAP_KA_GONE_REMOVED);
COAPKA_SAME(COAPKA_GONE_ABORTED, COAP_KA_GONE_ABORTED);
COAPKA_SAME(COAPKA_GONE_CTX_DELETED, COAP_KA_GONE_CTX_DELETED);
COAPKA_SAME(COAPKA_GONE_NETNS, COAP_KA_GONE_NETNS);
COAPKA_SAME(COAPKA_GONE_PEER_CLOSED, COAP_KA_GONE_PEER_CLOSED);
COAPKA_SAME(COAPKA_GONE_PEER_RESET, COAP_KA_GONE_PEER_RESET);
COAPKA_SAME(COAPKA_GONE_CONN_LOST, COAP_KA_GONE_CONN_LOST);
COAPKA_SAME(COAPKA_GONE_UNSUPPORTED, COAP_KA_GONE_UNSUPPORTED);
COAPKA_SAME(COAPKA_GONE_DISCONNECTED, COAP_KA_GONE_DISCONNECTED);
COAPKA_SAME(COAPKA_GONE_SOCKET_CHANGED, COAP_KA_GONE_SOCKET_CHANGED);
#include "coapka_nl.h"

#define COAPKA_REQ_SIZE	1024

struct coapka_qmsg {
	struct coapka_qmsg *next;
	struct nlmsghdr nlh[];
};

struct coapka {
	struct coapka_nl nl;
	coapka_pong_handler_t pong;
	coapka_nack_handler_t nack;
	coapka_ping_handler_t ping;
	coapka_session_gone_handler_t gone;
	void *app_data;
	/* events that came during a request, oldest first */
	struct coapka_qmsg *qhead, **qtail;
	bool overrun;			/* a queued-time overrun to report */
	char errbuf[640];
};

/* Union buffer so that the netlink header is aligned. */
union coapka_req {
	char buf[COAPKA_REQ_SIZE];
	struct nlmsghdr align;
};

static int coapka_queue(const struct nlmsghdr *nlh, void *data)
{
	struct coapka *h = data;
	struct coapka_qmsg *q;

	/* libmnl walks attributes up to the aligned end: pad with zeroes. */
	q = calloc(1, sizeof(*q) + MNL_ALIGN(nlh->nlmsg_len));
	if (!q) {
		h->overrun = true;	/* lost, as on a full socket */
		return 0;
	}
	memcpy(q->nlh, nlh, nlh->nlmsg_len);
	*h->qtail = q;
	h->qtail = &q->next;
	return 0;
}

struct coapka *coapka_open(void)
{
	struct coapka *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return NULL;
	ret = coapka_nl_open(&h->nl);
	if (ret) {
		free(h);
		errno = -ret;
		return NULL;
	}
	h->qtail = &h->qhead;
	h->nl.other = coapka_queue;
	h->nl.other_data = h;
	return h;
}

void coapka_close(struct coapka *h)
{
	struct coapka_qmsg *q;

	if (!h)
		return;
	while ((q = h->qhead)) {
		h->qhead = q->next;
		free(q);
	}
	coapka_nl_close(&h->nl);
	free(h);
}

int coapka_fd(const struct coapka *h)
{
	return mnl_socket_get_fd(h->nl.sock);
}

void coapka_set_app_data(struct coapka *h, void *data)
{
	h->app_data = data;
}

void *coapka_get_app_data(const struct coapka *h)
{
	return h->app_data;
}

void coapka_register_pong_handler(struct coapka *h,
				  coapka_pong_handler_t handler)
{
	h->pong = handler;
}

void coapka_register_nack_handler(struct coapka *h,
				  coapka_nack_handler_t handler)
{
	h->nack = handler;
}

void coapka_register_ping_handler(struct coapka *h,
				  coapka_ping_handler_t handler)
{
	h->ping = handler;
}

void coapka_register_session_gone_handler(struct coapka *h,
					  coapka_session_gone_handler_t handler)
{
	h->gone = handler;
}

const char *coapka_strerror(struct coapka *h)
{
	const struct coapka_ext *e = &h->nl.ext;

	if (!e->err)
		return "";
	snprintf(h->errbuf, sizeof(h->errbuf), "%s%s%s%s%s",
		 e->local ? e->local : "", e->local ? ": " : "",
		 strerror(e->err), e->msg[0] ? ": " : "", e->msg);
	return h->errbuf;
}

/* Start an API call: no error yet. */
static void coapka_begin(struct coapka *h)
{
	memset(&h->nl.ext, 0, sizeof(h->nl.ext));
}

/* Reads one u32 attribute out of a reply. */
struct coapka_u32 {
	uint16_t type;
	bool found;
	uint32_t val;
};

static int coapka_u32_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapka_u32 *u = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == u->type &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			u->found = true;
			u->val = mnl_attr_get_u32(a);
		}
	}
	return 0;
}

static int coapka_do(struct coapka *h, struct nlmsghdr *nlh, uint16_t id_attr,
		     uint32_t *id)
{
	struct coapka_u32 u = { .type = id_attr };
	int ret;

	ret = coapka_nl_talk(&h->nl, nlh, id ? coapka_u32_cb : NULL, &u);
	if (ret)
		return ret;
	if (id) {
		if (!u.found || !u.val)
			return coapka_nl_local_err(&h->nl,
				"the reply carries no id", EPROTO);
		*id = u.val;
	}
	return 0;
}

int coapka_context_set_keepalive(struct coapka *h, unsigned int seconds,
				 const struct coapka_params *p,
				 uint32_t *ctx_id)
{
	static const struct {
		uint32_t bit;
		uint16_t attr;
		size_t off;
	} map[] = {
		{ COAPKA_P_ACK_TIMEOUT_MS, COAP_KA_A_ACK_TIMEOUT_MS,
		  offsetof(struct coapka_params, ack_timeout_ms) },
		{ COAPKA_P_ACK_RANDOM_FACTOR, COAP_KA_A_ACK_RANDOM_FACTOR,
		  offsetof(struct coapka_params, ack_random_factor) },
		{ COAPKA_P_MAX_RETRANSMIT, COAP_KA_A_MAX_RETRANSMIT,
		  offsetof(struct coapka_params, max_retransmit) },
		{ COAPKA_P_PONG_TIMEOUT_MS, COAP_KA_A_PONG_TIMEOUT_MS,
		  offsetof(struct coapka_params, pong_timeout_ms) },
		{ COAPKA_P_JITTER_PCT, COAP_KA_A_JITTER_PCT,
		  offsetof(struct coapka_params, jitter_pct) },
		{ COAPKA_P_ABORT, COAP_KA_A_ACTION,
		  offsetof(struct coapka_params, abort) },
		{ COAPKA_P_FLAGS, COAP_KA_A_FLAGS,
		  offsetof(struct coapka_params, flags) },
	};
	union coapka_req req;
	struct nlmsghdr *nlh;
	uint32_t v;
	size_t i;
	int ret;

	coapka_begin(h);
	if (!ctx_id)
		return coapka_nl_local_err(&h->nl, "no context id pointer",
					   EINVAL);
	nlh = coapka_nl_req(&h->nl, req.buf, sizeof(req.buf), 0,
			    *ctx_id ? COAP_KA_CMD_CTX_SET : COAP_KA_CMD_CTX_NEW,
			    NLM_F_ACK);
	if (*ctx_id)
		mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, *ctx_id);
	mnl_attr_put_u32(nlh, COAP_KA_A_KEEPALIVE_SECS, seconds);
	for (i = 0; p && i < sizeof(map) / sizeof(map[0]); i++) {
		if (!(p->set & map[i].bit))
			continue;
		memcpy(&v, (const char *)p + map[i].off, sizeof(v));
		if (map[i].bit == COAPKA_P_ABORT)
			v = v ? COAP_KA_ACTION_ABORT : COAP_KA_ACTION_NOTIFY;
		mnl_attr_put_u32(nlh, map[i].attr, v);
	}
	ret = coapka_do(h, nlh, COAP_KA_A_CTX_ID, ctx_id);
	return ret;
}

int coapka_context_free(struct coapka *h, uint32_t ctx_id)
{
	union coapka_req req;
	struct nlmsghdr *nlh;

	coapka_begin(h);
	nlh = coapka_nl_req(&h->nl, req.buf, sizeof(req.buf), 0,
			    COAP_KA_CMD_CTX_DEL, NLM_F_ACK);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx_id);
	return coapka_do(h, nlh, 0, NULL);
}

int coapka_attach_fd(struct coapka *h, uint32_t ctx_id, int fd,
		     enum coapka_transport transport,
		     const struct coapka_attach_opts *opts,
		     uint32_t *session_id)
{
	union coapka_req req;
	struct nlmsghdr *nlh;
	uint32_t sid;
	int ret;

	coapka_begin(h);
	nlh = coapka_nl_req(&h->nl, req.buf, sizeof(req.buf), 0,
			    COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx_id);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, (uint32_t)fd);
	if (transport != COAPKA_TRANSPORT_AUTO)
		mnl_attr_put_u32(nlh, COAP_KA_A_TRANSPORT, transport);
	if (opts && opts->peer) {
		const struct sockaddr *sa = opts->peer;

		if (sa->sa_family == AF_INET &&
		    opts->peer_len >= sizeof(struct sockaddr_in)) {
			const struct sockaddr_in *in = (const void *)sa;

			mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4,
				     &in->sin_addr);
			mnl_attr_put(nlh, COAP_KA_A_PEER_PORT, 2,
				     &in->sin_port);
		} else if (sa->sa_family == AF_INET6 &&
			   opts->peer_len >= sizeof(struct sockaddr_in6)) {
			const struct sockaddr_in6 *in6 = (const void *)sa;

			mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 16,
				     &in6->sin6_addr);
			mnl_attr_put(nlh, COAP_KA_A_PEER_PORT, 2,
				     &in6->sin6_port);
		} else {
			return coapka_nl_local_err(&h->nl,
				"the peer is not an IPv4 or IPv6 address",
				EAFNOSUPPORT);
		}
	}
	ret = coapka_do(h, nlh, COAP_KA_A_SESSION_ID, &sid);
	if (!ret && session_id)
		*session_id = sid;
	return ret;
}

struct coapka_batch {
	uint32_t *ids;
	unsigned int max, n;
	int ret;
};

static int coapka_batch_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapka_batch *b = data;

	b->ret = coapka_nl_batch_ids(nlh, b->ids, b->max, &b->n);
	return 0;
}

int coapka_attach_peers(struct coapka *h, uint32_t ctx_id, int fd,
			const struct sockaddr_storage *peers, unsigned int n,
			uint32_t *session_ids)
{
	struct coapka_batch b = { .max = n };
	struct nlmsghdr *nlh;
	unsigned int i;
	size_t size;
	void *buf;
	int ret;

	coapka_begin(h);
	if (!n || n > COAPKA_ATTACH_PEERS_MAX || !peers)
		return coapka_nl_local_err(&h->nl,
			"give 1 to COAPKA_ATTACH_PEERS_MAX peers", EINVAL);
	size = COAPKA_REQ_SIZE + COAPKA_NL_PEER_ROOM(n);
	buf = malloc(size);
	b.ids = malloc(n * sizeof(*b.ids));
	if (!buf || !b.ids) {
		ret = coapka_nl_local_err(&h->nl, "allocating the request",
					  ENOMEM);
		goto out;
	}
	nlh = coapka_nl_req(&h->nl, buf, size, 0, COAP_KA_CMD_SESSION_ADD,
			    NLM_F_ACK);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx_id);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, (uint32_t)fd);
	for (i = 0; i < n; i++) {
		if (!coapka_nl_put_peer(nlh, (const void *)&peers[i],
					sizeof(peers[i]))) {
			snprintf(h->nl.ext.msg, sizeof(h->nl.ext.msg),
				 "peer %u", i);
			ret = coapka_nl_local_err(&h->nl,
				"a peer is not an IPv4 or IPv6 address",
				EAFNOSUPPORT);
			goto out;
		}
	}
	ret = coapka_nl_talk(&h->nl, nlh, coapka_batch_cb, &b);
	if (!ret && (b.ret || b.n != n))
		ret = coapka_nl_local_err(&h->nl,
			"the reply does not carry a session id per peer", EPROTO);
	if (!ret && session_ids)
		memcpy(session_ids, b.ids, n * sizeof(*b.ids));
out:
	free(b.ids);
	free(buf);
	return ret;
}

int coapka_detach(struct coapka *h, uint32_t session_id)
{
	union coapka_req req;
	struct nlmsghdr *nlh;

	coapka_begin(h);
	nlh = coapka_nl_req(&h->nl, req.buf, sizeof(req.buf), 0,
			    COAP_KA_CMD_SESSION_DEL, NLM_F_ACK);
	mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, session_id);
	return coapka_do(h, nlh, 0, NULL);
}

/* Decode one event and call its handler. Returns 1 if it was an event. */
static int coapka_event(struct coapka *h, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct sockaddr_in6 *in6;
	struct sockaddr_in *in;
	struct coapka_event ev;
	const struct nlattr *a;
	bool v6 = false;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.mid = -1;
	ev.rtt_us = -1;
	ev.retransmissions = -1;
	ev.reason = -1;
	in = (struct sockaddr_in *)&ev.peer;
	in6 = (struct sockaddr_in6 *)&ev.peer;
	mnl_attr_for_each(a, nlh, sizeof(*genl)) {
		uint16_t type = mnl_attr_get_type(a);

		switch (type) {
		case COAP_KA_A_SOCK_INODE:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
				ev.sock_inode = mnl_attr_get_u64(a);
			continue;
		case COAP_KA_A_PEER_IPV6:
			if (mnl_attr_get_payload_len(a) == 16) {
				v6 = true;
				in6->sin6_family = AF_INET6;
				memcpy(&in6->sin6_addr,
				       mnl_attr_get_payload(a), 16);
			}
			continue;
		case COAP_KA_A_PEER_PORT:
			continue;	/* below, once the family is known */
		}
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		switch (type) {
		case COAP_KA_A_SESSION_ID:
			ev.session_id = mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_CTX_ID:
			ev.ctx_id = mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_PEER_IPV4:
			in->sin_family = AF_INET;
			in->sin_addr.s_addr = mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_MID:
			ev.mid = (int32_t)mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_RTT_US:
			ev.rtt_us = mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_RETRANSMISSIONS:
			ev.retransmissions = (int32_t)mnl_attr_get_u32(a);
			break;
		case COAP_KA_A_NACK_REASON:
		case COAP_KA_A_GONE_REASON:
			ev.reason = (int32_t)mnl_attr_get_u32(a);
			break;
		}
	}
	/* The port goes where the family says, whatever the order. */
	mnl_attr_for_each(a, nlh, sizeof(*genl)) {
		if (mnl_attr_get_type(a) != COAP_KA_A_PEER_PORT ||
		    mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			continue;
		if (v6)
			in6->sin6_port = mnl_attr_get_u16(a);
		else if (in->sin_family == AF_INET)
			in->sin_port = mnl_attr_get_u16(a);
	}

	switch (genl->cmd) {
	case COAP_KA_CMD_PONG_NTF:
		if (h->pong)
			h->pong(h, &ev);
		return 1;
	case COAP_KA_CMD_NACK_NTF:
		if (h->nack)
			h->nack(h, &ev);
		return 1;
	case COAP_KA_CMD_PING_NTF:
		if (h->ping)
			h->ping(h, &ev);
		return 1;
	case COAP_KA_CMD_SESSION_GONE_NTF:
		if (h->gone)
			h->gone(h, &ev);
		return 1;
	}
	return 0;
}

/* Handed the events coapka_nl_poll() reads. */
static int coapka_dispatch_cb(const struct nlmsghdr *nlh, void *data)
{
	return coapka_event(data, nlh);
}

int coapka_dispatch(struct coapka *h)
{
	struct coapka_qmsg *q;
	int n = 0, ret;

	coapka_begin(h);
	while ((q = h->qhead)) {
		h->qhead = q->next;
		if (!h->qhead)
			h->qtail = &h->qhead;
		n += coapka_event(h, q->nlh);
		free(q);
	}
	h->nl.other = coapka_dispatch_cb;
	ret = coapka_nl_poll(&h->nl);
	h->nl.other = coapka_queue;
	if (ret < 0 && ret != -ENOBUFS)
		return coapka_nl_local_err(&h->nl, "receiving events", -ret);
	if (ret == -ENOBUFS || h->overrun) {
		h->overrun = false;
		return coapka_nl_local_err(&h->nl,
			"events were lost (receive buffer overrun)", ENOBUFS);
	}
	return n + ret;
}
