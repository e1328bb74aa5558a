// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: the watched socket's operations.
 *
 * While a socket is watched, its sk_prot is a copy of the protocol it had
 * (TCP, kTLS's, UDP), with the operations below in front of the real ones,
 * as kTLS and espintcp do. They see what no hook in the data path can:
 * every application write with its flags and its result (where TCP
 * messages end; UDP activity), and every change to the socket that ends a
 * session (close, shutdown, disconnect, connect, an upper layer protocol
 * or encapsulation). A socket that is not watched never runs this code.
 *
 * Copies are made per base protocol, once, and kept until module unload:
 * a thread may have loaded sk_prot just before the socket was given back.
 * Unload therefore waits until every watched socket is freed (threads
 * inside an operation hold a reference, so an application blocked in
 * send() on a watched socket holds unload up), then for every task to
 * have left this code (synchronize_rcu_tasks()), and only then frees them.
 *
 * A socket is given back (sk_prot restored) under its lock: by the
 * operations themselves when the socket goes (close, disconnect) or
 * changes, and by detach when its last session ends.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/indirect_call_wrapper.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/udp.h>

#include "coap_ka.h"
#include "compat.h"

struct coap_ka_proto {
	struct proto prot;		/* what sk_prot points to */
	struct proto *base;		/* what it was */
	struct list_head node;
};

static LIST_HEAD(coap_ka_protos);
static DEFINE_MUTEX(coap_ka_protos_lock);

static void coap_ka_close(struct sock *sk, long timeout);

static bool coap_ka_proto_ours(const struct proto *p)
{
	return p->close == coap_ka_close;
}

/* The protocol @sk runs on under ours, or its own if it is not ours. */
static struct proto *coap_ka_base(struct sock *sk)
{
	struct proto *p = READ_ONCE(sk->sk_prot);

	if (coap_ka_proto_ours(p))
		return container_of(p, struct coap_ka_proto, prot)->base;
	return p;
}

/**
 * coap_ka_proto_ks() - the watched socket of a socket
 * @sk: the socket
 *
 * Context: any.
 * Return: the &struct coap_ka_sock published on @sk, with a reference
 * (drop it with coap_ka_sock_put()), or NULL if @sk is not watched.
 */
struct coap_ka_sock *coap_ka_proto_ks(struct sock *sk)
{
	struct coap_ka_sock *ks;

	rcu_read_lock();
	ks = coap_ka_sk_ks_rcu(sk);
	if (ks && !refcount_inc_not_zero(&ks->refcnt))
		ks = NULL;
	rcu_read_unlock();
	return ks;
}

/*
 * Give @ks's socket back (socket locks taken here) and end its sessions
 * now, for @reason; drops the caller's reference. Process context.
 */
static void coap_ka_give_back(struct coap_ka_sock *ks, u8 reason)
{
	struct sock *sk = ks->sk;

	lock_sock(sk);
	if (coap_ka_is_tcp(ks))
		coap_ka_tcp_unhook(ks);
	else
		coap_ka_udp_unhook(ks);
	release_sock(sk);
	coap_ka_sock_gone(ks, reason);
	coap_ka_sock_put(ks);
}

/* The socket closes (TCP or UDP): give it back, then let it close. */
static void coap_ka_close(struct sock *sk, long timeout)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);

	if (ks)
		coap_ka_give_back(ks, COAP_KA_GONE_CLOSED);
	coap_ka_base(sk)->close(sk, timeout);
}

/* ------------------------------------------------------------------ */
/* TCP and kTLS                                                        */

static int coap_ka_tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);
	int flags = msg->msg_flags;
	int ret;

	if (!ks)
		return coap_ka_base(sk)->sendmsg(sk, msg, size);
	atomic_inc(&ks->writers);
	smp_mb__after_atomic();	/* the Ping's check sees us, or we see its bytes */
	ret = coap_ka_base(sk)->sendmsg(sk, msg, size);
	coap_ka_tcp_sent(ks, ret, size, flags);
	coap_ka_sock_put(ks);
	return ret;
}

#ifdef COAP_KA_HAVE_SENDPAGE
static int coap_ka_tcp_sendpage(struct sock *sk, struct page *page, int offset,
				size_t size, int flags)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);
	int ret;

	if (!ks)
		return coap_ka_base(sk)->sendpage(sk, page, offset, size, flags);
	atomic_inc(&ks->writers);
	smp_mb__after_atomic();	/* as in coap_ka_tcp_sendmsg() */
	ret = coap_ka_base(sk)->sendpage(sk, page, offset, size, flags);
	coap_ka_tcp_sent(ks, ret, size, flags);
	coap_ka_sock_put(ks);
	return ret;
}
#endif

/*
 * connect(AF_UNSPEC), with the socket locked: from here it may connect
 * elsewhere or listen (and its children must not inherit us).
 */
