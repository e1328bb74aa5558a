// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: watching an application's TCP (and kTLS) connection.
 *
 * Nothing is added to TCP's data path. Activity and liveness are read from
 * TCP's own counters when the session's timer fires (last data received and
 * sent, bytes received, what the peer acknowledged), as TCP keepalive does.
 * Two things are watched: state changes (sk_state_change, wrapped, as
 * in-kernel TCP users do) for the peer's FIN or RST and TCP giving up, and
 * the application's own close or shutdown, which TCP reports to nobody once
 * the socket is orphaned: the netfilter LOCAL_OUT hook (see udp.c) sees the
 * FIN or RST (or any later segment) leave a socket whose sending side is
 * shut down.
 *
 * kTLS does not touch sk_state_change or sk_user_data, so both work the
 * same with and without it, and whether kTLS is installed is looked up at
 * every Ping.
 */
#include <linux/rhashtable.h>
#include <linux/string.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "coap_ka.h"
#include "compat.h"

static void coap_ka_tcp_state_change(struct sock *sk);

bool coap_ka_tcp_owns(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state_change) == coap_ka_tcp_state_change;
}

/* The kTLS context of @sk, NULL if none; an error for another ULP. Locked. */
static struct tls_context *coap_ka_tcp_tls(struct sock *sk)
{
	const struct tcp_ulp_ops *ulp = inet_csk(sk)->icsk_ulp_ops;

	if (!ulp)
		return NULL;
	if (strcmp(ulp->name, "tls"))
		return ERR_PTR(-EOPNOTSUPP);
	/* NULL once kTLS's close has begun: treat as going away. */
	return tls_get_ctx(sk) ?: ERR_PTR(-EPIPE);
}

int coap_ka_tcp_attach(struct coap_ka_sock *ks, struct netlink_ext_ack *extack)
{
	struct sock *sk = ks->sk;
	struct tls_context *tctx;
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

	write_lock_bh(&sk->sk_callback_lock);
	if (READ_ONCE(sk->sk_user_data)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		err = -EBUSY;
	} else {
		ks->saved_state_change = sk->sk_state_change;
		rcu_assign_sk_user_data(sk, ks);
		WRITE_ONCE(sk->sk_state_change, coap_ka_tcp_state_change);
	}
	write_unlock_bh(&sk->sk_callback_lock);
out:
	release_sock(sk);
	return err;
}

/*
 * Give the socket back. Under the socket lock no state change can be
 * running (TCP reports them with the socket owned or bh-locked), so once
 * this returns our callback is not entered again.
 */
void coap_ka_tcp_detach(struct coap_ka_sock *ks)
{
	struct sock *sk = ks->sk;

	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	if (__locked_read_sk_user_data_with_flags(sk, 0) == ks) {
		if (sk->sk_state_change == coap_ka_tcp_state_change)
			WRITE_ONCE(sk->sk_state_change, ks->saved_state_change);
		rcu_assign_sk_user_data(sk, NULL);
	}
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}

/* The session of a watched TCP socket; under RCU. */
static struct coap_ka_session *coap_ka_tcp_session(struct sock *sk)
{
	struct coap_ka_peer peer;
	struct coap_ka_sock *ks;

	ks = rcu_dereference_sk_user_data(sk);
	if (!ks)
		return NULL;
	coap_ka_peer_from_sk(sk, &peer);
	return rhashtable_lookup(&ks->peers, &peer, coap_ka_peer_params);
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
	ks = rcu_dereference_sk_user_data(sk);
	if (ks) {
		orig = ks->saved_state_change;
		reason = coap_ka_tcp_gone_reason(sk);
		s = reason >= 0 ? coap_ka_tcp_session(sk) : NULL;
		if (s)
			coap_ka_session_end(s, reason);
	}
	rcu_read_unlock();
	/* Not reached without ks: detach swaps both under the socket lock. */
	if (orig)
		orig(sk);
}

/* A Ping found the connection going away: end @s for the reason why. */
void coap_ka_tcp_gone(struct coap_ka_session *s)
{
	int reason = coap_ka_tcp_gone_reason(s->ks->sk);

	coap_ka_session_end(s, reason >= 0 ? reason : COAP_KA_GONE_CONN_LOST);
}

/* A segment leaves a watched socket (LOCAL_OUT, under RCU). */
void coap_ka_tcp_out(struct sock *sk)
{
	struct coap_ka_session *s;

	if (likely(!(READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)))
		return;
	s = coap_ka_tcp_session(sk);
	if (s)
		coap_ka_session_end(s, COAP_KA_GONE_CLOSED);
}

/* TCP's clock (tcp_jiffies32) as jiffies. */
static unsigned long coap_ka_tcp_j(u32 stamp)
{
	unsigned long now = jiffies;

	return now - (u32)((u32)now - stamp);
}

/* The later of @s's stamp and TCP's for last data received or (@tx) sent. */
unsigned long coap_ka_tcp_last(const struct coap_ka_session *s, bool tx)
{
	struct sock *sk = s->ks->sk;
	unsigned long mine, t;

	if (tx) {
		mine = READ_ONCE(s->last_tx);
		t = coap_ka_tcp_j(READ_ONCE(tcp_sk(sk)->lsndtime));
	} else {
		mine = READ_ONCE(s->last_rx);
		t = coap_ka_tcp_j(READ_ONCE(inet_csk(sk)->icsk_ack.lrcvtime));
	}
	return time_after(t, mine) ? t : mine;
}

