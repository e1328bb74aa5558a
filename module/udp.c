// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: watching an application's UDP socket.
 *
 * Receive: the socket's UDP encapsulation hook sees each datagram before it
 * is queued; ours stamps the session and eats only the answers to our own
 * Pings (and, if asked, the peer's Pings, which we answer). Everything else
 * goes to the application untouched.
 *
 * Send: UDP keeps no send timestamp, so a netfilter LOCAL_OUT hook (only in
 * namespaces with watched sockets) looks at datagrams leaving them. It
 * runs under RCU, which keeps module unload safe without replacing the
 * socket's protocol operations.
 */
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "coap_ka.h"
#include "compat.h"

/* Private encapsulation type: no other user of the hooks shares it. */
#define COAP_KA_UDP_ENCAP	0xc0

static int coap_ka_udp_rcv(struct sock *sk, struct sk_buff *skb);

bool coap_ka_udp_owns(const struct sock *sk)
{
	return READ_ONCE(udp_sk(sk)->encap_rcv) == coap_ka_udp_rcv;
}

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

/* Look up the session of the datagram's peer (its source if @rx). */
static struct coap_ka_session *coap_ka_udp_find(struct coap_ka_sock *ks,
						struct sk_buff *skb, bool v4,
						const struct udphdr *uh, bool rx)
{
	struct coap_ka_peer peer;

	if (v4) {
		const struct iphdr *iph = ip_hdr(skb);

		coap_ka_peer_set(&peer, true, rx ? &iph->saddr : &iph->daddr,
				 rx ? uh->source : uh->dest);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		coap_ka_peer_set(&peer, false, rx ? &ip6h->saddr : &ip6h->daddr,
				 rx ? uh->source : uh->dest);
	}
	return rhashtable_lookup(&ks->peers, &peer, coap_ka_peer_params);
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

	ks = rcu_dereference_sk_user_data(sk);
	if (!ks)
		return 1;
	s = coap_ka_udp_find(ks, skb, skb->protocol == htons(ETH_P_IP),
			     udp_hdr(skb), true);
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
 * Threads inside coap_ka_udp_destroy(). udp_destroy_sock() marks the
 * socket SOCK_DEAD under the socket lock, then reads encap_destroy and
 * calls it without any lock: once a socket is dead, its hooks stay ours
 * until that call has come (coap_ka_udp_detach() refuses), and module
 * unload waits for it (coap_ka_udp_wait_closers()).
 */
static atomic_t coap_ka_closers = ATOMIC_INIT(0);

/* The application closed the socket: process context, from udp_destroy_sock(). */
static void coap_ka_udp_destroy(struct sock *sk)
{
	struct coap_ka_net *cn = coap_ka_pernet(sock_net(sk));
	struct coap_ka_sock *ks;

	atomic_inc(&coap_ka_closers);
	mutex_lock(&cn->lock);
	ks = coap_ka_sk_sock(sk, cn);
	if (ks && coap_ka_udp_owns(sk))
		coap_ka_sock_closed(ks);	/* drops cn->lock */
	else
		mutex_unlock(&cn->lock);
	/* Touches nothing of ours after this but its own return. */
	if (atomic_dec_and_test(&coap_ka_closers))
		wake_up_var(&coap_ka_closers);
}

/* Module unload: every close that reached our hook has left it. */
void coap_ka_udp_wait_closers(void)
{
	wait_var_event(&coap_ka_closers, !atomic_read(&coap_ka_closers));
}

int coap_ka_udp_attach(struct coap_ka_sock *ks, struct netlink_ext_ack *extack)
{
	struct sock *sk = ks->sk;
	struct udp_sock *up = udp_sk(sk);
	int err = 0;

	/* May sleep (static key); harmless if we then refuse. */
	udp_tunnel_encap_enable(sk);

	write_lock_bh(&sk->sk_callback_lock);
	if (READ_ONCE(sk->sk_user_data)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		err = -EBUSY;
	} else if (READ_ONCE(up->encap_type)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket already has a UDP encapsulation (a tunnel or IPsec owns its datagrams)");
		err = -EBUSY;
	} else {
		rcu_assign_sk_user_data(sk, ks);
		WRITE_ONCE(up->encap_destroy, coap_ka_udp_destroy);
		WRITE_ONCE(up->encap_rcv, coap_ka_udp_rcv);
		/* Last: the receive path tests the type, then reads the hook. */
		WRITE_ONCE(up->encap_type, COAP_KA_UDP_ENCAP);
	}
	write_unlock_bh(&sk->sk_callback_lock);
	return err;
}

/*
 * Give the socket back as the application had it. Refused (false) if the
 * socket is being closed and @closing is not set: its closer has seen, or
 * will see, our encap_destroy and will end the socket itself. Process
 * context; @closing is for the closer and for sockets whose file we hold.
 */
bool coap_ka_udp_detach(struct coap_ka_sock *ks, bool closing)
{
	struct sock *sk = ks->sk;
	struct udp_sock *up = udp_sk(sk);

	/* Orders us with udp_destroy_sock() setting SOCK_DEAD. */
	lock_sock(sk);
	if (!closing && sock_flag(sk, SOCK_DEAD)) {
		release_sock(sk);
		return false;
	}
	write_lock_bh(&sk->sk_callback_lock);
	if (__locked_read_sk_user_data_with_flags(sk, 0) == ks) {
		WRITE_ONCE(up->encap_type, 0);
		WRITE_ONCE(up->encap_rcv, NULL);
		WRITE_ONCE(up->encap_destroy, NULL);
		rcu_assign_sk_user_data(sk, NULL);
	}
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
	return true;
}

/* Send a small datagram to the session's peer, from process context. */
int coap_ka_udp_send(struct coap_ka_session *s, const u8 *buf, size_t len)
{
	struct coap_ka_sock *ks = s->ks;
	struct sock *sk = ks->sk;
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct sockaddr_in6 sin6 = {};
	struct sockaddr_in sin = {};

	if (!sk->sk_socket)
		return -ENOTCONN;
	if (ks->connected) {
		/* use the connected address */
	} else if (sk->sk_family == AF_INET) {
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = s->peer.addr.s6_addr32[3];
		sin.sin_port = s->peer.port;
		msg.msg_name = &sin;
		msg.msg_namelen = sizeof(sin);
	} else {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = s->peer.addr;
		sin6.sin6_port = s->peer.port;
		msg.msg_name = &sin6;
		msg.msg_namelen = sizeof(sin6);
	}
	return kernel_sendmsg(sk->sk_socket, &msg, &iov, 1, len);
}

/* Datagrams leaving a watched socket: activity and the application's MIDs. */
static unsigned int coap_ka_udp_out(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct sock *sk = skb->sk;
	struct coap_ka_session *s;
	struct coap_ka_sock *ks;
	const struct udphdr *uh;
	struct udphdr uhbuf;
	unsigned int off, len;
	const u8 *hdr;
	u8 buf[4];

	if (!sk || !sk_fullsock(sk) || sk->sk_type != SOCK_DGRAM ||
	    sk->sk_protocol != IPPROTO_UDP || !coap_ka_udp_owns(sk))
		return NF_ACCEPT;
	ks = rcu_dereference_sk_user_data(sk);
	if (!ks)
		return NF_ACCEPT;
	off = skb_transport_offset(skb);
	uh = skb_header_pointer(skb, off, sizeof(uhbuf), &uhbuf);
	if (!uh)
		return NF_ACCEPT;
	s = coap_ka_udp_find(ks, skb, state->pf == NFPROTO_IPV4, uh, false);
	if (!s)
		return NF_ACCEPT;
	off += sizeof(*uh);
	len = skb->len > off ? skb->len - off : 0;
	hdr = skb_header_pointer(skb, off, min(len, 4U), buf);
	if (hdr)
		coap_ka_session_tx(s, hdr, len);
	return NF_ACCEPT;
}

static const struct nf_hook_ops coap_ka_udp_nf_ops[] = {
	{
		.hook = coap_ka_udp_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_LAST,
	},
	{
		.hook = coap_ka_udp_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_LAST,
	},
};

int coap_ka_udp_hooks_get(struct coap_ka_net *cn)
{
	int err;

	lockdep_assert_held(&cn->lock);
	if (cn->nsocks++)
		return 0;
	err = nf_register_net_hooks(cn->net, coap_ka_udp_nf_ops,
				    ARRAY_SIZE(coap_ka_udp_nf_ops));
	if (err)
		cn->nsocks--;
	return err;
}

void coap_ka_udp_hooks_put(struct coap_ka_net *cn)
{
	lockdep_assert_held(&cn->lock);
	if (--cn->nsocks)
		return;
	nf_unregister_net_hooks(cn->net, coap_ka_udp_nf_ops,
				ARRAY_SIZE(coap_ka_udp_nf_ops));
	wake_up_var(&cn->nsocks);
}
