// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: watching an application's UDP socket.
 *
 * Receive: the socket's UDP encapsulation hook sees each datagram before it
 * is queued; ours stamps the session and eats only the answers to our own
 * Pings (and, if asked, the peer's Pings, which we answer). Everything else
 * goes to the application untouched.
 *
 * Send: the socket's sendmsg (proto.c) stamps activity and notes the
 * application's MIDs. The kernel's own Pings and Resets never go through
 * the application's socket: they are built here and routed as the socket
 * would route them (its bound address and port, device, mark), so they
 * cannot join a datagram the application has corked, and carry none of its
 * timestamping requests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "coap_ka.h"
#include "compat.h"
#include "trace.h"

/* Private encapsulation type: no other user of the hooks shares it. */
#define COAP_KA_UDP_ENCAP	0xc0

static void coap_ka_peer_set(struct coap_ka_peer *peer, bool v4,
			     const void *addr, __be16 port)
{
	memset(peer, 0, sizeof(*peer));
	if (v4)
		ipv6_addr_set_v4mapped(*(const __be32 *)addr, &peer->addr);
	else
		peer->addr = *(const struct in6_addr *)addr;
	peer->port = port;
}

/**
 * coap_ka_peer_from_sk() - a connected socket's peer
 * @sk: the socket
 * @peer: filled with its destination address (v4-mapped for IPv4) and port
 *
 * Context: any; the socket locked for a stable answer.
 */
void coap_ka_peer_from_sk(struct sock *sk, struct coap_ka_peer *peer)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		coap_ka_peer_set(peer, false, &sk->sk_v6_daddr, inet_sk(sk)->inet_dport);
		return;
	}
#endif
	coap_ka_peer_set(peer, true, &inet_sk(sk)->inet_daddr, inet_sk(sk)->inet_dport);
}

/* Is @s's peer @addr (IPv4 if @v4, else IPv6), @port? Nothing copied. */
static bool coap_ka_udp_is_peer(const struct coap_ka_session *s, bool v4,
				const void *addr, __be16 port)
{
	const __be32 *a = addr;

	if (s->port != port)
		return false;
	if (v4)
		return !s->v6 && s->addr_lo == a[0];
	if (!s->v6)
		return ipv6_addr_v4mapped(addr) && s->addr_lo == a[3];
	return s->addr_lo == a[3] && !memcmp(s->addr_hi, a, COAP_KA_ADDR_HI_LEN);
}

/*
 * The session of a datagram's peer, @addr (IPv4 if @v4, else IPv6) and
 * @port. On the data path: a socket's only session is compared in place;
 * only a socket with several is looked up in the table. Under RCU.
 */
static struct coap_ka_session *coap_ka_udp_find(struct coap_ka_sock *ks,
						bool v4, const void *addr,
						__be16 port)
{
	struct coap_ka_session *s = rcu_dereference(ks->one);
	struct coap_ka_peer peer;

	if (s)
		return coap_ka_udp_is_peer(s, v4, addr, port) ? s : NULL;
	coap_ka_peer_set(&peer, v4, addr, port);
	return coap_ka_session_find(ks, &peer);
}

/* Softirq, under RCU, skb->data at the UDP header, checksum verified. */
static int coap_ka_udp_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct coap_ka_session *s;
	struct coap_ka_sock *ks;
	bool consume = false;
	const u8 *hdr;
	unsigned int len;
	u8 buf[4];

	ks = coap_ka_sk_ks_rcu(sk);
	if (!ks)
		return 1;
	if (skb->protocol == htons(ETH_P_IP))
		s = coap_ka_udp_find(ks, true, &ip_hdr(skb)->saddr,
				     udp_hdr(skb)->source);
	else
		s = coap_ka_udp_find(ks, false, &ipv6_hdr(skb)->saddr,
				     udp_hdr(skb)->source);
	if (!s)
		return 1;
	len = skb->len - sizeof(struct udphdr);
	hdr = skb_header_pointer(skb, sizeof(struct udphdr), min(len, 4U), buf);
	if (!hdr)
		return 1;
	coap_ka_session_rx(s, hdr, len, &consume);
	if (!consume)
		return 1;
	consume_skb(skb);
	return 0;
}