/*
 * Bring the session's activity stamps up to TCP's: last data received and,
 * if @tx, last data sent. @s->lock held.
 */
void coap_ka_tcp_stamps(struct coap_ka_session *s, bool tx)
{
	WRITE_ONCE(s->last_rx, coap_ka_tcp_last(s, false));
	if (tx)
		WRITE_ONCE(s->last_tx, coap_ka_tcp_last(s, true));
}

/* Bytes received so far: a change after a Ping is the peer's answer. */
u64 coap_ka_tcp_rx_bytes(const struct coap_ka_sock *ks)
{
	return READ_ONCE(tcp_sk(ks->sk)->bytes_received);
}

/* Has TCP got everything up to @seq acknowledged? */
/* What the peer has acknowledged so far. */
u32 coap_ka_tcp_una(const struct coap_ka_sock *ks)
{
	return READ_ONCE(tcp_sk(ks->sk)->snd_una);
}

bool coap_ka_tcp_acked(const struct coap_ka_sock *ks, u32 seq)
{
	return !before(coap_ka_tcp_una(ks), seq);
}

/* Jiffies from @ping_j to the answer: data received, or (@empty) an ACK. */
u32 coap_ka_tcp_rtt_us(const struct coap_ka_sock *ks, u32 ping_j, bool empty)
{
	struct sock *sk = ks->sk;
	u32 t = empty ? READ_ONCE(tcp_sk(sk)->rcv_tstamp) :
			READ_ONCE(inet_csk(sk)->icsk_ack.lrcvtime);

	return (s32)(t - ping_j) > 0 ? jiffies_to_usecs(t - ping_j) : 0;
}

/*
 * Write a Ping (@empty: the 0.00 message) into the stream if it is at a
 * message boundary. Process context. COAP_KA_TX_SENT with *@end_seq the
 * sequence number after it and *@rx_bytes the bytes received before it
 * left, or why not.
 */
int coap_ka_tcp_ping(struct coap_ka_sock *ks, bool empty, u32 *end_seq,
		     u64 *rx_bytes)
{
	const u8 msg[2] = { 0x00, empty ? 0x00 : 0xe2 };
	struct msghdr m = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = (void *)msg, .iov_len = sizeof(msg) };
	struct sock *sk = ks->sk;
	struct tls_context *tctx;
	int ret = COAP_KA_TX_LATER;
	int err;

	lock_sock(sk);
	if (sock_flag(sk, SOCK_DEAD) || sk->sk_state != TCP_ESTABLISHED ||
	    (sk->sk_shutdown & SEND_SHUTDOWN) || sk->sk_err) {
		ret = COAP_KA_TX_GONE;
		goto out;
	}
	/*
	 * A writer waiting for send buffer space is in the middle of a
	 * message: it dropped the socket lock to wait, after TCP took (and
	 * maybe sent) the first part.
	 */
	if (sk->sk_write_pending)
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
		if (!ks->tls_sent)
			ks->tls_sent = coap_ka_tls_sent(tctx);
		if (!ks->tls_sent)
			ret = COAP_KA_TX_NOT_STARTED;
		else if (coap_ka_tls_idle(tctx))
			ret = coap_ka_tls_push(sk, tctx, msg, sizeof(msg)) ?
			      COAP_KA_TX_LATER : COAP_KA_TX_SENT;
		mutex_unlock(&tctx->tx_lock);
		goto out;
	}
	if (ks->transport == COAP_KA_TRANSPORT_TLS) {
		/* Declared TLS: its kTLS is still to come. */
		ret = COAP_KA_TX_NOT_STARTED;
		goto out;
	}
	if (!ks->app_sent)
		ks->app_sent = READ_ONCE(tcp_sk(sk)->bytes_sent) != 0;
	if (!ks->app_sent) {
		ret = COAP_KA_TX_NOT_STARTED;
		goto out;
	}
	/*
	 * Nothing unsent: data held back with MSG_MORE or TCP_CORK waits
	 * there. TCP may send such data on its own after a while; once the
	 * connection knows the peer's window, TCP's push mark then still
	 * says the last write was made with MSG_MORE (before that it marks
	 * every write pushed, so the mark alone cannot be trusted).
	 */
	if (!tcp_write_queue_empty(sk) ||
	    tcp_sk(sk)->pushed_seq != tcp_sk(sk)->write_seq ||
	    (tcp_sk(sk)->nonagle & TCP_NAGLE_CORK) || !sk_stream_memory_free(sk))
		goto out;
	iov_iter_kvec(&m.msg_iter, ITER_SOURCE, &iov, 1, sizeof(msg));
	/* Two bytes are copied whole or not at all. */
	err = tcp_sendmsg_locked(sk, &m, sizeof(msg));
	if (err == sizeof(msg))
		ret = COAP_KA_TX_SENT;
out:
	/*
	 * Before release_sock(): segments that came in while we held the
	 * lock are still in the backlog and will count as the answer. They
	 * are no older than the Ping, and a reply to the Ping itself cannot
	 * be in the mark.
	 */
	*end_seq = tcp_sk(sk)->write_seq;
	*rx_bytes = tcp_sk(sk)->bytes_received;
	release_sock(sk);
	return ret;
}

/*
 * NACK with the abort action: end the connection as TCP keepalive would,
 * ETIMEDOUT for the application (and an RST for the peer). Process context.
 */
void coap_ka_tcp_abort(struct coap_ka_sock *ks)
{
	tcp_abort(ks->sk, ETIMEDOUT);
}
