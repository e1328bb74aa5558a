// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: the generic netlink family.
 *
 * Requests are validated by strict per-command policies generated from the
 * YAML spec into netlink-gen.c (ranges live in the policy, so the netlink
 * core reports them with the attribute and bounds); what a policy cannot
 * say is checked here with an extack message. The handlers carry the names
 * the generated ops table gives them.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/genetlink.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "coap_ka.h"
#include "compat.h"
#include "netlink-gen.h"

struct genl_family coap_ka_genl_family;

/* Attributes of one context message. */
static size_t coap_ka_ctx_msg_size(void)
{
	return nla_total_size(sizeof(u32)) * 12;
}

/* Store the request's settings in @p; returns the mask of those given. */
static u32 coap_ka_nl_parse_params(struct nlattr **attrs,
				   struct coap_ka_params *p)
{
	unsigned long all = COAP_KA_SETTINGS;
	unsigned int attr;
	u32 mask = 0;

	for_each_set_bit(attr, &all, COAP_KA_A_MAX + 1) {
		if (attrs[attr]) {
			*coap_ka_param(p, attr) = nla_get_u32(attrs[attr]);
			mask |= BIT(attr);
		}
	}
	return mask;
}

/* The user namespace of the socket that sent @skb, to show uids in. */
static struct user_namespace *coap_ka_nl_user_ns(const struct sk_buff *skb)
{
	return sk_user_ns(NETLINK_CB(skb).sk);
}

static int coap_ka_nl_ctx_fill(struct sk_buff *msg, struct coap_ka_net *cn,
			       const struct coap_ka_ctx *ctx,
			       struct user_namespace *ns, u32 portid, u32 seq,
			       int flags, u8 cmd, struct netlink_callback *cb)
{
	const struct coap_ka_params *p = coap_ka_ctx_params_locked(cn, ctx);
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &coap_ka_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_u32(msg, COAP_KA_A_CTX_ID, ctx->id) ||
	    nla_put_u32(msg, COAP_KA_A_OWNER_UID,
			from_kuid_munged(ns, ctx->owner)) ||
	    nla_put_u32(msg, COAP_KA_A_KEEPALIVE_SECS, p->keepalive_secs) ||
	    nla_put_u32(msg, COAP_KA_A_ACK_TIMEOUT_MS, p->ack_timeout_ms) ||
	    nla_put_u32(msg, COAP_KA_A_ACK_RANDOM_FACTOR, p->random_factor) ||
	    nla_put_u32(msg, COAP_KA_A_MAX_RETRANSMIT, p->max_retransmit) ||
	    nla_put_u32(msg, COAP_KA_A_PONG_TIMEOUT_MS, p->pong_timeout_ms) ||
	    nla_put_u32(msg, COAP_KA_A_ACTIVITY, p->activity) ||
	    nla_put_u32(msg, COAP_KA_A_JITTER_PCT, p->jitter_pct) ||
	    nla_put_u32(msg, COAP_KA_A_ACTION, p->action) ||
	    nla_put_u32(msg, COAP_KA_A_FLAGS, p->flags) ||
	    nla_put_u32(msg, COAP_KA_A_SESSIONS, ctx->nsessions)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* A reply for one context (coap_ka_nl_ctx_reply()); NULL if none. */
static struct sk_buff *coap_ka_nl_ctx_msg(void)
{
	return genlmsg_new(coap_ka_ctx_msg_size(), GFP_KERNEL);
}

/*
 * Reply to a do request with the context in @msg (from coap_ka_nl_ctx_msg(),
 * consumed; NULL: -ENOMEM); @cn->lock is held.
 */
static int coap_ka_nl_ctx_reply(struct sk_buff *msg, struct sk_buff *skb,
				struct genl_info *info, struct coap_ka_net *cn,
				const struct coap_ka_ctx *ctx)
{
	int err;

	if (!msg)
		return -ENOMEM;
	err = coap_ka_nl_ctx_fill(msg, cn, ctx, coap_ka_nl_user_ns(skb),
				  info->snd_portid, info->snd_seq, 0,
				  info->genlhdr->cmd, NULL);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Who is asking: the effective uid of whoever opened the netlink socket
 * the request came on, not of whichever process sent it (a socket handed
 * to a more privileged process must not become that process's voice).
 */
static kuid_t coap_ka_nl_uid(const struct sk_buff *skb)
{
	const struct socket *sock = NETLINK_CB(skb).sk->sk_socket;

	return sock && sock->file ? sock->file->f_cred->euid : current_euid();
}

/* CAP_NET_ADMIN over the namespace's user namespace: sees and changes all. */
static bool coap_ka_nl_admin(const struct sk_buff *skb, struct net *net)
{
	return netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN);
}

/* May the requester see (and change) what @owner owns? */
static bool coap_ka_nl_mine(const struct sk_buff *skb, struct net *net,
			    kuid_t owner)
{
	return uid_eq(owner, coap_ka_nl_uid(skb)) || coap_ka_nl_admin(skb, net);
}

/*
 * Look the request's context up; @cn->lock is held. Another user's
 * context does not exist for an unprivileged requester. Seeing a context
 * and changing it (its settings, its sessions) take the same right, its
 * owner's or CAP_NET_ADMIN over the namespace: one found may be changed.
 */
static struct coap_ka_ctx *coap_ka_nl_ctx_lookup(struct sk_buff *skb,
						 struct genl_info *info,
						 struct coap_ka_net *cn)
{
	struct coap_ka_ctx *ctx;

	if (GENL_REQ_ATTR_CHECK(info, COAP_KA_A_CTX_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing context id");
		return ERR_PTR(-EINVAL);
	}
	ctx = coap_ka_ctx_find(cn, nla_get_u32(info->attrs[COAP_KA_A_CTX_ID]));
	if (ctx && !coap_ka_nl_mine(skb, genl_info_net(info), ctx->owner))
		ctx = NULL;
	if (!ctx) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COAP_KA_A_CTX_ID],
				    "no context with this id in this network namespace");
		return ERR_PTR(-ENOENT);
	}
	return ctx;
}