/*
 * An ICMP error about a datagram the socket sent, as UDP would report it:
 * true if it is a hard error (one a connected socket hears of without
 * IP_RECVERR); *@err is UDP's errno for it.
 */
static bool coap_ka_udp_icmp_errno(struct sock *sk, struct sk_buff *skb,
				   bool v4, int *err)
{
	u8 type, code;

	if (!v4) {
		type = icmp6_hdr(skb)->icmp6_type;
		code = icmp6_hdr(skb)->icmp6_code;
		if (type == ICMPV6_PKT_TOOBIG) {
			*err = EMSGSIZE;
			return inet6_sk(sk)->pmtudisc != IPV6_PMTUDISC_DONT;
		}
		return icmpv6_err_convert(type, code, err);
	}
	type = icmp_hdr(skb)->type;
	code = icmp_hdr(skb)->code;
	if (type == ICMP_PARAMETERPROB) {
		*err = EPROTO;
		return true;
	}
	*err = EHOSTUNREACH;
	if (type != ICMP_DEST_UNREACH)
		return false;
	if (code == ICMP_FRAG_NEEDED) {
		/* UDP only passes it on when the socket does PMTU discovery. */
		*err = EMSGSIZE;
		return true;
	}
	if (code > NR_ICMP_UNREACH)
		return false;
	*err = icmp_err_convert[code].errno;
	return icmp_err_convert[code].fatal;
}

/*
 * The Ping in flight failed (@reason): report it and start the next idle
 * period. @s->lock held, state PINGING.
 */
static void coap_ka_udp_give_up(struct coap_ka_session *s,
				const struct coap_ka_params *p, u8 reason)
{
	/* a retransmission not sent yet is not sent any more */
	coap_ka_todo_clear(s, COAP_KA_TODO_PING);
	s->nacks++;
	s->nack_retries = s->retries;
	WRITE_ONCE(s->nack_reason, reason);
	trace_nack(s, s->mid, reason, s->retries + 1);
	coap_ka_session_queue(s, COAP_KA_TODO_NACK);
	/* A late answer is still ours for as long as the last try had. */
	WRITE_ONCE(s->late_until, coap_ka_j32() + msecs_to_jiffies(s->timeout_ms));
	coap_ka_idle_restart(s, p);
	coap_ka_arm_idle(s, coap_ka_idle_deadline(s, p));
}

/*
 * A hard ICMP error came back for @hdr, a message the kernel sent on @s:
 * if it is the Ping in flight, the Ping failed (libcoap's
 * COAP_NACK_ICMP_ISSUE), with no need to wait for its retransmissions.
 * Softirq, under RCU.
 */
static void coap_ka_udp_unreachable(struct coap_ka_session *s, const u8 *hdr)
{
	u16 mid = (hdr[2] << 8) | hdr[3];
	const struct coap_ka_params *p;
	struct coap_ka_params buf;

	if ((hdr[0] >> 4 & 3) != COAP_KA_TYPE_CON)
		return;
	p = coap_ka_session_params(s, &buf);
	spin_lock(&s->lock);
	if (!s->dead && s->state == COAP_KA_STATE_PINGING && mid == s->mid &&
	    p->keepalive_secs)
		coap_ka_udp_give_up(s, p, COAP_KA_NACK_UNREACHABLE);
	spin_unlock(&s->lock);
}

/*
 * UDP hands ICMP errors for an encapsulation socket to this hook instead
 * of the application. Ours keeps to itself the errors about our own Pings
 * and Resets and passes every other one on as UDP would have. Softirq,
 * skb->data at the quoted IP header, @uh the quoted UDP header.
 */
