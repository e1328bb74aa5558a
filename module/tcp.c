// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: watching an application's TCP (and kTLS) connection.
 *
 * Where messages end: the socket's sendmsg (proto.c) counts the threads
 * inside it and records whether the application's last write ended a
 * message (complete, without MSG_MORE). A Ping is written only with no
 * writer inside, the last message complete, TCP_CORK off, and (kTLS) no
 * record open or waiting; under the socket lock (and kTLS's tx_lock), so
 * no write can start between the check and the Ping.
 *
 * A Ping goes into the stream whole or not at all: the room for it is
 * reserved first, it gets a segment of its own, and a kTLS record's
 * sequence and IV move on only once the record is in.
 *
 * Liveness and received data are read from TCP's counters when the
 * session's timer fires (bytes received, what the peer acknowledged);
 * what the application sent is stamped by its sendmsg, so TCP's own
 * retransmissions are not activity. The peer's FIN or RST and TCP giving
 * up come through sk_state_change (wrapped); the application's close,
 * shutdown and disconnect through its protocol operations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/string.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "coap_ka.h"
#include "compat.h"
#include "trace.h"

/* Room reserved before a Ping: a fresh skb and its (at most 32) bytes. */
#define COAP_KA_TCP_ROOM	SKB_TRUESIZE(2048)
/* Retries of a Ping that could not go: from 10 ms, doubling, up to 1 s. */
#define COAP_KA_TCP_RETRY_MIN_MS	10
#define COAP_KA_TCP_RETRY_MAX_MS	1000

static void coap_ka_tcp_state_change(struct sock *sk);

/*
 * The upper layer protocol of a plain TCP socket while it runs on the
 * module's operations. An ULP's init (kTLS's tls_init(), espintcp's)
 * copies the socket's sk_prot into tables of its own, kTLS's global to
 * the system, and calls through them afterwards: they must never hold
 * the module's operations, which would call the socket's protocol, that
 * is, kTLS's again (an endless loop or a stack overflow in the kernel),
 * and would outlive the module. TCP refuses a second ULP (EEXIST), so
 * with this one in place none is installed under ours; the application's
 * own TCP_ULP request reaches coap_ka_tcp_setsockopt() (proto.c), which
 * takes both off first, under the socket lock, as ULPs are installed.
 * Never registered: nobody can ask for it by name. getsockopt(TCP_ULP)
 * and sock_diag show its name while the socket is watched.
 */
static const struct tcp_ulp_ops coap_ka_tcp_ulp = {
	.name = "coap_keepalive",
};

/**
 * coap_ka_tcp_has_ulp() - does a TCP socket have an upper layer protocol?
 * @sk: the socket
 *
 * Context: any; stable with @sk locked.
 * Return: true for a real ULP (kTLS, ...), false for none or the module's
 * stand-in.
 */
bool coap_ka_tcp_has_ulp(const struct sock *sk)
{
	const struct tcp_ulp_ops *ulp = READ_ONCE(inet_csk(sk)->icsk_ulp_ops);

	return ulp && ulp != &coap_ka_tcp_ulp;
}

/* Put the module's @prot on @sk; the stand-in ULP if it has none. Locked. */
static void coap_ka_tcp_set_prot(struct sock *sk, struct proto *prot)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!icsk->icsk_ulp_ops)
		WRITE_ONCE(icsk->icsk_ulp_ops, &coap_ka_tcp_ulp);
	WRITE_ONCE(sk->sk_prot, prot);
}

/**
 * coap_ka_tcp_unprot() - take the module's operations off a TCP socket
 * @sk: the socket
 *
 * Its protocol is the one it had, and the stand-in ULP is gone, so that
 * an ULP can be installed again. Nothing happens if they are not there.
 *
 * Context: @sk locked.
 */
void coap_ka_tcp_unprot(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	coap_ka_proto_restore(sk);
	if (icsk->icsk_ulp_ops == &coap_ka_tcp_ulp)
		WRITE_ONCE(icsk->icsk_ulp_ops, NULL);
}

/* The kTLS context of @sk, NULL if none; an error for another ULP. Locked. */
static struct tls_context *coap_ka_tcp_tls(struct sock *sk)
{
	const struct tcp_ulp_ops *ulp = inet_csk(sk)->icsk_ulp_ops;