/*
 * Every error reply carries a message. The paths below that set none are
 * allocation failures and a reply that does not fit its buffer; give them
 * one here rather than at each of them.
 */
static int coap_ka_nl_err(struct genl_info *info, int err)
{
	if (!err || info->extack->_msg)
		return err;
	if (err == -ENOMEM)
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
	else
		NL_SET_ERR_MSG_MOD(info->extack, "request failed (see the error number)");
	return err;
}

/**
 * coap_keepalive_nl_ctx_new_doit() - ctx-new: make a context owned by the requester
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); the requester's context
 * limit (EDQUOT) and the settings' ranges are checked; the reply is the new
 * context as for ctx-get.
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_ctx_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_params p;
	struct coap_ka_ctx *ctx;
	LIST_HEAD(dead);
	int err;

	coap_ka_params_default(&p);
	coap_ka_nl_parse_params(info->attrs, &p);

	mutex_lock(&cn->lock);
	ctx = coap_ka_ctx_create(cn, coap_ka_nl_uid(skb), &p, info->extack);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	err = coap_ka_nl_ctx_reply(coap_ka_nl_ctx_msg(), skb, info, cn, ctx);
	/* The caller never learnt the id: do not leave the context behind. */
	if (err)
		coap_ka_ctx_delete(cn, ctx, &dead);
out:
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	return coap_ka_nl_err(info, err);
}

/**
 * coap_keepalive_nl_ctx_set_doit() - ctx-set: change a context's settings
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); its sessions follow at
 * once, except for settings they override.
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_ctx_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_params p;
	struct coap_ka_ctx *ctx;
	struct sk_buff *msg;
	int err;

	/* The reply first: a change that was made is not reported as failed. */
	msg = coap_ka_nl_ctx_msg();
	if (!msg)
		return coap_ka_nl_err(info, -ENOMEM);
	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(skb, info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	p = *coap_ka_ctx_params_locked(cn, ctx);
	coap_ka_nl_parse_params(info->attrs, &p);
	err = coap_ka_ctx_update(cn, ctx, &p);
	if (err)
		goto out;
	err = coap_ka_nl_ctx_reply(msg, skb, info, cn, ctx);
	msg = NULL;
out:
	mutex_unlock(&cn->lock);
	nlmsg_free(msg);
	return coap_ka_nl_err(info, err);
}

/**
 * coap_keepalive_nl_ctx_get_doit() - ctx-get (do): one context
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); another user's context
 * does not exist for an unprivileged requester (ENOENT).
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_ctx_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_ctx *ctx;
	int err;

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(skb, info, cn);
	if (IS_ERR(ctx))
		err = PTR_ERR(ctx);
	else
		err = coap_ka_nl_ctx_reply(coap_ka_nl_ctx_msg(), skb, info, cn, ctx);
	mutex_unlock(&cn->lock);
	return coap_ka_nl_err(info, err);
}

/**
 * coap_keepalive_nl_ctx_get_dumpit() - ctx-get (dump): every context the requester may see
 * @skb: the reply being filled
 * @cb: the dump's state; cb->args[0] is the id to resume from
 *
 * Generic netlink handler (module/netlink-gen.c); resumed from cb->args[0],
 * the next id; a change meanwhile marks the dump interrupted
 * (NLM_F_DUMP_INTR).
 *
 * Context: process context; takes the namespace's lock per message.
 * Return: the length of @skb while there is more, 0 at the end, or -errno.
 */