static void coap_ka_udp_err(struct sock *sk, struct sk_buff *skb,
			    const struct udphdr *uh, u32 info)
{
	bool v4 = ((const struct iphdr *)skb->data)->version == 4;
	struct coap_ka_session *s = NULL;
	struct coap_ka_sock *ks;
	unsigned int off;
	bool harderr;
	u8 buf[4];
	int err;

	harderr = coap_ka_udp_icmp_errno(sk, skb, v4, &err);
	rcu_read_lock();
	ks = coap_ka_sk_ks_rcu(sk);
	if (ks)
		s = coap_ka_udp_find(ks, v4, v4 ?
				     (const void *)&((const struct iphdr *)skb->data)->daddr :
				     &((const struct ipv6hdr *)skb->data)->daddr,
				     uh->dest);
	if (s) {
		const u8 *hdr;

		off = (const u8 *)(uh + 1) - skb->data;
		hdr = skb_header_pointer(skb, off, sizeof(buf), buf);
		if (hdr && ntohs(uh->len) == sizeof(*uh) + sizeof(buf) &&
		    coap_ka_session_sent_it(s, hdr, sizeof(buf))) {
			net_dbg_ratelimited("session %u: ICMP error about the kernel's own message kept from the application\n",
					    s->id);
			if (harderr)
				coap_ka_udp_unreachable(s, hdr);
			rcu_read_unlock();
			return;
		}
	}
	rcu_read_unlock();

	/*
	 * IP_RECVERR: always reported, queued with its details where the
	 * kernel lets a module do that (6.2 on; 6.1: the errno only).
	 * Without it, as UDP: hard errors on a connected socket only.
	 */
	if (coap_ka_recverr(sk, v4)) {
		if (COAP_KA_ERR_RCV_FULL && v4)
			ip_icmp_error(sk, skb, err, uh->dest, info, (u8 *)(uh + 1));
		else if (COAP_KA_ERR_RCV_FULL)
			ipv6_icmp_error(sk, skb, err, uh->dest, info,
					(u8 *)(uh + 1));
	} else if (!harderr || sk->sk_state != TCP_ESTABLISHED) {
		return;
	}
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
}

/* The hook, as 6.2 and later call it (see compat.h). */
static void __maybe_unused coap_ka_udp_err_rcv(struct sock *sk,
					       struct sk_buff *skb, int err,
					       __be16 port, u32 info, u8 *payload)
{
	coap_ka_udp_err(sk, skb, (const struct udphdr *)payload - 1, info);
}

/* The hook, as 6.1 calls it. */
static void __maybe_unused coap_ka_udp_err_rcv_off(struct sock *sk,
						   struct sk_buff *skb,
						   unsigned int udp_offset)
{
	coap_ka_udp_err(sk, skb, (const struct udphdr *)(skb->data + udp_offset),
			0);
}

static int coap_ka_udp_attach(struct coap_ka_sock *ks,
			      struct netlink_ext_ack *extack)
{
	struct sock *sk = ks->sk;
	struct udp_sock *up = udp_sk(sk);
	struct proto *prot;
	int err = 0;

	/* May sleep (static key); harmless if we then refuse. */
	udp_tunnel_encap_enable(sk);