static int coap_ka_tcp_disconnect(struct sock *sk, int flags)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);

	if (ks) {
		coap_ka_tcp_unhook(ks);
		coap_ka_sock_end_one(ks, COAP_KA_GONE_DISCONNECTED);
		coap_ka_sock_put(ks);
	}
	return coap_ka_base(sk)->disconnect(sk, flags);
}

/* shutdown(), socket locked: no Ping can follow the application's FIN. */
static void coap_ka_tcp_shutdown(struct sock *sk, int how)
{
	struct coap_ka_sock *ks;

	if (how & SEND_SHUTDOWN) {
		ks = coap_ka_proto_ks(sk);
		if (ks) {
			coap_ka_tcp_unhook(ks);
			coap_ka_sock_end_one(ks, COAP_KA_GONE_CLOSED);
			coap_ka_sock_put(ks);
		}
	}
	coap_ka_base(sk)->shutdown(sk, how);
}

static int coap_ka_tcp_setsockopt(struct sock *sk, int level, int optname,
				  sockptr_t optval, unsigned int optlen)
{
	struct coap_ka_sock *ks;
	int ret;

	if ((level != SOL_TCP || optname != TCP_ULP) && level != SOL_TLS)
		return coap_ka_base(sk)->setsockopt(sk, level, optname, optval,
						    optlen);
	ks = coap_ka_proto_ks(sk);
	if (!ks)
		return coap_ka_base(sk)->setsockopt(sk, level, optname, optval,
						    optlen);
	/*
	 * kTLS builds its protocol tables from the socket's sk_prot and
	 * keeps it as the one below it: it must see TCP's, never ours.
	 * Ours and the stand-in ULP come off here; while they are on (put
	 * back by another thread meanwhile), TCP refuses the ULP with
	 * EEXIST (tcp.c). kTLS's own settings replace sk_prot too. Either
	 * way ours goes on top of what the socket has afterwards.
	 */
	if (level == SOL_TCP) {
		lock_sock(sk);
		coap_ka_tcp_unprot(sk);
		release_sock(sk);
	}
	ret = coap_ka_base(sk)->setsockopt(sk, level, optname, optval, optlen);
	coap_ka_tcp_rehook(ks);
	coap_ka_sock_put(ks);
	return ret;
}

/* ------------------------------------------------------------------ */
/* UDP                                                                 */

/*
 * The first min(@len, 4) bytes of the datagram @from runs over, into @hdr;
 * @from is left as it was. A constant size where it can be, so that the
 * usercopy check is done at build time.
 */
static bool coap_ka_udp_peek(const struct iov_iter *from, size_t len, u8 *hdr)
{
	struct iov_iter peek = *from;

	if (len >= 4)
		return copy_from_iter(hdr, 4, &peek) == 4;
	return copy_from_iter(hdr, len, &peek) == len;
}

/*
 * The same, once UDP has taken the datagram: its iterator, @left bytes
 * long before, is wound back over what UDP copied.
 */
static bool coap_ka_udp_peek_sent(const struct msghdr *msg, size_t left,
				  size_t len, u8 *hdr)
{
	struct iov_iter from = msg->msg_iter;

	iov_iter_revert(&from, left - iov_iter_count(&from));
	return coap_ka_udp_peek(&from, len, hdr);
}

static int coap_ka_udp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);
	size_t left = iov_iter_count(&msg->msg_iter);
	u32 then = coap_ka_j32();
	bool head, moot;
	u8 hdr[4];
	int ret;

	if (!ks)
		return coap_ka_base(sk)->sendmsg(sk, msg, len);
	/*
	 * The CoAP header, unless this continues a corked datagram or can
	 * change nothing as it begins.
	 */
	head = !READ_ONCE(udp_sk(sk)->pending);
	moot = head && coap_ka_udp_send_moot(ks, then);
	if (head && !moot)
		head = coap_ka_udp_peek(&msg->msg_iter, len, hdr);
	ret = INDIRECT_CALL_1(coap_ka_base(sk)->sendmsg, udp_sendmsg, sk, msg, len);
	/*
	 * The send may have slept (a full send buffer) into another jiffy,
	 * or while an answer to our Ping opened the window in which its MID
	 * is ours: this datagram is then looked at after all.
	 */
	if (ret >= 0 && moot && !coap_ka_udp_send_moot(ks, then))
		moot = !coap_ka_udp_peek_sent(msg, left, len, hdr);
	if (ret >= 0 && head && !moot)
		coap_ka_udp_sendmsg_seen(ks, msg, hdr, len);
	coap_ka_sock_put(ks);
	return ret;
}

static int coap_ka_udp_connect(struct sock *sk, struct sockaddr *uaddr,
			       int addr_len)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);
	int ret;

	ret = coap_ka_base(sk)->connect(sk, uaddr, addr_len);
	if (ks) {
		if (!ret)
			coap_ka_udp_connected(ks);
		coap_ka_sock_put(ks);
	}
	return ret;
}

