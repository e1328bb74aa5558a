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
 * namespaces with watched sockets) looks at datagrams leaving them (and
 * tells tcp.c about segments leaving watched TCP sockets). It
 * runs under RCU, which keeps module unload safe without replacing the
 * socket's protocol operations.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <linux/udp.h>
#include <net/icmp.h>
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

/*
 * Look up the session of a datagram's peer (its source if @rx) from its
 * IP header @nh and UDP header @uh.
 */
static struct coap_ka_session *coap_ka_udp_find(struct coap_ka_sock *ks,
						const void *nh, bool v4,
						const struct udphdr *uh, bool rx)
{
	struct coap_ka_peer peer;

	if (v4) {
		const struct iphdr *iph = nh;

		coap_ka_peer_set(&peer, true, rx ? &iph->saddr : &iph->daddr,
				 rx ? uh->source : uh->dest);
	} else {
		const struct ipv6hdr *ip6h = nh;

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
	s = coap_ka_udp_find(ks, skb_network_header(skb),
			     skb->protocol == htons(ETH_P_IP), udp_hdr(skb), true);
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

	rcu_read_lock();
	ks = rcu_dereference_sk_user_data(sk);
	if (ks)
		s = coap_ka_udp_find(ks, skb->data, v4, uh, false);
	if (s) {
		const u8 *hdr;

		off = (const u8 *)(uh + 1) - skb->data;
		hdr = skb_header_pointer(skb, off, sizeof(buf), buf);
		if (hdr && ntohs(uh->len) == sizeof(*uh) + sizeof(buf) &&
		    coap_ka_session_sent_it(s, hdr, sizeof(buf))) {
			rcu_read_unlock();
			return;
		}
	}
	rcu_read_unlock();

	harderr = coap_ka_udp_icmp_errno(sk, skb, v4, &err);
	/*
	 * IP_RECVERR: queued with its details, and always reported. Without
	 * ip_icmp_error() (6.1) only the errno, when UDP would give it.
	 */
	if (COAP_KA_ERR_RCV_FULL && coap_ka_recverr(sk, v4)) {
		if (v4)
			ip_icmp_error(sk, skb, err, uh->dest, info, (u8 *)(uh + 1));
		else
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
		WRITE_ONCE(up->encap_err_rcv,
			   COAP_KA_ERR_RCV(coap_ka_udp_err_rcv,
					   coap_ka_udp_err_rcv_off));
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
		WRITE_ONCE(up->encap_err_rcv, NULL);
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

/*
 * Packets leaving the namespace's sockets. From a watched UDP socket:
 * activity and the application's MIDs; from a watched TCP socket: whether
 * the application has closed it or shut its sending side down.
 */
static unsigned int coap_ka_out(void *priv, struct sk_buff *skb,
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

	if (!sk || !sk_fullsock(sk))
		return NF_ACCEPT;
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_type == SOCK_STREAM) {
		if (coap_ka_tcp_owns(sk))
			coap_ka_tcp_out(sk);
		return NF_ACCEPT;
	}
	if (sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP ||
	    !coap_ka_udp_owns(sk))
		return NF_ACCEPT;
	ks = rcu_dereference_sk_user_data(sk);
	if (!ks)
		return NF_ACCEPT;
	off = skb_transport_offset(skb);
	uh = skb_header_pointer(skb, off, sizeof(uhbuf), &uhbuf);
	if (!uh)
		return NF_ACCEPT;
	s = coap_ka_udp_find(ks, skb_network_header(skb),
			     state->pf == NFPROTO_IPV4, uh, false);
	if (!s)
		return NF_ACCEPT;
	off += sizeof(*uh);
	len = skb->len > off ? skb->len - off : 0;
	hdr = skb_header_pointer(skb, off, min(len, 4U), buf);
	if (hdr)
		coap_ka_session_tx(s, hdr, len);
	return NF_ACCEPT;
}

static const struct nf_hook_ops coap_ka_nf_ops[] = {
	{
		.hook = coap_ka_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_LAST,
	},
	{
		.hook = coap_ka_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_LAST,
	},
};

/*
 * The hooks are registered with a namespace's first watched socket and
 * stay until the namespace (or the module) goes: registering flips static
 * keys, i.e. patches kernel text, which is not worth doing for every
 * first and last socket. A namespace that never watches a socket never
 * has them.
 */
int coap_ka_out_hooks_get(struct coap_ka_net *cn)
{
	int err;

	lockdep_assert_held(&cn->lock);
	if (!cn->hooks) {
		err = nf_register_net_hooks(cn->net, coap_ka_nf_ops,
					    ARRAY_SIZE(coap_ka_nf_ops));
		if (err)
			return err;
		cn->hooks = true;
	}
	cn->nsocks++;
	return 0;
}

void coap_ka_out_hooks_put(struct coap_ka_net *cn)
{
	lockdep_assert_held(&cn->lock);
	if (!--cn->nsocks)
		wake_up_var(&cn->nsocks);
}

/* Namespace exit, once no socket is watched. */
void coap_ka_out_hooks_exit(struct coap_ka_net *cn)
{
	if (cn->hooks)
		nf_unregister_net_hooks(cn->net, coap_ka_nf_ops,
					ARRAY_SIZE(coap_ka_nf_ops));
	cn->hooks = false;
}