	if (!ulp || ulp == &coap_ka_tcp_ulp)
		return NULL;
	if (strcmp(ulp->name, "tls"))
		return ERR_PTR(-EOPNOTSUPP);
	/* NULL once kTLS's close has begun: treat as going away. */
	return tls_get_ctx(sk) ?: ERR_PTR(-EPIPE);
}

static int coap_ka_tcp_attach(struct coap_ka_sock *ks,
			      struct netlink_ext_ack *extack)
{
	struct sock *sk = ks->sk;
	struct tls_context *tctx;
	struct proto *prot;
	int err = 0;

	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG_MOD(extack, "the TCP connection is not established");
		err = -ENOTCONN;
		goto out;
	}
	tctx = coap_ka_tcp_tls(sk);
	if (IS_ERR(tctx)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket has an upper layer protocol other than kTLS");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (tctx) {
		err = coap_ka_tls_check(tctx, extack);
		if (err)
			goto out;
		ks->transport = COAP_KA_TRANSPORT_TLS;
	}
	prot = coap_ka_proto_for(sk);
	if (IS_ERR(prot)) {
		err = PTR_ERR(prot);
		goto out;
	}
	/*
	 * What was written before we were there: a message is taken as
	 * complete if TCP has nothing unsent and was told to push it all.
	 */
	ks->msg_open = !tcp_write_queue_empty(sk) ||
		       tcp_sk(sk)->pushed_seq != tcp_sk(sk)->write_seq;

	write_lock_bh(&sk->sk_callback_lock);
	if (rcu_access_pointer(__sk_user_data(sk))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		err = -EBUSY;
	} else {
		ks->saved_state_change = sk->sk_state_change;
		__rcu_assign_sk_user_data_with_flags(sk, ks, SK_USER_DATA_NOCOPY);
		WRITE_ONCE(sk->sk_state_change, coap_ka_tcp_state_change);
		coap_ka_tcp_set_prot(sk, prot);
	}
	write_unlock_bh(&sk->sk_callback_lock);
out:
	release_sock(sk);
	return err;
}

/**
 * coap_ka_tcp_unhook() - give a TCP socket back
 * @ks: the watched socket
 *
 * Its protocol, state callback and sk_user_data are the application's
 * again; the module's state callback is not entered once this returns.
 * Does nothing if @ks is no longer published on the socket.
 *
 * Context: the socket locked.
 */