/* connect(AF_UNSPEC): an unbound socket can no longer be pinged from. */
static int coap_ka_udp_disconnect(struct sock *sk, int flags)
{
	struct coap_ka_sock *ks = coap_ka_proto_ks(sk);
	int ret;

	ret = coap_ka_base(sk)->disconnect(sk, flags);
	if (ks) {
		coap_ka_udp_connected(ks);
		coap_ka_sock_put(ks);
	}
	return ret;
}

/*
 * A new encapsulation would take the socket's datagrams from us, and
 * IPV6_ADDRFORM replaces sk_prot: give the socket back first.
 */
static int coap_ka_udp_setsockopt(struct sock *sk, int level, int optname,
				  sockptr_t optval, unsigned int optlen)
{
	struct coap_ka_sock *ks;

	if ((level == SOL_UDP && optname == UDP_ENCAP) ||
	    (level == SOL_IPV6 && optname == IPV6_ADDRFORM)) {
		ks = coap_ka_proto_ks(sk);
		if (ks) {
			net_dbg_ratelimited("socket %u handed back: the application set %s\n",
					    ks->ino, level == SOL_UDP ? "UDP_ENCAP" :
					    "IPV6_ADDRFORM");
			coap_ka_give_back(ks, COAP_KA_GONE_SOCKET_CHANGED);
		}
	}
	return coap_ka_base(sk)->setsockopt(sk, level, optname, optval, optlen);
}

/* ------------------------------------------------------------------ */
/* copies                                                              */

static struct coap_ka_proto *coap_ka_proto_new(struct proto *base, bool tcp)
{
	struct coap_ka_proto *c;

	/* Shared by every watched socket on @base: not any user's memory. */
	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->prot = *base;
	c->base = base;
	if (tcp) {
		c->prot.sendmsg = coap_ka_tcp_sendmsg;
#ifdef COAP_KA_HAVE_SENDPAGE
		if (base->sendpage)
			c->prot.sendpage = coap_ka_tcp_sendpage;
#endif
		c->prot.close = coap_ka_close;
		c->prot.disconnect = coap_ka_tcp_disconnect;
		c->prot.shutdown = coap_ka_tcp_shutdown;
		c->prot.setsockopt = coap_ka_tcp_setsockopt;
	} else {
		c->prot.sendmsg = coap_ka_udp_sendmsg;
		c->prot.close = coap_ka_close;
		c->prot.connect = coap_ka_udp_connect;
		c->prot.disconnect = coap_ka_udp_disconnect;
		c->prot.setsockopt = coap_ka_udp_setsockopt;
	}
#ifdef CONFIG_BPF_SYSCALL
	/* sockmap would take sk_prot over too: keep it off watched sockets. */
	c->prot.psock_update_sk_prot = NULL;
#endif
	return c;
}

/**
 * coap_ka_proto_for() - the protocol a watched socket is to run on
 * @sk: the socket
 *
 * A copy of the protocol @sk runs on now (TCP, kTLS's, UDP) with the
 * module's operations in front of its own; made once per base protocol
 * and kept until module unload.
 *
 * Context: process context, @sk locked (so its sk_prot cannot change);
 * may sleep.
 * Return: the copy (or @sk's protocol if it is one already), or
 * ERR_PTR(-ENOMEM).
 */
struct proto *coap_ka_proto_for(struct sock *sk)
{
	struct proto *base = READ_ONCE(sk->sk_prot);
	bool tcp = sk->sk_protocol == IPPROTO_TCP;
	struct coap_ka_proto *c;

	if (coap_ka_proto_ours(base))
		return base;
	mutex_lock(&coap_ka_protos_lock);
	list_for_each_entry(c, &coap_ka_protos, node)
		if (c->base == base)
			goto out;
	c = coap_ka_proto_new(base, tcp);
	if (c)
		list_add(&c->node, &coap_ka_protos);
out:
	mutex_unlock(&coap_ka_protos_lock);
	return c ? &c->prot : ERR_PTR(-ENOMEM);
}

/**
 * coap_ka_proto_restore() - put back the protocol a socket had
 * @sk: the socket
 *
 * Does nothing if @sk does not run on one of the module's copies.
 *
 * Context: @sk locked.
 */
void coap_ka_proto_restore(struct sock *sk)
{
	struct proto *p = READ_ONCE(sk->sk_prot);

	if (coap_ka_proto_ours(p))
		WRITE_ONCE(sk->sk_prot,
			   container_of(p, struct coap_ka_proto, prot)->base);
}

/**
 * coap_ka_proto_exit() - free the protocol copies at module unload
 *
 * Waits until every watched socket is freed and every task has left the
 * module's socket operations (synchronize_rcu_tasks()), then frees them.
 *
 * Context: module exit, after every namespace's sessions ended; sleeps.
 */
void coap_ka_proto_exit(void)
{
	struct coap_ka_proto *c, *tmp;

	coap_ka_socks_wait();
	synchronize_rcu_tasks();
	list_for_each_entry_safe(c, tmp, &coap_ka_protos, node) {
		list_del(&c->node);
		kfree(c);
	}
}