	lock_sock(sk);
	if (!inet_sk(sk)->inet_num) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the UDP socket is not bound: bind() it (or send from it) first, so that Pings leave from its port");
		err = -EDESTADDRREQ;
		goto out;
	}
	prot = coap_ka_proto_for(sk);
	if (IS_ERR(prot)) {
		err = PTR_ERR(prot);
		goto out;
	}
	write_lock_bh(&sk->sk_callback_lock);
	if (rcu_access_pointer(__sk_user_data(sk))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		err = -EBUSY;
	} else if (READ_ONCE(up->encap_type)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket already has a UDP encapsulation (a tunnel or IPsec owns its datagrams)");
		err = -EBUSY;
	} else {
		__rcu_assign_sk_user_data_with_flags(sk, ks, SK_USER_DATA_NOCOPY);
		WRITE_ONCE(up->encap_err_rcv,
			   COAP_KA_ERR_RCV(coap_ka_udp_err_rcv,
					   coap_ka_udp_err_rcv_off));
		WRITE_ONCE(up->encap_rcv, coap_ka_udp_rcv);
		/* Last: the receive path tests the type, then reads the hook. */
		WRITE_ONCE(up->encap_type, COAP_KA_UDP_ENCAP);
		WRITE_ONCE(sk->sk_prot, prot);
	}
	write_unlock_bh(&sk->sk_callback_lock);
out:
	release_sock(sk);
	return err;
}

/**
 * coap_ka_udp_unhook() - give a UDP socket back
 * @ks: the watched socket
 *
 * Its encapsulation hooks, protocol and sk_user_data are the
 * application's again. Does nothing if @ks is no longer published on it.
 *
 * Context: the socket locked.
 */
void coap_ka_udp_unhook(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;
	struct udp_sock *up = udp_sk(sk);

	write_lock_bh(&sk->sk_callback_lock);
	if (coap_ka_sk_ks(sk) == ks) {
		if (READ_ONCE(up->encap_rcv) == coap_ka_udp_rcv) {
			WRITE_ONCE(up->encap_type, 0);
			WRITE_ONCE(up->encap_rcv, NULL);
			WRITE_ONCE(up->encap_err_rcv, NULL);
		}
		coap_ka_proto_restore(sk);
		rcu_assign_sk_user_data(sk, NULL);
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

static void coap_ka_udp_detach(struct coap_ka_sock *ks)
{
	lock_sock(ks->sk);
	coap_ka_udp_unhook(ks);
	release_sock(ks->sk);
}

/* Room in front of a Ping or Reset for the IP and link headers. */
#define COAP_KA_UDP_HEADROOM	(MAX_HEADER + sizeof(struct ipv6hdr) + \
				 sizeof(struct udphdr))

/*
 * Send the 4-byte message @msg from the socket's address and port to the
 * session's peer. Any context (the timer's, a datagram's receipt).
 */
static int coap_ka_udp_xmit(struct coap_ka_session *s, const u8 *msg,
			    unsigned int len)
{
	struct sock *sk = s->ks->sk;
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	__be16 sport = READ_ONCE(inet->inet_sport);
	__be16 dport = s->port;
	struct sk_buff *skb;

	/* Unbound meanwhile (disconnect): the session ends, see udp_connected. */
	if (!sport || sock_flag(sk, SOCK_DEAD))
		return -ENOTCONN;
	skb = alloc_skb(COAP_KA_UDP_HEADROOM + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, COAP_KA_UDP_HEADROOM);
	skb_put_data(skb, msg, len);
	skb_set_owner_w(skb, sk);	/* netfilter sees the application's socket */

	if (!s->v6) {
		__be32 daddr = s->addr_lo;
		struct flowi4 fl4;
		struct rtable *rt;

		flowi4_init_output(&fl4, READ_ONCE(sk->sk_bound_dev_if),
				   READ_ONCE(sk->sk_mark), 0, RT_SCOPE_UNIVERSE,
				   IPPROTO_UDP, 0, daddr,
				   READ_ONCE(inet->inet_saddr), dport, sport,
				   sk->sk_uid);
		rt = ip_route_output_flow(net, &fl4, sk);
		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return PTR_ERR(rt);
		}
		udp_tunnel_xmit_skb(rt, sk, skb, fl4.saddr, fl4.daddr, 0,
				    ip4_dst_hoplimit(&rt->dst), 0, sport, dport,
				    false, false);
		return 0;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct flowi6 fl6 = {
			.flowi6_proto = IPPROTO_UDP,
			.flowi6_oif = READ_ONCE(sk->sk_bound_dev_if),
			.flowi6_mark = READ_ONCE(sk->sk_mark),
			.flowi6_uid = sk->sk_uid,
			.saddr = sk->sk_v6_rcv_saddr,
			.fl6_dport = dport,
			.fl6_sport = sport,
		};
		struct coap_ka_peer peer;
		struct dst_entry *dst;

		coap_ka_session_peer(s, &peer);
		fl6.daddr = peer.addr;
		dst = ipv6_stub->ipv6_dst_lookup_flow(net, sk, &fl6, NULL);
		if (IS_ERR(dst)) {
			kfree_skb(skb);
			return PTR_ERR(dst);
		}
		udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &fl6.saddr, &fl6.daddr,
				     0, ip6_dst_hoplimit(dst), 0, sport, dport,
				     false);
		return 0;
	}