void coap_ka_tcp_unhook(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (coap_ka_sk_ks(sk) == ks) {
		if (sk->sk_state_change == coap_ka_tcp_state_change)
			WRITE_ONCE(sk->sk_state_change, ks->saved_state_change);
		coap_ka_tcp_unprot(sk);
		rcu_assign_sk_user_data(sk, NULL);
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

static void coap_ka_tcp_detach(struct coap_ka_sock *ks)
{
	lock_sock(ks->sk);
	coap_ka_tcp_unhook(ks);
	release_sock(ks->sk);
}

/**
 * coap_ka_tcp_rehook() - follow a TCP_ULP or kTLS setting on a watched socket
 * @ks: the watched socket
 *
 * Puts the module's operations over the socket's new protocol (kTLS's),
 * or, for an upper layer protocol other than kTLS, gives the socket back
 * and ends its session (%COAP_KA_GONE_SOCKET_CHANGED).
 *
 * Context: process context (the application's setsockopt()), the socket
 * not locked; sleeps.
 */
void coap_ka_tcp_rehook(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;
	struct tls_context *tctx;
	struct proto *prot;
	bool end = false;

	lock_sock(sk);
	if (coap_ka_sk_ks(sk) != ks)
		goto out;
	tctx = coap_ka_tcp_tls(sk);
	prot = (IS_ERR(tctx) && PTR_ERR(tctx) != -EPIPE) ? ERR_PTR(-EOPNOTSUPP) :
							   coap_ka_proto_for(sk);
	if (IS_ERR(prot)) {
		net_dbg_ratelimited("socket %u handed back: its new upper layer protocol cannot carry Pings\n",
				    ks->ino);
		coap_ka_tcp_unhook(ks);
		end = true;
	} else {
		write_lock_bh(&sk->sk_callback_lock);
		coap_ka_tcp_set_prot(sk, prot);
		write_unlock_bh(&sk->sk_callback_lock);
	}
out:
	release_sock(sk);
	if (end)
		coap_ka_sock_gone(ks, COAP_KA_GONE_SOCKET_CHANGED);
}

/*
 * Why a connection that is going away went (enum coap_ka_gone_reason);
 * -1 if it is not. A closed connection first: tcp_done() also shuts
 * both directions down.
 */
static int coap_ka_tcp_gone_reason(struct sock *sk)
{
	int state = inet_sk_state_load(sk);

	if (state == TCP_CLOSE) {
		switch (READ_ONCE(sk->sk_err)) {
		case 0:
			return COAP_KA_GONE_CLOSED;
		case ECONNRESET:
		case EPIPE:
			return COAP_KA_GONE_PEER_RESET;
		}
		return COAP_KA_GONE_CONN_LOST;
	}
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return COAP_KA_GONE_CLOSED;
	if (state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK)
		return COAP_KA_GONE_PEER_CLOSED;
	return -1;
}

/* Softirq, or process context with the socket owned. */
static void coap_ka_tcp_state_change(struct sock *sk)
{
	void (*orig)(struct sock *sk) = NULL;
	struct coap_ka_session *s;
	struct coap_ka_sock *ks;
	int reason;

	rcu_read_lock();
	ks = coap_ka_sk_ks_rcu(sk);
	if (ks) {
		orig = ks->saved_state_change;
		reason = coap_ka_tcp_gone_reason(sk);
		s = reason >= 0 ? rcu_dereference(ks->one) : NULL;
		if (s)
			coap_ka_session_end(s, reason);
	}
	rcu_read_unlock();
	/* Not reached without ks: unhook swaps both under the socket lock. */
	if (orig)
		orig(sk);
}

/**
 * coap_ka_tcp_sent() - an application write on a watched TCP socket returned
 * @ks: the watched socket
 * @ret: what the protocol's sendmsg (or sendpage) returned
 * @size: the bytes the application asked to write
 * @flags: its flags (MSG_MORE ...)
 *
 * Records whether the write ended a message (all written, no MSG_MORE),
 * stamps send activity, and lets a Ping that was waiting for the end of a
 * message go.
 *
 * Context: process context, the application's send call, after the
 * protocol's.
 */
void coap_ka_tcp_sent(struct coap_ka_sock *ks, int ret, size_t size, int flags)
{
	struct coap_ka_session *s;
	bool open = READ_ONCE(ks->msg_open);

	/* An error wrote nothing; a short write leaves the message open. */
	if (ret >= 0) {
		open = (size_t)ret != size ||
		       (flags & (MSG_MORE | COAP_KA_MSG_NOTLAST));
		WRITE_ONCE(ks->msg_open, open);
	}
	smp_mb__before_atomic();	/* msg_open before we leave */
	atomic_dec(&ks->writers);

	rcu_read_lock();
	s = rcu_dereference(ks->one);
	if (s && ret > 0)
		WRITE_ONCE(s->last_tx, coap_ka_j32());
	if (s && !open && READ_ONCE(s->state) == COAP_KA_STATE_PINGING &&
	    !READ_ONCE(s->tcp.sent))
		coap_ka_sched(s, jiffies);
	rcu_read_unlock();
}

/**
 * coap_ka_tcp_last() - when data last went to or came from a TCP peer
 * @s: the session
 * @tx: true for the application's last write, false for the last data
 *	received
 *
 * Received: TCP's own stamp, or the session's if later. Sent: the
 * session's, stamped by the application's writes (TCP's retransmissions
 * are not activity).
 *
 * Context: any.
 * Return: jiffies.
 */
unsigned long coap_ka_tcp_last(const struct coap_ka_session *s, bool tx)
{
	unsigned long mine, t;

	if (tx)
		return coap_ka_j_past(READ_ONCE(s->last_tx));
	mine = coap_ka_j_past(READ_ONCE(s->last_rx));
	t = coap_ka_j_past(READ_ONCE(inet_csk(s->ks->sk)->icsk_ack.lrcvtime));
	return time_after(t, mine) ? t : mine;
}

/* Bytes received (low bits: only a change counts). */
static u32 coap_ka_tcp_rx_bytes(const struct coap_ka_sock *ks)
{
	return (u32)READ_ONCE(tcp_sk(ks->sk)->bytes_received);
}

static u32 coap_ka_tcp_una(const struct coap_ka_sock *ks)
{
	return READ_ONCE(tcp_sk(ks->sk)->snd_una);
}

/* Jiffies from @ping_j to the answer: data received, or (@empty) an ACK. */
static u32 coap_ka_tcp_rtt_us(const struct coap_ka_sock *ks, u32 ping_j,
			      bool empty)
{
	struct sock *sk = ks->sk;
	u32 t = empty ? READ_ONCE(tcp_sk(sk)->rcv_tstamp) :
			READ_ONCE(inet_csk(sk)->icsk_ack.lrcvtime);

	return (s32)(t - ping_j) > 0 ? jiffies_to_usecs(t - ping_j) : 0;
}

/* How long a TCP session waits for the peer after a Ping fell due. */
static unsigned long coap_ka_pong_timeout(const struct coap_ka_params *p)
{
	return p->pong_timeout_ms ? msecs_to_jiffies(p->pong_timeout_ms) :
				    coap_ka_secs(p);
}

/*
 * The TCP round, from the timer; @s->lock held. While a Ping is due the
 * timer has it written until it could be (backing off), then polls TCP's
 * counters for the answer at a quarter of the time since it left (at most
 * 250 ms). The pong timeout runs from the Ping leaving, or, for one that
 * never could, from it falling due.
 */
static void coap_ka_tcp_timer(struct coap_ka_session *s,
			      const struct coap_ka_params *p)
{
	bool empty = p->flags & COAP_KA_F_EMPTY_PING;
	struct coap_ka_sock *ks = s->ks;
	unsigned long now = jiffies;
	unsigned long deadline, step;
	bool data, acked;

	if (s->state == COAP_KA_STATE_IDLE) {
		WRITE_ONCE(s->last_rx, (u32)coap_ka_tcp_last(s, false));
		deadline = coap_ka_idle_deadline(s, p);
		if (time_before(now, deadline)) {
			coap_ka_arm_idle(s, deadline);
			return;
		}
		if (READ_ONCE(coap_ka_unloading))
			return;
		WRITE_ONCE(s->state, COAP_KA_STATE_PINGING);
		WRITE_ONCE(s->tcp.sent, false);
		s->tcp.due = (u32)now;
		s->tcp.rx_mark = coap_ka_tcp_rx_bytes(ks);
		s->tcp.una_mark = coap_ka_tcp_una(ks);
		s->tcp.retry_ms = COAP_KA_TCP_RETRY_MIN_MS;
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
		coap_ka_sched(s, now + coap_ka_pong_timeout(p));
		return;
	}

	deadline = coap_ka_j_past(s->tcp.due) + coap_ka_pong_timeout(p);
	data = coap_ka_tcp_rx_bytes(ks) != s->tcp.rx_mark;
	/*
	 * A Ping that could not leave in the whole pong timeout (the
	 * application kept writing) is no failure if the peer kept
	 * acknowledging that data.
	 */
	if (s->tcp.sent)
		acked = empty && !before(coap_ka_tcp_una(ks), s->tcp.una_mark);
	else
		acked = !time_before(now, deadline) &&
			coap_ka_tcp_una(ks) != s->tcp.una_mark;
	if (data || acked) {
		/* Data before our Ping left is only activity. */
		if (s->tcp.sent) {
			s->pongs++;
			s->rtt_us = coap_ka_tcp_rtt_us(ks, s->tcp.ping_j, !data);
			trace_pong(s, 0, s->rtt_us);
			if (coap_ka_event_wanted(s))
				coap_ka_session_queue(s, COAP_KA_TODO_PONG);
		}
		WRITE_ONCE(s->last_rx, (u32)coap_ka_tcp_last(s, false));
		coap_ka_idle_restart(s, p);
		coap_ka_arm_idle(s, coap_ka_idle_deadline(s, p));
		return;
	}
	if (!time_before(now, deadline) && !s->tcp.sent &&
	    coap_ka_todo_test(s, COAP_KA_TODO_HELD)) {
		/* The pacer holds it: the pong timeout runs once it leaves. */
		coap_ka_sched(s, now + coap_ka_pong_timeout(p));
		return;
	}
	if (!time_before(now, deadline)) {
		s->nacks++;
		trace_nack(s, 0, COAP_KA_NACK_NO_PONG, s->tcp.sent);
		coap_ka_session_queue(s, COAP_KA_TODO_NACK);
		coap_ka_idle_restart(s, p);
		coap_ka_arm_idle(s, coap_ka_idle_deadline(s, p));
		return;
	}
	if (!s->tcp.sent) {
		/* Woken by a write that ended a message, or the back-off. */
		if (!READ_ONCE(coap_ka_unloading))
			coap_ka_session_queue(s, COAP_KA_TODO_PING);
		step = deadline - now;
	} else {
		step = clamp((now - coap_ka_j_past(s->tcp.due)) / 4, 1UL,
			     (unsigned long)HZ / 4);
	}
	coap_ka_sched(s, time_before(now + step, deadline) ? now + step : deadline);
}

/* The cmsg that keeps SO_TIMESTAMPING's transmit stamps off the Ping. */
union coap_ka_no_tstamp {
	struct cmsghdr hdr;
	u8 buf[CMSG_SPACE(sizeof(u32))];
};

static void coap_ka_no_tstamp_init(union coap_ka_no_tstamp *c, struct msghdr *m)
{
	memset(c, 0, sizeof(*c));
	c->hdr.cmsg_len = CMSG_LEN(sizeof(u32));
	c->hdr.cmsg_level = SOL_SOCKET;
	c->hdr.cmsg_type = SO_TIMESTAMPING_OLD;
	m->msg_control = c;
	m->msg_controllen = sizeof(*c);
}

/*
 * Can @len bytes go into the stream whole, in a segment of their own?
 * Reserves the memory for them. Socket locked.
 */
static bool coap_ka_tcp_room(struct sock *sk)
{
	return sk_stream_memory_free(sk) && !tcp_under_memory_pressure(sk) &&
	       sk_wmem_schedule(sk, COAP_KA_TCP_ROOM);
}

/*
 * Write the Ping @msg (a kTLS record of it on a kTLS socket) if the
 * stream is at a message boundary. Process context. COAP_KA_TX_SENT with
 * *@end_seq the sequence number after it and *@rx_bytes the bytes
 * received before it left, or why not.
 */
static int coap_ka_tcp_write_ping(struct coap_ka_sock *ks, const u8 *msg,
				  unsigned int len, u32 *end_seq, u32 *rx_bytes)
{
	struct msghdr m = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR };
	u8 rec[COAP_KA_TLS_MAX_RECORD];
	union coap_ka_no_tstamp cmsg;
	struct tls_context *tctx;
	struct sock *sk = ks->sk;
	struct sk_buff *tail;
	bool tls_locked = false;
	bool abort = false;
	int ret = COAP_KA_TX_LATER;
	struct kvec iov;
	int soft_err;
	u32 tsflags;
	int err;

	lock_sock(sk);
	if (sock_flag(sk, SOCK_DEAD) || sk->sk_state != TCP_ESTABLISHED ||
	    (sk->sk_shutdown & SEND_SHUTDOWN) || coap_ka_sk_ks(sk) != ks) {
		ret = COAP_KA_TX_GONE;
		goto out;
	}
	/* An application write inside, or its last one left a message open. */
	if (atomic_read(&ks->writers))
		goto out;
	smp_rmb();	/* pairs with coap_ka_tcp_sent(): its msg_open, then writers */
	if (READ_ONCE(ks->msg_open) || (tcp_sk(sk)->nonagle & TCP_NAGLE_CORK))
		goto out;
	tctx = coap_ka_tcp_tls(sk);
	if (PTR_ERR(tctx) == -EPIPE) {
		ret = COAP_KA_TX_GONE;
		goto out;
	}
	if (IS_ERR(tctx) || (tctx && coap_ka_tls_check(tctx, NULL))) {
		ret = COAP_KA_TX_UNSUPPORTED;
		goto out;
	}
	if (!tctx && ks->transport == COAP_KA_TRANSPORT_TLS) {
		/* Declared TLS: its kTLS is still to come. */
		ret = COAP_KA_TX_NOT_STARTED;
		goto out;
	}
	if (!tctx) {
		if (!ks->app_sent)
			ks->app_sent = READ_ONCE(tcp_sk(sk)->bytes_sent) != 0;
		if (!ks->app_sent) {
			ret = COAP_KA_TX_NOT_STARTED;
			goto out;
		}
		/* Anything held back (Nagle, a zero window) goes first. */
	}
	/*
	 * Byte-offset timestamp keys count the stream from where the
	 * application enabled them: once everything before is acknowledged
	 * (so no stamp of it is pending), the key base can step over the
	 * Ping.
	 */
	tsflags = READ_ONCE(sk->sk_tsflags);
	if ((tsflags & SOF_TIMESTAMPING_OPT_ID) &&
	    (tsflags & SOF_TIMESTAMPING_TX_RECORD_MASK) &&
	    tcp_sk(sk)->snd_una != tcp_sk(sk)->write_seq)
		goto out;
	if (!coap_ka_tcp_room(sk))
		goto out;

	if (tctx) {
		/* Never in the clear once kTLS is there, even without keys yet. */
		ks->transport = COAP_KA_TRANSPORT_TLS;
		if (tctx->tx_conf != TLS_SW) {
			ret = COAP_KA_TX_NOT_STARTED;
			goto out;
		}
		/* Against kTLS's lock order: only try; a writer holds it. */
		if (!mutex_trylock(&tctx->tx_lock))
			goto out;
		tls_locked = true;
		if (!ks->tls_sent)
			ks->tls_sent = coap_ka_tls_sent(tctx);
		if (!ks->tls_sent) {
			ret = COAP_KA_TX_NOT_STARTED;
			goto out;
		}
		if (!coap_ka_tls_idle(tctx))
			goto out;
		err = coap_ka_tls_seal(tctx, msg, len, rec, &len);
		if (err) {
			ret = err == -EOPNOTSUPP || err == -EOVERFLOW ?
			      COAP_KA_TX_UNSUPPORTED : COAP_KA_TX_LATER;
			goto out;
		}
		msg = rec;
	}

	/* A segment of its own: not glued to the application's last one. */
	tail = tcp_write_queue_tail(sk);
	if (tail)
		TCP_SKB_CB(tail)->eor = 1;
	coap_ka_no_tstamp_init(&cmsg, &m);
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	iov_iter_kvec(&m.msg_iter, ITER_SOURCE, &iov, 1, len);
	/*
	 * A pending error on an established connection is a soft one (an
	 * ICMP error with IP_RECVERR): the application's to read, which
	 * tcp_sendmsg_locked() would do. Held aside while we own the socket
	 * (TCP's softirq side sets only sk_err_soft then).
	 */
	soft_err = sk->sk_err;
	if (soft_err)
		WRITE_ONCE(sk->sk_err, 0);
	err = tcp_sendmsg_locked(sk, &m, len);
	if (soft_err && !sk->sk_err)
		WRITE_ONCE(sk->sk_err, soft_err);
	if (err == len) {
		ret = COAP_KA_TX_SENT;
		if (tctx)
			coap_ka_tls_advance(tctx);
		if ((tsflags & SOF_TIMESTAMPING_OPT_ID) &&
		    (tsflags & SOF_TIMESTAMPING_TX_RECORD_MASK))
			atomic_add(len, &sk->sk_tskey);
	} else if (err > 0) {
		/* Cannot be with the room reserved; the stream is broken. */
		ret = COAP_KA_TX_GONE;
		abort = true;
	}
out:
	if (tls_locked)
		mutex_unlock(&tctx->tx_lock);
	/*
	 * Before release_sock(): segments that came in while we held the
	 * lock are still in the backlog and will count as the answer. They
	 * are no older than the Ping, and a reply to the Ping itself cannot
	 * be in the mark.
	 */
	*end_seq = tcp_sk(sk)->write_seq;
	*rx_bytes = (u32)tcp_sk(sk)->bytes_received;
	release_sock(sk);
	memzero_explicit(rec, sizeof(rec));
	if (abort) {
		net_dbg_ratelimited("socket %u: Ping only partly written, connection aborted\n",
				    ks->ino);
		tcp_abort(sk, EPROTO);
	}
	return ret;
}

/* A Ping found the connection going away: end @s for the reason why. */
static void coap_ka_tcp_gone(struct coap_ka_session *s)
{
	int reason = coap_ka_tcp_gone_reason(s->ks->sk);

	coap_ka_session_end(s, reason >= 0 ? reason : COAP_KA_GONE_CONN_LOST);
}

/* Write the TCP Ping of this round, if the stream is at a boundary. */
static void coap_ka_tcp_ping(struct coap_ka_session *s)
{
	struct coap_ka_sock *ks = s->ks;
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	bool empty, go;
	u8 msg[2] = { 0x00, 0xe2 };
	unsigned long next;
	u32 seq, rx;
	int ret;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	empty = p->flags & COAP_KA_F_EMPTY_PING;
	rcu_read_unlock();
	if (empty)
		msg[1] = 0x00;

	if (!coap_ka_todo_test_and_clear(s, COAP_KA_TODO_PING))
		return;
	spin_lock_bh(&s->lock);
	go = !s->dead && s->state == COAP_KA_STATE_PINGING && !s->tcp.sent &&
	     !READ_ONCE(coap_ka_unloading);
	spin_unlock_bh(&s->lock);
	if (!go)
		return;

	ret = coap_ka_tcp_write_ping(ks, msg, sizeof(msg), &seq, &rx);

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock_bh(&s->lock);
	if (ret == COAP_KA_TX_SENT) {
		s->pings++;
		trace_ping(s, 0, 0, p->pong_timeout_ms ?:
				       p->keepalive_secs * MSEC_PER_SEC);
	}
	if (s->dead || s->state != COAP_KA_STATE_PINGING) {
		/* Answered (by earlier data) meanwhile: a Ping that left is harmless. */
	} else if (ret == COAP_KA_TX_SENT) {
		WRITE_ONCE(s->tcp.sent, true);
		/*
		 * The peer has the whole pong timeout from here; what TCP
		 * takes in from now on answers the Ping.
		 */
		s->tcp.due = coap_ka_j32();
		s->tcp.rx_mark = rx;
		s->tcp.ping_j = coap_ka_j32();	/* TCP's clock */
		s->tcp.una_mark = seq;
		s->tx_ns = ktime_get_ns();
		coap_ka_sched(s, jiffies + 1);
	} else if (ret == COAP_KA_TX_NOT_STARTED) {
		/* Nothing to keep alive yet: a new idle period. */
		coap_ka_idle_restart(s, p);
		if (p->keepalive_secs)
			coap_ka_arm_idle(s, coap_ka_idle_deadline(s, p));
	} else if (ret == COAP_KA_TX_LATER) {
		/* Again after a back-off, or as soon as a message ends. */
		s->deferrals++;
		next = jiffies + msecs_to_jiffies(s->tcp.retry_ms);
		s->tcp.retry_ms = min(s->tcp.retry_ms * 2, COAP_KA_TCP_RETRY_MAX_MS);
		if (time_before(next, coap_ka_j_past(s->tcp.due) +
					  coap_ka_pong_timeout(p)))
			coap_ka_sched(s, next);
	}
	spin_unlock_bh(&s->lock);
	rcu_read_unlock();

	if (ret == COAP_KA_TX_GONE)
		coap_ka_tcp_gone(s);
	else if (ret == COAP_KA_TX_UNSUPPORTED)
		coap_ka_session_end(s, COAP_KA_GONE_UNSUPPORTED);
}

/*
 * NACK with the abort action: end the connection as TCP keepalive would,
 * ETIMEDOUT for the application (and an RST for the peer). Process context.
 */
static void coap_ka_tcp_abort(struct coap_ka_sock *ks)
{
	tcp_abort(ks->sk, ETIMEDOUT);
}

static u32 coap_ka_tcp_nack_reason(const struct coap_ka_session *s)
{
	return COAP_KA_NACK_NO_PONG;
}

const struct coap_ka_transport_ops coap_ka_tcp_ops = {
	.attach = coap_ka_tcp_attach,
	.detach = coap_ka_tcp_detach,
	.timer = coap_ka_tcp_timer,
	.ping = coap_ka_tcp_ping,
	.abort = coap_ka_tcp_abort,
	.nack_reason = coap_ka_tcp_nack_reason,
};