int coap_keepalive_nl_ctx_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct coap_ka_net *cn = coap_ka_pernet(sock_net(skb->sk));
	struct user_namespace *ns = coap_ka_nl_user_ns(cb->skb);
	bool admin = coap_ka_nl_admin(cb->skb, sock_net(skb->sk));
	kuid_t uid = coap_ka_nl_uid(cb->skb);
	unsigned long id = cb->args[0];
	struct coap_ka_ctx *ctx;
	int err = 0;

	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	xa_for_each_start(&cn->ctxs, id, ctx, cb->args[0]) {
		if (!admin && !uid_eq(ctx->owner, uid)) {
			cb->args[0] = id + 1;
			continue;
		}
		err = coap_ka_nl_ctx_fill(skb, cn, ctx, ns,
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  COAP_KA_CMD_CTX_GET, cb);
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&cn->lock);

	/* A full skb goes out now; the dump resumes at what did not fit. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

/**
 * coap_keepalive_nl_ctx_del_doit() - ctx-del: delete a context
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); its sessions end (session-
 * gone, reason ctx-deleted) and their sockets are handed back.
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_ctx_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_ctx *ctx;
	LIST_HEAD(dead);
	int err;

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(skb, info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	err = 0;
	coap_ka_ctx_delete(cn, ctx, &dead);
out:
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	return coap_ka_nl_err(info, err);
}

/* Milliseconds since @then, saturating rather than wrapping after 49 days. */
static u32 coap_ka_age_ms(unsigned long then)
{
	return min_t(u64, jiffies64_to_msecs(jiffies - then), U32_MAX);
}

/* A session's own settings: only those it overrides. */
static int coap_ka_nl_put_overrides(struct sk_buff *msg,
				    const struct coap_ka_overrides *over)
{
	unsigned long mask = over ? over->mask : 0;
	struct coap_ka_params p;
	unsigned int attr;

	if (!mask)
		return 0;
	p = over->p;
	for_each_set_bit(attr, &mask, COAP_KA_A_MAX + 1)
		if (nla_put_u32(msg, attr, *coap_ka_param(&p, attr)))
			return -EMSGSIZE;
	return 0;
}

static int coap_ka_nl_session_fill(struct sk_buff *msg,
				   const struct coap_ka_session *s, u32 portid,
				   u32 seq, int flags, u8 cmd,
				   struct netlink_callback *cb)
{
	struct coap_ka_session *w = (struct coap_ka_session *)s;
	bool tcp = coap_ka_is_tcp(s->ks);
	unsigned long last_rx, last_tx;
	u32 st[8];
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &coap_ka_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	spin_lock_bh(&w->lock);
	st[0] = s->state;
	st[1] = s->pings;
	st[3] = s->pongs;
	st[4] = s->nacks;
	st[6] = s->rtt_us;
	if (tcp) {
		st[2] = 0;
		st[5] = 0;
		st[7] = s->deferrals;
	} else {
		st[2] = s->retransmissions;
		st[5] = s->peer_pings;
		st[7] = 0;
	}
	spin_unlock_bh(&w->lock);
	last_tx = coap_ka_j_past(READ_ONCE(s->last_tx));
	if (tcp)
		last_rx = coap_ka_tcp_last(s, false);	/* TCP's own stamp */
	else
		last_rx = coap_ka_j_past(READ_ONCE(s->last_rx));