#else
	kfree_skb(skb);
	return -EAFNOSUPPORT;
#endif
}

static int coap_ka_udp_send_empty(struct coap_ka_session *s, u8 type, u16 mid)
{
	u8 msg[4] = { 1 << 6 | type << 4, 0, mid >> 8, mid & 0xff };

	return coap_ka_udp_xmit(s, msg, sizeof(msg));
}

static u32 coap_ka_first_timeout(const struct coap_ka_params *p)
{
	u32 spread = (u64)p->ack_timeout_ms * (p->random_factor - 1000) / 1000;

	return p->ack_timeout_ms + get_random_u32_below(spread + 1);
}

/*
 * Message IDs of our Pings come from the half of the MID space opposite
 * the application's latest MID towards this peer, and advance by one per
 * Ping: the application would have to send 16384 messages to the peer
 * between two of our Pings for one of its MIDs to meet ours.
 */
static u16 coap_ka_next_mid(struct coap_ka_session *s)
{
	return (u16)(READ_ONCE(s->app_mid) + 0x8000 + (s->pings & 0x3fff));
}

/*
 * The Ping (or its retransmission) is to leave now (coap_ka_udp_ping()).
 * Its clock starts here, under the lock, so that a context change
 * (coap_ka_session_kick()) sees a Ping with its time and timer. The
 * wheel's run sends the first few of a tick itself, once the lock is
 * dropped (coap_ka_send_now()); the rest leave from the work item: a tick
 * in which many sessions fall due would hand all their Pings to the stack
 * in one softirq (on lo, overflowing the backlog: measured, issue 13),
 * whereas the work item's sends let the receive side run between them.
 */
static void coap_ka_udp_ping_start(struct coap_ka_session *s)
{
	s->tx_ns = ktime_get_ns();
	coap_ka_sched(s, jiffies + msecs_to_jiffies(s->timeout_ms));
	if (coap_ka_send_now(s))
		coap_ka_todo_set(s, COAP_KA_TODO_PING);
	else
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
}

/* The UDP round, from the timer; @s->lock held. */
static void coap_ka_udp_timer(struct coap_ka_session *s,
			      const struct coap_ka_params *p)
{
	unsigned long deadline;

	/* Unloading: no new Ping, no retransmission. */
	if (READ_ONCE(coap_ka_unloading))
		return;
	if (s->state == COAP_KA_STATE_IDLE) {
		deadline = coap_ka_idle_deadline(s, p);
		if (time_before(jiffies, deadline)) {
			coap_ka_arm_idle(s, deadline);
			return;
		}
		WRITE_ONCE(s->state, COAP_KA_STATE_PINGING);
		s->retries = 0;
		WRITE_ONCE(s->mid, coap_ka_next_mid(s));
		WRITE_ONCE(s->pings, s->pings + 1);
		s->timeout_ms = coap_ka_first_timeout(p);
		coap_ka_udp_ping_start(s);
	} else if (coap_ka_todo_test(s, COAP_KA_TODO_PING)) {
		/*
		 * Not left yet (the pacer holds it): its clock starts when it
		 * leaves (coap_ka_udp_ping()), and it is not retransmitted.
		 */
		coap_ka_sched(s, jiffies + msecs_to_jiffies(s->timeout_ms));
	} else if (s->retries < p->max_retransmit) {
		s->retries++;
		s->retransmissions++;
		s->timeout_ms *= 2;
		coap_ka_udp_ping_start(s);
	} else {
		coap_ka_udp_give_up(s, p, COAP_KA_NACK_TOO_MANY_RETRIES);
	}
}

