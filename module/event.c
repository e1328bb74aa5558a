// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: events (pong, nack, peer ping, session gone) on the
 * "events" multicast group and to the netlink socket that added the session.
 */
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "coap_ka.h"
#include "netlink-gen.h"

/**
 * coap_ka_nl_put_peer() - put a session's peer address and port into a message
 * @msg: the message
 * @s: the session
 *
 * %COAP_KA_A_PEER_IPV4 or %COAP_KA_A_PEER_IPV6, and %COAP_KA_A_PEER_PORT.
 *
 * Context: any.
 * Return: 0, or -EMSGSIZE when @msg has no room.
 */
int coap_ka_nl_put_peer(struct sk_buff *msg, const struct coap_ka_session *s)
{
	struct coap_ka_peer peer;

	coap_ka_session_peer(s, &peer);
	if (!s->v6) {
		if (nla_put_in_addr(msg, COAP_KA_A_PEER_IPV4, peer.addr.s6_addr32[3]))
			return -EMSGSIZE;
	} else if (nla_put_in6_addr(msg, COAP_KA_A_PEER_IPV6, &peer.addr)) {
		return -EMSGSIZE;
	}
	return nla_put_be16(msg, COAP_KA_A_PEER_PORT, peer.port);
}

static int coap_ka_event_fill(struct sk_buff *msg, struct coap_ka_session *s,
			      u8 cmd, u32 reason)
{
	bool udp = !coap_ka_is_tcp(s->ks);	/* TCP messages have no MID */
	void *hdr;
	u32 mid;

	hdr = genlmsg_put(msg, 0, 0, &coap_ka_genl_family, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	spin_lock_bh(&s->lock);
	mid = s->mid;
	spin_unlock_bh(&s->lock);
	if (nla_put_u32(msg, COAP_KA_A_SESSION_ID, s->id) ||
	    nla_put_u32(msg, COAP_KA_A_CTX_ID, s->bind->ctx->id) ||
	    nla_put_u64_64bit(msg, COAP_KA_A_SOCK_INODE, s->ks->ino, COAP_KA_A_PAD) ||
	    coap_ka_nl_put_peer(msg, s))
		goto cancel;
	switch (cmd) {
	case COAP_KA_CMD_PONG_NTF:
		if ((udp && nla_put_u32(msg, COAP_KA_A_MID, mid)) ||
		    nla_put_u32(msg, COAP_KA_A_RTT_US, READ_ONCE(s->rtt_us)))
			goto cancel;
		break;
	case COAP_KA_CMD_NACK_NTF:
		if ((udp && nla_put_u32(msg, COAP_KA_A_MID, mid)) ||
		    nla_put_u32(msg, COAP_KA_A_NACK_REASON, reason) ||
		    (udp && nla_put_u32(msg, COAP_KA_A_RETRANSMISSIONS,
					READ_ONCE(s->nack_retries))))
			goto cancel;
		break;
	case COAP_KA_CMD_PING_NTF:
		if (nla_put_u32(msg, COAP_KA_A_MID, READ_ONCE(s->peer_mid)))
			goto cancel;
		break;
	case COAP_KA_CMD_SESSION_GONE_NTF:
		if (nla_put_u32(msg, COAP_KA_A_GONE_REASON, reason))
			goto cancel;
		break;
	}
	genlmsg_end(msg, hdr);
	return 0;
cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/* The largest event: ids, inode, IPv6 peer and three u32s. */
static size_t coap_ka_event_size(void)
{
	return nla_total_size(sizeof(u32)) * 5 +
	       nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(struct in6_addr)) +
	       nla_total_size(sizeof(u16));
}

/**
 * coap_ka_event_wanted() - is anyone to tell about a session?
 * @s: the session
 *
 * Cheap, so that events nobody listens to cost nothing.
 *
 * Context: any.
 * Return: true if the netlink socket that added @s is open or the events
 * group has a member in @s's network namespace.
 */
bool coap_ka_event_wanted(const struct coap_ka_session *s)
{
	return coap_ka_session_portid(s) ||
	       genl_has_listeners(&coap_ka_genl_family, s->ks->cn->net,
				  COAP_KEEPALIVE_NLGRP_EVENTS);
}

/**
 * coap_ka_event() - send an event about a session
 * @s: the session
 * @cmd: %COAP_KA_CMD_PONG_NTF, %COAP_KA_CMD_NACK_NTF, %COAP_KA_CMD_PING_NTF
 *	or %COAP_KA_CMD_SESSION_GONE_NTF
 * @reason: the nack or gone reason of a NACK or SESSION_GONE event
 *
 * By unicast to the netlink socket that added @s while it is open, and
 * to the events multicast group of @s's namespace. Nothing is sent while
 * the module unloads; a listener whose socket is full misses the event,
 * as with any netlink notification.
 *
 * Context: process context (allocates with GFP_KERNEL).
 */
void coap_ka_event(struct coap_ka_session *s, u8 cmd, u32 reason)
{
	struct net *net = s->ks->cn->net;
	u32 portid = coap_ka_session_portid(s);
	struct sk_buff *msg, *copy;

	if (READ_ONCE(coap_ka_unloading) || !coap_ka_event_wanted(s))
		return;
	msg = genlmsg_new(coap_ka_event_size(), GFP_KERNEL);
	if (!msg)
		return;
	if (coap_ka_event_fill(msg, s, cmd, reason)) {
		nlmsg_free(msg);
		return;
	}
	if (portid) {
		copy = skb_clone(msg, GFP_KERNEL);
		if (copy)
			genlmsg_unicast(net, copy, portid);
	}
	/* The adding socket already has its copy. */
	genlmsg_multicast_netns(&coap_ka_genl_family, net, msg, portid,
				COAP_KEEPALIVE_NLGRP_EVENTS, GFP_KERNEL);
}