	if (nla_put_u32(msg, COAP_KA_A_SESSION_ID, s->id) ||
	    nla_put_u32(msg, COAP_KA_A_CTX_ID, s->bind->ctx->id) ||
	    nla_put_u64_64bit(msg, COAP_KA_A_SOCK_INODE, s->ks->ino, COAP_KA_A_PAD) ||
	    nla_put_u32(msg, COAP_KA_A_TRANSPORT, READ_ONCE(s->ks->transport)) ||
	    coap_ka_nl_put_peer(msg, s) ||
	    nla_put_u32(msg, COAP_KA_A_STATE, st[0]) ||
	    nla_put_u32(msg, COAP_KA_A_PINGS, st[1]) ||
	    nla_put_u32(msg, COAP_KA_A_RETRANSMISSIONS, st[2]) ||
	    nla_put_u32(msg, COAP_KA_A_PONGS, st[3]) ||
	    nla_put_u32(msg, COAP_KA_A_NACKS, st[4]) ||
	    nla_put_u32(msg, COAP_KA_A_PEER_PINGS, st[5]) ||
	    nla_put_u32(msg, COAP_KA_A_RTT_US, st[6]) ||
	    nla_put_u32(msg, COAP_KA_A_PING_DEFERRALS, st[7]) ||
	    nla_put_u32(msg, COAP_KA_A_TX_AGE_MS, coap_ka_age_ms(last_tx)) ||
	    nla_put_u32(msg, COAP_KA_A_RX_AGE_MS, coap_ka_age_ms(last_rx)) ||
	    coap_ka_nl_put_overrides(msg, s->bind->over)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/*
 * The largest session message: thirteen u32s, the inode, an IPv6 peer and
 * every setting overridden. A reply of its exact size is neither a page
 * to allocate nor one netlink_unicast() trims with a copy.
 */
static size_t coap_ka_session_msg_size(void)
{
	return nla_total_size(sizeof(u32)) *
	       (13 + hweight32(COAP_KA_SETTINGS)) +
	       nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(struct in6_addr)) +
	       nla_total_size(sizeof(u16));
}

static int coap_ka_nl_session_reply(struct genl_info *info,
				    const struct coap_ka_session *s)
{
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(coap_ka_session_msg_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = coap_ka_nl_session_fill(msg, s, info->snd_portid, info->snd_seq,
				      0, info->genlhdr->cmd, NULL);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * A peer given as attributes of @a (the request's, or one peer nest's):
 * *@given says whether there was one; @req is zeroed first, so that two
 * equal peers compare equal as memory.
 */
static int coap_ka_nl_peer_parse(struct nlattr **a, struct sock *sk,
				 struct coap_ka_peer *req, bool *given,
				 struct netlink_ext_ack *extack)
{
	*given = a[COAP_KA_A_PEER_IPV4] || a[COAP_KA_A_PEER_IPV6];
	memset(req, 0, sizeof(*req));
	if (a[COAP_KA_A_PEER_IPV4] && a[COAP_KA_A_PEER_IPV6]) {
		NL_SET_ERR_MSG_MOD(extack, "give one peer address: IPv4 or IPv6");
		return -EINVAL;
	}
	if (*given != !!a[COAP_KA_A_PEER_PORT] ||
	    (*given && !nla_get_be16(a[COAP_KA_A_PEER_PORT]))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "a peer needs both an address and a non-zero port");
		return -EINVAL;
	}
	if (!*given)
		return 0;
	if (a[COAP_KA_A_PEER_IPV4])
		ipv6_addr_set_v4mapped(nla_get_in_addr(a[COAP_KA_A_PEER_IPV4]),
				       &req->addr);
	else
		req->addr = nla_get_in6_addr(a[COAP_KA_A_PEER_IPV6]);
	req->port = nla_get_be16(a[COAP_KA_A_PEER_PORT]);
	if (sk->sk_family == AF_INET && !ipv6_addr_v4mapped(&req->addr)) {
		NL_SET_ERR_MSG_MOD(extack, "an IPv4 socket cannot reach an IPv6 peer");
		return -EAFNOSUPPORT;
	}
	return 0;
}

/* The peer of a session to add: the connected one, or the request's. */
static int coap_ka_nl_session_peer(struct genl_info *info, struct sock *sk,
				   struct coap_ka_peer *peer)
{
	struct coap_ka_peer req;
	bool given;
	int err;

	err = coap_ka_nl_peer_parse(info->attrs, sk, &req, &given, info->extack);
	if (err)
		return err;
	if (sk->sk_state == TCP_ESTABLISHED) {
		coap_ka_peer_from_sk(sk, peer);
		if (given && memcmp(&req, peer, sizeof(req))) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "the socket is connected to another peer");
			return -EINVAL;
		}
		return 0;
	}
	if (!given) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "unconnected socket: give the peer's address and port");
		return -EDESTADDRREQ;
	}
	*peer = req;
	return 0;
}

/* A TCP socket to watch: connected, and what it carries in *@transport. */
static int coap_ka_nl_check_tcp(struct genl_info *info, struct sock *sk,
				u8 *transport)
{
	struct nlattr *t = info->attrs[COAP_KA_A_TRANSPORT];
	u32 want = t ? nla_get_u32(t) : COAP_KA_TRANSPORT_TCP;
	int state = inet_sk_state_load(sk);

	if (want != COAP_KA_TRANSPORT_TCP && want != COAP_KA_TRANSPORT_TLS) {
		NL_SET_ERR_MSG_ATTR(info->extack, t,
				    "a TCP socket carries transport tcp or tls");
		return -EINVAL;
	}
	if (state == TCP_LISTEN) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "a listening socket has no peer: add the connections accept() returns");
		return -EINVAL;
	}
	if (state != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG_MOD(info->extack, "the TCP socket is not connected");
		return -ENOTCONN;
	}
	if (t && want == COAP_KA_TRANSPORT_TCP && coap_ka_tcp_has_ulp(sk)) {
		NL_SET_ERR_MSG_ATTR(info->extack, t,
				    "the socket has an upper layer protocol (kTLS?): not plain tcp");
		return -EINVAL;
	}
	*transport = want;
	return 0;
}

/*
 * What a socket must be to be watched, and what it carries (*@transport);
 * the reason why not in @extack.
 */
static int coap_ka_nl_check_sock(struct genl_info *info, struct sock *sk,
				 u8 *transport)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *t = info->attrs[COAP_KA_A_TRANSPORT];

	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6) {
		NL_SET_ERR_MSG_MOD(extack, "only IPv4 and IPv6 sockets can be watched");
		return -EAFNOSUPPORT;
	}
	if (!net_eq(sock_net(sk), genl_info_net(info))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the socket belongs to another network namespace");
		return -EINVAL;
	}
	if (sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP)
		return coap_ka_nl_check_tcp(info, sk, transport);
	if (sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP) {
		NL_SET_ERR_MSG_MOD(extack, "not a UDP or TCP socket");
		return -EPROTONOSUPPORT;
	}
	if (t && nla_get_u32(t) != COAP_KA_TRANSPORT_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, t, "a UDP socket carries transport udp");
		return -EINVAL;
	}
	*transport = COAP_KA_TRANSPORT_UDP;
	return 0;
}