/**
 * coap_ka_udp_answer() - answer the peer's Ping with a Reset
 * @s: the session
 * @mid: the Ping's Message ID
 *
 * Context: softirq, from the Ping's receipt.
 */
void coap_ka_udp_answer(struct coap_ka_session *s, u16 mid)
{
	coap_ka_udp_send_empty(s, COAP_KA_TYPE_RST, mid);
}

/* Send the Ping the timer decided on: the work item, or the wheel's run. */
static void coap_ka_udp_ping(struct coap_ka_session *s)
{
	u32 attempt, timeout_ms;
	u16 mid;
	int err;

	if (READ_ONCE(coap_ka_unloading))
		return;
	spin_lock_bh(&s->lock);
	if (!coap_ka_todo_test_and_clear(s, COAP_KA_TODO_PING) || s->dead ||
	    s->state != COAP_KA_STATE_PINGING) {
		spin_unlock_bh(&s->lock);
		return;
	}
	mid = s->mid;
	if (coap_ka_todo_test(s, COAP_KA_TODO_HELD)) {
		/*
		 * Its clock starts now: the pacer may have held it past the
		 * time the timer gave it.
		 */
		s->tx_ns = ktime_get_ns();
		coap_ka_sched(s, jiffies + msecs_to_jiffies(s->timeout_ms));
	}
	spin_unlock_bh(&s->lock);
	err = coap_ka_udp_send_empty(s, COAP_KA_TYPE_CON, mid);
	if (err) {
		/* A lost transmission is a lost datagram: the timer retries. */
		net_dbg_ratelimited("session %u: Ping not sent: %d\n", s->id, err);
		return;
	}
	if (trace_ping_enabled()) {
		spin_lock_bh(&s->lock);
		attempt = s->retries;
		timeout_ms = s->timeout_ms;
		spin_unlock_bh(&s->lock);
		trace_ping(s, mid, attempt, timeout_ms);
	}
}

/**
 * coap_ka_udp_send_moot() - would a send change nothing a session keeps?
 * @ks: the watched socket
 * @then: the jiffy (coap_ka_j32()) the send began in
 *
 * It would not when the socket has one session (connected, or one peer so
 * far), stamped in this jiffy already, which is still the one the send
 * began in, with no late answer to one of our Pings being eaten: the send
 * would stamp the same jiffy, and the application's MID, seen a jiffy
 * late, stays far from the half of the space the Pings take
 * (coap_ka_next_mid()). A datagram to another peer concerns no session.
 * The peek and the lookup are then saved: a busy connected socket sends
 * many datagrams a jiffy. Asked again once the send is done, as it may
 * have slept.
 *
 * Context: process context, the application's sendmsg().
 * Return: true if the send can change nothing, so needs no look.
 */
bool coap_ka_udp_send_moot(struct coap_ka_sock *ks, u32 then)
{
	struct coap_ka_session *s;
	u32 now = coap_ka_j32();
	bool moot = false;

	if (now != then)
		return false;
	rcu_read_lock();
	s = rcu_dereference(ks->one);
	if (s)
		moot = READ_ONCE(s->last_tx) == now &&
		       !time_before32(now, READ_ONCE(s->late_until));
	rcu_read_unlock();
	return moot;
}