/* One peer of a batched session-add. */
struct coap_ka_nl_peer {
	const struct nlattr *nest;	/* its nest in the request */
	struct coap_ka_peer peer;
	struct coap_ka_overrides *over;	/* NULL once the session's */
	struct coap_ka_session *s;
};

/*
 * Point the extended ACK at peer nest @i and name it in the message (on
 * kernels with formatted messages), keeping the reason already given: as
 * much of it as fits the formatted message's 80 bytes with the longest
 * index (every reason given for a peer does).
 */
static void coap_ka_nl_blame_peer(struct netlink_ext_ack *extack,
				  const struct nlattr *nest, unsigned int i)
{
#ifdef NL_SET_ERR_MSG_FMT_MOD
	static const char prefix[] = KBUILD_MODNAME ": ";
	const char *why = extack->_msg;
#endif

	NL_SET_BAD_ATTR(extack, nest);
#ifdef NL_SET_ERR_MSG_FMT_MOD
	if (!why || why == extack->_msg_buf)
		why = "refused (see the error number)";
	else if (!strncmp(why, prefix, sizeof(prefix) - 1))
		why += sizeof(prefix) - 1;
	NL_SET_ERR_MSG_FMT_MOD(extack, "peer %u: %.52s", i, why);
#else
	if (!extack->_msg)
		NL_SET_ERR_MSG_MOD(extack,
				   "a peer nest was refused (the error offset points at it)");
#endif
}

/* Sort order of peer indices: by peer, then by index. */
static int coap_ka_nl_peer_cmp(const void *a, const void *b, const void *priv)
{
	const struct coap_ka_nl_peer *p = priv;
	u16 i = *(const u16 *)a, j = *(const u16 *)b;
	int d = memcmp(&p[i].peer, &p[j].peer, sizeof(p[i].peer));

	return d ? d : (int)i - (int)j;
}

/*
 * The first peer (in request order) that an earlier one of the batch
 * already names, or -1.
 */
static int coap_ka_nl_peer_dup(const struct coap_ka_nl_peer *p, unsigned int n)
{
	int first = -1;
	unsigned int i;
	u16 *idx;

	idx = kvmalloc_array(n, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_r(idx, n, sizeof(*idx), coap_ka_nl_peer_cmp, NULL, p);
	for (i = 1; i < n; i++)
		if (!memcmp(&p[idx[i - 1]].peer, &p[idx[i]].peer, sizeof(p->peer)) &&
		    (first < 0 || idx[i] < first))
			first = idx[i];
	kvfree(idx);
	return first;
}

/* Parse the peer nests of a batch into @p (@n of them). */
static int coap_ka_nl_peers_parse(struct genl_info *info, struct sock *sk,
				  struct coap_ka_nl_peer *p, unsigned int n)
{
	struct nlattr *tb[COAP_KA_A_PEER_PORT + 1];
	const struct nlattr *nest;
	unsigned int i = 0;
	bool given;
	int err, rem;

	nla_for_each_attr(nest, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(nest) != COAP_KA_A_PEER)
			continue;
		p[i].nest = nest;
		err = nla_parse_nested(tb, COAP_KA_A_PEER_PORT, nest,
				       coap_keepalive_peer_nl_policy, info->extack);
		if (!err && tb[COAP_KA_A_SESSION_ID]) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "session-id comes in the reply, not in a request");
			err = -EINVAL;
		}
		if (!err)
			err = coap_ka_nl_peer_parse(tb, sk, &p[i].peer, &given,
						    info->extack);
		if (!err && !given) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "a peer nest needs the peer's address and port");
			err = -EINVAL;
		}
		if (err) {
			coap_ka_nl_blame_peer(info->extack, nest, i);
			return err;
		}
		i++;
	}
	err = coap_ka_nl_peer_dup(p, n);
	if (err >= 0) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "this peer is already in the batch");
		coap_ka_nl_blame_peer(info->extack, p[err].nest, err);
		return -EEXIST;
	}
	return err == -1 ? 0 : err;
}

/* The reply to a batch: ctx-id, sock-inode and a nest per session. */
static size_t coap_ka_nl_batch_msg_size(const struct coap_ka_nl_peer *p,
					unsigned int n)
{
	size_t size = nla_total_size(sizeof(u32)) +
		      nla_total_size_64bit(sizeof(u64));
	unsigned int i;

	for (i = 0; i < n; i++)
		size += nla_total_size(nla_total_size(sizeof(u32)) +
				       nla_total_size(ipv6_addr_v4mapped(&p[i].peer.addr) ?
						      sizeof(__be32) :
						      sizeof(struct in6_addr)) +
				       nla_total_size(sizeof(__be16)));
	return size;
}

static int coap_ka_nl_batch_fill(struct sk_buff *msg, struct genl_info *info,
				 const struct coap_ka_nl_peer *p, unsigned int n)
{
	const struct coap_ka_session *s = p[0].s;
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &coap_ka_genl_family, 0,
				info->genlhdr->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, COAP_KA_A_CTX_ID, s->bind->ctx->id) ||
	    nla_put_u64_64bit(msg, COAP_KA_A_SOCK_INODE, s->ks->ino, COAP_KA_A_PAD))
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, COAP_KA_A_PEER);
		if (!nest || nla_put_u32(msg, COAP_KA_A_SESSION_ID, p[i].s->id) ||
		    coap_ka_nl_put_peer(msg, p[i].s))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/*
 * session-add with peer nests: @n sessions of one unconnected UDP socket,
 * all or none. The socket was checked by the caller.
 */
static int coap_ka_nl_session_add_batch(struct sk_buff *skb,
					struct genl_info *info,
					struct socket *sock, unsigned int n)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_overrides tmpl;
	struct coap_ka_session *s;
	struct coap_ka_nl_peer *p;
	struct coap_ka_sock *ks;
	struct coap_ka_ctx *ctx;
	unsigned int i = 0, room = n;
	struct sk_buff *msg;
	LIST_HEAD(dead);
	int err;

	p = kvcalloc(n, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	err = coap_ka_nl_peers_parse(info, sock->sk, p, n);
	if (err)
		goto out_free;

	/* Everything that can be allocated is, before the lock. */
	err = -ENOMEM;
	msg = genlmsg_new(coap_ka_nl_batch_msg_size(p, n), GFP_KERNEL);
	if (!msg)
		goto out_free;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.mask = coap_ka_nl_parse_params(info->attrs, &tmpl.p);
	for (i = 0; tmpl.mask && i < n; i++) {
		p[i].over = kmemdup(&tmpl, sizeof(tmpl), COAP_KA_GFP_USER);
		if (!p[i].over)
			goto out_msg;
	}

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(skb, info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out_unlock;
	}
	/* Peers the socket already has: refused before anything is added. */
	ks = coap_ka_sk_ks(sock->sk);
	for (i = 0; ks && i < n; i++) {
		rcu_read_lock();
		s = coap_ka_session_find(ks, &p[i].peer);
		rcu_read_unlock();
		if (s) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "this peer already has a session on this socket");
			coap_ka_nl_blame_peer(info->extack, p[i].nest, i);
			err = -EEXIST;
			goto out_unlock;
		}
	}
	/*
	 * The whole batch against the session limit at once: refused there,
	 * no session of it was ever visible. Each session made holds one of
	 * these charges (unlinking gives it back); the rest go back below.
	 */
	err = coap_ka_user_sessions_charge_many(ctx->owner, n, &room,
						info->extack);
	if (err) {
		if (err == -EDQUOT && room < n)
			coap_ka_nl_blame_peer(info->extack, p[room].nest, room);
		goto out_unlock;
	}
	for (i = 0; i < n; i++) {
		s = coap_ka_session_add(cn, ctx, sock, COAP_KA_TRANSPORT_UDP,
					&p[i].peer, p[i].over, info->snd_portid,
					true, info->extack);
		if (IS_ERR(s)) {
			err = PTR_ERR(s);
			coap_ka_nl_blame_peer(info->extack, p[i].nest, i);
			coap_ka_user_sessions_uncharge_many(ctx->owner, n - i);
			goto out_undo;
		}
		p[i].over = NULL;	/* the session's now */
		p[i].s = s;
	}
	err = coap_ka_nl_batch_fill(msg, info, p, n);
	if (!err) {
		err = genlmsg_reply(msg, info);
		msg = NULL;	/* consumed, sent or not */
	}
	if (!err)
		goto out_unlock;
out_undo:
	/*
	 * None of them ever existed for anyone: no SESSION_GONE, and the
	 * socket goes back with the last one if it had none before.
	 */
	while (i--)
		coap_ka_session_unlink(cn, p[i].s, COAP_KA_GONE_SILENT, &dead);
out_unlock:
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	i = n;
out_msg:
	nlmsg_free(msg);
	while (i--)
		kfree(p[i].over);
out_free:
	kvfree(p);
	return err;
}

/* The number of peer nests of a session-add, or -EINVAL past the limit. */
static int coap_ka_nl_peers_count(struct genl_info *info)
{
	const struct nlattr *nest;
	int n = 0, rem;

	nla_for_each_attr(nest, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(nest) != COAP_KA_A_PEER)
			continue;
		if (n == COAP_KA_SESSION_ADD_PEERS_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, nest,
					    "too many peer nests: at most COAP_KA_SESSION_ADD_PEERS_MAX (1024) in one request");
			return -EINVAL;
		}
		n++;
	}
	return n;
}