/**
 * coap_ka_udp_sendmsg_seen() - the application sent a datagram
 * @ks: the watched socket
 * @msg: the application's message (its msg_name, if any, is the peer)
 * @hdr: the datagram's first min(@len, 4) bytes
 * @len: its length
 *
 * The session of its destination (msg_name, or the connected peer), if
 * any, sees it as send activity (coap_ka_session_tx()).
 *
 * Context: process context, the application's sendmsg(), after UDP's.
 */
void coap_ka_udp_sendmsg_seen(struct coap_ka_sock *ks, struct msghdr *msg,
			      const u8 *hdr, unsigned int len)
{
	const struct sockaddr_in *sin = msg->msg_name;
	struct sock *sk = ks->sk;
	struct coap_ka_session *s;
	const void *addr;
	__be16 port;
	bool v4;

	if (sin && msg->msg_namelen >= sizeof(*sin)) {
		const struct sockaddr_in6 *sin6 = msg->msg_name;

		v4 = sin->sin_family == AF_INET;
		if (v4) {
			addr = &sin->sin_addr;
			port = sin->sin_port;
		} else if (sin->sin_family == AF_INET6 &&
			   msg->msg_namelen >= sizeof(*sin6)) {
			addr = &sin6->sin6_addr;
			port = sin6->sin6_port;
		} else {
			return;
		}
	} else if (!sin && sk->sk_state == TCP_ESTABLISHED) {
		/* Connected: as coap_ka_peer_from_sk() has it. */
		v4 = true;
		addr = &inet_sk(sk)->inet_daddr;
#if IS_ENABLED(CONFIG_IPV6)
		if (sk->sk_family == AF_INET6) {
			v4 = false;
			addr = &sk->sk_v6_daddr;
		}
#endif
		port = inet_sk(sk)->inet_dport;
	} else {
		return;
	}
	rcu_read_lock();
	s = coap_ka_udp_find(ks, v4, addr, port);
	if (s)
		coap_ka_session_tx(s, hdr, len);
	rcu_read_unlock();
}

/**
 * coap_ka_udp_connected() - a watched UDP socket connected or disconnected
 * @ks: the watched socket
 *
 * Sessions with other peers than the new one end, and all of them once
 * the socket is unbound (%COAP_KA_GONE_DISCONNECTED).
 *
 * Context: process context, the application's connect(); sleeps.
 */
void coap_ka_udp_connected(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;
	struct coap_ka_net *cn = ks->cn;
	struct coap_ka_session *s, *tmp;
	struct coap_ka_peer peer;
	bool connected, bound;
	LIST_HEAD(dead);

	lock_sock(sk);
	connected = sk->sk_state == TCP_ESTABLISHED;
	bound = inet_sk(sk)->inet_sport != 0;
	if (connected)
		coap_ka_peer_from_sk(sk, &peer);
	release_sock(sk);

	mutex_lock(&cn->lock);
	list_for_each_entry_safe(s, tmp, &ks->sessions, sock_node)
		if (!bound || (connected && !coap_ka_session_is_peer(s, &peer)))
			coap_ka_session_unlink(cn, s, COAP_KA_GONE_DISCONNECTED,
					       &dead);
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
}

/* NACK with the abort action: a connected socket hears ETIMEDOUT. */
static void coap_ka_udp_abort(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;

	if (sk->sk_state == TCP_ESTABLISHED) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		sk_error_report(sk);
	}
}

static u32 coap_ka_udp_nack_reason(const struct coap_ka_session *s)
{
	return READ_ONCE(s->nack_reason);
}

const struct coap_ka_transport_ops coap_ka_udp_ops = {
	.attach = coap_ka_udp_attach,
	.detach = coap_ka_udp_detach,
	.timer = coap_ka_udp_timer,
	.ping = coap_ka_udp_ping,
	.abort = coap_ka_udp_abort,
	.nack_reason = coap_ka_udp_nack_reason,
};