/**
 * coap_keepalive_nl_session_add_doit() - session-add: watch a socket and peer
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); the socket comes as a file
 * descriptor of the sender's; the reply is the new session as for session-
 * get.
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_session_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_overrides *over = NULL;
	struct nlattr **a = info->attrs;
	struct coap_ka_session *s;
	struct coap_ka_params op;
	struct coap_ka_peer peer;
	struct coap_ka_ctx *ctx;
	struct socket *sock;
	int err, npeers;
	u8 transport;
	u32 mask;

	if (a[COAP_KA_A_TRANSPORT] &&
	    nla_get_u32(a[COAP_KA_A_TRANSPORT]) == COAP_KA_TRANSPORT_DTLS) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[COAP_KA_A_TRANSPORT],
				    "DTLS cannot be kept alive by the kernel: it has no DTLS record layer and no keys; keep keepalive in the application");
		return -EOPNOTSUPP;
	}
	if (GENL_REQ_ATTR_CHECK(info, COAP_KA_A_SOCK_FD)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing socket file descriptor");
		return -EINVAL;
	}
	if (a[COAP_KA_A_PEER] && (a[COAP_KA_A_PEER_IPV4] ||
				  a[COAP_KA_A_PEER_IPV6] || a[COAP_KA_A_PEER_PORT])) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[COAP_KA_A_PEER],
				    "give the peers either as peer nests or as flat peer attributes, not both");
		return -EINVAL;
	}
	npeers = a[COAP_KA_A_PEER] ? coap_ka_nl_peers_count(info) : 0;
	if (npeers < 0)
		return npeers;
	sock = sockfd_lookup(nla_get_s32(a[COAP_KA_A_SOCK_FD]), &err);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[COAP_KA_A_SOCK_FD],
				    "not a socket file descriptor of the calling process");
		return err;
	}
	err = coap_ka_nl_check_sock(info, sock->sk, &transport);
	if (err)
		goto out_put;
	if (npeers) {
		if (transport != COAP_KA_TRANSPORT_UDP) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[COAP_KA_A_PEER],
					    "a TCP connection has one peer: peer nests are for unconnected UDP sockets");
			err = -EINVAL;
		} else if (READ_ONCE(sock->sk->sk_state) == TCP_ESTABLISHED) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[COAP_KA_A_PEER],
					    "a connected UDP socket has one peer, its connected one: peer nests are for unconnected sockets");
			err = -EINVAL;
		} else {
			err = coap_ka_nl_session_add_batch(skb, info, sock, npeers);
		}
		goto out_put;
	}
	err = coap_ka_nl_session_peer(info, sock->sk, &peer);
	if (err)
		goto out_put;

	memset(&op, 0, sizeof(op));
	mask = coap_ka_nl_parse_params(a, &op);
	if (mask) {
		err = -ENOMEM;
		over = kzalloc(sizeof(*over), COAP_KA_GFP_USER);
		if (!over)
			goto out_put;
		over->mask = mask;
		over->p = op;
	}

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(skb, info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out_unlock;
	}
	s = coap_ka_session_add(cn, ctx, sock, transport, &peer, over,
				info->snd_portid, false, info->extack);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto out_unlock;
	}
	over = NULL;	/* the session's now */
	err = coap_ka_nl_session_reply(info, s);
	if (err) {
		LIST_HEAD(dead);

		/* It never existed for anyone: no SESSION_GONE either. */
		coap_ka_session_unlink(cn, s, COAP_KA_GONE_SILENT, &dead);
		mutex_unlock(&cn->lock);
		coap_ka_sessions_finish(cn, &dead);
		goto out_put;
	}
out_unlock:
	mutex_unlock(&cn->lock);
out_put:
	sockfd_put(sock);
	kfree(over);
	return coap_ka_nl_err(info, err);
}

/* As coap_ka_nl_ctx_lookup(): a session is its context owner's. */
static struct coap_ka_session *coap_ka_nl_session_lookup(struct sk_buff *skb,
							 struct genl_info *info,
							 struct coap_ka_net *cn)
{
	struct coap_ka_session *s;

	if (GENL_REQ_ATTR_CHECK(info, COAP_KA_A_SESSION_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing session id");
		return ERR_PTR(-EINVAL);
	}
	s = xa_load(&cn->sessions, nla_get_u32(info->attrs[COAP_KA_A_SESSION_ID]));
	if (s && !coap_ka_nl_mine(skb, genl_info_net(info), s->bind->ctx->owner))
		s = NULL;
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COAP_KA_A_SESSION_ID],
				    "no session with this id in this network namespace");
		return ERR_PTR(-ENOENT);
	}
	return s;
}

/**
 * coap_keepalive_nl_session_del_doit() - session-del: stop watching a session
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); it ends with session-gone,
 * reason removed; its socket is handed back as the application had it.
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_session *s;
	LIST_HEAD(dead);
	int err;

	mutex_lock(&cn->lock);
	s = coap_ka_nl_session_lookup(skb, info, cn);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto out;
	}
	err = 0;
	coap_ka_session_unlink(cn, s, COAP_KA_GONE_REMOVED, &dead);
out:
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	return coap_ka_nl_err(info, err);
}

/**
 * coap_keepalive_nl_session_get_doit() - session-get (do): one session
 * @skb: the request
 * @info: its parsed attributes (policy checked) and extended ACK
 *
 * Generic netlink handler (module/netlink-gen.c); another user's session
 * does not exist for an unprivileged requester (ENOENT).
 *
 * Context: process context; takes the namespace's lock.
 * Return: 0, or -errno with an extended ACK message.
 */
int coap_keepalive_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_session *s;
	int err;

	mutex_lock(&cn->lock);
	s = coap_ka_nl_session_lookup(skb, info, cn);
	err = IS_ERR(s) ? PTR_ERR(s) : coap_ka_nl_session_reply(info, s);
	mutex_unlock(&cn->lock);
	return coap_ka_nl_err(info, err);
}

/**
 * coap_keepalive_nl_session_get_dumpit() - session-get (dump): the sessions the requester may see
 * @skb: the reply being filled
 * @cb: the dump's state; cb->args[0] is the id to resume from
 *
 * Generic netlink handler (module/netlink-gen.c); filtered by context id and
 * socket inode when given; resumed from cb->args[0]; a change meanwhile
 * marks the dump interrupted.
 *
 * Context: process context; takes the namespace's lock per message.
 * Return: the length of @skb while there is more, 0 at the end, or -errno.
 */
int coap_keepalive_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct coap_ka_net *cn = coap_ka_pernet(sock_net(skb->sk));
	struct nlattr *a[COAP_KA_A_MAX + 1];
	unsigned long id = cb->args[0];
	struct coap_ka_session *s;
	u32 ctx_id = 0;
	bool admin;
	kuid_t uid;
	u64 ino = 0;
	int err;

	/* The core validated the request; read the filters of both kernels' way. */
	err = nlmsg_parse(cb->nlh, GENL_HDRLEN, a,
			  ARRAY_SIZE(coap_keepalive_session_get_nl_policy) - 1,
			  coap_keepalive_session_get_nl_policy, cb->extack);
	if (err)
		return err;
	if (a[COAP_KA_A_CTX_ID])
		ctx_id = nla_get_u32(a[COAP_KA_A_CTX_ID]);
	if (a[COAP_KA_A_SOCK_INODE])
		ino = nla_get_u64(a[COAP_KA_A_SOCK_INODE]);

	admin = coap_ka_nl_admin(cb->skb, sock_net(skb->sk));
	uid = coap_ka_nl_uid(cb->skb);
	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	xa_for_each_start(&cn->sessions, id, s, cb->args[0]) {
		if ((ctx_id && s->bind->ctx->id != ctx_id) || (ino && s->ks->ino != ino) ||
		    (!admin && !uid_eq(s->bind->ctx->owner, uid))) {
			cb->args[0] = id + 1;
			continue;
		}
		err = coap_ka_nl_session_fill(skb, s, NETLINK_CB(cb->skb).portid,
					      cb->nlh->nlmsg_seq, NLM_F_MULTI,
					      COAP_KA_CMD_SESSION_GET, cb);
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&cn->lock);

	if (err && !skb->len)
		return err;
	return skb->len;
}

/*
 * The group's capability flag is not in the spec's reach: ynl-gen (6.12)
 * writes its group table without flags (netlink-gen.c, unused), so the
 * family keeps this one. The index is the generated one.
 */
static const struct genl_multicast_group coap_ka_mcgrps[] = {
	[COAP_KEEPALIVE_NLGRP_EVENTS] = {
		.name = COAP_KA_MCGRP_EVENTS, .flags = COAP_KA_MCGRP_FLAGS,
	},
};

struct genl_family coap_ka_genl_family __ro_after_init = {
	.name = COAP_KA_GENL_NAME,
	.version = COAP_KA_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = coap_keepalive_nl_ops,		/* generated, netlink-gen.c */
	.n_ops = ARRAY_SIZE(coap_keepalive_nl_ops),
	.resv_start_op = COAP_KA_CMD_CTX_NEW,
	.mcgrps = coap_ka_mcgrps,
	.n_mcgrps = ARRAY_SIZE(coap_ka_mcgrps),
};

/**
 * coap_ka_nl_init() - register the generic netlink family
 *
 * Context: module init, once everything a request needs is ready.
 * Return: 0, or the error of genl_register_family().
 */
int __init coap_ka_nl_init(void)
{
	return genl_register_family(&coap_ka_genl_family);
}

/**
 * coap_ka_nl_exit() - unregister the generic netlink family
 *
 * No request runs once this returns.
 *
 * Context: module exit; sleeps.
 */
void coap_ka_nl_exit(void)
{
	genl_unregister_family(&coap_ka_genl_family);
}
